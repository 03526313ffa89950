"""Settings: a small TOML file in the user's config directory.

The file is ``settings.toml`` in :func:`trainer.storage.paths.config_dir` (``~/.config/breathwise``
on Linux, or ``$BREATHWISE_CONFIG_DIR``). Every key is optional; a missing file means defaults::

    default_device = "Polar H10"      # what `breathwise live` connects to without --device
    program = "relaxation-response"   # program run without --program
    resonance_rate_bpm = 5.5          # personal resonance rate, stored by the assessment
    sound = true                      # pacer sound on or off
    recordings_dir = "/home/me/breathwise-recordings"

``breathwise config set KEY VALUE`` edits one line of the file in place (comments and the other
lines are kept) and replaces the file atomically, so a crash never leaves half a file.
"""

from __future__ import annotations

import difflib
import json
import math
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from trainer.errors import BadArgument, UserError
from trainer.programs.loader import NAME_PATTERN, toml_error_line, toml_error_problem
from trainer.programs.toml_lines import KeyLines
from trainer.storage.decimal_comma import point_advice
from trainer.storage.paths import config_dir, default_recordings_dir, replacing, resolved
from trainer.storage.safe_parse import toml_loads

SETTINGS_FILE = "settings.toml"

RESONANCE_MIN_BPM = 4.0
"""Lowest resonance rate accepted, breaths/min: below the adult range of 4.5-6.5
(docs/reference/physiology.md) with a half-breath margin."""
RESONANCE_MAX_BPM = 7.5
"""Highest resonance rate accepted, breaths/min: the top of the widest assessment protocol."""

UNSET_WORDS = ("default", "")
"""Values of ``config set`` that remove a key, so it falls back to its default."""

_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")


class ConfigError(UserError):
    """A settings file that cannot be used, naming the file, the line and the key."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The person's settings; ``None`` means "not set, use the built-in default".

    Attributes
    ----------
    default_device : str or None
        Device used when ``--device`` is not given (a name or an address, ``"none"`` or
        ``"sim"``); with neither, ``live`` asks for one rather than simulate a person.
    program : str or None
        Program run when ``--program`` is not given.
    resonance_rate_bpm : float or None
        Personal resonance rate in breaths/min, written by the resonance assessment.
    sound : bool
        Whether the pacer sound plays.
    recordings_dir : Path or None
        Where sessions are recorded; see :attr:`effective_recordings_dir`.
    """

    default_device: str | None = None
    program: str | None = None
    resonance_rate_bpm: float | None = None
    sound: bool = True
    recordings_dir: Path | None = None

    @property
    def effective_recordings_dir(self) -> Path:
        """``recordings_dir`` if set, else :func:`trainer.storage.paths.default_recordings_dir`."""
        return self.recordings_dir if self.recordings_dir is not None else default_recordings_dir()


SETTING_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))

SETTING_HELP: dict[str, str] = {
    "default_device": "device used when --device is not given (a name or an address, none or sim)",
    "program": "program run when --program is not given (see `breathwise programs`)",
    "resonance_rate_bpm": (
        f"personal resonance rate, {RESONANCE_MIN_BPM:g}-{RESONANCE_MAX_BPM:g} breaths/min "
        "(stored by the resonance assessment)"
    ),
    "sound": "pacer sound: true or false",
    "recordings_dir": (
        "folder for session recordings (an absolute path; config set makes only its last folder)"
    ),
}


def settings_path() -> Path:
    """The settings file: ``<config dir>/settings.toml`` (may not exist)."""
    return config_dir() / SETTINGS_FILE


def _unknown_key(key: str) -> str:
    close = difflib.get_close_matches(key, SETTING_KEYS, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(SETTING_KEYS)}"
    return f"unknown setting {key!r}; {hint}"


def _text_value(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError("must not contain control characters")
    if len(text) > 200:
        raise ValueError("is longer than 200 characters")
    return text


def _check_value(key: str, value: object) -> Any:
    """Validate a typed value (as read from TOML) for ``key``; raise ``ValueError`` if bad."""
    if key == "default_device":
        return _text_value(key, value)
    if key == "program":
        name = _text_value(key, value)
        if not NAME_PATTERN.match(name):
            raise ValueError(
                f"{name!r} is not a program name (lower-case letters, digits, '-' and '_')"
            )
        return name
    if key == "resonance_rate_bpm":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number of breaths/min, got {value!r}")
        rate = float(value)
        if not (math.isfinite(rate) and RESONANCE_MIN_BPM <= rate <= RESONANCE_MAX_BPM):
            raise ValueError(
                f"must be {RESONANCE_MIN_BPM:g}-{RESONANCE_MAX_BPM:g} breaths/min, got {value!r}"
            )
        return rate
    if key == "sound":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if key == "recordings_dir":
        path = Path(_text_value(key, value)).expanduser()
        if not path.is_absolute():
            raise ValueError(f"must be an absolute path, got {str(value)!r}")
        if path.exists() and not path.is_dir():
            raise ValueError(f"{str(path)!r} exists and is not a folder")
        return path
    raise KeyError(key)


def _absolute_example(path: Path) -> str:
    """Advice for a relative ``recordings_dir``: the absolute path it would be from here."""
    try:
        return f"for example {shlex.quote(str(path.absolute()))}"
    except OSError:  # the current folder is gone
        return "give the whole path, from /"


def parse_setting_value(key: str, value: str) -> Any:
    """Turn the text typed after ``config set KEY`` into the setting's value.

    Parameters
    ----------
    key : str
        A key of :data:`SETTING_KEYS`.
    value : str
        The text typed; booleans accept true/false, yes/no, on/off, 1/0; ``recordings_dir``
        is an absolute path (``~`` is expanded).

    Raises
    ------
    BadArgument
        Unknown key or a value that does not fit it, naming both.
    """
    if key not in SETTING_KEYS:
        raise BadArgument(_unknown_key(key))
    text = value.strip()
    typed: object = text
    if key == "sound":
        lowered = text.lower()
        if lowered in _TRUE_WORDS:
            typed = True
        elif lowered in _FALSE_WORDS:
            typed = False
        else:
            raise BadArgument(f"setting 'sound' must be true or false, got {value!r}")
    elif key == "resonance_rate_bpm":
        try:
            typed = float(text)
        except ValueError:
            raise BadArgument(
                f"setting 'resonance_rate_bpm' must be a number of breaths/min, got {value!r}",
                point_advice(text),
            ) from None
    elif key == "recordings_dir" and text:
        path = Path(text).expanduser()
        if not path.is_absolute():
            # As the setting's help and the settings file ask: "relative/path" was taken from
            # wherever the command ran, without a word.
            raise BadArgument(
                f"setting 'recordings_dir' must be an absolute path, got {value!r}",
                _absolute_example(path),
            )
        typed = str(resolved(path))
    try:
        return _check_value(key, typed)
    except ValueError as exc:
        raise BadArgument(f"setting {key!r} {exc}") from None


def _read_table(path: Path) -> tuple[str, dict[str, Any], KeyLines]:
    """Text, parsed table and key lines of the settings file (empty when it does not exist)."""
    try:
        # utf-8-sig: Windows Notepad starts the file with a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return "", {}, KeyLines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the settings: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the settings file is not UTF-8 text") from None
    try:
        table = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}:{toml_error_line(exc, text)}: settings file is not valid TOML: "
            f"{toml_error_problem(exc)}",
            advice="fix or delete the file",
        ) from None
    return text, table, KeyLines.scan(text)


def _valid_value(key: str, value: object) -> bool:
    """Whether ``value`` (as read from TOML) is a usable value of the known key ``key``."""
    try:
        _check_value(key, value)
    except ValueError:
        return False
    return True


def _settings_from(path: Path, table: Mapping[str, Any], lines: KeyLines) -> Settings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        line = lines.line_of((key,))
        if key not in SETTING_KEYS:
            raise ConfigError(f"{path}:{line}: {_unknown_key(key)}", advice="fix or remove it")
        try:
            values[key] = _check_value(key, value)
        except ValueError as exc:
            raise ConfigError(
                f"{path}:{line}: setting {key!r} {exc}",
                advice=f"fix it or run `breathwise config set {key} default`",
            ) from None
    return Settings(**values)


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (defaults for every key it lacks; all defaults if it is absent).

    Parameters
    ----------
    path : Path, optional
        Settings file; :func:`settings_path` by default.

    Raises
    ------
    ConfigError
        The file is unreadable, not TOML, has an unknown key or a bad value; the message names
        the file, the line and the key.
    """
    target = settings_path() if path is None else path
    _, table, lines = _read_table(target)
    return _settings_from(target, table, lines)


def _toml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    # JSON string escapes are valid TOML basic-string escapes; DEL is the one control
    # character TOML wants escaped that JSON leaves alone.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")


def _edit_text(text: str, lines: KeyLines, key: str, value: object | None) -> str:
    """``text`` with the line of ``key`` replaced (or removed, for ``None``), or appended."""
    rows = text.splitlines()
    new_row = None if value is None else f"{key} = {_toml_scalar(value)}"
    line = lines.lines.get((key,))
    if line is not None:
        if new_row is None:
            del rows[line - 1]
        else:
            rows[line - 1] = new_row
    elif new_row is not None:
        rows.append(new_row)
    return "\n".join(rows) + "\n" if rows else ""


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` via a temporary file in the same folder and a rename.

    A symbolic link (a settings file kept with one's dotfiles) is followed: the file it points
    to is replaced and the link kept.
    """
    path = resolved(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with replacing(path) as temp:
        temp.write_text(text, encoding="utf-8")


def save_setting(key: str, value: object, path: Path | None = None) -> Settings:
    """Set one key in the settings file and return the settings now in force.

    Parameters
    ----------
    key : str
        A key of :data:`SETTING_KEYS`.
    value : object
        Text as typed on the command line (parsed by :func:`parse_setting_value`; ``"default"``
        or ``""`` removes the key), or an already typed value (``5.5``, ``True``, a ``Path``),
        or ``None`` to remove the key.
    path : Path, optional
        Settings file; :func:`settings_path` by default.

    Raises
    ------
    BadArgument
        Unknown key or bad value, naming both.
    ConfigError
        The existing file is not TOML or has a bad value under another key (it is left
        untouched), or cannot be written. A bad value under ``key`` itself is replaced; if
        other keys are bad too, the edit is saved and the error names the next one.
    """
    target = settings_path() if path is None else path
    if key not in SETTING_KEYS:
        raise BadArgument(_unknown_key(key))
    typed: object | None
    if value is None or (isinstance(value, str) and value.strip().lower() in UNSET_WORDS):
        typed = None
    elif isinstance(value, str):
        typed = parse_setting_value(key, value)
    else:
        try:
            typed = _check_value(key, str(value) if isinstance(value, Path) else value)
        except ValueError as exc:
            raise BadArgument(f"setting {key!r} {exc}") from None
    stored = str(typed) if isinstance(typed, Path) else typed

    text, table, lines = _read_table(target)
    wanted = {k: v for k, v in table.items() if k != key}
    repairing = key in table and not _valid_value(key, table[key])
    if not repairing:
        # A file broken elsewhere is left as it is; the error names the bad key and its fix.
        _settings_from(target, wanted, lines)
    if stored is not None:
        wanted[key] = stored
    new_text = _edit_text(text, lines, key, stored)
    try:
        if toml_loads(new_text) != wanted:
            raise ValueError("line edit changed other keys")
    except (tomllib.TOMLDecodeError, ValueError):
        # The key was written in a way a line edit cannot handle: write the file afresh.
        new_text = "".join(f"{k} = {_toml_scalar(v)}\n" for k, v in wanted.items())
    try:
        _write_atomically(target, new_text)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the settings: {exc.strerror or exc}") from None
    try:
        return _settings_from(target, wanted, KeyLines.scan(new_text))
    except ConfigError as exc:
        # Replacing a bad value must not wait for every other bad one to be fixed first
        # (each would block the other); the fix is saved and the next problem named.
        raise ConfigError(f"{key} saved, but {exc}", advice=exc.advice) from None


def settings_as_text(settings: Settings) -> dict[str, str]:
    """Each setting as shown by ``config show`` (``"(not set)"`` for unset ones)."""
    shown: dict[str, str] = {}
    for key in SETTING_KEYS:
        value = getattr(settings, key)
        if value is None:
            shown[key] = "(not set)"
        elif isinstance(value, bool):
            shown[key] = "true" if value else "false"
        elif isinstance(value, float):
            shown[key] = f"{value:g}"
        else:
            shown[key] = str(value)
    return shown
