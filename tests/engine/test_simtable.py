"""RiskSimtable: one simulation per listed value, common random numbers."""

import json

import numpy as np
import pytest

from mcengine.engine import sample, simulate
from mcengine.model import ModelError

MODEL = {
    "cells": {
        "rate": "=RiskSimtable({0.05, 0.1, 0.15})",
        "cash": "=RiskNormal(100, 10)",
        "value": "=cash / (1 + rate)",
    },
    "outputs": ["value", "cash"],
}


def test_one_simulation_per_value_with_common_random_numbers():
    """The inputs draw the same numbers in every simulation (cash's
    statistics are identical), and each simulation's value is cash over
    its own 1 + rate, iteration by iteration (checked on the sampled
    first simulation, exactly: the same division)."""
    result = simulate(MODEL, iterations=20_000, seed=5)
    assert len(result.simulations) == 3
    assert result.outputs == result.simulations[0].outputs
    cash = [r.outputs["cash"].to_dict() for r in result.simulations]
    assert json.dumps(cash[0]) == json.dumps(cash[1]) == json.dumps(cash[2])
    values = sample(MODEL, iterations=20_000, seed=5)
    assert np.array_equal(values["value"], values["cash"] / 1.05)
    means = [r.outputs["value"].mean for r in result.simulations]
    assert means[0] > means[1] > means[2]
    for rate, mean in zip((0.05, 0.1, 0.15), means):
        assert mean * (1 + rate) == pytest.approx(
            result.outputs["cash"].mean, rel=1e-12
        )


def test_document_lists_every_simulation():
    d = simulate(MODEL, iterations=1_000, seed=5).to_dict()
    assert [len(s["outputs"]) for s in d["simulations"]] == [2, 2, 2]
    assert d["outputs"] == d["simulations"][0]["outputs"]


def test_models_without_simtable_have_no_simulations():
    plain = {"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}
    result = simulate(plain, iterations=100, seed=1)
    assert result.simulations == []
    assert "simulations" not in result.to_dict()


@pytest.mark.parametrize(
    "cells, message",
    [
        (
            {
                "a": "=RiskSimtable({1, 2})",
                "b": "=RiskSimtable({1, 2, 3})",
                "y": "=a + b",
            },
            "RiskSimtable has 3 values, but the one in 'a' has 2",
        ),
        ({"a": "=RiskSimtable(5)", "y": "=a"}, "takes an array constant"),
        (
            {"a": "=RiskSimtable({1, b})", "b": "=2", "y": "=a"},
            "an array constant holds only numbers",
        ),
        ({"a": "=RiskSimtable()", "y": "=a"}, "takes 1 arguments, got 0"),
    ],
)
def test_bad_simtables_are_refused(cells, message):
    with pytest.raises(ModelError, match=message):
        simulate({"cells": cells, "outputs": ["y"]}, iterations=10)


def test_each_simulation_stops_on_its_own_when_converging():
    rule = {"statistics": ["mean"], "tolerance": 0.001, "every": 5_000}
    result = simulate(MODEL, iterations=1_000_000, seed=5, convergence=rule)
    for r in result.simulations:
        assert r.convergence["converged"]
        assert r.iterations == r.convergence["iterations"]
