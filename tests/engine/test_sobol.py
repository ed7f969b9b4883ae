"""Scrambled Sobol sampling.

Exact checks: the net property (one point in each elementary interval of
the first 2^m points, per coordinate and for the first coordinate pairs),
the direction numbers against the vendored table, reproducibility. The
integration check is statistical in a different way: over 20 seeds, the
scrambled estimates' spread must be far below Monte Carlo's standard error
(a randomised QMC estimate is unbiased, and its error here is orders of
magnitude smaller; the bound used, a tenth of Monte Carlo's, is loose).
"""

import math

import numpy as np
import pytest

from mcengine import _core
from mcengine.engine import sample, simulate
from mcengine.model import ModelError
from tests.conftest import ROOT

UNIFORMS = {
    "cells": {name: "=RiskUniform(0, 1)" for name in ("u", "v", "w", "z")},
    "outputs": ["u", "v", "w", "z"],
}


def points(n, seed=3, **options):
    values = sample(
        UNIFORMS, iterations=n, seed=seed, sampling="sobol", **options
    )
    return np.stack([values[k] for k in UNIFORMS["outputs"]])


@pytest.mark.parametrize("m", [0, 1, 5, 12])
def test_each_coordinate_puts_one_point_in_each_of_2_to_the_m_intervals(m):
    n = 2**m
    for row in points(n):
        assert np.array_equal(np.sort(np.floor(row * n)), np.arange(n))


@pytest.mark.parametrize("a", [0, 3, 6, 10])
def test_first_two_coordinates_form_a_zero_net(a):
    """Every 2^-a by 2^-(12 - a) box holds exactly one of 4096 points."""
    u, v = points(4096)[:2]
    boxes = np.floor(u * 2**a) * 2 ** (12 - a) + np.floor(v * 2 ** (12 - a))
    assert np.array_equal(np.sort(boxes), np.arange(4096))


def test_pieces_of_a_run_are_its_points():
    """Prefix-stable: iterations 2,000 .. 4,999 sampled alone are those of
    the whole run (blocks and threads: test_sampling.py)."""
    whole = points(5_000)
    later = points(3_000, first_iteration=2_000)
    assert np.array_equal(whole[:, 2_000:], later)


def test_seeds_scramble_differently():
    assert not np.any(np.all(points(64, seed=1) == points(64, seed=2), axis=1))


def test_integration_error_is_far_below_monte_carlo():
    """E[u v w z] = 1/16; 20 scrambles at n = 2^14."""
    model = dict(
        UNIFORMS,
        cells=dict(UNIFORMS["cells"], p="=u * v * w * z"),
        outputs=["p"],
    )
    estimates = [
        simulate(model, iterations=2**14, seed=s, sampling="sobol")
        .outputs["p"]
        .mean
        for s in range(20)
    ]
    mc_se = math.sqrt((1 / 81 - 1 / 256) / 2**14)
    assert abs(np.mean(estimates) - 1 / 16) < 4 * mc_se / math.sqrt(20)
    assert np.std(estimates) < mc_se / 10


def test_a_count_that_is_not_a_power_of_two_warns():
    quiet = simulate(UNIFORMS, iterations=1024, seed=1, sampling="sobol")
    noisy = simulate(UNIFORMS, iterations=1000, seed=1, sampling="sobol")
    assert quiet.warnings == []
    assert "1,000 is not one (nearest: 512 or 1,024)" in noisy.warnings[0]
    assert noisy.to_dict()["warnings"] == noisy.warnings


def test_more_inputs_than_tabled_dimensions_are_refused():
    many = {
        "cells": {f"in_{i}": "=RiskUniform(0, 1)" for i in range(304)},
        "outputs": ["in_0"],
    }
    with pytest.raises(ModelError, match="at most 303 stochastic inputs"):
        simulate(many, iterations=16, sampling="sobol")


def test_table_header_matches_the_data():
    """csrc/sobol_table.h holds exactly the vendored rows (s, a, m_i)."""
    data = ROOT / "third_party/sobol_joe_kuo/new-joe-kuo-6.21201.first303"
    rows = [line.split() for line in data.read_text().splitlines()[1:]]
    header = (ROOT / "csrc/sobol_table.h").read_text()
    body = header[header.index("SOBOL_ROWS") :]
    entries = [e for e in body.split("\n") if e.strip().startswith("{")]
    assert len(entries) == len(rows) == _core.SOBOL_DIMENSIONS - 1
    for entry, row in zip(entries, rows):
        s, a, *m = (int(t) for t in row[1:])
        numbers = [
            int(t)
            for t in entry.replace("{", " ")
            .replace("}", " ")
            .replace(",", " ")
            .split()
        ]
        assert numbers == [s, a, *m, *[0] * (11 - s)]
