"""Targets, VaR and CVaR, confidence intervals and the mode.

Each is checked against an independent computation over the same values
(sample() gives them, iteration by iteration): counts exactly, order
statistics exactly, means of tails and interval ends to 1e-12 relative
(their sums are added in another order), Student's and the binomial
quantiles from scipy. The coverage check is statistical: 4 standard errors
of a binomial proportion.
"""

import json
import math

import numpy as np
import pytest

from mcengine.engine import sample, simulate
from mcengine.model import ModelError

MODEL = {
    "cells": {
        "cost": "=RiskTriang(100, 150, 400)",
        "hit": "=RiskBernoulli(0.2)",
        "loss": "=cost + 300 * hit",
        "count": "=RiskPoisson(3)",
        "ratio": "=IF(count > 5, 1 / 0, count)",
    },
    "outputs": ["loss", "count", "ratio"],
}
N, SEED = 50_001, 17
TARGETS, LEVELS = [150.0, 400.0, 3.0], [1.0, 5.0, 50.0, 95.0, 99.5]
PERCENTILES = [1.0, 10.0, 50.0, 90.0, 99.0]


@pytest.fixture(scope="module")
def run():
    result = simulate(
        MODEL,
        iterations=N,
        seed=SEED,
        targets=TARGETS,
        risk_levels=LEVELS,
        percentiles=PERCENTILES,
        confidence=0.9,
    )
    values = sample(MODEL, iterations=N, seed=SEED)
    return result, {k: v[np.isfinite(v)] for k, v in values.items()}


@pytest.fixture(scope="module")
def stats():
    return pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("name", MODEL["outputs"])
def test_target_probabilities_are_exact_counts(run, name):
    result, values = run
    x = values[name]
    for t in TARGETS:
        at_most, above = result.outputs[name].targets[t]
        assert at_most == np.count_nonzero(x <= t) / x.size
        assert above == np.count_nonzero(x > t) / x.size


@pytest.mark.parametrize("name", MODEL["outputs"])
def test_var_is_the_percentile_and_cvar_the_tail_mean(run, name):
    result, values = run
    x = values[name]
    for level in LEVELS:
        var, cvar = result.outputs[name].tail_risks[level]
        assert var == pytest.approx(np.percentile(x, level), rel=1e-12)
        tail = x[x <= var] if level <= 50 else x[x >= var]
        assert cvar == pytest.approx(tail.mean(), rel=1e-12)


@pytest.mark.parametrize("name", MODEL["outputs"])
def test_mean_interval_uses_students_t(run, stats, name):
    result, values = run
    out, x = result.outputs[name], values[name]
    t = stats.t.ppf(0.95, x.size - 1)
    sem = x.std(ddof=1) / math.sqrt(x.size)
    lo, hi = out.mean_ci
    assert lo == pytest.approx(x.mean() - t * sem, rel=1e-12)
    assert hi == pytest.approx(x.mean() + t * sem, rel=1e-12)


@pytest.mark.parametrize("name", MODEL["outputs"])
def test_percentile_intervals_are_binomial_order_statistics(run, stats, name):
    """[X_(l), X_(u)] with l = binom.ppf(0.05) and u = binom.ppf(0.95) + 1
    (1-based), exactly those order statistics of the valid values."""
    result, values = run
    x = np.sort(values[name])
    n = x.size
    for p in PERCENTILES:
        binom = stats.binom(n, p / 100)
        lo, hi = int(binom.ppf(0.05)), int(binom.ppf(0.95)) + 1
        got = result.outputs[name].percentile_cis[p]
        assert got == (x[lo - 1], x[hi - 1])
        value = result.outputs[name].percentiles[p]
        assert got[0] <= value <= got[1]


def test_percentile_intervals_cover_at_their_confidence():
    """400 runs of 200 uniforms: the 90% interval of P10 (true value 0.1)
    and of P50 covers the truth at least 90% of the time, less 4 standard
    errors of a proportion (the intervals are conservative by design)."""
    model = {"cells": {"u": "=RiskUniform(0, 1)"}, "outputs": ["u"]}
    runs, hits = 400, {10.0: 0, 50.0: 0}
    for seed in range(runs):
        out = simulate(
            model,
            iterations=200,
            seed=seed,
            confidence=0.9,
            percentiles=[10, 50],
        ).outputs["u"]
        for p in hits:
            lo, hi = out.percentile_cis[p]
            hits[p] += lo <= p / 100 <= hi
    floor = 0.9 - 4 * math.sqrt(0.9 * 0.1 / runs)
    assert all(h / runs >= floor for h in hits.values()), hits


def test_intervals_at_the_ends_and_for_tiny_samples_are_nan():
    model = {"cells": {"u": "=RiskUniform(0, 1)"}, "outputs": ["u"]}
    out = simulate(
        model, iterations=5, seed=1, percentiles=[0, 50, 100]
    ).outputs["u"]
    assert all(math.isnan(v) for p in (0, 100) for v in out.percentile_cis[p])
    # n = 5 at 95%: P(all 5 on one side of the median) = 1/16 > 2.5%.
    assert all(math.isnan(v) for v in out.percentile_cis[50])
    one = simulate(model, iterations=1, seed=1).outputs["u"]
    assert all(math.isnan(v) for v in one.mean_ci)


def test_mode_of_discrete_outputs_and_none_for_continuous(run):
    result, values = run
    counts = np.bincount(values["count"].astype(int))
    assert result.outputs["count"].mode == float(np.argmax(counts))
    assert result.outputs["ratio"].mode == float(np.argmax(counts))
    assert result.outputs["loss"].mode is None


def test_mode_takes_the_smallest_of_tied_values():
    model = {
        "cells": {"x": "=RiskDiscrete({5, 2, 9}, {1, 1, 1})"},
        "outputs": ["x"],
    }
    out = simulate(model, iterations=3, seed=1, sampling="lhs").outputs["x"]
    assert out.mode == 2.0


def test_measures_are_identical_for_any_thread_count():
    runs = [
        simulate(
            MODEL,
            iterations=N,
            seed=SEED,
            threads=t,
            targets=TARGETS,
            risk_levels=LEVELS,
        ).to_dict()
        for t in (1, 3)
    ]
    for r in runs:
        r.pop("elapsed_seconds"), r.pop("threads")
    assert json.dumps(runs[0]) == json.dumps(runs[1])


@pytest.mark.parametrize(
    "options, field",
    [
        ({"targets": [float("nan")]}, "targets[0]"),
        ({"targets": "100"}, "targets"),
        ({"targets": list(range(101))}, "targets"),
        ({"risk_levels": [0]}, "risk_levels[0]"),
        ({"risk_levels": [5, 100]}, "risk_levels[1]"),
        ({"risk_levels": [True]}, "risk_levels[0]"),
        ({"confidence": 1}, "confidence"),
        ({"confidence": 0}, "confidence"),
    ],
)
def test_bad_measures_are_refused_by_field(options, field):
    with pytest.raises(ModelError) as caught:
        simulate(MODEL, iterations=10, **options)
    assert caught.value.violations[0].field == field
