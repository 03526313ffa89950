"""Sessions, pacer, coaching, CLI, terminal UI, recordings."""

__version__ = "0.1.0"
