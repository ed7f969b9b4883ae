"""Quantile functions of the distributions: accuracy, limits and checks.

References are scipy.stats' ppf (continuous), exact rational or decimal
arithmetic (discrete steps), and the definitions. The grid GRID runs from
1e-12 to 1 - 1e-12: log-spaced in both tails plus a uniform grid.
Tolerances, each with the largest error measured on this grid when set:
- REL_CLOSED 5e-14: closed forms (normal, lognormal, uniform, triangular,
  exponential, Weibull); measured 1.3e-14 (Weibull with shape 0.3, whose
  power 1/0.3 multiplies the error of the logarithm). The normal alone is
  held to REL_NORMAL 2e-15 (AS 241; measured 9e-16).
- REL_SOLVED 1e-12: Pert, BetaGeneral and Gamma solved exactly by Halley's
  method; measured 4.2e-13 (Gamma with shape 0.01).
- REL_TABLE 1e-11: the same through an inversion table; measured 3.0e-12.
  The table's own measured errors are held to TABLE_X (relative x) and
  TABLE_U (relative u), and scipy's cdf at the table's quantiles to
  TABLE_U too (measured 1.1e-10 for Gamma(1e4), whose narrow shape turns
  4e-13 in x into 1e-10 in the tail probability).
Relative errors are taken against max(|x|, floor): the floor, where given,
is the distribution's scale, for quantiles that pass through 0.
"""

from decimal import Decimal, getcontext
from fractions import Fraction
from math import comb

import numpy as np
import pytest

from mcengine import _core
from mcengine.model.distributions import (
    DISTRIBUTIONS,
    discrete_aux,
    general_aux,
    histogrm_aux,
    parameter_error,
    table_for,
)
from tests.core.oracle import (
    GRID,
    KINDS,
    REL_CLOSED,
    REL_NORMAL,
    REL_SOLVED,
    REL_TABLE,
    case_id,
    quantile,
    worst_error,
    worst_table_error,
)

RULES = _core.param_rules()
STRIDE = _core.PARAM_INDEX_STRIDE
EXTREME_U = np.array([2.0**-54, 1e-12, 0.5, 1 - 1e-12, 1 - 2.0**-53])
TABLE_X, TABLE_U = 1e-11, 2e-10


def lognorm_of(st, mean, sd):
    """scipy's lognormal with the given mean and sd of the variable."""
    ratio = 1 + (sd / mean) ** 2
    return st.lognorm(np.sqrt(np.log(ratio)), scale=mean / np.sqrt(ratio))


def pert_of(st, lo, mode, hi):
    """@RISK's Pert as scipy's scaled beta."""
    r = hi - lo
    return st.beta(
        1 + 4 * (mode - lo) / r, 1 + 4 * (hi - mode) / r, loc=lo, scale=r
    )


# (kind, parameters, scipy distribution, tolerance, floor of |x|)
CONTINUOUS = [
    ("NORMAL", [3, 2], lambda st: st.norm(3, 2), REL_NORMAL, 2),
    ("NORMAL", [1e6, 1e-3], lambda st: st.norm(1e6, 1e-3), REL_NORMAL, 0),
    ("LOGNORM", [10, 3], lambda st: lognorm_of(st, 10, 3), REL_CLOSED, 0),
    ("LOGNORM", [1, 0.01], lambda st: lognorm_of(st, 1, 0.01), REL_CLOSED, 0),
    ("LOGNORM", [2, 20], lambda st: lognorm_of(st, 2, 20), REL_CLOSED, 0),
    (
        "LOGNORM2",
        [0.5, 0.8],
        lambda st: st.lognorm(0.8, scale=np.exp(0.5)),
        REL_CLOSED,
        0,
    ),
    ("UNIFORM", [2, 7], lambda st: st.uniform(2, 5), REL_CLOSED, 0),
    ("UNIFORM", [-5, 5], lambda st: st.uniform(-5, 10), REL_CLOSED, 10),
    ("TRIANG", [1, 2, 6], lambda st: st.triang(0.2, 1, 5), REL_CLOSED, 0),
    ("TRIANG", [1, 1, 6], lambda st: st.triang(0, 1, 5), REL_CLOSED, 0),
    ("TRIANG", [1, 6, 6], lambda st: st.triang(1, 1, 5), REL_CLOSED, 0),
    ("EXPON", [4], lambda st: st.expon(scale=4), REL_CLOSED, 0),
    (
        "WEIBULL",
        [1.5, 2],
        lambda st: st.weibull_min(1.5, scale=2),
        REL_CLOSED,
        0,
    ),
    (
        "WEIBULL",
        [0.3, 2],
        lambda st: st.weibull_min(0.3, scale=2),
        REL_CLOSED,
        0,
    ),
    (
        "PERT",
        [100, 175, 300],
        lambda st: pert_of(st, 100, 175, 300),
        REL_SOLVED,
        0,
    ),
    ("PERT", [0, 0, 1], lambda st: pert_of(st, 0, 0, 1), REL_SOLVED, 0),
    ("PERT", [0, 1, 1], lambda st: pert_of(st, 0, 1, 1), REL_SOLVED, 0),
    ("BETAGENERAL", [2, 3, 0, 1], lambda st: st.beta(2, 3), REL_SOLVED, 0),
    (
        "BETAGENERAL",
        [0.5, 0.5, 0, 1],
        lambda st: st.beta(0.5, 0.5),
        REL_SOLVED,
        0,
    ),
    ("BETAGENERAL", [0.1, 3, 0, 1], lambda st: st.beta(0.1, 3), REL_SOLVED, 0),
    (
        "BETAGENERAL",
        [2, 0.2, -1, 1],
        lambda st: st.beta(2, 0.2, loc=-1, scale=2),
        REL_SOLVED,
        2,
    ),
    (
        "BETAGENERAL",
        [1000, 2000, 0, 1],
        lambda st: st.beta(1000, 2000),
        REL_SOLVED,
        0,
    ),
    ("GAMMA", [2.5, 3], lambda st: st.gamma(2.5, scale=3), REL_SOLVED, 0),
    ("GAMMA", [0.01, 1], lambda st: st.gamma(0.01), REL_SOLVED, 0),
    ("GAMMA", [1, 1], lambda st: st.gamma(1), REL_SOLVED, 0),
    ("GAMMA", [1e4, 1], lambda st: st.gamma(1e4), REL_SOLVED, 0),
]
TABLED = [case for case in CONTINUOUS if case[3] == REL_SOLVED]


def is_num_error(x):
    """True where x is the #NUM! error value (a NaN with payload 6)."""
    bits = np.asarray(x, float).view(np.uint64)
    return np.isnan(x) & (bits & np.uint64(7) == 6)


@pytest.mark.parametrize("case", CONTINUOUS, ids=case_id)
def test_continuous_quantiles_match_scipy(stats, case):
    """Each exact quantile agrees with scipy's ppf to its tolerance."""
    assert worst_error(stats, case) <= case[3]


@pytest.mark.parametrize("case", TABLED, ids=case_id)
def test_table_quantiles_match_scipy(stats, case):
    """Tabulated quantiles agree with scipy's ppf to REL_TABLE."""
    assert worst_table_error(stats, case) <= REL_TABLE


@pytest.mark.parametrize("case", TABLED, ids=case_id)
def test_table_measures_its_error_within_the_stated_bounds(case):
    """A table's recorded errors (measured against the exact inverse at
    the five points per interval where it peaks) are within TABLE_X in x,
    TABLE_U in u."""
    kind, params = case[:2]
    error = _core.table_error(_core.build_table(KINDS[kind], params))
    assert error["x_relative"] <= TABLE_X
    assert error["u_relative"] <= TABLE_U


@pytest.mark.parametrize("case", [c for c in TABLED if c[4] == 0], ids=case_id)
def test_table_inverts_scipys_distribution_function(stats, case):
    """|F(x_table(u)) - u| <= TABLE_U min(u, 1 - u) by scipy's cdf below
    the median (and its sf above it for Gamma), wherever x is a normal
    double: above the median a beta's x near max cannot resolve 1 - F."""
    kind, params, ref = case[:3]
    dist = ref(stats)
    table = _core.build_table(KINDS[kind], params)
    x = quantile(kind, params, GRID, table)
    lower = (GRID <= 0.5) & (x > 1e-300)
    err = np.abs(dist.cdf(x[lower]) - GRID[lower]) / GRID[lower]
    assert err.max() <= TABLE_U
    if kind == "GAMMA":
        upper = GRID > 0.5
        m = 1 - GRID[upper]
        assert (np.abs(dist.sf(x[upper]) - m) / m).max() <= TABLE_U


@pytest.mark.parametrize(
    "kind, params",
    [
        ("PERT", [100, 175, 300]),
        ("GAMMA", [0.3, 2]),
        ("BETAGENERAL", [0.5, 4, 1, 2]),
    ],
)
def test_table_falls_back_to_the_exact_inverse_beyond_its_range(kind, params):
    """Below u = 2^-64, where the table ends, the exact value is served."""
    u = np.array([1e-300, 1e-30, 2.0**-65])
    table = _core.build_table(KINDS[kind], params)
    assert np.array_equal(
        quantile(kind, params, u, table), quantile(kind, params, u)
    )


@pytest.mark.parametrize(
    "name, params",
    [
        ("RISKNORMAL", [0, 1]),
        ("RISKPERT", [2, 2, 2]),
        ("RISKBETAGENERAL", [1, 1, 3, 3]),
        ("RISKDISCRETE", [1, 2, 1, 1]),
    ],
)
def test_only_nondegenerate_beta_and_gamma_get_a_table(name, params):
    """table_for gives None for kinds without a table and point masses."""
    assert table_for(DISTRIBUTIONS[name], params) is None


def test_tables_are_built_once_per_exact_parameters_and_read_only():
    """table_for reuses the table of equal parameters (bit for bit), builds
    another for -0.0 where 0.0 was asked, and hands out read-only arrays."""
    pert = DISTRIBUTIONS["RISKPERT"]
    first = table_for(pert, [0.0, 3.0, 10.0])
    assert table_for(pert, [0, 3, 10]) is first
    assert table_for(pert, [-0.0, 3.0, 10.0]) is not first
    assert not first.flags.writeable
    with pytest.raises(ValueError):
        first[0] = 1.0
    fresh = _core.build_table(KINDS["PERT"], [0.0, 3.0, 10.0])
    assert np.array_equal(first, fresh)


# (kind, parameters, the value every u gives)
DEGENERATE = [
    ("UNIFORM", [3, 3], 3),
    ("TRIANG", [1, 1, 1], 1),
    ("PERT", [2, 2, 2], 2),
    ("BETAGENERAL", [2, 3, 5, 5], 5),
    ("BERNOULLI", [0], 0),
    ("BERNOULLI", [1], 1),
    ("BINOMIAL", [0, 0.3], 0),
    ("BINOMIAL", [10, 0], 0),
    ("BINOMIAL", [10, 1], 10),
    ("POISSON", [0], 0),
    ("INTUNIFORM", [4, 4], 4),
]


@pytest.mark.parametrize("kind, params, value", DEGENERATE)
def test_degenerate_parameters_give_the_limiting_point_mass(
    kind, params, value
):
    """Valid degenerate parameters give their point mass, never NaN."""
    assert _core.check_params(KINDS[kind], params) == 0
    assert quantile(kind, params, EXTREME_U).tolist() == [value] * 5


@pytest.mark.parametrize(
    "kind, params, ends",
    [
        ("TRIANG", [1, 1, 5], (1, 5)),
        ("TRIANG", [1, 5, 5], (1, 5)),
        ("PERT", [0, 0, 1], (0, 1)),
        ("PERT", [0, 1, 1], (0, 1)),
    ],
)
def test_a_mode_at_either_end_stays_inside_the_range(kind, params, ends):
    """Modes at min or max give finite values within [min, max]."""
    x = quantile(kind, params, np.concatenate([EXTREME_U, GRID]))
    assert np.all((x >= ends[0]) & (x <= ends[1]))


# (@RISK name, parameters, rule, index of the parameter named, message)
REJECTED = [
    (
        "RiskUniform",
        [-1e308, 1e308],
        "TOO_WIDE",
        1,
        "max - min must be under 1.8e308, got min=-1e+308, max=1e+308",
    ),
    (
        "RiskTriang",
        [0, 1, 1e160],
        "TOO_WIDE",
        2,
        "max - min must be at most 1e+150, got min=0, max=1e+160",
    ),
    (
        "RiskPert",
        [0, 1e307, 1e308],
        "TOO_WIDE",
        2,
        "max - min must be at most 1e+300, got min=0, max=1e+308",
    ),
    (
        "RiskBetaGeneral",
        [2, 3, -1e301, 1e301],
        "TOO_WIDE",
        3,
        "max - min must be at most 1e+300, got min=-1e+301, max=1e+301",
    ),
    (
        "RiskNormal",
        [0, -1],
        "NOT_POSITIVE",
        1,
        "sd must be greater than 0, got -1",
    ),
    (
        "RiskNormal",
        [0, 0],
        "NOT_POSITIVE",
        1,
        "sd must be greater than 0, got 0",
    ),
    (
        "RiskNormal",
        [float("nan"), 1],
        "NOT_FINITE",
        0,
        "mean must be a finite number, got nan",
    ),
    (
        "RiskLognorm",
        [-1, 1],
        "NOT_POSITIVE",
        0,
        "mean must be greater than 0, got -1",
    ),
    (
        "RiskLognorm2",
        [0, float("inf")],
        "NOT_FINITE",
        1,
        "sigma must be a finite number, got inf",
    ),
    (
        "RiskUniform",
        [5, 1],
        "ORDER",
        0,
        "min must not exceed max, got min=5, max=1",
    ),
    (
        "RiskTriang",
        [1, 7, 5],
        "MODE_RANGE",
        1,
        "mode must lie between min and max, got min=1, mode=7, max=5",
    ),
    (
        "RiskTriang",
        [5, 3, 1],
        "ORDER",
        0,
        "min must not exceed max, got min=5, max=1",
    ),
    (
        "RiskPert",
        [1, 0, 5],
        "MODE_RANGE",
        1,
        "mode must lie between min and max, got min=1, mode=0, max=5",
    ),
    (
        "RiskBetaGeneral",
        [0, 2, 0, 1],
        "NOT_POSITIVE",
        0,
        "alpha1 must be greater than 0, got 0",
    ),
    (
        "RiskBetaGeneral",
        [2, 2, 1, 0],
        "ORDER",
        2,
        "min must not exceed max, got min=1, max=0",
    ),
    (
        "RiskGamma",
        [2, -3],
        "NOT_POSITIVE",
        1,
        "beta must be greater than 0, got -3",
    ),
    (
        "RiskExpon",
        [0],
        "NOT_POSITIVE",
        0,
        "beta must be greater than 0, got 0",
    ),
    (
        "RiskWeibull",
        [-1, 1],
        "NOT_POSITIVE",
        0,
        "alpha must be greater than 0, got -1",
    ),
    (
        "RiskBernoulli",
        [1.5],
        "PROBABILITY",
        0,
        "p must lie between 0 and 1, got 1.5",
    ),
    (
        "RiskBinomial",
        [2.5, 0.5],
        "NOT_INTEGER",
        0,
        "n must be a whole number, got 2.5",
    ),
    (
        "RiskBinomial",
        [-1, 0.5],
        "NEGATIVE",
        0,
        "n must not be negative, got -1",
    ),
    (
        "RiskBinomial",
        [10, -0.1],
        "PROBABILITY",
        1,
        "p must lie between 0 and 1, got -0.1",
    ),
    (
        "RiskBinomial",
        [2e7, 0.5],
        "TOO_LARGE",
        0,
        "n must be at most 10000000, got 20000000",
    ),
    (
        "RiskPoisson",
        [-1],
        "NEGATIVE",
        0,
        "lambda must not be negative, got -1",
    ),
    (
        "RiskIntUniform",
        [1.5, 3],
        "NOT_INTEGER",
        0,
        "min must be a whole number, got 1.5",
    ),
    (
        "RiskIntUniform",
        [5, 1],
        "ORDER",
        0,
        "min must not exceed max, got min=5, max=1",
    ),
    (
        "RiskIntUniform",
        [0, 2.0**52],
        "TOO_LARGE",
        1,
        (
            "max must lie between -2251799813685248 and 2251799813685248, "
            "got 4503599627370496"
        ),
    ),
    (
        "RiskDiscrete",
        [1, 2, 0.5, -1],
        "NEGATIVE",
        4,
        "weight 2 must not be negative, got -1",
    ),
    (
        "RiskDiscrete",
        [1, 2, 0, 0],
        "NO_WEIGHT",
        3,
        "weights must not all be 0",
    ),
    (
        "RiskDiscrete",
        [1, float("nan"), 1, 1],
        "NOT_FINITE",
        2,
        "value 2 must be a finite number, got nan",
    ),
]


def core_params(name, params):
    spec = DISTRIBUTIONS[name.upper()]
    return [len(params) // 2, *params] if spec.array_params else params


@pytest.mark.parametrize(
    "name, params, rule, index, message",
    REJECTED,
    ids=[f"{r[0]}-{r[2]}" for r in REJECTED],
)
def test_check_params_names_the_broken_rule_and_parameter(
    name, params, rule, index, message
):
    """check_params returns rule + stride * index; the catalogue words it."""
    spec = DISTRIBUTIONS[name.upper()]
    code = _core.check_params(spec.kind, core_params(name, params))
    assert code == RULES[rule] + STRIDE * index
    assert parameter_error(spec, params) == message


@pytest.mark.parametrize(
    "name, params",
    [
        (name, params)
        for name, params, *_ in REJECTED
        if name != "RiskDiscrete"
    ],
    ids=str,
)
def test_invalid_parameters_sample_as_num_errors(name, params):
    """Where check_params refuses, every quantile is #NUM!, not garbage."""
    spec = DISTRIBUTIONS[name.upper()]
    got = _core.quantile(spec.kind, params, GRID)
    assert is_num_error(got).all()


@pytest.mark.parametrize(
    "kind, params",
    [
        ("NORMAL", [0, 1]),
        ("TRIANG", [0, 1, 2]),
        ("PERT", [0, 1, 2]),
        ("BINOMIAL", [5, 0.5]),
        ("INTUNIFORM", [1, 3]),
    ],
)
def test_u_outside_the_open_unit_interval_gives_num_error(kind, params):
    """u = 0, 1, beyond them or NaN gives #NUM!."""
    u = np.array([0.0, 1.0, -0.5, 1.5, np.nan])
    assert is_num_error(quantile(kind, params, u)).all()


def test_binomial_16_three_quarters_at_095_is_15():
    """The classic trap: the 95% point of Binomial(16, 0.75) is 15."""
    assert quantile("BINOMIAL", [16, 0.75], [0.95]).tolist() == [15]


def binomial_cdf(n, p, k):
    """Exact P(X <= k) for a rational p."""
    p = Fraction(p)
    return sum(comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1))


def poisson_cdf(lam, k):
    """P(X <= k) to 40 digits."""
    getcontext().prec = 40
    lam = Decimal(lam)
    term, total = Decimal(1), Decimal(1)
    for j in range(1, k + 1):
        term *= lam / j
        total += term
    return Fraction(total * (-lam).exp())


def nudged(step):
    """Doubles just below and just above an exact step of F: apart from it
    by 1e-12 of its smaller tail, or by 2^-50 where that is finer than the
    doubles near the step can resolve."""
    gap = max(min(step, 1 - step) * Fraction(1, 10**12), Fraction(1, 2**50))
    return float(step - gap), float(step + gap)


# (kind, parameters, exact CDF at k, range of k). The ranges stop where
# 1 - F(k) nears 2^-50: beyond, no double lies between neighbouring steps.
STEPS = [
    ("BINOMIAL", [16, 0.75], lambda k: binomial_cdf(16, 0.75, k), range(16)),
    ("BINOMIAL", [40, 0.125], lambda k: binomial_cdf(40, 0.125, k), range(20)),
    ("POISSON", [4], lambda k: poisson_cdf(4, k), range(27)),
]


@pytest.mark.parametrize(
    "kind, params, cdf, ks",
    STEPS,
    ids=lambda v: str(v) if isinstance(v, list) else None,
)
def test_counting_quantiles_are_exact_next_to_each_step(kind, params, cdf, ks):
    """Just below F(k) the quantile is k, just above it k + 1, where "just"
    (see nudged) is beyond the ~1e-14 relative error of the distribution
    function the core evaluates."""
    for k in ks:
        below, above = nudged(cdf(k))
        got = quantile(kind, params, [below, above])
        assert got[0] == k
        assert above >= 1 or got[1] == k + 1


@pytest.mark.parametrize(
    "lo, hi", [(1, 5), (-3, 1000), (0, 2**40), (-(2**51), 2**51)]
)
def test_intuniform_is_exact_at_every_step(lo, hi):
    """At and next to each step (j + 1) / N, the quantile is the smallest
    lo + j with (j + 1) / N >= u, decided in exact arithmetic."""
    count = hi - lo + 1
    rng = np.random.default_rng(7)
    js = np.unique(np.append(rng.integers(0, count, 100), [0, count - 2]))
    us = [
        v
        for j in js
        for s in [float(Fraction(int(j) + 1, count))]
        for v in (np.nextafter(s, 0), s, np.nextafter(s, 1))
        if 0 < v < 1
    ]
    got = quantile("INTUNIFORM", [lo, hi], us)
    for u, x in zip(us, got):
        j = int(x) - lo
        assert Fraction(j + 1, count) >= Fraction(u)
        assert j == 0 or Fraction(j, count) < Fraction(u)


@pytest.mark.parametrize("p", [0.3, 0.7, 0.5, 1e-9, 1 - 1e-9])
def test_bernoulli_step_is_exact(p):
    """u <= 1 - p gives 0 and u > 1 - p gives 1, in exact arithmetic."""
    near = [np.nextafter(1 - p, 0), 1 - p, np.nextafter(1 - p, 1)]
    us = [v for x in near for v in (np.nextafter(x, 0), x, np.nextafter(x, 1))]
    got = quantile("BERNOULLI", [p], us)
    want = [0.0 if Fraction(u) <= 1 - Fraction(p) else 1.0 for u in us]
    assert got.tolist() == want


# (kind, parameters, scipy distribution)
COUNTING = [
    ("BINOMIAL", [16, 0.75], lambda st: st.binom(16, 0.75)),
    ("BINOMIAL", [1, 0.3], lambda st: st.binom(1, 0.3)),
    ("BINOMIAL", [1000, 0.01], lambda st: st.binom(1000, 0.01)),
    ("BINOMIAL", [100000, 0.3], lambda st: st.binom(100000, 0.3)),
    ("BINOMIAL", [50, 1e-9], lambda st: st.binom(50, 1e-9)),
    ("POISSON", [4], lambda st: st.poisson(4)),
    ("POISSON", [0.001], lambda st: st.poisson(0.001)),
    ("POISSON", [1e4], lambda st: st.poisson(1e4)),
    # Skewed far enough that the Cornish-Fisher start misses by 10^5 counts
    # and more in the tails: stepping by one from it took seconds a value.
    ("GEOMET", [1e-5], lambda st: st.nbinom(1, 1e-5)),
    ("GEOMET", [1e-6], lambda st: st.nbinom(1, 1e-6)),
    ("GEOMET", [1.1e-7], lambda st: st.nbinom(1, 1.1e-7)),
    ("GEOMET", [0.3], lambda st: st.nbinom(1, 0.3)),
    ("NEGBIN", [3, 1e-6], lambda st: st.nbinom(3, 1e-6)),
    ("HYPERGEO", [400, 900, 1000], lambda st: st.hypergeom(1000, 900, 400)),
    ("INTUNIFORM", [-3, 1000], lambda st: st.randint(-3, 1001)),
    ("BERNOULLI", [0.3], lambda st: st.bernoulli(0.3)),
]


@pytest.mark.parametrize(
    "kind, params, ref",
    COUNTING,
    ids=lambda v: str(v) if isinstance(v, list) else None,
)
def test_counting_quantiles_match_scipy_away_from_steps(
    stats, kind, params, ref
):
    """Quantiles equal scipy's ppf, except where u lies within 1e-12
    (relative, in its smaller tail) of a step, where the two evaluations
    of F may round either way."""
    dist = ref(stats)
    got, want = quantile(kind, params, GRID), dist.ppf(GRID)
    differ = got != want
    step = dist.cdf(np.minimum(got, want)[differ])
    tail = np.minimum(GRID[differ], 1 - GRID[differ])
    assert np.all(np.abs(step - GRID[differ]) <= 1e-12 * tail)


@pytest.mark.parametrize("lo, hi", [(1, 5), (-7, -7), (0, 1)])
def test_intuniform_never_leaves_its_support(lo, hi):
    """IntUniform gives whole numbers in [min, max] at the extreme u too."""
    u = np.concatenate([EXTREME_U, _core.uniforms(3, 0, 0, 10_000)])
    x = quantile("INTUNIFORM", [lo, hi], u)
    assert np.all((x >= lo) & (x <= hi) & (x == np.floor(x)))


def test_discrete_aux_sorts_merges_and_normalises():
    """Values are sorted, repeats merged, weight-0 values dropped, and the
    cumulative weights end at exactly 1."""
    aux = discrete_aux([3, 1, 3, 2, 5], [1, 1, 2, 0, 4])
    assert aux.tolist() == [3, 1, 3, 5, 0.125, 0.5, 1.0]


def test_weights_near_the_largest_double_are_normalised_exactly():
    """Weights are scaled by a power of two before they are summed, so
    weights near 1e308 neither overflow nor change the result."""
    big = 2.0**1023  # the weights below are 1, 1 and 4, 3 times powers of 2
    assert discrete_aux([1, 1, 2], [big] * 3).tolist() == [2, 1, 2, 2 / 3, 1]
    bars = histogrm_aux(0, 1, [big, 0.75 * big])
    assert bars.tolist() == histogrm_aux(0, 1, [4, 3]).tolist()
    shape = general_aux(0, 3, [1, 2], [big, big])
    assert shape.tolist() == general_aux(0, 3, [1, 2], [1, 1]).tolist()


def test_discrete_quantiles_follow_the_weights():
    """Each value's share of 10^5 draws is within 4 standard errors of its
    weight, and nothing outside the values appears."""
    aux = discrete_aux([10, 20, 30], [1, 2, 7])
    n = 100_000
    x = quantile("DISCRETE", [], _core.uniforms(11, 0, 0, n), aux)
    for value, p in [(10, 0.1), (20, 0.2), (30, 0.7)]:
        share = np.mean(x == value)
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n)
    assert set(np.unique(x)) == {10, 20, 30}


@pytest.mark.parametrize(
    "values, weights, message",
    [
        (
            [1, 2],
            [1],
            (
                "values and weights must have the same number of "
                "elements, got 2 and 1"
            ),
        ),
        ([], [], "values must not be empty"),
        (
            [1, float("inf")],
            [1, 1],
            "value 2 must be a finite number, got inf",
        ),
        ([1, 2], [1, -1], "weight 2 must not be negative, got -1"),
        ([1, 2], [0, 0], "weights must not all be 0"),
    ],
)
def test_discrete_aux_refuses_bad_arrays_with_a_reason(
    values, weights, message
):
    """Malformed RiskDiscrete arrays raise ValueError naming the problem."""
    with pytest.raises(ValueError) as err:
        discrete_aux(values, weights)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "call",
    [
        lambda: _core.quantile(KINDS["NORMAL"], [0], np.ones(3) / 2),
        lambda: _core.quantile(99, [0, 1], np.ones(3) / 2),
        lambda: _core.quantile(-1, [0, 1], np.ones(3) / 2),
        lambda: _core.quantile(KINDS["DISCRETE"], [], np.ones(3) / 2),
        lambda: _core.quantile(
            KINDS["NORMAL"], [0, 1], np.ones(3) / 2, np.ones(5)
        ),
        lambda: _core.quantile(
            KINDS["PERT"], [0, 1, 2], np.ones(3) / 2, np.ones(40)
        ),
        lambda: _core.quantile(
            KINDS["DISCRETE"],
            [],
            np.ones(3) / 2,
            np.array([2.0, 1, 0, 0.5, 1]),
        ),
        lambda: _core.check_params(KINDS["TRIANG"], [0, 1]),
        lambda: _core.check_params(KINDS["DISCRETE"], [2, 1, 2, 1]),
        lambda: _core.build_table(KINDS["GAMMA"], [1, 2, 3]),
    ],
)
def test_binding_refuses_malformed_calls_with_value_error(call):
    """Wrong kinds, parameter counts and aux arrays raise ValueError."""
    with pytest.raises(ValueError):
        call()


def test_quantile_keeps_the_shape_of_u():
    """u of any shape gives quantiles of the same shape."""
    u = np.full((3, 4), 0.5)
    assert quantile("NORMAL", [1, 2], u).shape == (3, 4)


# The @RISK functions that compile to another core kind.
COMPILED_TO = {
    "RISKDUNIFORM": "DISCRETE",
    "RISKCUMUL": "PIECEWISE",
    "RISKHISTOGRM": "PIECEWISE",
    "RISKGENERAL": "PIECEWISE",
    "RISKTRIGEN": "TRIANG",
}


def test_catalogue_takes_kind_ids_from_the_core():
    """Every @RISK name maps to the core kind of the same name, or to the
    one it compiles to; every core kind serves some name."""
    for name, spec in DISTRIBUTIONS.items():
        assert name == spec.name.upper()
        kind = COMPILED_TO.get(name, name.removeprefix("RISK"))
        assert spec.kind == KINDS[kind]
    assert {spec.kind for spec in DISTRIBUTIONS.values()} == set(
        KINDS.values()
    )


@pytest.mark.parametrize("scale", [1e-200, 1e-10, 1e10, 1e155, 1e200, 1e300])
def test_invgauss_scales_with_its_mean_to_the_largest_doubles(scale):
    """InvGauss(s mu, s lambda) = s InvGauss(mu, lambda): checked to two
    roundings (the scaling, and the division by s here) for scales where
    solving unscaled overflowed (s >= 1e155 gave inf)."""
    u = np.array([2.0**-60, 1e-6, 0.3, 0.5, 0.99, 1 - 2.0**-53])
    unit = quantile("INVGAUSS", [1.0, 2.0], u)
    scaled = quantile("INVGAUSS", [scale, 2.0 * scale], u) / scale
    assert np.all(np.isfinite(scaled))
    assert np.max(np.abs(scaled / unit - 1)) <= 4.5e-16
