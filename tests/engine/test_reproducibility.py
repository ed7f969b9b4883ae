"""Counter-based streams: reproducible, prefix-stable, thread-independent."""

import json

import numpy as np
import pytest

from mcengine.engine import sample, simulate
from mcengine.engine.simulate import _run
from mcengine.model import compile_model
from tests.conftest import EXAMPLES, load_json

R1 = load_json(EXAMPLES / "r1_margin.json")


def facts_free(result) -> dict:
    """A result without the facts that legitimately differ between runs."""
    d = result.to_dict()
    d.pop("elapsed_seconds")
    d.pop("threads")
    return json.dumps(d)  # as text, NaN compares equal to itself


def test_results_are_bit_identical_for_any_thread_count():
    """1, 2 and 3 threads give the same statistics, bit for bit."""
    runs = [
        facts_free(simulate(R1, iterations=50_001, seed=7, threads=t))
        for t in (1, 2, 3)
    ]
    assert runs[0] == runs[1] == runs[2]


def _filled(compiled, block: int) -> np.ndarray:
    values = np.empty((len(compiled.outputs), 5_000))
    _run(compiled, values, 3, 2, None, None, None, block=block)
    return values


def test_values_do_not_depend_on_the_block_size():
    """Blocks of 1, 100 and 1024 iterations give identical values."""
    compiled = compile_model(R1)
    runs = [_filled(compiled, b) for b in (1, 100, 1024)]
    assert np.array_equal(runs[0], runs[1])
    assert np.array_equal(runs[0], runs[2])


def test_runs_are_prefix_stable():
    """The first k iterations of a run of n are exactly a run of k."""
    long = sample(R1, iterations=10_000, seed=11)
    short = sample(R1, iterations=1_234, seed=11)
    for name in short:
        assert np.array_equal(long[name][:1_234], short[name])


def test_a_run_can_be_extended_in_pieces():
    """Iterations 0..n-1 then n..2n-1 are the run of 2n, so batches never
    repeat each other's draws."""
    whole = sample(R1, iterations=6_000, seed=5)
    first = sample(R1, iterations=3_000, seed=5)
    second = sample(R1, iterations=3_000, seed=5, first_iteration=3_000)
    joined = np.concatenate([first["margin"], second["margin"]])
    assert np.array_equal(whole["margin"], joined)
    assert not np.array_equal(first["margin"], second["margin"])


def test_different_seeds_give_different_draws():
    """Two seeds share no draws of the same input."""
    a = sample(R1, iterations=1_000, seed=1)["cost"]
    b = sample(R1, iterations=1_000, seed=2)["cost"]
    assert len(np.intersect1d(a, b)) == 0


def test_inputs_with_equal_distributions_draw_independently():
    """Two RiskNormal(0, 1) cells get different streams."""
    model = {
        "cells": {"a": "=RiskNormal(0,1)", "b": "=RiskNormal(0,1)"},
        "outputs": ["a", "b"],
    }
    values = sample(model, iterations=10_000, seed=3)
    assert not np.array_equal(values["a"], values["b"])
    # Independent standard normals: |corr| < 4 / sqrt(n) (4 SE).
    assert abs(np.corrcoef(values["a"], values["b"])[0, 1]) < 0.04


def test_an_unseeded_run_reports_the_seed_it_used():
    """Passing the reported seed back reproduces the run."""
    first = simulate(R1, iterations=2_000)
    again = simulate(R1, iterations=2_000, seed=first.seed)
    assert facts_free(first) == facts_free(again)


@pytest.mark.parametrize("seed", [0, 2**64 - 1])
def test_extreme_seeds_are_accepted(seed):
    """Any seed in [0, 2**64) works."""
    assert simulate(R1, iterations=10, seed=seed).seed == seed


@pytest.mark.parametrize(
    "call",
    [
        "RiskNormal(10, 2)",
        "RiskLognorm(10, 2)",
        "RiskLognorm2(1, 0.5)",
        "RiskTriang(1, 2, 5)",
        "RiskUniform(-1, 3)",
        "RiskExpon(3)",
        "RiskBernoulli(0.3)",
        "RiskPoisson(4)",
        "RiskBinomial(30, 0.4)",
        "RiskNegbin(3, 0.2)",
        "RiskGeomet(0.1)",
        "RiskHypergeo(20, 30, 100)",
        "RiskWeibull(2, 3)",
    ],
)
def test_constant_parameters_sample_as_varying_ones_do(call):
    """A sample whose parameters are all constants is read and checked once
    a block, not per iteration: its values must equal, bit for bit, those of
    the same call with a parameter that varies (0 * z added) but is equal."""
    name, args = call.split("(", 1)
    plain = {"x": f"={call}", "z": "=RiskUniform(0, 1)"}
    varying = dict(plain, x=f"={name}(zero + {args}", zero="=0 * z")
    a, b = (
        sample({"cells": cells, "outputs": ["x"]}, iterations=5_000, seed=3)
        for cells in (plain, varying)
    )
    assert np.array_equal(a["x"], b["x"])
