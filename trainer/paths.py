"""Where Breathwise keeps things on disk (per-OS user directories via platformdirs).

Every location can be overridden by an environment variable, which tests use to stay out of the
real home directory:

=========================  ==============================  ===================================
what                       default (Linux)                 override
=========================  ==============================  ===================================
recordings                 ~/.local/share/breathwise/      ``BREATHWISE_RECORDINGS_DIR``
                           recordings
data (history, answers)    ~/.local/share/breathwise       ``BREATHWISE_DATA_DIR``
config (settings.toml)     ~/.config/breathwise            ``BREATHWISE_CONFIG_DIR``
=========================  ==============================  ===================================
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "breathwise"


def data_dir() -> Path:
    """Directory for the history database, safety answers and recordings (not created here)."""
    override = os.environ.get("BREATHWISE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    """Directory of ``settings.toml`` and user ``programs/`` (not created here)."""
    override = os.environ.get("BREATHWISE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def default_recordings_dir() -> Path:
    """Where sessions are recorded unless ``--out`` or the ``recordings_dir`` setting says so."""
    override = os.environ.get("BREATHWISE_RECORDINGS_DIR")
    return Path(override) if override else data_dir() / "recordings"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only; health data lives there."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
