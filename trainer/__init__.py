"""Sessions, pacer, coaching, CLI, terminal UI, recordings."""

__version__ = "0.1.0"
"""The one place the version is written: pyproject.toml reads it (``dynamic``), so the
installed metadata that ``--version`` shows is this."""

SOFTWARE = f"breathwise {__version__}"
"""What produced a recording or an output file (a recording header's ``software``)."""
