"""A session running: the one data path (the pipeline) for live, replay and batch, and what starts
it."""
