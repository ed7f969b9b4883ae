"""The distributions whose arguments are written out in the formula
(DUniform, Cumul, Histogrm, General, Trigen) and HyperGeo.

Oracles, all independent of the code under test:
- Cumul and Histogrm: the inverse of a piecewise-linear F, computed in
  rational arithmetic from the double u (Fraction), so exact; ours within
  REL_CLOSED (5e-14) of max(|x|, max - min).
- General: the root of each segment's quadratic, solved with 50-digit
  Decimal arithmetic from the packed knots; the same tolerance.
- DUniform: the k-th smallest value for u in ((k - 1) / n, k / n], exact.
- Trigen: scipy.stats.triang with the solved min and max puts the given
  percentiles at bottom and top, within 1e-12 (absolute, in probability).
- HyperGeo: scipy.stats.hypergeom's ppf, which must agree exactly, and
  exact rational CDF steps (math.comb) nudged by 1e-12 either side.
- Moments through a model at 200,000 iterations: mean and variance within
  4 standard errors of the exact ones (Simpson's rule is exact for the
  polynomials a piecewise-linear density gives), so each check fails by
  chance about once in 16,000 runs; the seed is fixed.
"""

from decimal import Decimal, getcontext
from fractions import Fraction
from math import comb

import numpy as np
import pytest

import mcengine
from mcengine.model import ModelError
from mcengine.model.distributions import (
    cumul_aux,
    duniform_aux,
    general_aux,
    histogrm_aux,
    trigen_params,
)
from tests.core.oracle import GRID, REL_CLOSED, quantile

MOMENT_ITERATIONS = 200_000


def unpack(aux):
    """knots, F at the knots, left and right densities of a PIECEWISE aux."""
    m = int(aux[0])
    x, c = aux[1 : 1 + m], aux[1 + m : 1 + 2 * m]
    return x, c, aux[1 + 2 * m : 3 * m], aux[3 * m : 4 * m - 1]


def linear_inverse(knots, cumulative, u) -> float:
    """The inverse of the piecewise-linear F through (knots, cumulative),
    exactly (first segment whose upper F reaches u)."""
    u = Fraction(u)
    c = [Fraction(v) for v in cumulative]
    for i in range(len(c) - 1):
        if c[i + 1] >= u and c[i + 1] > c[i]:
            h = Fraction(knots[i + 1]) - Fraction(knots[i])
            return float(
                Fraction(knots[i]) + (u - c[i]) * h / (c[i + 1] - c[i])
            )
    raise AssertionError("u beyond F")


def general_inverse(low, high, xs, ps, u) -> float:
    """General's exact quantile: the density through (low, 0), each (x, p)
    and (high, 0), normalised in rational arithmetic; in the first segment
    whose upper F reaches u, the t in [0, h] with
    a t + (b - a) t^2 / (2 h) = u - F(left end), solved in 60 digits."""
    getcontext().prec = 60
    knots = [Fraction(v) for v in (low, *xs, high)]
    f = [Fraction(0), *(Fraction(p) for p in ps), Fraction(0)]
    areas = [
        (knots[i + 1] - knots[i]) * (f[i] + f[i + 1]) / 2
        for i in range(len(knots) - 1)
    ]
    total, below, u = sum(areas), Fraction(0), Fraction(u)
    for i, area in enumerate(areas):
        if below + area / total >= u and area > 0:
            h = knots[i + 1] - knots[i]
            a, b = f[i] / total, f[i + 1] / total
            need = u - below

            def dec(q):
                return Decimal(q.numerator) / Decimal(q.denominator)

            if a == b:
                t = dec(need / a)
            else:
                k = dec((b - a) / h)
                t = (-dec(a) + (dec(a * a) + 2 * k * dec(need)).sqrt()) / k
            return float(dec(knots[i]) + min(max(t, Decimal(0)), dec(h)))
        below += area / total
    raise AssertionError("u beyond F")


def worst(got, want, scale) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), scale)))


LINEAR = [
    ("Cumul", lambda: cumul_aux(0, 10, [2, 5], [0.3, 0.6])),
    ("Cumul flat part", lambda: cumul_aux(-5, 7, [-1, 0, 3], [0.2, 0.2, 1])),
    ("Histogrm", lambda: histogrm_aux(0, 10, [1, 2, 1])),
    ("Histogrm empty bar", lambda: histogrm_aux(100, 101, [3, 0, 0.5, 7])),
]


@pytest.mark.parametrize("name, make", LINEAR, ids=[c[0] for c in LINEAR])
def test_linear_cdf_quantiles_are_exact_to_rounding(name, make):
    aux = make()
    x, c, _, _ = unpack(aux)
    got = quantile("PIECEWISE", [], GRID, aux)
    want = np.array([linear_inverse(x, c, u) for u in GRID])
    assert worst(got, want, x[-1] - x[0]) <= REL_CLOSED


GENERAL = [
    (0, 10, [2, 5], [1, 3]),
    (-3, 3, [-1, 1], [2, 2]),
    (1, 9, [3, 5, 7], [4, 0, 1]),
    (0, 1, [0.001, 0.999], [1000, 1]),
]


@pytest.mark.parametrize("args", GENERAL)
def test_general_quantiles_solve_each_segments_quadratic(args):
    """Over GRID but for u = 0.8, F at a knot of zero density in the third
    case, where the slope of the quantile is infinite (see below)."""
    u = GRID[np.abs(GRID - 0.8) > 1e-9]
    got = quantile("PIECEWISE", [], u, general_aux(*args))
    want = np.array([general_inverse(*args, v) for v in u])
    assert worst(got, want, args[1] - args[0]) <= REL_CLOSED


def test_general_quantile_on_a_knot_of_zero_density_is_that_knot():
    """u = 0.8 is F at the knot 5, where the density is 0 on both sides: the
    quantile is 5 (the float 0.8 is 4e-17 above 4/5, which moves the exact
    answer by 4e-8: the slope there is infinite)."""
    got = quantile(
        "PIECEWISE", [], [0.8], general_aux(1, 9, [3, 5, 7], [4, 0, 1])
    )
    assert abs(got[0] - 5) <= 1e-7


def test_general_density_has_area_one_and_meets_its_ends():
    """The heights are relative: scaled so the area is 1, with F = 1 at max."""
    x, c, left, right = unpack(general_aux(0, 10, [2, 5], [1, 3]))
    area = sum((x[1:] - x[:-1]) * (left + right) / 2)
    assert area == pytest.approx(1, abs=1e-15)
    assert left[0] == 0 and right[-1] == 0 and c[-1] == 1


def test_duniform_takes_each_value_equally():
    values = [7, -2, 3.5, 10]
    aux = duniform_aux(values)
    k = np.arange(1, 5)
    u = np.concatenate([k / 4 - 1e-12, k[:-1] / 4, (k - 1) / 4 + 1e-12])
    want = np.sort(values)[np.ceil(u * 4).astype(int) - 1]
    assert np.array_equal(quantile("DISCRETE", [], u, aux), want)


@pytest.mark.parametrize(
    "params",
    [
        (2, 5, 9, 10, 90),
        (0, 0, 1, 5, 95),
        (10, 20, 20, 20, 60),
        (-3, 1, 2, 0.5, 99.9),
        (4, 4, 4, 10, 90),
    ],
)
def test_trigen_puts_its_percentiles_at_bottom_and_top(stats, params):
    bottom, mode, top, pb, pt = params
    low, mid, high = trigen_params(*params)
    assert mid == mode and low <= bottom and high >= top
    if high == low:
        assert low == mode
        return
    tri = stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
    assert tri.cdf(bottom) == pytest.approx(pb / 100, abs=1e-12)
    assert tri.cdf(top) == pytest.approx(pt / 100, abs=1e-12)


def test_trigen_at_the_extreme_percentiles_is_the_triangle_itself():
    assert trigen_params(1, 2, 6, 0, 100) == [1, 2, 6]


HYPERGEO = [
    (10, 4, 20),
    (5, 10, 12),
    (100, 300, 1000),
    (1, 1, 2),
    (25, 25, 50),
    (30, 20, 51),
    (3000, 200_000, 1_000_000),
]


@pytest.mark.parametrize("n, D, M", HYPERGEO)
def test_hypergeo_quantiles_equal_scipys(stats, n, D, M):
    u = np.unique(np.concatenate([GRID, np.arange(1, 64) / 64]))
    got = quantile("HYPERGEO", [n, D, M], u)
    assert np.array_equal(got, stats.hypergeom(M, D, n).ppf(u))


@pytest.mark.parametrize("n, D, M", [(10, 4, 20), (8, 30, 60), (40, 70, 200)])
def test_hypergeo_quantiles_are_exact_next_to_each_step(n, D, M):
    """Just below F(k) the quantile is k, just above it the next support
    point: F(q) >= u always holds, and the two tails agree."""
    lo, hi = max(0, n + D - M), min(n, D)
    total, step = comb(M, n), Fraction(0)
    for k in range(lo, hi):
        step += Fraction(comb(D, k) * comb(M - D, n - k), total)
        if min(step, 1 - step) < Fraction(1, 2**40):
            continue  # the nudge below would reach past the next step
        gap = max(
            min(step, 1 - step) * Fraction(1, 10**12), Fraction(1, 2**50)
        )
        below, above = float(step - gap), float(step + gap)
        assert quantile("HYPERGEO", [n, D, M], [below])[0] == k
        if above < 1:
            assert quantile("HYPERGEO", [n, D, M], [above])[0] == k + 1


def piecewise_moments(aux):
    """Mean and variance of a piecewise-linear density, by Simpson's rule
    per segment (exact for x f(x) and x^2 f(x), polynomials of degree 2
    and 3)."""
    x, _, left, right = unpack(aux)
    mid = (x[:-1] + x[1:]) / 2
    fmid = (left + right) / 2
    w = (x[1:] - x[:-1]) / 6

    def integral(power):
        return np.sum(
            w
            * (
                x[:-1] ** power * left
                + 4 * mid**power * fmid
                + x[1:] ** power * right
            )
        )

    mean = integral(1)
    return mean, integral(2) - mean**2


def simulated(call):
    model = {"cells": {"x": "=" + call}, "outputs": ["x"]}
    return mcengine.simulate(
        model, iterations=MOMENT_ITERATIONS, seed=5
    ).outputs["x"]


@pytest.mark.parametrize(
    "call, aux",
    [
        (
            "RiskCumul(0, 10, {2, 5}, {0.3, 0.6})",
            cumul_aux(0, 10, [2, 5], [0.3, 0.6]),
        ),
        (
            "RiskHistogrm(-1, 3, {1, 2, 1, 5})",
            histogrm_aux(-1, 3, [1, 2, 1, 5]),
        ),
        (
            "RiskGeneral(0, 10, {2, 5}, {1, 3})",
            general_aux(0, 10, [2, 5], [1, 3]),
        ),
    ],
)
def test_piecewise_mean_and_variance_through_a_model(call, aux):
    mean, var = piecewise_moments(aux)
    out = simulated(call)
    n = MOMENT_ITERATIONS
    # The fourth central moment bounded by (max - min)^2 var (a crude,
    # valid bound) gives the standard error of the sample variance.
    x = unpack(aux)[0]
    assert abs(out.mean - mean) <= 4 * np.sqrt(var / n)
    assert abs(out.std**2 - var) <= 4 * np.sqrt((x[-1] - x[0]) ** 2 * var / n)


def test_hypergeo_and_trigen_moments_through_a_model(stats):
    n = MOMENT_ITERATIONS
    for call, dist in [
        ("RiskHypergeo(10, 30, 100)", stats.hypergeom(100, 30, 10)),
        ("RiskTrigen(2, 5, 9, 10, 90)", None),
        (
            "RiskDUniform({1, 2, 5})",
            stats.rv_discrete(values=([1, 2, 5], [1 / 3] * 3)),
        ),
    ]:
        if dist is None:
            low, mode, high = trigen_params(2, 5, 9, 10, 90)
            dist = stats.triang(
                (mode - low) / (high - low), loc=low, scale=high - low
            )
        out = simulated(call)
        mean, var = dist.mean(), dist.var()
        fourth = (dist.stats(moments="k") + 3) * var**2
        assert abs(out.mean - mean) <= 4 * np.sqrt(var / n), call
        assert abs(out.std**2 - var) <= 4 * np.sqrt((fourth - var**2) / n)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            "RiskCumul(0, 10, {5, 2}, {0.3, 0.6})",
            "x value 2 must be greater than x value 1 (5), got 2",
        ),
        (
            "RiskCumul(0, 10, {2, 5}, {0.7, 0.6})",
            "p value 2 must not be less than p value 1, got 0.6 after 0.7",
        ),
        (
            "RiskCumul(0, 10, {2, 5}, {0.3, 1.5})",
            "p value 2 must lie between 0 and 1, got 1.5",
        ),
        (
            "RiskCumul(0, 10, {2, 5}, {0.3})",
            "x and p must have the same number of elements, got 2 and 1",
        ),
        (
            "RiskCumul(0, a + 1, {2, 5}, {0.3, 0.4})",
            "max must be a number written in the formula",
        ),
        (
            "RiskHistogrm(5, 1, {1})",
            "min must be less than max, got min=5, max=1",
        ),
        ("RiskHistogrm(0, 1, {1, -1})", "p 2 must not be negative, got -1"),
        (
            "RiskGeneral(0, 10, {2, 12}, {1, 3})",
            "x value 2 must be less than max (10), got 12",
        ),
        (
            "RiskGeneral(0, 10, {0, 3}, {1, 3})",
            "x value 1 must be greater than min (0), got 0",
        ),
        ("RiskGeneral(0, 10, {2}, {0})", "p values must not all be 0"),
        (
            "RiskGeneral(-1e200, 1e200, {0}, {1})",
            "max - min must be at most 1e+150, got min=-1e+200, max=1e+200",
        ),
        (
            "RiskHistogrm(-1.7e308, 1.7e308, {1, 1})",
            "max - min must be at most 1e+150, got min=-1.7e+308, "
            "max=1.7e+308",
        ),
        (
            "RiskTrigen(5, 2, 9, 10, 90)",
            "bottom, most likely and top must be in increasing order",
        ),
        (
            "RiskTrigen(2, 5, 9, 90, 10)",
            "0 <= bottom percentile < top percentile",
        ),
        (
            "RiskHypergeo(10, 30, 20)",
            "D must not exceed the population M (20), got 30",
        ),
        ("RiskHypergeo(10.5, 3, 20)", "n must be a whole number, got 10.5"),
        (
            "RiskHypergeo(10, 3, 2e7)",
            "M must be at most 10000000, got 20000000",
        ),
        ("RiskDUniform(3)", "values must be an array constant of numbers"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(call, message):
    model = {"cells": {"x": "=" + call, "a": "=3"}, "outputs": ["x"]}
    with pytest.raises(ModelError) as caught:
        mcengine.simulate(model, iterations=10)
    assert message in str(caught.value)
