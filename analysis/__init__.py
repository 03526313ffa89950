"""Signal processing: pure computation on numpy arrays, no I/O, no clocks, no printing.

Every function takes its sampling rate explicitly and carries units in its names. Streaming
processors keep their state explicit, and feeding them a signal in any chunking gives the same
events as the batch function on the whole signal.
"""
