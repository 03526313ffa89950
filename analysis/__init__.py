"""Signal processing: pure computation on numpy arrays, no I/O, no clocks, no printing.

Every function takes its sampling rate explicitly and carries units in its names. Streaming
processors keep their state explicit, and feeding them a signal in any chunking gives the same
events as the batch function on the whole signal. One exception: ``StreamingRRCorrector``
(:mod:`analysis.rr_artifacts`) equals batch ``correct_rr`` only with a look-ahead and history
of at least :func:`~analysis.rr_artifacts.exact_look_ahead_beats` (64 beats with the default
settings, one correction pass); the live default of 12 beats corrects each interval as the end
of a batch series would be corrected.
"""
