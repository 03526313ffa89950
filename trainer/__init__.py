"""Sessions, pacer, coaching, CLI, terminal UI, recordings."""

__version__ = "0.1.0"
"""The one place the version is written: pyproject.toml reads it (``dynamic``), so the
installed metadata that ``--version`` shows is this."""

SOFTWARE = f"breathwise {__version__}"
"""What produced a recording or an output file (a recording header's ``software``)."""

ANALYSIS_REVISION = 10
"""Which analysis a recording's live results came from: written into every new recording's
header (``analysis_revision``, docs/recording-format.md) beside :data:`SOFTWARE`.

Raise it by one in any change after which replaying an existing recording gives other breaths,
heart-rhythm rates, coaching cues, strain signs or summary numbers than before: a decoder, a
tracker or a threshold of ``analysis/``, the pipeline, the coach or the summary
(``trainer/session``, ``trainer/coaching``). ``breathwise replay``, ``report`` and ``history
--add`` compare a recording's closing summary with their own and, when they differ, name both
revisions (:func:`trainer.ui.headless.analysis_changed_note`), so a person can tell
a recording analysed by an earlier analysis from a fault. The version in :data:`SOFTWARE` cannot
do that: it stays the same across such changes. A change that leaves every replay the same
(wording, speed, the screen) leaves it alone. ``tests/test_analysis_revision.py`` holds what
the replays of reference recordings print under each revision, and fails until it is raised.
Recordings made before it existed have none (``Header.analysis_revision`` is None: unknown).
"""
