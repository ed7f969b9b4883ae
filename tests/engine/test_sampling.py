"""Sampling methods: mc, antithetic and lhs (Latin hypercube).

Exact checks (identity of values, strata hit exactly once) unless a
tolerance is stated; statistical ones use 4 standard errors of the
estimator in question, so each fails by chance about once in 16,000 runs
(the seeds are fixed).
"""

import numpy as np
import pytest

from mcengine.engine import sample, simulate
from mcengine.engine.simulate import SAMPLING, _run
from mcengine.model import ModelError, compile_model

UNIFORMS = {
    "cells": {
        "x": "=RiskUniform(0, 1)",
        "y": "=RiskUniform(0, 1)",
        "w": "=RiskUniform(0, 1)",
        "s": "=x + y + w",
    },
    "outputs": ["x", "y", "w", "s"],
}
MIXED = {
    "cells": {
        "t": "=RiskTriang(0, 1, 10)",
        "z": "=RiskNormal(5, 2)",
        "k": "=RiskPoisson(3)",
        "p": "=RiskPert(1, 2, 9)",
        "total": "=t + z + k + p",
    },
    "outputs": ["t", "z", "k", "p", "total"],
}
METHODS = sorted(SAMPLING)


def values(model, n, seed=7, **options):
    return np.stack(
        list(sample(model, iterations=n, seed=seed, **options).values())
    )


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_values_other_seed_other_values(method):
    a = values(MIXED, 5_000, sampling=method)
    b = values(MIXED, 5_000, sampling=method)
    c = values(MIXED, 5_000, seed=8, sampling=method)
    assert np.array_equal(a, b)
    assert not np.any(np.all(a == c, axis=1))


@pytest.mark.parametrize("method", METHODS)
def test_threads_and_blocks_do_not_change_values(method):
    """Blocks of 1, 100 and 4096 iterations on 1 and 3 threads."""
    compiled = compile_model(MIXED)
    runs = []
    for block, threads in [(1, 1), (100, 3), (4096, 2)]:
        out = np.empty((len(compiled.outputs), 9_999))
        _run(
            compiled,
            out,
            5,
            threads,
            None,
            None,
            None,
            block=block,
            design=(SAMPLING[method], 9_999),
        )
        runs.append(out)
    assert np.array_equal(runs[0], runs[1])
    assert np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 16, 17, 1_000, 100_003])
def test_lhs_puts_each_input_in_every_stratum_once(n):
    got = values(UNIFORMS, n, sampling="lhs")
    for row in got[:3]:
        assert np.array_equal(np.sort(np.floor(row * n)), np.arange(n))
        assert np.all((row > 0) & (row < 1))


def test_lhs_inputs_are_shuffled_independently():
    """Each input has its own order of strata: the rank correlation of two
    LHS inputs over n = 100,000 is within 4 standard errors (1 / sqrt(n -
    1)) of 0, and neither is in iteration order."""
    n = 100_000
    x, y = values(UNIFORMS, n, sampling="lhs")[:2]
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    rho = np.corrcoef(rx, ry)[0, 1]
    assert abs(rho) <= 4 / np.sqrt(n - 1)
    assert abs(np.corrcoef(rx, np.arange(n))[0, 1]) <= 4 / np.sqrt(n - 1)


def test_lhs_mean_of_a_uniform_is_nearly_exact():
    """The mean of n stratified uniforms has standard deviation
    1 / (sqrt(12) n^1.5), far below Monte Carlo's 1 / sqrt(12 n)."""
    n = 10_000
    result = simulate(UNIFORMS, iterations=n, seed=3, sampling="lhs")
    se = 1 / (np.sqrt(12) * n**1.5)
    for name in ("x", "y", "w"):
        assert abs(result.outputs[name].mean - 0.5) <= 4 * se


def test_lhs_of_a_longer_design_differs_and_is_not_a_prefix():
    short = values(UNIFORMS, 100, sampling="lhs")
    long = values(UNIFORMS, 200, sampling="lhs")
    assert not np.array_equal(short, long[:, :100])


def test_lhs_design_can_be_sampled_in_pieces():
    """Pieces of one design (same strata) equal the whole."""
    whole = values(UNIFORMS, 1_000, sampling="lhs")
    pieces = [
        np.stack(
            list(
                sample(
                    UNIFORMS,
                    iterations=k,
                    seed=7,
                    first_iteration=first,
                    sampling="lhs",
                    strata=1_000,
                ).values()
            )
        )
        for first, k in [(0, 300), (300, 700)]
    ]
    assert np.array_equal(np.concatenate(pieces, axis=1), whole)


def test_antithetic_pairs_are_u_and_one_minus_u():
    got = values(UNIFORMS, 10_001, sampling="antithetic")
    x = got[0]
    pairs = x[:-1:2] + x[1::2]
    assert np.all(np.abs(pairs - 1) <= 2**-52)
    assert got.shape[1] == 10_001


def test_antithetic_goes_through_the_quantile_function():
    """Triang(0, 1, 10) is skewed: a pair is Q(U) and Q(1 - U), which do
    not sum to a constant (a reflection of values would)."""
    u = values(UNIFORMS, 1_000, sampling="antithetic")[0]
    t = values(MIXED, 1_000, sampling="antithetic")[0]
    # Q(u) of Triang(0, 1, 10) in closed form, for both members of a pair.
    q = np.where(u < 0.1, np.sqrt(u * 10), 10 - np.sqrt((1 - u) * 90))
    assert np.allclose(t, q, rtol=1e-12, atol=1e-12)
    assert np.std(t[::2] + t[1::2]) > 0.1


def test_antithetic_triang_mean_is_eleven_thirds():
    """Over an odd n the mean is within 4 standard errors of 11/3; the
    standard error is that of the pair means (the last, lone, value adds
    at most 10 / n)."""
    n = 200_001
    t = values(MIXED, n, sampling="antithetic")[0]
    pair_means = (t[:-1:2] + t[1::2]) / 2
    se = np.std(pair_means, ddof=1) / np.sqrt(len(pair_means))
    assert abs(t.mean() - 11 / 3) <= 4 * se + 10 / n


def test_antithetic_is_prefix_stable():
    long = values(MIXED, 1_001, sampling="antithetic")
    short = values(MIXED, 777, sampling="antithetic")
    assert np.array_equal(long[:, :777], short)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reproduces_the_reference_mean(method):
    """R1-like mixed model: the total's mean within 4 standard errors (its
    sd under Monte Carlo bounds it for the others, which reduce it)."""
    result = simulate(MIXED, iterations=100_000, seed=2, sampling=method)
    total = result.outputs["total"]
    mean = 11 / 3 + 5 + 3 + (1 + 4 * 2 + 9) / 6
    assert abs(total.mean - mean) <= 4 * total.std / np.sqrt(100_000)
    assert result.sampling == method
    assert result.to_dict()["sampling"] == method


@pytest.mark.parametrize("bad", ["sobolx", "", None, 2])
def test_unknown_sampling_is_refused_by_name(bad):
    with pytest.raises(ModelError, match='sampling: must be one of "mc"'):
        simulate(UNIFORMS, iterations=10, sampling=bad)
