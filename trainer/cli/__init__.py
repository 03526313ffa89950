"""The ``breathwise`` command line: the typer app and one module per command, argument checking and
wiring only."""
