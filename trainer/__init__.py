"""Sessions, pacer, coaching, CLI, terminal UI, recordings."""

__version__ = "0.1.0"

SOFTWARE = f"breathwise {__version__}"
"""What produced a recording or an output file (a recording header's ``software``)."""
