"""Truncation (RiskTruncate, RiskTruncateP) and RiskShift, against
independent oracles.

Oracles and tolerances:
- Normal: the truncated quantile Phi^-1(Phi(a) + p (Phi(b) - Phi(a))) by
  bisection in mpmath at 60 digits (mpmath has no underflow, and an
  interval in the upper half is mirrored so that 1 - Phi never rounds).
  Relative error at most 1e-13 (measured: 3.2e-15), against max(|z|, 1).
- Other continuous kinds: scipy's ppf(cdf(lo) + p (cdf(hi) - cdf(lo))),
  relative error at most 1e-9: the bounds' probabilities are found by
  bisection of the core's own quantile, so the core's quantile error
  (up to 1e-11 relative for tabulated kinds, test_quantiles.py) carries
  over, amplified where the density is steep; 1e-9 leaves room for that.
- Discrete kinds: exact. For every p the truncated quantile q lies in
  [lo, hi], its truncated CDF reaches p and the previous support point's
  does not (scipy's cdf, on a grid kept 1e-9 away from the jumps).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mcengine
from mcengine import _core
from mcengine.engine.simulate import sample
from mcengine.model import ModelError
from tests.core.oracle import KINDS

mp = pytest.importorskip("mpmath")

VALUES, PROBS = 1, 2
P = np.concatenate(
    [
        np.logspace(-12, -1, 12),
        np.linspace(0.05, 0.95, 19),
        1 - np.logspace(-12, -1, 12),
    ]
)


def truncated(kind, params, lo, hi, u, mode=VALUES, aux=None):
    return _core.quantile(
        KINDS[kind], params, np.asarray(u, float), aux, (mode, lo, hi)
    )


def _mp(x: float):
    return mp.mpf(x) if math.isfinite(x) else (mp.inf if x > 0 else -mp.inf)


def normal_reference(a: float, b: float, p) -> float:
    """z with Phi(z) = Phi(a) + p (Phi(b) - Phi(a)), by bisection."""
    if a + b > 0:
        return -normal_reference(-b, -a, 1 - mp.mpf(p))
    with mp.workdps(60):
        fa, fb = mp.ncdf(_mp(a)), mp.ncdf(_mp(b))
        target = fa + mp.mpf(p) * (fb - fa)
        lo = _mp(a) if math.isfinite(a) else mp.mpf(-60)
        hi = _mp(b) if math.isfinite(b) else mp.mpf(60)
        for _ in range(64):  # 120 / 2^64 < 1e-17
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if mp.ncdf(mid) < target else (lo, mid)
        return float((lo + hi) / 2)


NORMAL_INTERVALS = [
    (-2, 2),
    (38, math.inf),
    (-math.inf, -40),
    (60, 60.5),
    (-1e-3, 2),
    (5, 6),
    (-math.inf, 0.5),
    (-10, -9),
    (8, math.inf),
    (-3, math.inf),
    (-25, -24.9),
]


@pytest.mark.parametrize("a, b", NORMAL_INTERVALS)
def test_truncated_normal_against_mpmath(a, b):
    got = truncated("NORMAL", [0, 1], a, b, P)
    want = np.array([normal_reference(a, b, p) for p in P])
    error = np.abs(got - want) / np.maximum(np.abs(want), 1)

    assert error.max() <= 1e-13
    assert np.all((got >= a) & (got <= b))


def test_far_tail_of_the_standard_normal():
    """The issue's case: [38, inf) gives finite values just above 38."""
    u = np.linspace(1e-9, 1 - 1e-9, 1001)
    got = truncated("NORMAL", [0, 1], 38, math.inf, u)

    assert np.all(np.isfinite(got)) and got.min() >= 38 and got.max() < 39
    assert np.all(np.diff(got) > 0)


def test_normal_bounds_are_values_not_z_scores():
    """The issue's case: Normal(100, 25) truncated to [50, 150] has its
    0.218418 quantile at 81.63 (to the two decimals given)."""
    (got,) = truncated("NORMAL", [100, 25], 50, 150, [0.218418])
    assert round(got, 2) == 81.63


@pytest.mark.parametrize(
    "kind, params, lo, hi",
    [
        ("LOGNORM", [10, 5], 5, 20),
        ("LOGNORM2", [0, 1], 0, 0.5),
        ("LOGNORM", [10, 5], 200, math.inf),
    ],
)
def test_lognormals_truncate_on_the_log_scale(kind, params, lo, hi):
    """Exact relation: a lognormal truncated to [lo, hi] is e^(mu + sigma
    z) with z the normal truncated to the logarithms' z-interval."""
    if kind == "LOGNORM":
        s2 = math.log1p((params[1] / params[0]) ** 2)
        mu, sigma = math.log(params[0]) - s2 / 2, math.sqrt(s2)
    else:
        mu, sigma = params
    za = (math.log(lo) - mu) / sigma if lo > 0 else -math.inf
    zb = (math.log(hi) - mu) / sigma
    got = truncated(kind, params, lo, hi, P)
    want = np.exp(
        mu + sigma * np.array([normal_reference(za, zb, p) for p in P])
    )

    assert np.max(np.abs(got - want) / want) <= 1e-12
    assert np.all((got >= lo) & (got <= hi))


CONTINUOUS = [
    ("EXPON", [2], 1, 3, lambda s: s.expon(scale=2)),
    (
        "WEIBULL",
        [1.5, 2],
        0.5,
        math.inf,
        lambda s: s.weibull_min(1.5, scale=2),
    ),
    ("GAMMA", [2, 3], 1, 10, lambda s: s.gamma(2, scale=3)),
    ("BETA", [2, 5], 0.1, 0.3, lambda s: s.beta(2, 5)),
    ("LOGISTIC", [0, 1], -1, 4, lambda s: s.logistic()),
    ("STUDENT", [5], -math.inf, -2, lambda s: s.t(5)),
    ("CAUCHY", [0, 1], -1, 1, lambda s: s.cauchy()),
    ("TRIANG", [0, 1, 10], 2, 8, lambda s: s.triang(0.1, scale=10)),
    ("UNIFORM", [0, 10], 2.5, 3, lambda s: s.uniform(0, 10)),
    # RiskLaplace(mu, sigma) takes the standard deviation: scale sigma/sqrt 2.
    ("LAPLACE", [0, 1], 1, math.inf, lambda s: s.laplace(scale=0.5**0.5)),
    ("INVGAUSS", [2, 3], 1, 4, lambda s: s.invgauss(2 / 3, scale=3)),
]


@pytest.mark.parametrize(
    "kind, params, lo, hi, ref", CONTINUOUS, ids=[c[0] for c in CONTINUOUS]
)
def test_truncated_continuous_against_scipy(stats, kind, params, lo, hi, ref):
    """Values within 1e-9 up to p = 1 - 1e-6; beyond, where the uniform
    F(lo) + p (F(hi) - F(lo)) is within 1e-6 of 1 and so carries an
    absolute rounding of 2^-53, the test is in probability: the truncated
    survival of the value is 1 - p within 1e-15 / (F(hi) - F(lo)) plus
    1e-9 relative."""
    dist = ref(stats)
    fa, fb = dist.cdf(lo), dist.cdf(hi)
    mass = fb - fa
    want = dist.ppf(fa + P * mass)
    got = truncated(kind, params, lo, hi, P)
    body = P <= 1 - 1e-6
    survival = (dist.sf(got) - dist.sf(hi)) / mass

    assert np.all((got >= lo) & (got <= hi))
    error = np.abs(got - want) / np.maximum(np.abs(want), 1)
    assert np.max(error[body]) <= 1e-9
    allowed = 1e-15 / mass + 1e-9 * (1 - P)
    assert np.all(np.abs(survival - (1 - P)) <= allowed)


DISCRETE = [
    ("POISSON", [3], 2.5, 6, lambda s: s.poisson(3)),
    ("BINOMIAL", [16, 0.75], 10, 14, lambda s: s.binom(16, 0.75)),
    ("BINOMIAL", [16, 0.75], -math.inf, 11, lambda s: s.binom(16, 0.75)),
    ("NEGBIN", [3, 0.4], 2, math.inf, lambda s: s.nbinom(3, 0.4)),
    ("GEOMET", [0.2], 1, 9, lambda s: s.geom(0.2, loc=-1)),
    ("HYPERGEO", [10, 7, 20], 3, 5, lambda s: s.hypergeom(20, 7, 10)),
    ("INTUNIFORM", [1, 5], 2, 4, lambda s: s.randint(1, 6)),
    ("BERNOULLI", [0.3], 0.5, 1, lambda s: s.bernoulli(0.3)),
]


@pytest.mark.parametrize(
    "kind, params, lo, hi, ref",
    DISCRETE,
    ids=[f"{c[0]}{c[2:4]}" for c in DISCRETE],
)
def test_truncated_discrete_is_exact(stats, kind, params, lo, hi, ref):
    dist = ref(stats)
    below = dist.cdf(math.ceil(lo) - 1) if math.isfinite(lo) else 0.0
    mass = dist.cdf(hi) - below

    def cdf_t(x):
        return (dist.cdf(x) - below) / mass

    grid = np.linspace(1e-6, 1 - 1e-6, 2001)
    jumps = cdf_t(np.arange(-1, 60))
    grid = grid[np.min(np.abs(grid[:, None] - jumps[None, :]), axis=1) > 1e-9]
    got = truncated(kind, params, lo, hi, grid)

    assert np.all((got >= lo) & (got <= hi))
    assert np.all(got == np.round(got))
    assert np.all(cdf_t(got) >= grid)
    assert np.all(cdf_t(got - 1) < grid)


def test_truncate_p_is_the_quantile_on_the_sub_interval():
    """RiskTruncateP(a, b) at u is the quantile at a + u (b - a): equal to
    4e-15 relative (the core may fuse that multiply-add, NumPy does not,
    so the uniforms differ by an ulp); exact for a discrete kind away from
    its jumps."""
    u = np.linspace(0.001, 0.999, 999)
    for kind, params in (
        ("NORMAL", [5, 2]),
        ("GAMMA", [2, 3]),
        ("POISSON", [4]),
    ):
        got = truncated(kind, params, 0.2, 0.9, u, mode=PROBS)
        want = _core.quantile(KINDS[kind], params, 0.2 + u * (0.9 - 0.2))
        assert np.allclose(got, want, rtol=4e-15, atol=0), kind


def test_binomial_at_the_known_trap_is_consistent():
    """Binomial(16, 0.75) at p = 0.95, through RiskTruncateP(0, 1)
    (the whole distribution) and plain: the same value, 15, whose CDF
    is >= 0.95 while 14's is not."""
    plain = _core.quantile(KINDS["BINOMIAL"], [16, 0.75], np.array([0.95]))
    whole = truncated("BINOMIAL", [16, 0.75], 0, 1, [0.95], mode=PROBS)

    assert plain[0] == whole[0] == 15


def test_invalid_truncations_give_num_errors():
    u = np.array([0.5])
    assert np.isnan(truncated("NORMAL", [0, 1], 3, 2, u))[0]
    assert np.isnan(truncated("NORMAL", [0, 1], -0.1, 0.5, u, mode=PROBS))[0]
    assert np.isnan(truncated("POISSON", [3], 3.2, 3.8, u))[0]
    assert np.isnan(truncated("NORMAL", [0, -1], 0, 1, u))[0]


# Simulated moments: a truncated normal's mean and sd have closed forms
# (Johnson, Kotz and Balakrishnan); checked within 4 standard errors.
def test_truncated_normal_moments_in_a_simulation():
    n = 200_000
    model = {
        "cells": {"x": "=RiskNormal(100, 25, RiskTruncate(50, 150))"},
        "outputs": ["x"],
    }
    out = mcengine.simulate(model, iterations=n, seed=9).outputs["x"]
    a, b = -2.0, 2.0
    pdf = [math.exp(-t * t / 2) / math.sqrt(2 * math.pi) for t in (a, b)]
    mass = math.erf(b / math.sqrt(2))
    mean = 100 + 25 * (pdf[0] - pdf[1]) / mass
    var = 625 * (1 + (a * pdf[0] - b * pdf[1]) / mass)

    assert abs(out.mean - mean) <= 4 * math.sqrt(var / n)
    assert out.min >= 50 and out.max <= 150


def test_equal_bounds_keep_a_discrete_point():
    """Exact: [5, 5] holds IntUniform(1, 10)'s 5, so every sample is 5;
    and a missing parameter is reported once, not again as a truncation."""
    model = {
        "cells": {"x": "=RiskIntUniform(1, 10, RiskTruncate(5, 5))"},
        "outputs": ["x"],
    }
    assert np.all(sample(model, iterations=200, seed=3)["x"] == 5)
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(
            {
                "cells": {"x": "=RiskNormal(0, , RiskTruncate(1, 2))"},
                "outputs": ["x"],
            },
            iterations=10,
        )
    (violation,) = raised.value.violations
    assert "sd must be greater than 0" in violation.description


def test_cost_estimate_counts_truncations_that_vary():
    """A truncation recomputed per iteration costs about 130 quantiles;
    validation's estimate says so rather than promising milliseconds."""
    from mcengine.model import compile_model

    varying = compile_model(
        {
            "cells": {
                "a": "=RiskUniform(1, 5)",
                "x": "=RiskInvgauss(a, 3, RiskTruncate(a, a + 1))",
            },
            "outputs": ["x"],
        }
    )
    fixed = compile_model(
        {
            "cells": {"x": "=RiskNormal(0, 1, RiskTruncate(1, 2))"},
            "outputs": ["x"],
        }
    )
    assert varying.estimate_seconds(1_000_000) > 100
    assert fixed.estimate_seconds(1_000_000) < 1


def test_shift_adds_to_the_value_after_truncation():
    """Exact: the shifted cell is the unshifted one plus the shift (the
    same stream, so the same draws), and the truncation bounds are in the
    variable's own units."""
    plain = {
        "cells": {"x": "=RiskExpon(2, RiskTruncate(1, 3))"},
        "outputs": ["x"],
    }
    shifted = {
        "cells": {"x": "=RiskExpon(2, RiskTruncate(1, 3), RiskShift(10))"},
        "outputs": ["x"],
    }
    x = sample(plain, iterations=5000, seed=4)["x"]
    y = sample(shifted, iterations=5000, seed=4)["x"]

    assert np.array_equal(y, x + 10)
    assert y.min() >= 11 and y.max() <= 13


def test_formula_bounds_vary_per_iteration():
    """Bounds that are formulas are read per iteration: x in [0, b] with b
    itself random."""
    cells = {
        "b": "=RiskUniform(1, 2)",
        "x": "=RiskNormal(0, 1, RiskTruncate(0, b))",
        "ok": "=AND(x >= 0, x <= b)",
    }
    values = sample(
        {"cells": cells, "outputs": ["ok", "x"]}, iterations=5000, seed=4
    )

    assert np.all(values["ok"] == 1)


@pytest.mark.parametrize(
    "formula, words",
    [
        ("=RiskPoisson(3, RiskTruncate(3.2, 3.8))", "holds no probability"),
        ("=RiskExpon(1, RiskTruncate(800,))", "under about 1e-16"),
        ("=RiskNormal(0, 1, RiskTruncate(3, 2))", "needs min <= max"),
        ("=RiskNormal(0, 1, RiskTruncate(2, 2))", "holds no probability"),
        (
            "=RiskNormal(0, 1, RiskTruncate(#N/A, 2))",
            "minimum is the error #N/A",
        ),
        (
            '=RiskNormal(0, 1, RiskTruncate(1, "a"))',
            "maximum is the error #VALUE!",
        ),
        ('=RiskNormal(0, 1, RiskShift("a"))', "shift is the error #VALUE!"),
        ("=RiskNormal(0, 1, RiskShift(SQRT(-1)))", "shift is the error #NUM!"),
        (
            "=RiskNormal(0, 1, RiskTruncateP(-0.1, 0.5))",
            "0 <= pmin < pmax <= 1",
        ),
        ("=RiskNormal(0, 1, RiskTruncate(,))", "at least one bound"),
        # 1e-15 of probability in the upper tail: three values, mean z -100
        ("=RiskPoisson(40, RiskTruncate(100,))", "only a few distinct values"),
        ("=RiskGamma(2, 1, RiskTruncate(40, 41))", "only a few distinct"),
        ("=RiskTriang(0, 1, 2, RiskTruncateP(0.9999999999999, 1))", "a few"),
        ("=RiskNormal(0, 1, RiskTruncate(1))", "takes 2 arguments"),
        ("=RiskNormal(0, 1, 5)", "only RiskTruncate"),
        ("=RiskNormal(0, 1, RiskShift(1), RiskShift(2))", "given twice"),
        (
            "=RiskNormal(0, 1, RiskTruncate(1, 2), RiskTruncateP(0.1, 0.2))",
            "not two",
        ),
        ("=RiskTruncate(1, 2)", "inside a distribution"),
    ],
)
def test_bad_truncations_are_refused_naming_the_cell(formula, words):
    with pytest.raises(ModelError) as raised:
        mcengine.simulate(
            {"cells": {"x": formula}, "outputs": ["x"]}, iterations=10
        )
    (violation,) = raised.value.violations

    assert violation.field == "cells.x" and words in violation.description


U_MIN_BITS, U_MAX_BITS = 0x0010000000000000, 0x3FEFFFFFFFFFFFFF


def bits_to_float(bits: int) -> float:
    return float(np.array([bits], np.uint64).view(np.float64)[0])


def bisected(kind, params, x, inclusive):
    """The largest u in [2^-1022, 1 - 2^-53] with Q(u) < x (<= x when
    inclusive), by bisection over the bits of u with the core's own
    quantile: what the core did for every kind before counting kinds
    read it from F."""

    def below(bits):
        v = _core.quantile(
            KINDS[kind], params, np.array([bits_to_float(bits)])
        )[0]
        return v <= x if inclusive else v < x

    if not below(U_MIN_BITS):
        return 0.0
    if below(U_MAX_BITS):
        return 1.0
    yes, no = U_MIN_BITS, U_MAX_BITS
    while no - yes > 1:
        mid = yes + (no - yes) // 2
        yes, no = (mid, no) if below(mid) else (yes, mid)
    return bits_to_float(yes)


COUNTED = [
    ("POISSON", [3], [2.5, 6, 0, 3, 20, 1e-9]),
    ("POISSON", [40], [30, 50, 40, 39.5, 90, 5]),
    ("BINOMIAL", [16, 0.75], [10, 14, 16, 0, 11.5, 15.99]),
    ("BINOMIAL", [1000, 0.001], [0, 1, 2, 7, 999]),
    ("NEGBIN", [3, 0.4], [2, 0, 30, 7.25]),
    ("GEOMET", [0.2], [1, 9, 0, 200]),
    ("GEOMET", [1e-5], [10, 69314, 3e6]),
    ("HYPERGEO", [10, 7, 20], [3, 5, 0, 7, 4.5]),
    ("HYPERGEO", [400, 900, 1000], [300, 310, 360, 399.5, 400]),
]


@pytest.mark.parametrize(
    "kind, params, bounds", COUNTED, ids=[f"{c[0]}{c[1]}" for c in COUNTED]
)
def test_counting_bounds_from_f_equal_the_bisection(kind, params, bounds):
    """For the counting kinds the interval's ends come from F at the
    bounds (two evaluations, not sixty): exactly the u the bisection of the
    quantile finds, for whole and fractional bounds, in both tails and
    at the support's ends."""
    for lo in bounds:
        for hi in bounds:
            if not lo <= hi:
                continue
            got = _core.truncation_interval(
                KINDS[kind], params, VALUES, lo, hi
            )
            a = bisected(kind, params, lo, False)
            b = min(
                bisected(kind, params, hi, True), bits_to_float(U_MAX_BITS)
            )
            assert (got["a"], got["b"], got["ok"]) == (a, b, b > a), (lo, hi)


@pytest.mark.parametrize(
    "formula, lower",
    [
        ("=RiskPoisson(40, RiskTruncate(80,))", 80),
        ("=RiskNormal(0, 1, RiskTruncate(38,))", 38),
    ],
)
def test_upper_tails_the_uniforms_resolve_are_still_sampled(formula, lower):
    """The refusal above is for intervals under 2^-40 in the upper tail
    only: Poisson(40) above 80 (1e-8 of probability) is sampled, spread
    over several values, and the normal kinds, which work on z, reach any
    tail."""
    result = mcengine.simulate(
        {"cells": {"x": formula}, "outputs": ["x"]}, iterations=1000, seed=1
    )
    x = result.outputs["x"]
    assert x.errors == 0 and lower <= x.min < x.max
