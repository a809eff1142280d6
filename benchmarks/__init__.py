"""Benchmarks: skloss beside its peers, same data, same process (``python -m benchmarks``)."""
