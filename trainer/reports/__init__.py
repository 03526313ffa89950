"""After the session: whole-recording analysis, the report page, progress trends and batch runs."""
