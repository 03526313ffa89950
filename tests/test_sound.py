"""Pacer sound, tested through the synthesised waveform; audio output falls back to one notice."""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from trainer.coaching.pacer import BreathPattern, Pacer, PacerState, Phase
from trainer.storage.recording import read_recording
from trainer.ui.sound import (
    CHIME_S,
    HIGH_HZ,
    LOW_HZ,
    NOTHING_INSTALLED,
    TONE_FLOOR,
    TONE_LEVEL,
    AudioOut,
    AudioUnavailable,
    PacerSound,
    Voice,
    phase_onsets,
    render,
    to_pcm16,
)

FS = 22050
Signal = npt.NDArray[np.float64]
# Largest step between samples a click-free tone can make: its steepest slope
# 2 pi f A (1 + 2 * 0.15) / fs at the top pitch and loudness, plus a little slack.
TONE_STEP_LIMIT = 2 * np.pi * HIGH_HZ * TONE_LEVEL * 1.3 / FS * 1.1


def upward_crossings(x: Signal, fs: float) -> Signal:
    """Times (s) of upward zero crossings, linearly interpolated between samples."""
    idx = np.nonzero((x[:-1] < 0.0) & (x[1:] >= 0.0))[0]
    frac = -x[idx] / (x[idx + 1] - x[idx])
    return (idx + frac) / fs


def frame_rms(x: Signal, fs: float, frame_n: int) -> Signal:
    """RMS of consecutive frames of ``frame_n`` samples."""
    n = frame_n
    frames = x[: x.size // n * n].reshape(-1, n)
    return np.asarray(np.sqrt(np.mean(frames**2, axis=1)), dtype=np.float64)


def dominant_hz(x: Signal, fs: float) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), n=1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1.0 / fs)[np.argmax(spectrum)])


@pytest.fixture()
def pacer() -> Pacer:
    return Pacer(BreathPattern(inhale_s=4.0, exhale_s=5.0, hold_in_s=1.0), start_s=0.5)


def test_tone_pitch_rises_on_inhale_and_falls_on_exhale(pacer: Pacer) -> None:
    x, _ = render(pacer.state, 0.0, 21 * FS, fs_hz=FS, voice=Voice.TONE)
    crossings = upward_crossings(x, FS)
    mid_t = (crossings[1:] + crossings[:-1]) / 2.0
    freq = 1.0 / np.diff(crossings)
    expected = np.array([LOW_HZ + (HIGH_HZ - LOW_HZ) * pacer.state(t).fill for t in mid_t])
    settled = mid_t > 0.1
    assert np.max(np.abs(freq[settled] - expected[settled])) < 1.0

    def mean_freq(t0: float, t1: float) -> float:
        return float(np.mean(freq[(mid_t >= t0) & (mid_t < t1)]))

    for cycle in range(2):
        c = 0.5 + 10.0 * cycle
        inhale = [mean_freq(c + k, c + k + 1.0) for k in range(4)]
        assert inhale == sorted(inhale) and inhale[-1] - inhale[0] > 40.0
        hold = mean_freq(c + 4.1, c + 4.9)
        assert hold == pytest.approx(HIGH_HZ, abs=1.0)
        exhale = [mean_freq(c + 5.0 + k, c + 6.0 + k) for k in range(5)]
        assert exhale == sorted(exhale, reverse=True) and exhale[0] - exhale[-1] > 40.0


def test_tone_loudness_follows_fill_without_clicks(pacer: Pacer) -> None:
    x, _ = render(pacer.state, 0.0, 12 * FS, fs_hz=FS, voice=Voice.TONE)
    frame_n = 441
    rms = frame_rms(x, FS, frame_n)
    centres = (np.arange(rms.size) + 0.5) * frame_n / FS
    wave_rms = np.sqrt((1.0 + 0.15**2) / 2.0)
    expected = np.array(
        [TONE_LEVEL * (TONE_FLOOR + (1 - TONE_FLOOR) * pacer.state(t).fill) for t in centres]
    )
    settled = centres > 0.3
    assert np.allclose(rms[settled], expected[settled] * wave_rms, rtol=0.06)
    assert np.max(np.abs(np.diff(x))) < TONE_STEP_LIMIT


def test_no_click_when_the_pacer_appears_pauses_or_the_session_ends() -> None:
    pacer = Pacer(BreathPattern(3.0, 3.0), start_s=1.0)
    pacer.pause(4.0)

    def state_at(t: float) -> PacerState | None:
        return None if t < 1.0 else pacer.state(t)  # an own-rhythm step, then the pacer

    x, _ = render(state_at, 0.0, 8 * FS, fs_hz=FS, voice=Voice.TONE, end_s=30.0)
    assert np.max(np.abs(np.diff(x))) < TONE_STEP_LIMIT
    assert np.max(np.abs(x[: int(0.99 * FS)])) == 0.0  # silent before the pacer
    assert np.max(np.abs(x[int(4.3 * FS) :])) < 1e-3  # faded out after the pause

    y, _ = render(pacer.state, 0.0, 6 * FS, fs_hz=FS, voice=Voice.TONE, end_s=5.0)
    before_end = y[int(4.5 * FS) : int(5.0 * FS)]
    assert np.max(np.abs(before_end)) < 0.01 * TONE_LEVEL
    after = y[int(5.0 * FS) : int(5.3 * FS)]
    assert np.max(np.abs(after)) > 0.1  # the gentle end bell
    assert dominant_hz(after, FS) == pytest.approx(196.0, abs=3.0)


def test_blocks_of_any_size_give_the_same_sound(pacer: Pacer) -> None:
    seed = random.randrange(2**32)
    print(f"seed={seed}")
    rng = random.Random(seed)
    for voice in Voice:
        whole, _ = render(
            pacer.state, 0.0, 8 * FS, fs_hz=FS, voice=voice, cue_times_s=[2.0], end_s=7.0
        )
        stream = PacerSound(pacer.state, fs_hz=FS, voice=voice, cue_times_s=[2.0], end_s=7.0)
        parts = []
        remaining = whole.size
        while remaining:
            n = min(remaining, rng.randint(1, 6000))
            parts.append(stream(n))
            remaining -= n
        assert np.allclose(np.concatenate(parts), whole, atol=1e-9), voice


def test_chimes_sound_at_each_phase_change(pacer: Pacer) -> None:
    expected = []
    for cycle in range(3):
        c = 0.5 + 10.0 * cycle
        expected += [(c, Phase.INHALE), (c + 4.0, Phase.HOLD_IN), (c + 5.0, Phase.EXHALE)]
    expected = [(t, p) for t, p in expected if t < 25.0]
    found = phase_onsets(pacer.state, 0.0, 25.0)
    assert [p for _, p in found] == [p for _, p in expected]
    assert np.allclose([t for t, _ in found], [t for t, _ in expected], atol=1e-9)

    x, _ = render(pacer.state, 0.0, 25 * FS, fs_hz=FS, voice=Voice.CHIMES)
    assert np.max(np.abs(x[: int(0.5 * FS)])) == 0.0  # nothing before the pacer starts
    frame_n = 110
    rms = frame_rms(x, FS, frame_n)
    rising = np.nonzero((rms[2:] > 4.0 * rms[:-2] + 1e-3) & (rms[2:] > 0.02))[0] + 2
    starts = [int(k) for i, k in enumerate(rising) if i == 0 or k - rising[i - 1] > 10]
    heard = np.array(starts) * frame_n / FS
    assert heard.size == len(expected)
    assert np.allclose(heard, [t for t, _ in expected], atol=0.012)

    inhale_pitch = dominant_hz(x[int(0.5 * FS) : int(0.7 * FS)], FS)
    exhale_pitch = dominant_hz(x[int(5.5 * FS) : int(5.7 * FS)], FS)
    assert inhale_pitch > exhale_pitch  # up for the in-breath, down for the out-breath


def test_cue_chime_at_step_change_even_without_pacer() -> None:
    x, _ = render(lambda t: None, 0.0, 5 * FS, fs_hz=FS, voice=Voice.TONE, cue_times_s=[1.0])
    assert np.max(np.abs(x[:FS])) == 0.0
    assert np.max(np.abs(x[FS : int(1.1 * FS)])) > 0.1
    assert dominant_hz(x[FS : int(1.15 * FS)], FS) == pytest.approx(523.25, abs=4.0)
    assert np.max(np.abs(x[int((1.0 + 0.16 + CHIME_S) * FS) :])) == 0.0


def test_pcm16_clips_and_scales() -> None:
    pcm = np.frombuffer(to_pcm16(np.array([0.0, 0.5, -1.0, 2.0])), dtype="<i2")
    assert pcm.tolist() == [0, 16384, -32767, 32767]


# -- output ----------------------------------------------------------------------------------


def constant_pull(n: int) -> Signal:
    return np.full(n, 0.5)


def python_player(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def test_no_output_gives_exactly_one_notice() -> None:
    notices: list[str] = []
    out = AudioOut(
        notify=notices.append,
        use_sounddevice=False,
        players=[["breathwise-no-such-player"], python_player("import sys; sys.exit(3)")],
    )
    assert out.start(constant_pull) is False
    assert out.start(constant_pull) is False
    out.stop()
    assert len(notices) == 1
    # Only the output that is there but failed is worth naming.
    assert "quit at once (exit 3" in notices[0]
    assert "breathwise-no-such-player" not in notices[0]
    assert out.unavailable is not None and not out.playing


def test_nothing_installed_says_what_to_install() -> None:
    notices: list[str] = []
    out = AudioOut(
        notify=notices.append,
        use_sounddevice=False,
        players=[["breathwise-no-such-player"], ["breathwise-no-such-player-either"]],
    )
    assert out.start(constant_pull) is False
    assert notices == [f"sound is off: {NOTHING_INSTALLED}"]
    # The form for any install (wheel, pipx, clone), as batch says it for dask (found in review).
    assert "pip install 'breathwise[sound]'" in notices[0] and "--no-sound" in notices[0]
    assert "breathwise config set sound off" in notices[0]


def test_player_receives_the_pcm_stream(tmp_path: Path) -> None:
    target = tmp_path / "out.pcm"
    copy = "import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, open(sys.argv[1], 'wb'))"
    notices: list[str] = []
    out = AudioOut(
        notify=notices.append,
        use_sounddevice=False,
        players=[python_player(copy, str(target))],
        block_s=0.01,
    )
    assert out.start(constant_pull) is True and out.playing
    time.sleep(0.2)
    out.stop()
    data = target.read_bytes()
    assert len(data) > 0 and len(data) % 2 == 0
    assert data == to_pcm16(np.full(len(data) // 2, 0.5))
    assert notices == []


def test_player_that_dies_gives_one_notice() -> None:
    notices: list[str] = []
    done = threading.Event()

    def notify(message: str) -> None:
        notices.append(message)
        done.set()

    dies = "import sys, time; time.sleep(0.4); sys.stdin.buffer.read(10); sys.exit(0)"
    out = AudioOut(notify=notify, use_sounddevice=False, players=[python_player(dies)])
    assert out.start(constant_pull) is True
    assert done.wait(timeout=5.0)
    out.stop()
    assert len(notices) == 1 and "stopped playing" in notices[0]


# A player that never reads its input: the pipe fills within a fraction of a second and a
# blocking write then waits for ever, as with a player stalled on a suspended audio device.
# It writes its pid first, so the test can see whether it was killed and reaped.
NEVER_READS = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"


def _read_pid(pid_file: Path) -> int:
    deadline = time.monotonic() + 5.0
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the fake player did not start"
        time.sleep(0.01)
    return int(pid_file.read_text())


def _process_exists(pid: int) -> bool:
    """Whether ``pid`` still exists (a zombie that nobody reaped counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_leftover(pid: int) -> None:
    # Only reached when the code under test failed: do not leave the fake player behind.
    if _process_exists(pid):
        os.kill(pid, signal.SIGKILL)


def test_stop_is_bounded_when_the_player_never_reads(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    notices: list[str] = []
    out = AudioOut(
        notify=notices.append,
        use_sounddevice=False,
        players=[python_player(NEVER_READS, str(pid_file))],
    )
    assert out.start(constant_pull) is True
    pid = _read_pid(pid_file)
    try:
        time.sleep(0.5)  # long enough for the pipe to fill and a blocking write to stick
        # In a thread with a bound, so that the old behaviour (close() waiting for ever
        # behind the stuck write) fails this test instead of hanging it.
        stopper = threading.Thread(target=out.stop, daemon=True)
        started = time.monotonic()
        stopper.start()
        stopper.join(timeout=8.0)
        assert not stopper.is_alive(), "stop() hung behind a player that does not read"
        assert time.monotonic() - started < 5.0
        assert not _process_exists(pid), "the player was not killed and reaped"
        assert not out.playing
        assert notices == []  # stopping is not a failure to report
    finally:
        _kill_leftover(pid)


def test_a_player_that_stops_taking_audio_is_killed_with_one_notice(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    notices: list[str] = []
    noticed = threading.Event()

    def notify(message: str) -> None:
        notices.append(message)
        noticed.set()

    out = AudioOut(
        notify=notify,
        use_sounddevice=False,
        players=[python_player(NEVER_READS, str(pid_file))],
        block_s=0.01,
        stall_s=0.5,
    )
    assert out.start(constant_pull) is True
    pid = _read_pid(pid_file)
    try:
        assert noticed.wait(timeout=5.0), "a stalled player was never noticed"
        assert not _process_exists(pid), "the stalled player was not killed and reaped"
        assert not out.playing  # so nothing waits for an end bell that cannot ring
        started = time.monotonic()
        out.stop()
        assert time.monotonic() - started < 1.0  # nothing left to wait for
        assert notices == [f"sound stopped: the player {sys.executable} stopped taking audio"]
    finally:
        _kill_leftover(pid)


@pytest.mark.slow
def test_a_session_with_a_stuck_player_ends_on_time_and_is_kept(tmp_path: Path) -> None:
    """The tester's run: ``live --sound`` with an ``aplay`` that never reads its input."""
    if importlib.util.find_spec("sounddevice") is not None:
        pytest.skip("sounddevice is installed: the session would play through it, not aplay")
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    pid_file = tmp_path / "player.pid"
    # pw-play and paplay are tried first: here they quit at once (no audio server), so the
    # session settles on aplay, which starts and never reads.
    scripts = {
        "pw-play": "#!/bin/sh\nexit 1\n",
        "paplay": "#!/bin/sh\nexit 1\n",
        "aplay": f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 1000\n",
    }
    for name, script in scripts.items():
        (fakebin / name).write_text(script, encoding="utf-8")
        (fakebin / name).chmod(0o755)
    env = {
        **os.environ,
        # The fake players come first in PATH, ahead of any real ones.
        "PATH": f"{fakebin}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path / "home"),
        "BREATHWISE_DATA_DIR": str(tmp_path / "data"),
        "BREATHWISE_CONFIG_DIR": str(tmp_path / "config"),
    }
    command = [sys.executable, "-m", "trainer", "live", "--device", "sim", "--minutes", "0.1"]
    command += ["--headless", "--sound", "--out", str(tmp_path / "rec")]
    try:
        # The stuck player sleeps 1000 s: a session that waits on it never ends, so a generous
        # timeout tells a hang from a loaded machine (a 20 s wall-clock bound failed at load 13
        # on 2 cores). How fast stop() itself is: the in-process tests above.
        done = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the session hung behind a player that does not read its input")
    finally:
        if pid_file.exists() and pid_file.read_text().strip():
            _kill_leftover(int(pid_file.read_text()))
    assert done.returncode == 0, done.stderr
    (path,) = (tmp_path / "rec").glob("*.bwr")
    summary = read_recording(path).summary
    # On time: the session's own clock ran its 6 s, not longer behind the player.
    assert summary is not None and summary["duration_s"] <= 6.5, summary
    assert done.stdout.splitlines()[-1].startswith("summary:")
    stopped = [line for line in done.stderr.splitlines() if "sound stopped" in line]
    assert stopped == ["breathwise: sound stopped: the player aplay stopped taking audio"]
    assert "recording saved" in done.stderr
    assert "not added to the history" not in done.stderr
    assert (tmp_path / "data" / "history.sqlite3").exists()
    assert not _process_exists(int(pid_file.read_text()))


# A player that is a shell script and does not exec its real player (``#!/bin/sh`` then
# ``aplay -q -``): the real player is the script's child. Each child writes its pid, then
# either never reads its input (a stalled device) or reads it all and then ignores its end.
CHILD_NEVER_READS = "sh -c 'echo $$ > \"$0\"; exec sleep 1000' {child_pid}\n"
CHILD_IGNORES_EOF = "sh -c 'echo $$ > \"$0\"; cat > /dev/null; exec sleep 1000' {child_pid}\n"


def _script_player(tmp_path: Path, child: str) -> tuple[list[str], Path]:
    """A ``#!/bin/sh`` player running ``child`` without exec; the path its child's pid goes to."""
    child_pid = tmp_path / "child.pid"
    script = tmp_path / "player.sh"
    script.write_text("#!/bin/sh\n" + child.format(child_pid=child_pid), encoding="utf-8")
    script.chmod(0o755)
    return [str(script)], child_pid


def _runs(pid: int) -> bool:
    """Whether ``pid`` still runs. A killed orphan is reaped by init, not by us: until then it
    is a zombie, which has stopped running (and holds no device)."""
    if not Path("/proc").is_dir():
        return _process_exists(pid)
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _ends_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _runs(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_stalled_script_player_is_killed_with_its_child(tmp_path: Path) -> None:
    """Killing a stalled script player killed the script only: its child, the real player,
    was left running as an orphan."""
    command, child_pid = _script_player(tmp_path, CHILD_NEVER_READS)
    noticed = threading.Event()
    out = AudioOut(
        notify=lambda message: noticed.set(),
        use_sounddevice=False,
        players=[command],
        block_s=0.01,
        stall_s=0.5,
    )
    assert out.start(constant_pull) is True
    child = _read_pid(child_pid)
    try:
        assert noticed.wait(timeout=5.0), "a stalled player was never noticed"
        assert _ends_within(child, 2.0), "the stalled player's child survived it"
        out.stop()
    finally:
        _kill_leftover(child)


@pytest.mark.parametrize(
    "child", [CHILD_NEVER_READS, CHILD_IGNORES_EOF], ids=["never-reads", "ignores-end-of-input"]
)
def test_no_child_of_a_script_player_outlives_the_session(tmp_path: Path, child: str) -> None:
    """At the session's end the player is killed when it is not playing (never reads) or does
    not exit after its input ends (ignores it): its child went on running either way."""
    from trainer.ui.session_sound import SessionSound

    command, child_pid = _script_player(tmp_path, child)
    notices: list[str] = []
    t0 = time.monotonic()
    sound = SessionSound(
        lambda t_s: None,
        lambda: time.monotonic() - t0,
        end_s=60.0,
        audio=AudioOut(notify=notices.append, use_sounddevice=False, players=[command]),
    )
    assert sound.start() is True
    pid = _read_pid(child_pid)
    try:
        time.sleep(0.8)  # the pipe fills (never reads), or audio flows (ignores the end)
        started = time.monotonic()
        sound.stop(completed=False)
        assert time.monotonic() - started < 5.0
        assert _ends_within(pid, 2.0), "the player's child outlived the session"
        assert notices == []
    finally:
        _kill_leftover(pid)


def _not_installed() -> None:
    raise AudioUnavailable("the sounddevice package is not installed", missing=True)


def test_nothing_installed_is_said_at_the_first_session_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: "sound is off: nothing here can play it..." before every session of a
    month on a machine that has no audio output; other sound failures are still said."""
    from trainer.ui.session_sound import once_per_setup

    marker = tmp_path / "data" / "noted"
    shown: list[str] = []

    def show(text: str, confirm: Callable[[], None]) -> None:
        shown.append(text)
        confirm()

    nothing = f"sound is off: {NOTHING_INSTALLED}"
    for _evening in range(3):
        notify = once_per_setup(show, marker)
        notify(nothing)
        notify("sound stopped: the player quit")
    assert shown == [nothing] + ["sound stopped: the player quit"] * 3

    # A session, twice, where nothing can play: the line comes once (on stderr, headless);
    # a third asks for sound with --sound, and is told again that it will get none.
    from trainer.cli.app import run

    stderr = []
    for flags in ([], [], ["--sound"]):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PATH", str(tmp_path / "no-players"))
            patch.setattr("trainer.ui.sound._sounddevice_output", _not_installed)
            code = run(["live", "--headless", "--device", "sim", "--minutes", "0.05", *flags])
        err = capsys.readouterr().err
        assert code == 0, err
        stderr.append(err)
    assert f"breathwise: {nothing}" in stderr[0]
    assert "sound is off" not in stderr[1] and "recording saved" in stderr[1]
    assert f"breathwise: {nothing}" in stderr[2]


def test_nothing_installed_counts_as_said_only_once_it_was_shown(tmp_path: Path) -> None:
    """Found in review: the marker was written when the notice was handed to the screen, so
    a notice that was never drawn (covered, or the screen closed first) was lost for good."""
    from trainer.ui.session_sound import once_per_setup

    marker = tmp_path / "data" / "noted"
    nothing = f"sound is off: {NOTHING_INSTALLED}"
    pending: list[Callable[[], None]] = []
    once_per_setup(lambda _text, confirm: pending.append(confirm), marker)(nothing)
    assert len(pending) == 1 and not marker.exists()
    shown: list[str] = []

    def show(text: str, confirm: Callable[[], None]) -> None:
        shown.append(text)
        confirm()

    once_per_setup(show, marker)(nothing)
    assert shown == [nothing] and marker.exists()
    once_per_setup(lambda text, confirm: shown.append(text), marker)(nothing)
    assert shown == [nothing]
    # Asked for sound explicitly: said again.
    once_per_setup(lambda text, confirm: shown.append(text), marker, always=True)(nothing)
    assert shown == [nothing, nothing]
