"""Doubles for tests and benchmarks: kept out of the installed package."""
