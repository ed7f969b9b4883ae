"""Sensitivity: Spearman, standardised rank regression coefficients, R
squared, contributions to variance, bin means, and disconnected inputs.

The oracle is an independent computation over the same iterations
(sample() gives the outputs; the inputs are the model's own cells, output
here as well): scipy's rankdata, a least-squares fit with an intercept
(numpy), and means of sorted tenths. Tolerances: 1e-9 (the two sides solve
the same normal equations in different orders; the differences measured
are near 1e-13).
"""

import json

import numpy as np
import pytest

from mcengine.engine import sample, simulate
from mcengine.engine.simulate import KEPT_INPUT_VALUES
from mcengine.engine.statistics import REGRESSION_MAX_INPUTS

MODEL = {
    "cells": {
        "a": "=RiskNormal(10, 2)",
        "b": "=RiskUniform(0, 5)",
        "t": "=RiskTriang(0, 1, 4)",
        "e": "=RiskExpon(2)",
        "y": "=a * b + 3 * t - e ^ 2",
        "z": "=a + 0 * b",
    },
    "outputs": ["y", "z", "a", "b", "t", "e"],
}
INPUTS = ["a", "b", "t", "e"]
N = 20_000


@pytest.fixture(scope="module")
def run():
    result = simulate(MODEL, iterations=N, seed=12)
    values = sample(MODEL, iterations=N, seed=12)
    return result, values


def test_srrc_and_r_squared_match_a_least_squares_fit(run):
    stats = pytest.importorskip("scipy.stats")
    result, values = run
    ranks = {k: stats.rankdata(v) for k, v in values.items()}
    X = np.column_stack([ranks[i] for i in INPUTS] + [np.ones(N)])
    y = ranks["y"]
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    srrc = beta[:-1] * X[:, :-1].std(axis=0) / y.std()
    fitted = X @ beta
    r2 = 1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
    out = result.outputs["y"]
    assert [out.srrc[i] for i in INPUTS] == pytest.approx(srrc, abs=1e-9)
    assert out.r_squared == pytest.approx(r2, abs=1e-9)


def test_contributions_are_shares_of_the_squared_coefficients(run):
    out = run[0].outputs["y"]
    squares = {i: out.srrc[i] ** 2 for i in INPUTS}
    total = sum(squares.values())
    assert sum(out.contribution.values()) == pytest.approx(1, abs=1e-12)
    for i in INPUTS:
        assert out.contribution[i] == pytest.approx(
            squares[i] / total, rel=1e-12
        )


def test_bin_means_are_the_outputs_means_in_tenths_of_each_input(run):
    result, values = run
    for name in INPUTS:
        order = np.argsort(values[name], kind="stable")
        tenths = np.array_split(values["y"][order], 10)
        want = [part.mean() for part in tenths]
        assert result.outputs["y"].bin_means[name] == pytest.approx(
            want, rel=1e-9
        )


def test_an_input_with_no_path_is_disconnected_not_zero(run):
    """z = a + 0 * b reads b, so b is connected (its coefficient is near
    0); t and e have no path to z and are reported as disconnected."""
    result, _ = run
    z = result.outputs["z"]
    assert set(z.disconnected) == {"t", "e"}
    d = json.loads(json.dumps(z.to_dict()))["sensitivity"]
    assert d["t"] == {
        "spearman": None,
        "connected": False,
        "srrc": None,
        "contribution": None,
        "bin_means": None,
    }
    assert d["b"]["connected"] and d["a"]["spearman"] == 1.0
    assert "t" not in z.srrc and "t" not in z.contribution


def test_a_parameter_connects_its_input():
    model = {
        "cells": {
            "mu": "=RiskUniform(1, 2)",
            "x": "=RiskNormal(mu, 1)",
            "w": "=RiskUniform(0, 1)",
            "out": "=x",
        },
        "outputs": ["out"],
    }
    out = simulate(model, iterations=5_000, seed=1).outputs["out"]
    assert out.disconnected == ["w"]
    assert out.srrc["mu"] > 0


def test_monotone_transform_has_spearman_and_srrc_exactly_one():
    model = {
        "cells": {"x": "=RiskUniform(0, 1)", "y": "=EXP(5 * x)"},
        "outputs": ["y"],
    }
    out = simulate(model, iterations=50_000, seed=3).outputs["y"]
    assert out.sensitivity["x"] == 1.0
    assert out.srrc["x"] == 1.0
    assert out.r_squared == 1.0
    assert out.contribution["x"] == 1.0


def test_tied_input_values_share_a_bin():
    """A Bernoulli(0.3) input has two values: its zeros share the bin of
    their midrank, its ones theirs, and the other bins are empty (NaN)."""
    model = {
        "cells": {"hit": "=RiskBernoulli(0.3)", "x": "=hit * 10"},
        "outputs": ["x"],
    }
    means = (
        simulate(model, iterations=10_000, seed=2)
        .outputs["x"]
        .bin_means["hit"]
    )
    filled = [m for m in means if not np.isnan(m)]
    assert filled == [0.0, 10.0]


def test_many_inputs_keep_fewer_iterations_and_no_regression():
    """600 inputs: their kept values are bounded (KEPT_INPUT_VALUES, so
    10^7 // 600 iterations, not 20,000), Spearman is still reported for
    each, and the rank regression, which needs all 600^2 / 2 input pairs
    and a 600 x 600 solve, is left out (NaN) rather than run."""
    k = REGRESSION_MAX_INPUTS + 100
    cells = {"step_0": "=RiskNormal(0, 1)"}
    for i in range(1, k):
        cells[f"step_{i}"] = f"=step_{i - 1} + RiskNormal(0, 1)"
    last = f"step_{k - 1}"
    result = simulate(
        {"cells": cells, "outputs": [last]}, iterations=20_000, seed=2
    )
    assert result.sensitivity_iterations == KEPT_INPUT_VALUES // k
    out = result.outputs[last]
    assert len(out.sensitivity) == k
    assert all(np.isfinite(v) for v in out.sensitivity.values())
    assert all(np.isnan(v) for v in out.srrc.values())
    assert np.isnan(out.r_squared)
