"""What Breathwise keeps and exchanges on disk: recordings, the history, settings, imports and
exports."""
