"""The worksheet functions a formula may call, and how each is emitted.

Most functions map to one core instruction; a few are expanded into
several (SUM and MIN into chains, NPV into its discounted terms, AVERAGE
into a sum and a division). Missing optional arguments take Excel's
defaults. Names are matched without regard to case; Excel's legacy names
(NORMSINV, NORMINV, NORMDIST) are accepted beside the current ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mcengine.model.builder import ProgramBuilder, Reg


class CallError(ValueError):
    """A call that cannot be compiled; the compiler adds the position."""


@dataclass(frozen=True)
class Simple:
    """A function that is one instruction with fixed operands."""

    op: str
    min_args: int
    max_args: int
    defaults: tuple[float, ...] = ()
    immediate: int = 0

    def emit(self, b: ProgramBuilder, args: list[Reg]) -> Reg:
        missing = self.max_args - len(args)
        start = len(self.defaults) - missing
        extra = [b.constant(v) for v in self.defaults[start:]]
        return b.emit(self.op, args + extra, self.immediate)


_ROUND_NEAREST, _ROUND_UP, _ROUND_DOWN = 0, 1, 2

SIMPLE: dict[str, Simple] = {
    "ABS": Simple("ABS", 1, 1),
    "SQRT": Simple("SQRT", 1, 1),
    "EXP": Simple("EXP", 1, 1),
    "LN": Simple("LN", 1, 1),
    "LOG10": Simple("LOG10", 1, 1),
    "LOG": Simple("LOG", 1, 2, (10.0,)),
    "INT": Simple("INT", 1, 1),
    "SIGN": Simple("SIGN", 1, 1),
    "NOT": Simple("NOT", 1, 1),
    "MOD": Simple("MOD", 2, 2),
    "POWER": Simple("POW", 2, 2),
    "ROUND": Simple("ROUND", 2, 2, (), _ROUND_NEAREST),
    "ROUNDUP": Simple("ROUND", 2, 2, (), _ROUND_UP),
    "ROUNDDOWN": Simple("ROUND", 2, 2, (), _ROUND_DOWN),
    "TRUNC": Simple("ROUND", 1, 2, (0.0,), _ROUND_DOWN),
    "IF": Simple("IF", 2, 3, (0.0,)),
    "PMT": Simple("PMT", 3, 5, (0.0, 0.0)),
    "PV": Simple("PV", 3, 5, (0.0, 0.0)),
    "FV": Simple("FV", 3, 5, (0.0, 0.0)),
    "NORM.S.INV": Simple("NORM_S_INV", 1, 1),
    "NORMSINV": Simple("NORM_S_INV", 1, 1),
    "NORM.INV": Simple("NORM_INV", 3, 3),
    "NORMINV": Simple("NORM_INV", 3, 3),
    "NORM.DIST": Simple("NORM_DIST", 4, 4),
    "NORMDIST": Simple("NORM_DIST", 4, 4),
}


# Sums, products, minima and maxima of many constants (a range of numbers
# typed into a workbook) are taken here rather than emitted one instruction
# per value.
_FOLDED = {"ADD": math.fsum, "MUL": math.prod, "MIN": min, "MAX": max}


def _chain(op: str) -> Callable:
    def emit(b: ProgramBuilder, args: list[Reg]) -> Reg:
        if not args:
            return b.constant(0.0)
        if len(args) > 2 and op in _FOLDED:
            values = [b.constant_value(r) for r in args]
            if all(v is not None and math.isfinite(v) for v in values):
                return b.constant(float(_FOLDED[op](values)))
        acc = args[0]
        for reg in args[1:]:
            acc = b.emit(op, [acc, reg])
        return acc

    return emit


def _logical(op: str) -> Callable:
    chain = _chain(op)

    def emit(b: ProgramBuilder, args: list[Reg]) -> Reg:
        # AND(x) is TRUE or FALSE, not x: compare a lone value with TRUE.
        if len(args) == 1:
            return b.emit(op, [args[0], args[0]])
        return chain(b, args)

    return emit


def _average(b: ProgramBuilder, args: list[Reg]) -> Reg:
    total = _chain("ADD")(b, args)
    return b.emit("DIV", [total, b.constant(float(len(args)))])


def _npv(b: ProgramBuilder, args: list[Reg]) -> Reg:
    """NPV(rate, v1, v2, ...) = sum of v_i / (1 + rate)^i, i from 1."""
    rate, values = args[0], args[1:]
    factor = b.emit("ADD", [b.constant(1.0), rate])
    terms = []
    for i, value in enumerate(values, start=1):
        discount = b.emit("POW", [factor, b.constant(float(i))])
        terms.append(b.emit("DIV", [value, discount]))
    return _chain("ADD")(b, terms)


def _norm_s_dist(b: ProgramBuilder, args: list[Reg]) -> Reg:
    z, cumulative = args
    return b.emit(
        "NORM_DIST", [z, b.constant(0.0), b.constant(1.0), cumulative]
    )


def _product(b: ProgramBuilder, args: list[Reg]) -> Reg:
    return _chain("MUL")(b, args) if args else b.constant(0.0)


@dataclass(frozen=True)
class Variadic:
    """A function over a list of values (arrays are flattened into it)."""

    emit: Callable
    min_args: int
    max_args: int = 255


VARIADIC: dict[str, Variadic] = {
    "SUM": Variadic(_chain("ADD"), 1),
    "PRODUCT": Variadic(_product, 1),
    "MIN": Variadic(_chain("MIN"), 1),
    "MAX": Variadic(_chain("MAX"), 1),
    "AVERAGE": Variadic(_average, 1),
    "AND": Variadic(_logical("AND"), 1),
    "OR": Variadic(_logical("OR"), 1),
    "XOR": Variadic(_logical("XOR"), 1),
    "NPV": Variadic(_npv, 2),
    "NORM.S.DIST": Variadic(_norm_s_dist, 2, 2),
}

CONSTANTS: dict[str, float] = {"PI": math.pi, "TRUE": 1.0, "FALSE": 0.0}


def supported_functions() -> list[str]:
    """Every worksheet function name this compiler accepts."""
    return sorted(set(SIMPLE) | set(VARIADIC) | set(CONSTANTS))
