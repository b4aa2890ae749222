"""Benchmarks: `make benchmark` prints timings; tests never time anything."""
