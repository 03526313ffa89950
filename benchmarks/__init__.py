"""Benchmarks: each compares Breathwise with the peer a user would pick, in one run."""
