"""Benchmarks of the harness against a slow target (see run_bench.py)."""
