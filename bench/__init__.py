"""Benchmarks of mcengine: measurements, not tests."""
