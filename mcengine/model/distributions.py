"""The @RISK distribution functions a model may call, and their checks.

Each function maps to a DistSpec: the kind the core samples (its id read
from mcengine._core.dist_kinds(), never written here), the parameter names
in @RISK order, and whether it is discrete. The rules themselves live in the
core (csrc/dist.h, check_params), so a model is refused here for exactly the
parameters the sampler would turn into #NUM!; this module words the refusal.

RiskDiscrete takes two array constants, values and weights; discrete_aux
packs them into the array the core samples from. The others whose arguments
must be written out in the formula (number constants and array constants):
RiskDUniform({values}) samples as RiskDiscrete with equal weights;
RiskCumul(min, max, {x}, {p}) (a cumulative curve through (min, 0), the
points and (max, 1)), RiskHistogrm(min, max, {p}) (equal-width bars) and
RiskGeneral(min, max, {x}, {p}) (a density through (min, 0), the points and
(max, 0)) compile to the core's piecewise-linear density, packed by
cumul_aux, histogrm_aux and general_aux; RiskTrigen(bottom, most likely,
top, bottom percentile, top percentile) is the triangular distribution
whose percentiles (0 to 100) at bottom and top are those given, its min and
max solved by trigen_params. For constant parameters of
RiskPert, RiskBetaGeneral, RiskGamma, RiskBeta, RiskChiSq and RiskErlang
(the kinds for which _core.has_table holds), table_for builds the numerical
inversion table that makes their sampling a lookup (see csrc/dist_table.h
for its stated error); for those of RiskBinomial, RiskPoisson, RiskNegbin,
RiskGeomet and RiskHypergeo (_core.has_count_table) it tabulates their
distribution function, so that a sample is a binary search that gives the
exact quantile's answer (csrc/dist_count_table.h).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mcengine import _core
from mcengine.model.errors import STOP, CompileStopped

# A table is used only if its measured relative error in x is within this;
# otherwise sampling solves F(x) = u exactly, slower but exact.
TABLE_TOLERANCE = 1e-10
# Inversion tables kept for reuse (each at most 128 KiB: 2 x 1024 intervals
# of 8 doubles), so at most 16 MiB.
TABLES_CACHED = 128


@dataclass(frozen=True)
class DistSpec:
    """One @RISK distribution function."""

    name: str  # as @RISK spells it, e.g. "RiskNormal"
    kind: int  # the core's DistKind
    params: tuple[str, ...]  # parameter names in @RISK order
    discrete: bool
    # Whether each parameter is an array constant ({1,2,3}); None when none is.
    arrays: tuple[bool, ...] | None = None
    # For those whose arguments are all written out (number or array
    # constants): pack(*arguments) gives the core's aux array, or, for
    # RiskTrigen, the parameters of `kind`; ValueError says what is wrong.
    pack: Callable | None = None

    @property
    def array_params(self) -> bool:
        """True when the core reads everything from an aux array."""
        return self.pack is not None and self.kind in _AUX_KINDS

    @property
    def literal(self) -> bool:
        """True when every argument must be a number or array constant."""
        return self.pack is not None


_KINDS = _core.dist_kinds()
_RULES = {number: name for name, number in _core.param_rules().items()}
_STRIDE = _core.PARAM_INDEX_STRIDE
_AUX_KINDS = (_KINDS["DISCRETE"], _KINDS["PIECEWISE"])

# (core kind, @RISK name, parameters, discrete)
_CATALOGUE = [
    ("NORMAL", "RiskNormal", ("mean", "sd"), False),
    ("LOGNORM", "RiskLognorm", ("mean", "sd"), False),
    ("LOGNORM2", "RiskLognorm2", ("mu", "sigma"), False),
    ("UNIFORM", "RiskUniform", ("min", "max"), False),
    ("TRIANG", "RiskTriang", ("min", "mode", "max"), False),
    ("PERT", "RiskPert", ("min", "mode", "max"), False),
    (
        "BETAGENERAL",
        "RiskBetaGeneral",
        ("alpha1", "alpha2", "min", "max"),
        False,
    ),
    ("GAMMA", "RiskGamma", ("alpha", "beta"), False),
    ("EXPON", "RiskExpon", ("beta",), False),
    ("WEIBULL", "RiskWeibull", ("alpha", "beta"), False),
    ("BERNOULLI", "RiskBernoulli", ("p",), True),
    ("BINOMIAL", "RiskBinomial", ("n", "p"), True),
    ("POISSON", "RiskPoisson", ("lambda",), True),
    ("INTUNIFORM", "RiskIntUniform", ("min", "max"), True),
    ("BETA", "RiskBeta", ("alpha1", "alpha2"), False),
    ("LOGISTIC", "RiskLogistic", ("alpha", "beta"), False),
    ("LOGLOGISTIC", "RiskLoglogistic", ("gamma", "beta", "alpha"), False),
    ("STUDENT", "RiskStudent", ("nu",), False),
    ("CHISQ", "RiskChiSq", ("nu",), False),
    ("ERLANG", "RiskErlang", ("m", "beta"), False),
    ("PARETO", "RiskPareto", ("theta", "alpha"), False),
    ("PARETO2", "RiskPareto2", ("b", "q"), False),
    ("EXTVALUE", "RiskExtValue", ("alpha", "beta"), False),
    ("EXTVALUEMIN", "RiskExtValueMin", ("alpha", "beta"), False),
    ("RAYLEIGH", "RiskRayleigh", ("beta",), False),
    ("LAPLACE", "RiskLaplace", ("mu", "sigma"), False),
    ("CAUCHY", "RiskCauchy", ("gamma", "beta"), False),
    ("GEOMET", "RiskGeomet", ("p",), True),
    ("NEGBIN", "RiskNegbin", ("s", "p"), True),
    ("HYPERGEO", "RiskHypergeo", ("n", "D", "M"), True),
    ("INVGAUSS", "RiskInvgauss", ("mu", "lambda"), False),
]


def _spec(
    kind: str, name: str, params: tuple[str, ...], discrete: bool
) -> DistSpec:
    spec = DistSpec(name, _KINDS[kind], params, discrete)
    count = _core.param_count(spec.kind)
    if count != len(params):
        message = f"{name}: the core takes {count} parameters"
        raise RuntimeError(message)
    return spec


def _literal_specs() -> list[DistSpec]:
    """The distributions whose arguments are written out in the formula."""
    piecewise = _KINDS["PIECEWISE"]
    return [
        DistSpec(
            "RiskDiscrete",
            _KINDS["DISCRETE"],
            ("values", "weights"),
            True,
            (True, True),
            discrete_aux,
        ),
        DistSpec(
            "RiskDUniform",
            _KINDS["DISCRETE"],
            ("values",),
            True,
            (True,),
            duniform_aux,
        ),
        DistSpec(
            "RiskCumul",
            piecewise,
            ("min", "max", "x", "p"),
            False,
            (False, False, True, True),
            cumul_aux,
        ),
        DistSpec(
            "RiskHistogrm",
            piecewise,
            ("min", "max", "p"),
            False,
            (False, False, True),
            histogrm_aux,
        ),
        DistSpec(
            "RiskGeneral",
            piecewise,
            ("min", "max", "x", "p"),
            False,
            (False, False, True, True),
            general_aux,
        ),
        DistSpec(
            "RiskTrigen",
            _KINDS["TRIANG"],
            (
                "bottom",
                "most likely",
                "top",
                "bottom percentile",
                "top percentile",
            ),
            False,
            None,
            trigen_params,
        ),
    ]


def _text(value: float) -> str:
    """A parameter value as a message shows it: 2, 0.5, -1e-09, nan, and
    whole numbers in full up to 2^53."""
    if math.isfinite(value) and value == int(value) and abs(value) <= 2**53:
        return str(int(value))
    return f"{value:.15g}"


def _core_params(spec: DistSpec, values: Sequence[float]) -> list[float]:
    """The parameter vector check_params takes: RiskDiscrete's values and
    weights (concatenated in `values`) get their count in front."""
    numbers = [float(v) for v in values]
    if spec.array_params:
        return [len(numbers) // 2, *numbers]
    return numbers


def _name(spec: DistSpec, index: int, count: int) -> str:
    """The parameter at `index` of the core vector, in words."""
    if not spec.array_params:
        return spec.params[index]
    if index <= count:
        return f"value {index}"
    return f"weight {index - count}"


def parameter_error(spec: DistSpec, values: Sequence[float]) -> str | None:
    """Why `values` are not valid parameters of `spec`, or None if they are.

    The message names the parameter and its value, e.g. "sd must be
    greater than 0, got -1". For RiskDiscrete, `values` holds the values
    followed by the weights.
    """
    if spec.array_params and len(values) % 2:
        return "values and weights must have the same number of elements"
    if not spec.array_params and len(values) != len(spec.params):
        return f"takes {len(spec.params)} parameters, got {len(values)}"
    params = _core_params(spec, values)
    code = _core.check_params(spec.kind, params)
    if code == 0:
        return None
    rule, index = _RULES[code % _STRIDE], code // _STRIDE
    return _message(spec, rule, index, params)


def _message(
    spec: DistSpec, rule: str, index: int, params: list[float]
) -> str:
    count = len(params) // 2 if spec.array_params else 0
    name, value = _name(spec, index, count), params[index]
    got = f"got {_text(value)}"
    if rule == "ORDER":
        hi = spec.params.index("max")
        return (
            f"min must not exceed max, got min={_text(value)}, "
            f"max={_text(params[hi])}"
        )
    if rule == "TOO_WIDE":
        limit = _core.width_limit(spec.kind)
        most = "under 1.8e308" if limit > 1e308 else f"at most {_text(limit)}"
        low = _text(params[spec.params.index("min")])
        return f"max - min must be {most}, got min={low}, max={_text(value)}"
    if rule == "MODE_RANGE":
        low, mode, high = (_text(v) for v in params[index - 1 : index + 2])
        return (
            f"mode must lie between min and max, got min={low}, "
            f"mode={mode}, max={high}"
        )
    if rule == "TOO_LARGE" and spec.kind == _KINDS["HYPERGEO"] and index < 2:
        return (
            f"{name} must not exceed the population M "
            f"({_text(params[2])}), {got}"
        )
    if rule == "TOO_LARGE":
        limit = _text(_core.param_limit(spec.kind, index))
        if spec.kind == _KINDS["INTUNIFORM"]:
            return f"{name} must lie between -{limit} and {limit}, {got}"
        return f"{name} must be at most {limit}, {got}"
    if rule == "MEAN_TOO_LARGE":
        return (
            f"{name} is too small: the mean number of failures,"
            f" {'s' if len(params) > 1 else '1'} (1 - p) / p, must be at"
            f" most {_text(_core.MAX_COUNT)}, got"
            f" {_text(_mean_failures(params))} with p={_text(value)}"
        )
    simple = {
        "NOT_FINITE": f"{name} must be a finite number, {got}",
        "NOT_POSITIVE": f"{name} must be greater than 0, {got}",
        "NEGATIVE": f"{name} must not be negative, {got}",
        "PROBABILITY": f"{name} must lie between 0 and 1, {got}",
        "NOT_INTEGER": f"{name} must be a whole number, {got}",
        "NO_WEIGHT": "weights must not all be 0",
        "EMPTY": "values must not be empty",
    }
    return simple[rule]


def _mean_failures(params) -> float:
    """s (1 - p) / p of NegBin(s, p), or of Geomet(p) with s = 1."""
    s, p = (params[0], params[1]) if len(params) > 1 else (1.0, params[0])
    return s * (1 - p) / p


def discrete_aux(
    values: Sequence[float], weights: Sequence[float]
) -> np.ndarray:
    """The core's array for RiskDiscrete(values, weights).

    Checks the arrays (same length, not empty, finite, weights not negative
    and not all 0; ValueError otherwise), sorts by value, merges repeated
    values, drops values of weight 0 and normalises, then packs
    [m, x_1..x_m, c_1..c_m] with c the cumulative weights, c_m = 1 exactly.
    """
    x = np.asarray(values, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    _check_discrete(x, w)
    w = _scaled(w)
    support, inverse = np.unique(x, return_inverse=True)
    merged = np.zeros(support.size)
    np.add.at(merged, inverse, w)
    keep = merged > 0
    support, merged = support[keep], merged[keep]
    cumulative = np.cumsum(merged) / math.fsum(merged)
    cumulative[-1] = 1.0
    return np.concatenate([[support.size], support, cumulative])


def _check_discrete(x: np.ndarray, w: np.ndarray) -> None:
    if x.size != w.size:
        message = (
            f"values and weights must have the same number of "
            f"elements, got {x.size} and {w.size}"
        )
        raise ValueError(message)
    if x.size == 0:
        raise ValueError("values must not be empty")
    for label, array in (("value", x), ("weight", w)):
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            message = (
                f"{label} {bad[0] + 1} must be a finite number, "
                f"got {_text(array[bad[0]])}"
            )
            raise ValueError(message)
    negative = np.flatnonzero(w < 0)
    if negative.size:
        message = (
            f"weight {negative[0] + 1} must not be negative, "
            f"got {_text(w[negative[0]])}"
        )
        raise ValueError(message)
    if not np.any(w > 0):
        raise ValueError("weights must not all be 0")


def table_for(spec: DistSpec, values: Sequence[float]) -> np.ndarray | None:
    """The inversion table for constant, valid parameters `values`, or None.

    None when the kind has no table (_core.has_table, has_count_table),
    the distribution is a point mass, or the table's measured relative
    error exceeds TABLE_TOLERANCE (it then samples by solving F(x) = u
    exactly; a count table has none).
    """
    if spec.array_params:
        return None
    # Keyed by each value's exact bits (hex), so -0.0 and 0.0 stay apart.
    return _cached_table(spec.kind, tuple(float(v).hex() for v in values))


@functools.lru_cache(maxsize=TABLES_CACHED)
def _cached_table(kind: int, params: tuple[str, ...]) -> np.ndarray | None:
    """table_for's table, built once per kind and parameters: a table is a
    pure function of them, takes milliseconds to build, and models are
    compiled again and again with the same constants. Read-only, since
    every compile that asks for it shares it."""
    values = [float.fromhex(p) for p in params]
    table = _core.build_table(kind, values, stop=_stop_asked)
    if table is None:  # not cached: an exception passes lru_cache by
        raise CompileStopped()
    if table.size == 0:
        return None
    if not _core.table_error(table)["x_relative"] <= TABLE_TOLERANCE:
        return None
    table.flags.writeable = False
    return table


def _stop_asked() -> bool:
    """Whether the call compiling now should stop (errors.STOP): a table
    of extreme shapes can take a minute to build."""
    stop = STOP.get()
    return bool(stop is not None and stop())


def duniform_aux(values: Sequence[float]) -> np.ndarray:
    """RiskDUniform({values}): RiskDiscrete with equal weights."""
    x = np.asarray(values, dtype=float).ravel()
    return discrete_aux(x, np.ones(x.size))


def _finite(label: str, values) -> np.ndarray:
    """values as a float array; ValueError naming the first that is not a
    finite number."""
    array = np.asarray(values, dtype=float).ravel()
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"{label} must be a finite number, got {_text(array[bad[0]])}"
            if array.size == 1
            else f"{label} {bad[0] + 1} must be a finite number, "
            f"got {_text(array[bad[0]])}"
        )
    return array


# The widest [min, max] of Cumul, Histogrm and General: their quantile
# squares densities of about 1 / (max - min), which underflow beyond it
# (General over [-1e200, 1e200] gave 0 for its middle quantiles).
MAX_PIECEWISE_WIDTH = 1e150


def _range(low: float, high: float) -> tuple[float, float]:
    low, high = float(_finite("min", low)[0]), float(_finite("max", high)[0])
    if not low < high:
        raise ValueError(
            f"min must be less than max, got min={_text(low)}, "
            f"max={_text(high)}"
        )
    if not high - low <= MAX_PIECEWISE_WIDTH:
        raise ValueError(
            f"max - min must be at most {_text(MAX_PIECEWISE_WIDTH)}, got "
            f"min={_text(low)}, max={_text(high)}"
        )
    return low, high


def _knots(low: float, high: float, xs: Sequence[float], label="x"):
    """[min, x..., max], the x strictly increasing strictly inside."""
    low, high = _range(low, high)
    x = _finite(f"{label} value", xs)
    if x.size == 0:
        raise ValueError(f"{label} values must not be empty")
    knots = np.concatenate([[low], x, [high]])
    step = np.flatnonzero(np.diff(knots) <= 0)
    if step.size:
        i = int(step[0])
        if i == 0:
            problem = f"must be greater than min ({_text(low)})"
        elif i == x.size:
            problem = f"must be less than max ({_text(high)})"
        else:
            problem = f"must be greater than x value {i} ({_text(x[i - 1])})"
        raise ValueError(
            f"{label} value {i + 1 if i < x.size else i} "
            f"{problem}, got {_text(x[min(i, x.size - 1)])}"
        )
    return knots


def _same_length(x: np.ndarray, p: np.ndarray) -> None:
    if x.size != p.size:
        raise ValueError(
            "x and p must have the same number of elements, "
            f"got {x.size} and {p.size}"
        )


def _weights(label: str, values: Sequence[float]) -> np.ndarray:
    """Finite, not negative, not all 0."""
    w = _finite(label, values)
    if w.size == 0:
        raise ValueError(f"{label} values must not be empty")
    negative = np.flatnonzero(w < 0)
    if negative.size:
        raise ValueError(
            f"{label} {negative[0] + 1} must not be negative, "
            f"got {_text(w[negative[0]])}"
        )
    if not np.any(w > 0):
        raise ValueError(f"{label} values must not all be 0")
    return w


def _piecewise(knots, cumulative, left, right) -> np.ndarray:
    """The core's PIECEWISE aux: [m, knots, F at knots, densities]."""
    cumulative = np.asarray(cumulative, dtype=float)
    cumulative[0], cumulative[-1] = 0.0, 1.0
    return np.concatenate([[knots.size], knots, cumulative, left, right])


def cumul_aux(low, high, xs, ps) -> np.ndarray:
    """RiskCumul(min, max, {x}, {p}): F rises linearly from (min, 0) through
    each (x, p) to (max, 1); x strictly increasing inside (min, max), p
    non-decreasing within [0, 1]."""
    knots = _knots(low, high, xs)
    p = _finite("p value", ps)
    _same_length(knots[1:-1], p)
    outside = np.flatnonzero((p < 0) | (p > 1))
    if outside.size:
        i = outside[0]
        raise ValueError(
            f"p value {i + 1} must lie between 0 and 1, got {_text(p[i])}"
        )
    fall = np.flatnonzero(np.diff(p) < 0)
    if fall.size:
        i = fall[0] + 1
        raise ValueError(
            f"p value {i + 1} must not be less than p value {i}, "
            f"got {_text(p[i])} after {_text(p[i - 1])}"
        )
    cumulative = np.concatenate([[0.0], p, [1.0]])
    density = np.diff(cumulative) / np.diff(knots)
    return _piecewise(knots, cumulative, density, density)


def _scaled(w: np.ndarray) -> np.ndarray:
    """Weights times the power of two that brings the largest into [1/2, 1):
    exact, and their sums can no longer overflow (weights near 1e308)."""
    largest = float(np.max(w)) if w.size else 0.0
    if not largest > 0:
        return w
    return np.ldexp(w, -math.frexp(largest)[1])


def histogrm_aux(low, high, ps) -> np.ndarray:
    """RiskHistogrm(min, max, {p}): bars of equal width from min to max,
    each with weight p (normalised), uniform within a bar."""
    low, high = _range(low, high)
    w = _weights("p", ps)
    k = w.size
    knots = low + (high - low) * (np.arange(k + 1) / k)
    knots[0], knots[-1] = low, high
    if np.any(np.diff(knots) <= 0):
        raise ValueError(
            f"{k} bars are too many for the range from {_text(low)} to "
            f"{_text(high)}: their edges would coincide"
        )
    w = _scaled(w)
    cumulative = np.concatenate([[0.0], np.cumsum(w) / math.fsum(w)])
    density = np.diff(cumulative) / np.diff(knots)
    return _piecewise(knots, cumulative, density, density)


def general_aux(low, high, xs, ps) -> np.ndarray:
    """RiskGeneral(min, max, {x}, {p}): a density linear between (min, 0),
    each (x, p) and (max, 0), scaled to area 1; p are relative heights."""
    knots = _knots(low, high, xs)
    heights = _scaled(_weights("p", ps))
    _same_length(knots[1:-1], heights)
    f = np.concatenate([[0.0], heights, [0.0]])
    widths = np.diff(knots)
    areas = widths * (f[:-1] + f[1:]) / 2
    total = math.fsum(areas)
    f = f / total
    cumulative = np.concatenate([[0.0], np.cumsum(areas) / total])
    return _piecewise(knots, cumulative, f[:-1], f[1:])


def trigen_params(bottom, mode, top, bottom_pct, top_pct) -> list[float]:
    """RiskTrigen's [min, mode, max] of the triangular distribution whose
    bottom_pct percentile is bottom and top_pct percentile is top.

    With x = mode - min and y = max - mode, F(bottom) = p_b and F(top) = p_t
    read x - (mode - bottom) = sqrt(p_b w x) and y - (top - mode) =
    sqrt((1 - p_t) w y), w = x + y: for a given w each is a quadratic in
    sqrt(x) (or sqrt(y)), and w itself is where x(w) + y(w) = w, found by
    bisection (x(w) + y(w) - w falls from >= 0 at w = top - bottom and
    tends to -inf because p_b + 1 - p_t < 1).
    """
    names = (
        "bottom",
        "most likely",
        "top",
        "bottom percentile",
        "top percentile",
    )
    b, m, t, pb, pt = (
        float(_finite(n, v)[0])
        for n, v in zip(names, (bottom, mode, top, bottom_pct, top_pct))
    )
    if not b <= m <= t:
        raise ValueError(
            "bottom, most likely and top must be in increasing order, got "
            f"{_text(b)}, {_text(m)}, {_text(t)}"
        )
    if not 0 <= pb < pt <= 100:
        raise ValueError(
            "the percentiles must satisfy 0 <= bottom percentile < top "
            f"percentile <= 100, got {_text(pb)} and {_text(pt)}"
        )
    d1, d2 = m - b, t - m
    if d1 + d2 == 0:
        return [m, m, m]
    r, s = math.sqrt(pb / 100), math.sqrt(1 - pt / 100)

    def part(rate: float, d: float, w: float) -> float:
        root = (rate * math.sqrt(w) + math.sqrt(rate * rate * w + 4 * d)) / 2
        return root * root

    def excess(w: float) -> float:
        return part(r, d1, w) + part(s, d2, w) - w

    lo = d1 + d2
    hi = 2 * lo
    while excess(hi) > 0:
        lo, hi = hi, 2 * hi
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return [m - part(r, d1, hi), m, m + part(s, d2, hi)]


DISTRIBUTIONS: dict[str, DistSpec] = {
    spec.name.upper(): spec
    for spec in [
        *(_spec(*entry) for entry in _CATALOGUE),
        *_literal_specs(),
    ]
}
