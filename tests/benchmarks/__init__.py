"""Benchmarks for ``make bench``; never collected by pytest (no ``test_*`` modules here)."""
