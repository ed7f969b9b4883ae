"""Core benchmarks: pytest-benchmark suites for the engine's speed.

Run with `python -m pytest bench/core --benchmark-json=FILE` (the path
must be given: pytest's testpaths is tests/). Each benchmark times one
subject or one baseline and records in `benchmark.extra_info`:

- figure: the figure it belongs to ("dist:RiskNormal", "r1:1000000"...);
- role: "subject" (what we measure) or "baseline" (what we compare with);
- name: the subject or baseline in words ("NumPy Generator(Philox)");
- work, unit: the work done per round ("samples", "iterations"...);
- checks: the correctness figures checked before the time counts.

bench/summary.py pairs subject and baseline by figure. Sizes come from
bench/core/scale.py (MCENGINE_BENCH_SCALE=smoke runs everything tiny).
"""
