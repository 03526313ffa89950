"""``python -m trainer`` runs the ``breathwise`` command line."""

from trainer.cli import main

main()
