"""Import the files people already have into Breathwise recordings.

Every input is turned into the very bytes a live session would have recorded, so replay,
reports, history and export work on it unchanged. The entry point is
:func:`trainer.storage.imports.import_file.import_recording`; the modules, by what they hold:

* ``import_file``: ``import_recording`` and ``ImportResult``: choose the reader, write the
  recording.
* ``sniff``: which reader a file gets, from its first lines.
* ``start_time``: when the session started (the file's clock, ``--start``, its modification
  time) and the checks of a start.
* ``session``: ``ImportFileError``, ``Imported`` and the packets every reader builds one from.
* ``rr_list``: an RR list, or a table of intervals without a time column.
* ``rr_checks``: ``--unit`` and the plausibility of RR values, for lists and tables alike.
* ``heart_rate_packets``: RR intervals as a strap's 0x2A37 notifications, on 1/1024 s.
* ``table_columns``: the header names tables use (time, RR, HR, ECG, accelerometer) and their
  units; time cells.
* ``table_rows``: a table's text as rows (comments, separators, decimal commas).
* ``polar_table``: a Polar-style CSV read into arrays.
* ``strap_beats``: beat times and notifications for RR logged on jittered rows.
* ``ecg_beats``: beats moved onto an ECG's R peaks, or taken from them.
* ``waveforms``: ECG and accelerometer samples as PMD frames; ``--fs``.
* ``belt_stream``: a respiration column as the belt stream.
* ``polar_csv``: a Polar-style CSV imported as a session.
* ``export_sidecar``, ``export_beats``: a Breathwise CSV export imported again.

This file imports none of them: :mod:`trainer.storage.rr_file` imports the table modules, and
``rr_list`` imports ``rr_file``, so a package that loaded them all would import in a circle.
"""
