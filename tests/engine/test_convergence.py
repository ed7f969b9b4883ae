"""Stopping when converged: where it stops, what it reports, and that the
result is exactly a fixed run of the iterations used (exact comparisons;
the means' half-widths are recomputed independently from the fixed runs'
own statistics with scipy's Student quantile, to 1e-10 relative)."""

import json
import math

import pytest

from mcengine.engine import simulate
from mcengine.model import ModelError
from tests.conftest import EXAMPLES, load_json

R1 = load_json(EXAMPLES / "r1_margin.json")
RULE = {
    "statistics": ["mean", "std", "p95"],
    "tolerance": 0.01,
    "every": 5_000,
}


def fixed_dict(result) -> str:
    """The result as JSON text without its run facts: NaN (an empty bin of
    a discrete input) compares equal to itself there."""
    d = result.to_dict()
    d.pop("elapsed_seconds")
    d.pop("convergence", None)
    return json.dumps(d)


@pytest.mark.parametrize("sampling", ["mc", "antithetic"])
def test_result_is_exactly_a_fixed_run_of_the_iterations_used(sampling):
    stopped = simulate(
        R1, iterations=1_000_000, seed=4, sampling=sampling, convergence=RULE
    )
    n = stopped.iterations
    assert stopped.convergence["converged"] and n < 1_000_000
    assert n % RULE["every"] == 0
    fixed = simulate(R1, iterations=n, seed=4, sampling=sampling)
    assert fixed_dict(stopped) == fixed_dict(fixed)


def mean_half_width(result, name, stats) -> float:
    out = result.outputs[name]
    t = stats.t.ppf(0.975, out.valid - 1)
    return t * out.sem


def test_it_stops_at_the_first_check_that_meets_the_tolerance():
    """At the check before, some statistic was still outside; at the one
    it stopped at, every one is inside. The means' half-widths are checked
    against t sem of the fixed runs (scipy's Student quantile)."""
    stats = pytest.importorskip("scipy.stats")
    rule = {"statistics": ["mean"], "tolerance": 0.004, "every": 10_000}
    stopped = simulate(R1, iterations=2_000_000, seed=9, convergence=rule)
    n = stopped.iterations
    report = stopped.convergence
    assert report["checks"] == n // 10_000
    for name in ("margin", "cost"):
        value, half, allowed = report["statistics"][name]["mean"].values()
        # 1e-10: the core's Student quantile at 10^5 degrees of freedom
        # differs from scipy's by 3.5e-12 relative (measured).
        assert half == pytest.approx(
            mean_half_width(stopped, name, stats), rel=1e-10
        )
        assert half <= allowed == pytest.approx(0.004 * abs(value))
    before = simulate(R1, iterations=n - 10_000, seed=9)
    assert any(
        mean_half_width(before, name, stats)
        > 0.004 * abs(before.outputs[name].mean)
        for name in ("margin", "cost")
    )


def test_a_percentiles_half_width_is_half_its_interval():
    rule = {
        "statistics": ["p95"],
        "tolerance": 5.0,
        "relative": False,
        "every": 20_000,
        "outputs": ["margin"],
    }
    stopped = simulate(
        R1, iterations=1_000_000, seed=2, convergence=rule, percentiles=[95]
    )
    lo, hi = stopped.outputs["margin"].percentile_cis[95]
    value, half, allowed = stopped.convergence["statistics"]["margin"][
        "p95"
    ].values()
    assert value == stopped.outputs["margin"].percentiles[95]
    assert half == (hi - lo) / 2 and half <= allowed == 5.0
    assert list(stopped.convergence["statistics"]) == ["margin"]


def test_reaching_the_maximum_says_what_is_still_outside():
    rule = {"statistics": ["mean"], "tolerance": 1e-6, "every": 10_000}
    result = simulate(R1, iterations=30_000, seed=1, convergence=rule)
    report = result.convergence
    assert not report["converged"]
    assert result.iterations == report["iterations"] == 30_000
    assert report["checks"] == 3
    assert "margin.mean" in report["reason"]
    assert "cost.mean" in report["reason"]


def test_a_last_batch_shorter_than_every_is_checked_too():
    rule = {"statistics": ["mean"], "tolerance": 1e-6, "every": 10_000}
    result = simulate(R1, iterations=25_001, seed=1, convergence=rule)
    assert result.convergence["checks"] == 3
    assert result.iterations == 25_001


@pytest.mark.parametrize(
    "rule, field",
    [
        ({"statistics": []}, "convergence.statistics"),
        ({"statistics": "mean"}, "convergence.statistics"),
        ({"statistics": ["median"]}, "convergence.statistics[0]"),
        ({"statistics": ["p100"]}, "convergence.statistics[0]"),
        ({"tolerance": 0}, "convergence.tolerance"),
        ({"tolerance": math.inf}, "convergence.tolerance"),
        ({"relative": "yes"}, "convergence.relative"),
        ({"confidence": 1.0}, "convergence.confidence"),
        ({"every": 1}, "convergence.every"),
        ({"outputs": ["profit"]}, "convergence.outputs[0]"),
        ({"stop": True}, "convergence.stop"),
    ],
)
def test_bad_rules_are_refused_by_field(rule, field):
    with pytest.raises(ModelError) as caught:
        simulate(R1, iterations=1_000, convergence=rule)
    assert field in [v.field for v in caught.value.violations]


def test_latin_hypercube_cannot_stop_early():
    with pytest.raises(ModelError, match="prefix-stable"):
        simulate(R1, iterations=1_000, sampling="lhs", convergence=RULE)


def test_report_is_json():
    result = simulate(R1, iterations=100_000, seed=1, convergence=RULE)
    assert json.loads(json.dumps(result.to_dict()))["convergence"]
