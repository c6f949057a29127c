"""Benchmarks of sessionclient, each reported as a ratio against a baseline run in the
same process (``python -m benchmarks``)."""
