"""The @RISK distribution functions a model may call, and their checks.

Each function maps to a DistSpec: the kind the core samples (its id read
from mcengine._core.dist_kinds(), never written here), the parameter names
in @RISK order, and whether it is discrete. The rules themselves live in the
core (csrc/dist.h, check_params), so a model is refused here for exactly the
parameters the sampler would turn into #NUM!; this module words the refusal.

RiskDiscrete takes two array constants, values and weights; discrete_aux
packs them into the array the core samples from. For constant parameters of
RiskPert, RiskBetaGeneral, RiskGamma, RiskBeta, RiskChiSq and RiskErlang
(the kinds for which _core.has_table holds), table_for builds the numerical
inversion table that makes their sampling a lookup (see csrc/dist_table.h
for its stated error).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcengine import _core

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
    array_params: bool = False  # True for RiskDiscrete({values}, {weights})


_KINDS = _core.dist_kinds()
_RULES = {number: name for name, number in _core.param_rules().items()}
_STRIDE = _core.PARAM_INDEX_STRIDE

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
    ("DISCRETE", "RiskDiscrete", ("values", "weights"), True),
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
]


def _spec(
    kind: str, name: str, params: tuple[str, ...], discrete: bool
) -> DistSpec:
    spec = DistSpec(
        name, _KINDS[kind], params, discrete, array_params=kind == "DISCRETE"
    )
    count = _core.param_count(spec.kind)
    if not spec.array_params and count != len(params):
        message = f"{name}: the core takes {count} parameters"
        raise RuntimeError(message)
    return spec


DISTRIBUTIONS: dict[str, DistSpec] = {
    name.upper(): _spec(kind, name, params, discrete)
    for kind, name, params, discrete in _CATALOGUE
}


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
    if rule == "MODE_RANGE":
        low, mode, high = (_text(v) for v in params[index - 1 : index + 2])
        return (
            f"mode must lie between min and max, got min={low}, "
            f"mode={mode}, max={high}"
        )
    if rule == "TOO_LARGE":
        limit = _text(_core.param_limit(spec.kind, index))
        if spec.kind == _KINDS["INTUNIFORM"]:
            return f"{name} must lie between -{limit} and {limit}, {got}"
        return f"{name} must be at most {limit}, {got}"
    simple = {
        "NOT_FINITE": f"{name} must be a finite number, {got}",
        "NOT_POSITIVE": f"{name} must be greater than 0, {got}",
        "NEGATIVE": f"{name} must not be negative, {got}",
        "PROBABILITY": f"{name} must lie between 0 and 1, {got}",
        "NOT_INTEGER": f"{name} must be a whole number, {got}",
        "NO_WEIGHT": "weights must not all be 0",
        "EMPTY": "values must not be empty",
        "MEAN_TOO_LARGE": (
            f"{name} is too small: the mean number of failures,"
            f" {'s' if len(params) > 1 else '1'} (1 - p) / p, must be at"
            f" most {_text(_core.MAX_COUNT)}, {got}"
        ),
    }
    return simple[rule]


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

    None when the kind has no table (_core.has_table), the distribution is a point mass, or the table's
    measured relative error exceeds TABLE_TOLERANCE (it then samples by
    solving F(x) = u exactly).
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
    table = _core.build_table(kind, [float.fromhex(p) for p in params])
    if table.size == 0:
        return None
    if not _core.table_error(table)["x_relative"] <= TABLE_TOLERANCE:
        return None
    table.flags.writeable = False
    return table
