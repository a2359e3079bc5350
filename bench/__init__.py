"""Benchmarks: `make bench` (python -m bench.run). Not tests: CI runs only a smoke run of the harness."""
