"""The distributions beyond the foundation's: Beta, Logistic, LogLogistic,
Student, ChiSq, Erlang, Pareto, Pareto2, ExtValue, ExtValueMin, Rayleigh,
Laplace, Cauchy, Geomet and NegBin, with @RISK's names and parameter order.

Oracles: scipy.stats' ppf (continuous), except LogLogistic, whose scipy ppf
(fisk) loses digits as u nears 1 (it forms 1/u - 1), so its reference is
the exact formula gamma + beta (u / (1 - u))^(1 / alpha) with the ratio in
rational arithmetic; exact rational distribution functions (discrete
steps); and for the moments, scipy's mean and variance. Tolerances:
- REL_CLOSED 5e-14 for closed forms (measured 3.7e-15, Pareto(0.5, 3)),
  REL_SOLVED 1e-12 for those solved by Halley's method on the incomplete
  beta or gamma function (measured 1.8e-13, Student(2.5)), REL_TABLE 1e-11
  through an inversion table (measured 2.6e-12, Erlang(3, 2)); relative to
  max(|x|, floor) with the scale as floor where quantiles pass through 0.
- Moments from 200,000 iterations of a model: the sample mean within 4
  standard errors of the mean, the sample variance within 4 standard errors
  of the variance (its standard error from the fourth moment), so each
  check fails by chance about once in 16,000 runs; the seed is fixed.
"""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

import mcengine
from mcengine import _core
from mcengine.model.distributions import DISTRIBUTIONS, parameter_error
from tests.core.oracle import (
    GRID,
    KINDS,
    REL_CLOSED,
    REL_SOLVED,
    REL_TABLE,
    case_id,
    quantile,
    worst_error,
    worst_table_error,
)

MOMENT_ITERATIONS = 200_000


class LogLogisticExact:
    """gamma + beta (u / (1 - u))^(1 / alpha), the ratio exact."""

    def __init__(self, gamma, beta, alpha):
        self.gamma, self.beta, self.alpha = gamma, beta, alpha

    def ppf(self, u):
        ratios = [float(Fraction(v) / (1 - Fraction(v))) for v in u]
        return self.gamma + self.beta * np.power(ratios, 1 / self.alpha)


# (kind, parameters, reference, tolerance, floor of |x|)
CONTINUOUS = [
    ("BETA", [2, 3], lambda st: st.beta(2, 3), REL_SOLVED, 0),
    ("BETA", [0.5, 0.5], lambda st: st.beta(0.5, 0.5), REL_SOLVED, 0),
    ("BETA", [0.2, 5], lambda st: st.beta(0.2, 5), REL_SOLVED, 0),
    ("LOGISTIC", [1, 2], lambda st: st.logistic(1, 2), REL_CLOSED, 2),
    ("LOGISTIC", [-5, 0.1], lambda st: st.logistic(-5, 0.1), REL_CLOSED, 0.1),
    (
        "LOGLOGISTIC",
        [0, 1, 3],
        lambda st: LogLogisticExact(0, 1, 3),
        REL_CLOSED,
        0,
    ),
    (
        "LOGLOGISTIC",
        [5, 2, 0.5],
        lambda st: LogLogisticExact(5, 2, 0.5),
        REL_CLOSED,
        0,
    ),
    ("STUDENT", [5], lambda st: st.t(5), REL_SOLVED, 1),
    ("STUDENT", [1], lambda st: st.t(1), REL_SOLVED, 1),
    ("STUDENT", [0.5], lambda st: st.t(0.5), REL_SOLVED, 1),
    ("STUDENT", [2.5], lambda st: st.t(2.5), REL_SOLVED, 1),
    ("STUDENT", [100], lambda st: st.t(100), REL_SOLVED, 1),
    ("CHISQ", [3], lambda st: st.chi2(3), REL_SOLVED, 0),
    ("CHISQ", [0.5], lambda st: st.chi2(0.5), REL_SOLVED, 0),
    ("CHISQ", [50], lambda st: st.chi2(50), REL_SOLVED, 0),
    ("ERLANG", [3, 2], lambda st: st.gamma(3, scale=2), REL_SOLVED, 0),
    ("ERLANG", [1, 0.5], lambda st: st.gamma(1, scale=0.5), REL_SOLVED, 0),
    ("PARETO", [2, 1], lambda st: st.pareto(2), REL_CLOSED, 0),
    ("PARETO", [0.5, 3], lambda st: st.pareto(0.5, scale=3), REL_CLOSED, 0),
    ("PARETO2", [1, 2], lambda st: st.lomax(2), REL_CLOSED, 0),
    ("PARETO2", [3, 0.7], lambda st: st.lomax(0.7, scale=3), REL_CLOSED, 0),
    ("EXTVALUE", [0, 1], lambda st: st.gumbel_r(0, 1), REL_CLOSED, 1),
    ("EXTVALUE", [10, 3], lambda st: st.gumbel_r(10, 3), REL_CLOSED, 3),
    ("EXTVALUEMIN", [0, 1], lambda st: st.gumbel_l(0, 1), REL_CLOSED, 1),
    (
        "EXTVALUEMIN",
        [-2, 0.5],
        lambda st: st.gumbel_l(-2, 0.5),
        REL_CLOSED,
        0.5,
    ),
    ("RAYLEIGH", [1], lambda st: st.rayleigh(), REL_CLOSED, 0),
    ("RAYLEIGH", [4], lambda st: st.rayleigh(scale=4), REL_CLOSED, 0),
    ("LAPLACE", [0, 1], lambda st: st.laplace(0, 2**-0.5), REL_CLOSED, 1),
    ("LAPLACE", [3, 2], lambda st: st.laplace(3, 2**0.5), REL_CLOSED, 2),
    ("CAUCHY", [0, 1], lambda st: st.cauchy(), REL_CLOSED, 1),
    ("CAUCHY", [2, 0.5], lambda st: st.cauchy(2, 0.5), REL_CLOSED, 0.5),
]
TABLED = [case for case in CONTINUOUS if _core.has_table(KINDS[case[0]])]


@pytest.mark.parametrize("case", CONTINUOUS, ids=case_id)
def test_quantiles_match_the_reference(stats, case):
    """Each quantile agrees with its reference to its tolerance."""
    assert worst_error(stats, case) <= case[3]


@pytest.mark.parametrize("case", TABLED, ids=case_id)
def test_tabled_quantiles_match_the_reference(stats, case):
    """Through the inversion table, within REL_TABLE."""
    assert worst_table_error(stats, case) <= REL_TABLE


def negbin_cdf(s, p, k):
    """Exact P(X <= k) failures before the s-th success, p rational."""
    p = Fraction(p)
    return sum(comb(j + s - 1, j) * p**s * (1 - p) ** j for j in range(k + 1))


def nudged(step):
    """Doubles 1e-12 of the smaller tail (at least 2^-50) either side."""
    gap = max(min(step, 1 - step) * Fraction(1, 10**12), Fraction(1, 2**50))
    return float(step - gap), float(step + gap)


@pytest.mark.parametrize(
    "kind, params, s, p, ks",
    [
        ("GEOMET", [0.3], 1, 0.3, range(60)),
        ("GEOMET", [0.875], 1, 0.875, range(15)),
        ("NEGBIN", [3, 0.4], 3, 0.4, range(50)),
        ("NEGBIN", [10, 0.75], 10, 0.75, range(30)),
    ],
)
def test_counting_quantiles_are_exact_next_to_each_step(
    kind, params, s, p, ks
):
    """Just below F(k) the quantile is k, just above it k + 1: so F(q) >= u
    always holds, and the lower and upper tails agree."""
    for k in ks:
        step = negbin_cdf(s, p, k)
        below, above = nudged(step)
        got = quantile(kind, params, [below, above])
        assert got[0] == k
        assert above >= 1 or got[1] == k + 1


def test_geomet_with_certain_success_is_zero():
    assert np.all(quantile("GEOMET", [1], GRID) == 0)
    assert np.all(quantile("NEGBIN", [4, 1], GRID) == 0)


# (function call, scipy distribution); each has a finite fourth moment.
MOMENTS = [
    ("RiskBeta(2, 3)", lambda st: st.beta(2, 3)),
    ("RiskLogistic(1, 2)", lambda st: st.logistic(1, 2)),
    ("RiskLoglogistic(5, 2, 6)", lambda st: st.fisk(6, loc=5, scale=2)),
    ("RiskStudent(7)", lambda st: st.t(7)),
    ("RiskChiSq(3)", lambda st: st.chi2(3)),
    ("RiskErlang(3, 2)", lambda st: st.gamma(3, scale=2)),
    ("RiskPareto(6, 1)", lambda st: st.pareto(6)),
    ("RiskPareto2(3, 7)", lambda st: st.lomax(7, scale=3)),
    ("RiskExtValue(10, 3)", lambda st: st.gumbel_r(10, 3)),
    ("RiskExtValueMin(-2, 0.5)", lambda st: st.gumbel_l(-2, 0.5)),
    ("RiskRayleigh(4)", lambda st: st.rayleigh(scale=4)),
    ("RiskLaplace(3, 2)", lambda st: st.laplace(3, 2**0.5)),
    ("RiskGeomet(0.3)", lambda st: st.geom(0.3, loc=-1)),
    ("RiskNegbin(3, 0.4)", lambda st: st.nbinom(3, 0.4)),
]


@pytest.mark.parametrize("call, ref", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_simulated_mean_and_variance_match(stats, call, ref):
    """Through a model: mean and variance within 4 standard errors."""
    model = {"cells": {"x": "=" + call}, "outputs": ["x"]}
    n = MOMENT_ITERATIONS
    out = mcengine.simulate(model, iterations=n, seed=7).outputs["x"]
    dist = ref(stats)
    mean, var = dist.mean(), dist.var()
    fourth = (dist.stats(moments="k") + 3) * var**2
    assert abs(out.mean - mean) <= 4 * np.sqrt(var / n)
    assert abs(out.std**2 - var) <= 4 * np.sqrt((fourth - var**2) / n)


def test_cauchy_median_and_quartiles(stats):
    """Cauchy has no moments: its sample quartiles instead, within 4
    standard errors of an order statistic (sqrt(p (1 - p) / n) / density)."""
    model = {"cells": {"x": "=RiskCauchy(2, 0.5)"}, "outputs": ["x"]}
    n = MOMENT_ITERATIONS
    out = mcengine.simulate(
        model, iterations=n, seed=7, percentiles=[25, 50, 75]
    ).outputs["x"]
    dist = stats.cauchy(2, 0.5)
    for p in (25, 50, 75):
        q = p / 100
        se = np.sqrt(q * (1 - q) / n) / dist.pdf(dist.ppf(q))
        assert abs(out.percentiles[p] - dist.ppf(q)) <= 4 * se


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("RISKBETA", [0, 2], "alpha1 must be greater than 0, got 0"),
        (
            "RISKBETA",
            [2, 2e9],
            "alpha2 must be at most 100000000, got 2000000000",
        ),
        ("RISKLOGISTIC", [0, -1], "beta must be greater than 0, got -1"),
        ("RISKLOGLOGISTIC", [0, 1, 0], "alpha must be greater than 0, got 0"),
        ("RISKSTUDENT", [0], "nu must be greater than 0, got 0"),
        ("RISKCHISQ", [-2], "nu must be greater than 0, got -2"),
        ("RISKERLANG", [2.5, 1], "m must be a whole number, got 2.5"),
        ("RISKPARETO", [2, 0], "alpha must be greater than 0, got 0"),
        ("RISKPARETO2", [0, 2], "b must be greater than 0, got 0"),
        ("RISKEXTVALUE", [0, 0], "beta must be greater than 0, got 0"),
        (
            "RISKRAYLEIGH",
            [float("nan")],
            "beta must be a finite number, got nan",
        ),
        ("RISKLAPLACE", [0, -2], "sigma must be greater than 0, got -2"),
        ("RISKCAUCHY", [0, 0], "beta must be greater than 0, got 0"),
        ("RISKGEOMET", [0], "p must be greater than 0, got 0"),
        ("RISKGEOMET", [1.5], "p must lie between 0 and 1, got 1.5"),
        (
            "RISKGEOMET",
            [1e-9],
            "p is too small: the mean number of failures,"
            " 1 (1 - p) / p, must be at most 10000000, got 999999999 with"
            " p=1e-09",
        ),
        (
            "RISKNEGBIN",
            [1e6, 0.0909],
            "p is too small: the mean number of failures,"
            " s (1 - p) / p, must be at most 10000000, got 10001100.110011"
            " with p=0.0909",
        ),
        ("RISKNEGBIN", [2.5, 0.5], "s must be a whole number, got 2.5"),
        ("RISKNEGBIN", [0, 0.5], "s must be greater than 0, got 0"),
    ],
)
def test_invalid_parameters_are_refused_by_name(name, params, message):
    assert parameter_error(DISTRIBUTIONS[name], params) == message


def test_invalid_parameters_sample_as_num_error():
    got = quantile("GEOMET", [1e-9], [0.5])
    bits = got.view(np.uint64)
    assert np.isnan(got[0]) and bits[0] & np.uint64(7) == 6


# InvGauss's oracle is mpmath at 40 digits: scipy's ppf (Boost's solver)
# misses by up to 3e-5 relative in the upper tail (InvGauss(2, 5) at
# 1 - 1e-12). For each u, the exact F (or 1 - F above 1/2) at our quantile
# q gives its error in x, (F(q) - u) / f(q), to first order. Tolerance
# REL_INVGAUSS: measured 1.2e-12 (InvGauss(1, 0.01) at u = 0.9998, where
# 1 - F is a difference of two terms 200 times its size).
REL_INVGAUSS = 5e-12
INVGAUSS = [
    (1, 1),
    (2, 5),
    (1, 0.01),
    (3, 1000),
    (0.5, 1e5),
    (10, 0.3),
    (1, 1e8),
    (1e-3, 2e-3),
]


def invgauss_x_error(mp, x, u, mu, lam) -> float:
    x, mu, lam, u = mp.mpf(x), mp.mpf(mu), mp.mpf(lam), mp.mpf(u)
    r = mp.sqrt(lam / x)
    z1, z2 = r * (x / mu - 1), r * (x / mu + 1)
    term = mp.exp(2 * lam / mu) * mp.ncdf(-z2)
    density = r * mp.npdf(z1) / x
    if u > 0.5:
        residual = (1 - u) - (mp.ncdf(-z1) - term)
    else:
        residual = mp.ncdf(z1) + term - u
    return float(abs(residual / density) / x)


@pytest.mark.parametrize("mu, lam", INVGAUSS)
def test_invgauss_quantiles_match_mpmath(mu, lam):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    got = quantile("INVGAUSS", [mu, lam], GRID)
    worst = max(invgauss_x_error(mp, x, u, mu, lam) for x, u in zip(got, GRID))
    assert worst <= REL_INVGAUSS


def test_invgauss_moments_through_a_model(stats):
    """Mean mu, variance mu^3 / lambda, within 4 standard errors."""
    model = {"cells": {"x": "=RiskInvgauss(2, 5)"}, "outputs": ["x"]}
    n = MOMENT_ITERATIONS
    out = mcengine.simulate(model, iterations=n, seed=7).outputs["x"]
    dist = stats.invgauss(2 / 5, scale=5)
    mean, var = dist.mean(), dist.var()
    fourth = (dist.stats(moments="k") + 3) * var**2
    assert (mean, var) == pytest.approx((2, 8 / 5))
    assert abs(out.mean - mean) <= 4 * np.sqrt(var / n)
    assert abs(out.std**2 - var) <= 4 * np.sqrt((fourth - var**2) / n)


@pytest.mark.parametrize(
    "params, message",
    [
        ([0, 1], "mu must be greater than 0, got 0"),
        ([1, -2], "lambda must be greater than 0, got -2"),
    ],
)
def test_invgauss_parameters_are_checked(params, message):
    spec = DISTRIBUTIONS["RISKINVGAUSS"]
    assert parameter_error(spec, params) == message
