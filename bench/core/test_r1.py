"""R1 end to end: mcengine.simulate against ../shared/bench/r1_numpy.py.

Both compute, for R1's two outputs, the mean, the sample standard
deviation and the percentiles 1, 5, 50, 95 and 99, at each size of
SCALE.r1_runs, in this process and in the same run. mcengine runs
on every core (its default) and also reports what NumPy does not: the
histogram, higher moments and the inputs' rank correlations. The two use
different random streams, so agreement is statistical: each output's
means must lie within 4 standard errors of their difference.

On a shared machine the two benchmarks' fastest rounds can come from
different moments of its load, so test_r1_paired also runs the two in
alternation, one pair at a time, and records each pair's ratio: the
median of those is the steadier figure.
"""

from __future__ import annotations

import os
import statistics
import time

import pytest

import mcengine
from bench.core import r1
from bench.core.checks import check_agreement
from bench.core.record import checked, record, timed
from bench.core.scale import SCALE

CORES = os.cpu_count() or 1
# The baseline's result for each size, kept by its benchmark so that
# mcengine's can be checked against it without running NumPy again.
_NUMPY_RESULTS: dict[int, dict] = {}


def numpy_result(n: int) -> dict:
    """The NumPy baseline's statistics at n iterations (run if missing)."""
    if n not in _NUMPY_RESULTS:
        _NUMPY_RESULTS[n] = r1.numpy_baseline().simulate(n, r1.SEED)

    return _NUMPY_RESULTS[n]


@pytest.mark.parametrize(("n", "rounds"), SCALE.r1_runs)
def test_numpy_r1(benchmark, n: int, rounds: int):
    """The NumPy baseline at n iterations."""
    record(benchmark, f"r1:{n}", "baseline", r1.BASELINE_NAME, n, "iterations")
    baseline = r1.numpy_baseline()
    _NUMPY_RESULTS[n] = timed(
        benchmark, lambda: baseline.simulate(n, r1.SEED), rounds
    )


@pytest.mark.parametrize(("n", "rounds"), SCALE.r1_runs)
def test_mcengine_r1(benchmark, n: int, rounds: int):
    """mcengine.simulate at n iterations on every core, checked against
    the baseline's means."""
    name = f"mcengine.simulate, {CORES} threads"
    record(benchmark, f"r1:{n}", "subject", name, n, "iterations")
    model = r1.model()
    result = timed(
        benchmark,
        lambda: mcengine.simulate(
            model, iterations=n, seed=r1.SEED, percentiles=r1.PERCENTILES
        ),
        rounds,
    )
    outputs = result.to_dict()["outputs"]
    zs = check_agreement(outputs, numpy_result(n), n)
    checked(benchmark, mean_difference_z=zs)


@pytest.mark.parametrize(("n", "rounds"), SCALE.r1_runs[-1:])
def test_r1_paired(benchmark, n: int, rounds: int):
    """NumPy and mcengine in alternation at the largest size: each timed
    round is one pair, and each pair's ratio (NumPy's time over
    mcengine's) is recorded."""
    name = f"NumPy then mcengine.simulate ({CORES} threads), in pairs"
    record(benchmark, f"r1-paired:{n}", "subject", name, 2 * n, "iterations")
    model = r1.model()
    baseline = r1.numpy_baseline()
    pairs: list[tuple[float, float]] = []

    def pair():
        started = time.perf_counter()
        baseline.simulate(n, r1.SEED)
        middle = time.perf_counter()
        mcengine.simulate(
            model, iterations=n, seed=r1.SEED, percentiles=r1.PERCENTILES
        )
        pairs.append((middle - started, time.perf_counter() - middle))

    timed(benchmark, pair, rounds)
    ratios = sorted(numpy_s / ours_s for numpy_s, ours_s in pairs)
    checked(
        benchmark,
        paired_ratios=ratios,
        median_paired_ratio=statistics.median(ratios),
        pairs_seconds=pairs,
    )


SAMPLING_COMPARED = ("antithetic", "lhs", "sobol")
# Four of R1's inputs correlated (issue: at most 2 times mc's cost).
R1_CORRELATION = {
    "inputs": ["labour", "materials", "overhead", "units"],
    "matrix": [
        [1, 0.5, 0.3, 0],
        [0.5, 1, 0.2, -0.3],
        [0.3, 0.2, 1, 0],
        [0, -0.3, 0, 1],
    ],
}


def _costs_over_mc(benchmark, n: int, rounds: int, variants: dict) -> None:
    """Runs plain mc and each variant (name -> simulate keywords) in
    alternation, each timed round all of them once, and records each
    variant's cost relative to mc in that round (the median of those is
    the figure)."""
    rounds_seen: list[dict[str, float]] = []
    # Read before timing starts: without ../shared this skips, and a skip
    # inside the timed function would leave the benchmark without data.
    plain = r1.model()

    def all_variants():
        seconds = {}
        for name, keywords in {"mc": {}, **variants}.items():
            started = time.perf_counter()
            mcengine.simulate(
                keywords.get("model", plain),
                iterations=n,
                seed=r1.SEED,
                percentiles=r1.PERCENTILES,
                sampling=keywords.get("sampling", "mc"),
            )
            seconds[name] = time.perf_counter() - started
        rounds_seen.append(seconds)

    timed(benchmark, all_variants, rounds)
    checked(
        benchmark,
        median_cost_over_mc={
            name: statistics.median(r[name] / r["mc"] for r in rounds_seen)
            for name in variants
        },
        seconds=rounds_seen,
    )


@pytest.mark.parametrize(("n", "rounds"), SCALE.r1_runs[-1:])
def test_r1_sampling_costs(benchmark, n: int, rounds: int):
    """mcengine at the largest size with each sampling method, mc first,
    in alternation (issue: lhs and sobol at most 1.5 times mc)."""
    name = "mcengine.simulate, mc then " + " then ".join(SAMPLING_COMPARED)
    record(benchmark, f"r1-sampling:{n}", "subject", name, n, "iterations")
    variants = {m: {"sampling": m} for m in SAMPLING_COMPARED}
    _costs_over_mc(benchmark, n, rounds, variants)


@pytest.mark.parametrize(("n", "rounds"), SCALE.r1_runs[-1:])
def test_r1_correlation_cost(benchmark, n: int, rounds: int):
    """mcengine at the largest size, plain and with a 4 x 4 rank
    correlation among four of R1's inputs, in alternation."""
    name = "mcengine.simulate, mc then mc with a 4 x 4 correlation"
    record(benchmark, f"r1-correlation:{n}", "subject", name, n, "iterations")
    correlated = {"model": dict(r1.model(), correlations=[R1_CORRELATION])}
    _costs_over_mc(benchmark, n, rounds, {"4x4 correlation": correlated})
