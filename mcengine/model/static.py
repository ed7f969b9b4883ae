"""Distributions at their mean, for evaluating a model deterministically.

Validating a workbook against the values Excel cached evaluates every
formula once with each distribution standing at its mean, as @RISK's
static values do by default. The mean is emitted as instructions over the
parameters' registers, so parameters that are formulas work too; written-
out distributions (RiskDiscrete and the like) get theirs computed here. A
distribution without a finite mean (Cauchy, Pareto with shape <= 1), or
one whose mean needs a function the evaluator lacks, is reported as such.
"""

from __future__ import annotations

import math

import numpy as np

from mcengine import _core
from mcengine.model.builder import ProgramBuilder, Reg

EULER_GAMMA = 0.57721566490153286061


class NoMean(ValueError):
    """The distribution has no mean that can be given here."""


def mean_register(
    b: ProgramBuilder, name: str, params: list[Reg], literals: list | None
) -> Reg:
    """The register holding the mean of @RISK distribution `name`
    (upper case, as RISKNORMAL) with parameter registers params, or with
    written-out arguments literals; NoMean when it has none here."""
    if literals is not None:
        return b.constant(_literal_mean(name, literals))
    rule = _RULES.get(name)
    if rule is not None:
        return rule(_Emitter(b), *params)
    constant = dict(zip(b.const_regs, b.const_values))
    if name in _CONSTANT_RULES and all(p.index in constant for p in params):
        return b.constant(
            _CONSTANT_RULES[name](*[constant[p.index] for p in params])
        )
    raise NoMean(
        "has no mean"
        if name == "RISKCAUCHY"
        else "has a static value here only with constant parameters"
    )


class _Emitter:
    def __init__(self, b: ProgramBuilder):
        self.b = b

    def c(self, value: float) -> Reg:
        return self.b.constant(value)

    def add(self, x: Reg, y: Reg) -> Reg:
        return self.b.emit("ADD", [x, y])

    def sub(self, x: Reg, y: Reg) -> Reg:
        return self.b.emit("SUB", [x, y])

    def mul(self, x: Reg, y: Reg) -> Reg:
        return self.b.emit("MUL", [x, y])

    def div(self, x: Reg, y: Reg) -> Reg:
        return self.b.emit("DIV", [x, y])

    def exp(self, x: Reg) -> Reg:
        return self.b.emit("EXP", [x])

    def sqrt(self, x: Reg) -> Reg:
        return self.b.emit("SQRT", [x])

    def sum(self, *xs: Reg) -> Reg:
        total = xs[0]
        for x in xs[1:]:
            total = self.add(total, x)
        return total


def _odds_mean(e: _Emitter, s: Reg, p: Reg) -> Reg:
    """s (1 - p) / p: failures before the s-th success."""
    return e.div(e.mul(s, e.sub(e.c(1), p)), p)


_RULES = {
    "RISKNORMAL": lambda e, m, sd: m,
    "RISKLOGNORM": lambda e, m, sd: m,
    "RISKLOGNORM2": lambda e, mu, s: e.exp(
        e.add(mu, e.mul(e.c(0.5), e.mul(s, s)))
    ),
    "RISKUNIFORM": lambda e, a, b: e.mul(e.c(0.5), e.add(a, b)),
    "RISKTRIANG": lambda e, a, m, b: e.div(e.sum(a, m, b), e.c(3)),
    "RISKPERT": lambda e, a, m, b: e.div(
        e.sum(a, e.mul(e.c(4), m), b), e.c(6)
    ),
    "RISKBETAGENERAL": lambda e, a1, a2, lo, hi: e.add(
        lo, e.mul(e.sub(hi, lo), e.div(a1, e.add(a1, a2)))
    ),
    "RISKBETA": lambda e, a1, a2: e.div(a1, e.add(a1, a2)),
    "RISKGAMMA": lambda e, a, b: e.mul(a, b),
    "RISKERLANG": lambda e, m, b: e.mul(m, b),
    "RISKCHISQ": lambda e, nu: nu,
    "RISKEXPON": lambda e, b: b,
    "RISKBERNOULLI": lambda e, p: p,
    "RISKBINOMIAL": lambda e, n, p: e.mul(n, p),
    "RISKPOISSON": lambda e, lam: lam,
    "RISKINTUNIFORM": lambda e, a, b: e.mul(e.c(0.5), e.add(a, b)),
    "RISKLOGISTIC": lambda e, a, b: a,
    "RISKSTUDENT": lambda e, nu: e.c(0.0),
    "RISKPARETO": lambda e, t, a: e.div(e.mul(t, a), e.sub(t, e.c(1))),
    "RISKPARETO2": lambda e, b, q: e.div(b, e.sub(q, e.c(1))),
    "RISKEXTVALUE": lambda e, a, b: e.add(a, e.mul(e.c(EULER_GAMMA), b)),
    "RISKEXTVALUEMIN": lambda e, a, b: e.sub(a, e.mul(e.c(EULER_GAMMA), b)),
    "RISKRAYLEIGH": lambda e, b: e.mul(b, e.c(math.sqrt(math.pi / 2))),
    "RISKLAPLACE": lambda e, mu, s: mu,
    "RISKGEOMET": lambda e, p: _odds_mean(e, e.c(1), p),
    "RISKNEGBIN": _odds_mean,
    "RISKHYPERGEO": lambda e, n, d, m: e.div(e.mul(n, d), m),
    "RISKINVGAUSS": lambda e, mu, lam: mu,
}


def _loglogistic_mean(g: float, b: float, a: float) -> float:
    if not a > 1:
        return math.nan
    t = math.pi / a
    return g + b * t / math.sin(t)


# Means that need functions the evaluator lacks: constant parameters only.
_CONSTANT_RULES = {
    "RISKWEIBULL": lambda a, b: b * math.gamma(1 + 1 / a),
    "RISKLOGLOGISTIC": _loglogistic_mean,
}


def _literal_mean(name: str, args: list) -> float:
    from mcengine.model.distributions import DISTRIBUTIONS

    if name == "RISKDISCRETE":
        values, weights = (np.asarray(a, float) for a in args)
        return float(values @ weights / weights.sum())
    if name == "RISKDUNIFORM":
        return float(np.mean(np.asarray(args[0], float)))
    spec = DISTRIBUTIONS[name]
    packed = spec.pack(*args)
    if not spec.array_params:  # RiskTrigen: a triangle's parameters
        return float(sum(packed) / 3)
    # The piecewise-linear kinds: the integral of the (continuous) quantile
    # by the midpoint rule over 2^20 points.
    u = (np.arange(1 << 20) + 0.5) / (1 << 20)
    return float(np.mean(_core.quantile(spec.kind, [], u, packed)))
