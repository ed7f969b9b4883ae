"""Correlated inputs: marginals kept exactly, targets reached, strata kept,
independent groups independent, bad matrices refused or repaired.

Tolerances. A rank correlation achieved at n = 100,000 must lie within
0.02 of its target for continuous inputs (the issue's bound). The standard
error of a Spearman coefficient near r at n = 100,000 is about
(1 - r^2) / sqrt(n) <= 0.0032, so 0.02 is more than 6 of them; the
reordering itself adds under 0.005 (it matches the target exactly in
normal scores chunk by chunk). Zero targets between groups are checked
within 4 / sqrt(n) = 0.0126 (4 standard errors of a Spearman coefficient
of independent samples). Everything else here is exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mcengine
from mcengine import _core
from mcengine.engine.simulate import sample
from mcengine.model import ModelError
from mcengine.model.correlation import (
    nearest_correlation,
    normal_scores,
    rank_correlations,
)

N = 100_000
SEED = 20_261_204
CHUNK = _core.CORRELATION_CHUNK

CELLS = {
    "a": "=RiskNormal(10, 2)",
    "b": "=RiskUniform(0, 1)",
    "tri": "=RiskTriang(0, 1, 10)",
    "k": "=RiskPoisson(3)",
    "e": "=RiskExpon(2)",
    "g": "=RiskGamma(2, 3)",
}
TARGET = [[1, 0.5, 0], [0.5, 1, -0.7], [0, -0.7, 1]]


def model(correlations=None, outputs=("a", "b", "tri", "k", "e", "g")):
    m = {"cells": dict(CELLS), "outputs": list(outputs)}
    if correlations is not None:
        m["correlations"] = correlations
    return m


def spearman(rows: np.ndarray) -> np.ndarray:
    """Rank correlations with average ranks for ties."""
    ranks = np.array([_average_ranks(r) for r in rows])
    return np.corrcoef(ranks)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


GROUP = [{"inputs": ["a", "b", "tri"], "matrix": TARGET}]


@pytest.mark.parametrize("sampling", ["mc", "lhs", "antithetic", "sobol"])
def test_each_input_is_a_permutation_of_its_uncorrelated_sample(sampling):
    """Exact: the sorted values with and without the matrix are equal, for
    every input (the Poisson one with its ties too)."""
    group = [
        {
            "inputs": ["a", "b", "tri", "k"],
            "matrix": [
                [1, 0.5, 0, 0.4],
                [0.5, 1, -0.7, 0],
                [0, -0.7, 1, 0],
                [0.4, 0, 0, 1],
            ],
        }
    ]
    n = 3 * CHUNK + 17
    plain = sample(model(), iterations=n, seed=SEED, sampling=sampling)
    corr = sample(model(group), iterations=n, seed=SEED, sampling=sampling)

    for name in plain:
        assert np.array_equal(np.sort(plain[name]), np.sort(corr[name])), name
    assert not np.array_equal(plain["b"], corr["b"])


@pytest.mark.parametrize("sampling", ["mc", "lhs", "sobol"])
def test_targets_reached_within_two_hundredths(sampling):
    """Achieved Spearman within 0.02 of each target at n = 100,000."""
    values = sample(model(GROUP), iterations=N, seed=SEED, sampling=sampling)
    achieved = spearman(np.array([values[k] for k in ("a", "b", "tri")]))

    assert np.max(np.abs(achieved - np.array(TARGET))) <= 0.02


def test_result_reports_targets_beside_achieved():
    """The Result's achieved matrix is the inputs' rank correlation over
    the sensitivity prefix, computed independently here."""
    result = mcengine.simulate(
        model(GROUP, outputs=("a",)), iterations=N, seed=SEED
    )
    (group,) = result.correlations
    values = sample(model(GROUP), iterations=N, seed=SEED)
    mine = spearman(np.array([values[k] for k in ("a", "b", "tri")]))

    assert group["inputs"] == ["a", "b", "tri"]
    assert group["target"] == TARGET and group["applied"] == TARGET
    assert group["repaired"] is False and group["largest_change"] == 0
    assert group["achieved_iterations"] == N
    # The core ranks with average ranks for ties too: equal to rounding.
    assert np.allclose(group["achieved"], mine, atol=1e-12)
    assert group["smallest_eigenvalue"] == pytest.approx(
        np.linalg.eigvalsh(normal_scores(np.array(TARGET, float)))[0]
    )
    assert "correlations" in result.to_dict()


def test_latin_hypercube_strata_survive_correlation():
    """Exact: with lhs over n iterations each correlated input still has
    one value in each of the n strata (checked through the uniform, here
    the Uniform(0, 1) input itself)."""
    n = 2 * CHUNK + 5
    values = sample(model(GROUP), iterations=n, seed=SEED, sampling="lhs")
    strata = np.floor(values["b"] * n).astype(int)

    assert np.array_equal(np.sort(strata), np.arange(n))


def test_three_inputs_at_n_five_with_lhs():
    """The issue's case: -0.5 between the first and third, lhs, n = 5:
    every value finite, each input a permutation of its own sample, and
    the order follows the target's sign (rank correlation of a and tri
    negative)."""
    group = [
        {
            "inputs": ["a", "b", "tri"],
            "matrix": [[1, 0, -0.5], [0, 1, 0], [-0.5, 0, 1]],
        }
    ]
    plain = sample(model(), iterations=5, seed=SEED, sampling="lhs")
    corr = sample(model(group), iterations=5, seed=SEED, sampling="lhs")

    for name in plain:
        assert np.all(np.isfinite(corr[name]))
        assert np.array_equal(np.sort(plain[name]), np.sort(corr[name]))


def test_fewer_iterations_than_correlated_inputs():
    """Six inputs correlated, two and one iterations: runs, keeps each
    input's values."""
    names = list(CELLS)
    matrix = np.full((6, 6), 0.2)
    np.fill_diagonal(matrix, 1)
    group = [{"inputs": names, "matrix": matrix.tolist()}]
    for n in (1, 2, 5):
        plain = sample(model(), iterations=n, seed=SEED)
        corr = sample(model(group), iterations=n, seed=SEED)
        for name in names:
            assert np.array_equal(np.sort(plain[name]), np.sort(corr[name]))


def test_independent_groups_stay_independent():
    """Two groups: within each the targets hold; across them rank
    correlations are within 4 / sqrt(n) of zero."""
    groups = [
        {"inputs": ["a", "b"], "matrix": [[1, 0.8], [0.8, 1]]},
        {"inputs": ["tri", "e"], "matrix": [[1, -0.6], [-0.6, 1]]},
    ]
    values = sample(model(groups), iterations=N, seed=SEED)
    r = spearman(np.array([values[k] for k in ("a", "b", "tri", "e")]))

    assert abs(r[0, 1] - 0.8) <= 0.02 and abs(r[2, 3] + 0.6) <= 0.02
    for i, j in ((0, 2), (0, 3), (1, 2), (1, 3)):
        assert abs(r[i, j]) <= 4 / math.sqrt(N), (i, j)


def test_same_seed_bit_identical_for_any_thread_count():
    """Exact: 1 and 2 threads, and a run in pieces at chunk multiples."""
    one = sample(model(GROUP), iterations=3 * CHUNK + 9, seed=SEED, threads=1)
    two = sample(model(GROUP), iterations=3 * CHUNK + 9, seed=SEED, threads=2)
    head = sample(model(GROUP), iterations=2 * CHUNK, seed=SEED)
    tail = sample(
        model(GROUP),
        iterations=CHUNK + 9,
        seed=SEED,
        first_iteration=2 * CHUNK,
    )
    for name in one:
        assert np.array_equal(one[name], two[name])
        joined = np.concatenate([head[name], tail[name]])
        assert np.array_equal(one[name], joined)


def test_piece_must_start_at_a_chunk():
    with pytest.raises(ModelError, match="first_iteration"):
        sample(model(GROUP), iterations=10, seed=1, first_iteration=100)


def test_convergence_with_correlation_equals_a_fixed_run():
    """Checks fall on chunk multiples (a warning says so), and the result
    equals a fixed run of the iterations used, exactly."""
    rule = {"statistics": ["mean"], "tolerance": 0.02, "every": 1000}
    m = model(GROUP, outputs=("a", "tri"))
    stopped = mcengine.simulate(m, iterations=N, seed=SEED, convergence=rule)
    fixed = mcengine.simulate(m, iterations=stopped.iterations, seed=SEED)

    assert stopped.iterations % CHUNK == 0 and stopped.iterations < N
    assert any("4,096" in w for w in stopped.warnings)
    for name in ("a", "tri"):
        assert stopped.outputs[name].mean == fixed.outputs[name].mean
        assert (
            stopped.outputs[name].percentiles
            == fixed.outputs[name].percentiles
        )
    assert stopped.correlations == fixed.correlations


def test_perfect_correlation_is_accepted():
    """rho = 1 is positive semi-definite: the inputs move in lockstep. The
    core ranks by buckets about one value wide (csrc/correlate.cpp), which
    may swap values less than a bucket apart: a few ranks of 4,096 move by
    one, so Spearman is 1 within 1e-5 (each swap costs 12 / n^3 of it)."""
    group = [{"inputs": ["a", "e"], "matrix": [[1, 1], [1, 1]]}]
    values = sample(model(group), iterations=CHUNK, seed=SEED)
    r = spearman(np.array([values["a"], values["e"]]))[0, 1]

    assert 1 - 1e-5 <= r <= 1


@pytest.mark.parametrize(
    "matrix, where, words",
    [
        ([[1, 0.5], [0.4, 1]], "correlations[0].matrix", "symmetric"),
        ([[1, 0.5], [0.5, 0.9]], "correlations[0].matrix", "diagonal"),
        ([[1, 1.5], [1.5, 1]], "correlations[0].matrix", "[-1, 1]"),
        ([[1, 0.5, 0], [0.5, 1]], "correlations[0].matrix[0]", "square"),
        ([[1, 0.5], [0.5, 1], [0, 0]], "correlations[0].matrix[0]", "square"),
        ([[1, "x"], ["x", 1]], "correlations[0].matrix", "numbers"),
    ],
)
def test_bad_matrices_are_refused_naming_the_problem(matrix, where, words):
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(
            model([{"inputs": ["a", "b"], "matrix": matrix}]), iterations=10
        )
    (violation,) = raised.value.violations
    assert violation.field == where and words in violation.description


def test_bad_inputs_are_refused_naming_them():
    """Every problem is reported, each at its own field."""
    groups = [
        {"inputs": ["a", "nope"], "matrix": [[1, 0], [0, 1]]},
        {"inputs": ["b", "A"], "matrix": [[1, 0], [0, 1]]},
    ]
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(model(groups), iterations=10)
    found = {v.field: v.description for v in raised.value.violations}

    assert "not a stochastic input" in found["correlations[0].inputs[1]"]
    assert "already in correlations[0]" in found["correlations[1].inputs[1]"]
    assert len(found) == 2


def test_an_input_listed_twice_is_refused():
    group = [{"inputs": ["e", "E"], "matrix": [[1, 0], [0, 1]]}]
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(model(group), iterations=10)
    (violation,) = raised.value.violations

    assert violation.field == "correlations[0].inputs[1]"
    assert "listed twice" in violation.description


def test_a_formula_cell_is_not_a_stochastic_input():
    m = model([{"inputs": ["a", "s"], "matrix": [[1, 0], [0, 1]]}])
    m["cells"]["s"] = "=a + b"
    with pytest.raises(ModelError, match="not a stochastic input"):
        mcengine.simulate(m, iterations=10)


# A Spearman matrix that is positive definite as it stands but not as
# normal scores: the smallest eigenvalue of rho is 0.0057, that of
# 2 sin(pi rho / 6) is -0.0057 (found by a random search).
def _valid_spearman_invalid_normal() -> np.ndarray:
    return np.array([[1, 0.92, 0.45], [0.92, 1, 0.08], [0.45, 0.08, 1]])


def test_positive_definiteness_is_checked_in_normal_scores():
    rho = _valid_spearman_invalid_normal()
    normal_min = np.linalg.eigvalsh(normal_scores(rho))[0]
    assert np.linalg.eigvalsh(rho)[0] > 0 > normal_min  # the premise

    group = [{"inputs": ["a", "b", "tri"], "matrix": rho.tolist()}]
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(model(group), iterations=10)
    (violation,) = raised.value.violations

    assert "smallest eigenvalue" in violation.description
    assert f"{normal_min:.6g}" in violation.description
    assert '"repair": true' in violation.description


def test_repair_uses_the_nearest_valid_matrix_and_reports_the_change():
    """With repair the applied matrix is valid in normal scores, close to
    the target, reported with its largest change, and reached."""
    rho = np.array([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])
    group = [
        {"inputs": ["a", "b", "tri"], "matrix": rho.tolist(), "repair": True}
    ]
    result = mcengine.simulate(
        model(group, outputs=("a",)), iterations=N, seed=SEED
    )
    (report,) = result.correlations
    applied = np.array(report["applied"])

    assert report["repaired"] is True and report["smallest_eigenvalue"] < 0
    assert report["largest_change"] == pytest.approx(
        np.max(np.abs(applied - rho)), abs=0
    )
    assert np.linalg.eigvalsh(normal_scores(applied))[0] >= -1e-9
    assert np.max(np.abs(np.array(report["achieved"]) - applied)) <= 0.02


def test_nearest_correlation_is_a_fixed_point_on_valid_matrices():
    """Exact to rounding: a valid matrix is its own nearest."""
    r = normal_scores(np.array(TARGET, float))
    assert np.allclose(nearest_correlation(r), r, atol=1e-12)
    assert np.allclose(rank_correlations(r), TARGET, atol=1e-12)


def test_nearest_correlation_beats_simple_fixes():
    """Higham's answer is at least as near (Frobenius) as clipping the
    eigenvalues and rescaling, a valid but not nearest repair."""
    a = normal_scores(
        np.array([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])
    )
    near = nearest_correlation(a)
    w, v = np.linalg.eigh(a)
    clipped = (v * np.maximum(w, 0)) @ v.T
    d = np.sqrt(np.diag(clipped))
    clipped = clipped / np.outer(d, d)

    assert np.linalg.eigvalsh(near)[0] >= -1e-9
    assert np.allclose(np.diag(near), 1)
    assert np.linalg.norm(near - a) <= np.linalg.norm(clipped - a) + 1e-12


def test_short_chunks_rank_exactly():
    """Exact: below 1,024 iterations a chunk is ranked exactly, so a
    perfect correlation gives identical ranks at n = 100."""
    group = [{"inputs": ["a", "e"], "matrix": [[1, 1], [1, 1]]}]
    got = sample(model(group), iterations=100, seed=SEED)

    assert np.array_equal(np.argsort(got["a"]), np.argsort(got["e"]))


def test_huge_entries_are_refused_not_crashed():
    group = [{"inputs": ["a", "b"], "matrix": [[1, 10**400], [0, 1]]}]
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(model(group), iterations=10)
    assert raised.value.violations[0].field == "correlations[0].matrix[0][1]"


def test_no_achieved_matrix_below_two_iterations():
    result = mcengine.simulate(
        model(GROUP, outputs=("a",)), iterations=1, seed=1
    )
    assert result.correlations[0]["achieved"] is None
