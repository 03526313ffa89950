"""Derive ``sample-neurokit2-resting.bwr`` from NeuroKit2's real belt + ECG recording.

Source: ``bio_resting_5min_100hz.csv`` of NeuroKit2 (MIT licence, copyright Dominique Makowski;
see ``LICENSE_NeuroKit_MIT.txt`` beside this file), one healthy adult resting for 5 minutes,
ECG and a respiration belt (RSP) at 100 Hz. Run from the repository root with the ``bench`` extra
installed (it needs NeuroKit2 for R-peak detection)::

    python recordings/derive_sample.py ../shared/data/neurokit2/bio_resting_5min_100hz.csv

What it does, so the sample goes through exactly the bytes a real session would:

1. R peaks from the ECG (NeuroKit2 ``ecg_peaks``, its default method) -> RR intervals, in the
   0x2A37 unit of 1/1024 s -> Heart Rate Measurement notifications scheduled exactly as the RR
   importer schedules them (:func:`trainer.storage.imports.heart_rate_packets.rr_notifications`):
   the first at the first beat, then one per second carrying the beats completed in that second,
   each sent at the end
   of its second with no added delay. The pipeline's beat timeline anchors a notification's last
   beat at its arrival, so every beat lands on its R peak (within 1/1024 s).
2. RSP decimated from 100 Hz to 20 Hz (``scipy.signal.decimate``, order-8 Chebyshev, zero phase:
   this is offline preparation, not the live path) -> one Go Direct measurement packet per sample
   on channel 1 (the belt's force channel; values keep the recording's volts). Both steps are
   ``breathwise import FILE --fs 100``'s (:mod:`trainer.storage.belt_import`), so an import of
   the source file carries this belt byte for byte; the beats are not the import's: it takes
   R peaks with its own detector (:mod:`analysis.ecg_align`), which finds 439 beats in this
   file where NeuroKit2's finds 430, so the sample does not call the importer.
3. No pacer: the person rested in their own rhythm, so the session coaches own rhythm.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import numpy as np

from devices.heart_rate import RR_UNITS_PER_S
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import SourceInfo
from trainer.session.live_replay import ReplaySession
from trainer.storage.belt_import import belt_packets, to_belt_rate
from trainer.storage.imports.heart_rate_packets import rr_notifications
from trainer.storage.recording import Header, Item, PacerChange, read_recording, write_recording

FS_IN_HZ = 100.0
DECIMATE = 5
START_MONO_NS = 1_000 * NS_PER_S
START_WALL_NS = 1_577_836_800 * NS_PER_S  # 2020-01-01T00:00Z: the true date is not published


def derive(csv_path: Path, out_path: Path) -> Path:
    """Build the sample recording from the NeuroKit2 CSV and write it to ``out_path``."""
    import neurokit2 as nk

    data = np.genfromtxt(csv_path, delimiter=",", names=True)
    ecg = np.asarray(data["ECG"], dtype=float)
    rsp = np.asarray(data["RSP"], dtype=float)
    _, info = nk.ecg_peaks(
        nk.ecg_clean(ecg, sampling_rate=int(FS_IN_HZ)), sampling_rate=int(FS_IN_HZ)
    )
    peaks_s = np.asarray(info["ECG_R_Peaks"], dtype=float) / FS_IN_HZ

    items: list[Item] = [PacerChange(START_MONO_NS, START_WALL_NS, "own", target_ratio=1.5)]
    packets: list[RawPacket] = []
    # The peak times, not each interval, are rounded to the 1/1024 s unit: the intervals then
    # sum back to the peaks exactly instead of drifting by up to half a unit per beat.
    ticks = np.round(peaks_s * RR_UNITS_PER_S).astype(np.int64)
    rr_raw = [int(v) for v in np.diff(ticks)]
    beat_s = ticks[1:] / RR_UNITS_PER_S
    duration_s = rsp.size / FS_IN_HZ
    # The importer's schedule (no notification delay: the importer dropped its 50 ms, and with
    # it here the first beats came out up to 380 ms late and still ~190 ms after 40 beats).
    for t, payload in rr_notifications(beat_s, rr_raw):
        packets.append(_packet(t, Stream.HEART_RATE, payload))

    fs_out = FS_IN_HZ / DECIMATE
    belt = to_belt_rate(rsp, FS_IN_HZ)
    assert belt.fs_hz == fs_out  # decimated by DECIMATE, as the module notes say
    for index, payload in enumerate(belt_packets(belt.values)):
        packets.append(_packet(index / fs_out, Stream.GODIRECT, payload))
    packets.sort(key=lambda p: p.t_mono_ns)
    items.extend(packets)

    source = SourceInfo(
        kind="sample",
        name="NeuroKit2 bio_resting_5min_100hz (derived)",
        streams={"gdx": {"period_us": int(1e6 / fs_out), "force_channel": 1}, "hr": {}},
        details={
            "derived_from": "NeuroKit2 data/bio_resting_5min_100hz.csv, commit f2bb3452",
            "licence": "MIT, (c) 2020 Dominique Makowski; see LICENSE_NeuroKit_MIT.txt",
            "belt_units": "V (NeuroKit2 RSP belt), not N",
            "r_peaks": "neurokit2.ecg_peaks default method",
        },
    )
    header = Header(
        START_MONO_NS, START_WALL_NS, source, {"device": "sample", "minutes": duration_s / 60}
    )
    end_ns = START_MONO_NS + int(duration_s * NS_PER_S)
    # Both clocks of the close advance together, as a session's do: the reader refuses an end
    # record whose m ran more than a minute ahead of its w (a flipped bit of it).
    end_wall_ns = START_WALL_NS + (end_ns - START_MONO_NS)
    write_recording(out_path, header, items, {}, end_mono_ns=end_ns, end_wall_ns=end_wall_ns)
    # The closing summary is what a replay computed when the sample was derived. Replay, report
    # and history recompute it, so it is never read back; later analysis changes make a replay
    # today differ from it a little (the file is a fixed fixture, not re-derived for them).
    summary = asyncio.run(ReplaySession(read_recording(out_path), speed=None).run()).summary
    summary["ended"] = "completed"
    out_path.unlink()
    write_recording(out_path, header, items, summary, end_mono_ns=end_ns, end_wall_ns=end_wall_ns)
    return out_path


def _packet(t_s: float, stream: Stream, payload: bytes) -> RawPacket:
    offset = round(t_s * NS_PER_S)
    return RawPacket(START_MONO_NS + offset, START_WALL_NS + offset, stream, payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("csv", type=Path, help="bio_resting_5min_100hz.csv from NeuroKit2")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("sample-neurokit2-resting.bwr")
    )
    args = parser.parse_args()
    if args.out.exists():
        args.out.unlink()
    path = derive(args.csv, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
