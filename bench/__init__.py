"""Benchmarks: numbers printed and written to docs/PERFORMANCE.md, never timed tests."""
