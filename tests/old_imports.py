"""An import as a Breathwise before eef770e (2026-12-06) wrote it: its own-rhythm record asked
an out-breath ratio of 1.5 nobody set. Shared by the old-import tests and the analysis
revision's reference recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from recording_edits import without_checksums

from trainer.storage.imports.import_file import import_recording

START_NS = 1_767_250_800_000_000_000
"""2026-01-01 07:00 UTC, the CSV's first row (ns since the epoch)."""

OLD_PACER = {"k": "pacer", "action": "own", "target_ratio": 1.5, "label": "imported"}
"""The own-rhythm record of an import by the importers before eef770e, but its clocks."""


def acc_csv(path: Path) -> Path:
    """150 s of a chest accelerometer at 50 Hz (``time_ns``, x/y/z in mG) breathing 12 times a
    minute, in and out alike (ratio 1.0): against a target of 1.5 its out-breath scored 65."""
    fs_hz = 50.0
    rng = np.random.default_rng(1)
    rows = ["time_ns,acc_x_mg,acc_y_mg,acc_z_mg"]
    for k in range(int(150 * fs_hz)):
        t_s = k / fs_hz
        z_mg = 1000 + 40 * np.sin(2 * np.pi * 0.2 * t_s)
        rows.append(
            f"{START_NS + round(t_s * 1e9)},{rng.normal(0, 2):.0f},{rng.normal(0, 2):.0f},"
            f"{z_mg:.0f}"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def as_old_importer_wrote(today: Path, old: Path) -> Path:
    """``today``'s import as an importer before eef770e wrote it (see the module's text)."""
    lines = today.read_text().splitlines()
    header = json.loads(lines[0])
    header.pop("analysis_revision")
    pacer = json.loads(lines[1])
    assert pacer["k"] == "pacer" and "target_ratio" not in pacer  # today's: no target
    record = {**OLD_PACER, "m": pacer["m"], "w": pacer["w"]}
    # The writer's key order and separators (RecordingWriter.write_item).
    line = json.dumps(
        {key: record[key] for key in ("k", "m", "w", "action", "target_ratio", "label")},
        separators=(",", ":"),
    )
    old.write_text(without_checksums("\n".join([json.dumps(header), line, *lines[2:]]) + "\n"))
    return old


def old_import(folder: Path) -> Path:
    """A 150 s ACC CSV imported today, rewritten as the old importers wrote it
    (``folder/old.bwr``)."""
    folder.mkdir(parents=True, exist_ok=True)
    fresh = import_recording(acc_csv(folder / "acc.csv"), "polar", folder / "fresh.bwr").path
    return as_old_importer_wrote(fresh, folder / "old.bwr")
