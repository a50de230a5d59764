"""Benchmarks: figures go to bench/results/ (never part of the tests)."""
