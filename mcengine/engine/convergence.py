"""Stopping a run when chosen statistics are known well enough.

A run with a Convergence goes in batches of `every` iterations, up to the
requested iterations (the maximum). After each batch it takes, for every
chosen output and statistic, the half-width of its confidence interval at
`confidence` over all iterations so far:
- "mean": t sem, t Student's quantile with valid - 1 degrees of freedom;
- "std": z s sqrt((kurtosis - 1) / valid) / 2, the delta method's standard
  error of the sample standard deviation (z the normal quantile);
- "pXX" (a percentile, e.g. "p95" or "p2.5"): half the width of its
  distribution-free interval between two order statistics (see
  statistics.py).
The run stops at the first check where every half-width is within the
tolerance: absolute, or relative to the statistic's magnitude. Because
runs are prefix-stable (mc and antithetic sampling), the result is exactly
that of a fixed run of the iterations used; lhs is refused, since its
design depends on the run's length.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from mcengine import _core
from mcengine.engine.statistics import (
    DEFAULT_CONFIDENCE,
    interval_ranks,
    rank_percentiles,
)
from mcengine.model.errors import ModelError, Violation

DEFAULT_EVERY = 10_000
_PERCENTILE = re.compile(r"^p(\d+(\.\d+)?)$")
_KINDS = _core.dist_kinds()


@dataclass(frozen=True)
class Convergence:
    """When to stop: every statistic of every output named within the
    tolerance, checked every `every` iterations."""

    statistics: tuple[str, ...] = ("mean",)
    tolerance: float = 0.01
    relative: bool = True
    confidence: float = DEFAULT_CONFIDENCE
    every: int = DEFAULT_EVERY
    outputs: tuple[str, ...] = ()  # empty: every output


@dataclass
class Report:
    """How a run with a Convergence ended."""

    converged: bool
    iterations: int
    checks: int
    # Per output and statistic: (value, half-width, allowed half-width) at
    # the last check.
    last: dict[str, dict[str, tuple[float, float, float]]] = field(
        default_factory=dict
    )

    @property
    def reason(self) -> str:
        if self.converged:
            return (
                f"converged: every statistic within tolerance after "
                f"{self.iterations:,} iterations ({self.checks} checks)"
            )
        outside = [
            f"{name}.{stat} (+-{half:.6g} > {allowed:.6g})"
            for name, stats in self.last.items()
            for stat, (_, half, allowed) in stats.items()
            if not half <= allowed
        ]
        return (
            f"not converged: reached the maximum of {self.iterations:,} "
            f"iterations; still outside: {', '.join(outside)}"
        )

    def to_dict(self) -> dict:
        return {
            "converged": self.converged,
            "iterations": self.iterations,
            "checks": self.checks,
            "reason": self.reason,
            "statistics": {
                name: {
                    stat: {"value": v, "half_width": h, "allowed": a}
                    for stat, (v, h, a) in stats.items()
                }
                for name, stats in self.last.items()
            },
        }


def parse(spec, outputs: list[str], sampling: str) -> Convergence:
    """A Convergence from a Convergence or a dict with its fields; ModelError
    naming each field that is wrong."""
    if isinstance(spec, Convergence):
        spec = spec.__dict__
    if not isinstance(spec, dict):
        raise ModelError.single("convergence", "must be an object of settings")
    known = set(Convergence.__dataclass_fields__)
    problems = [
        Violation(f"convergence.{key}", "unknown setting")
        for key in spec
        if key not in known
    ]
    merged = {
        **Convergence().__dict__,
        **{k: spec[k] for k in spec if k in known},
    }
    problems += _check(merged, outputs)
    if sampling == "lhs":
        problems.append(
            Violation(
                "convergence",
                "needs a prefix-stable sampling method (mc, antithetic or "
                "sobol): an lhs design depends on the run's length",
            )
        )
    if problems:
        raise ModelError(problems)
    return Convergence(
        statistics=tuple(merged["statistics"]),
        tolerance=float(merged["tolerance"]),
        relative=bool(merged["relative"]),
        confidence=float(merged["confidence"]),
        every=int(merged["every"]),
        outputs=tuple(merged["outputs"]),
    )


def _check(spec: dict, outputs: list[str]) -> list[Violation]:
    problems = []

    def bad(name: str, why: str) -> None:
        problems.append(Violation(f"convergence.{name}", why))

    stats = spec["statistics"]
    if isinstance(stats, str) or not stats:
        bad("statistics", 'must be a non-empty list such as ["mean", "p95"]')
    else:
        for i, s in enumerate(stats):
            if s not in ("mean", "std") and not _percentile_of(s):
                bad(
                    f"statistics[{i}]",
                    f'must be "mean", "std" or "pXX" '
                    f"with XX in (0, 100), got {s!r}",
                )
    tol = spec["tolerance"]
    if not _number(tol) or not tol > 0 or not math.isfinite(tol):
        bad("tolerance", f"must be a number greater than 0, got {tol!r}")
    if not isinstance(spec["relative"], bool):
        bad("relative", f"must be true or false, got {spec['relative']!r}")
    c = spec["confidence"]
    if not _number(c) or not 0 < c < 1:
        bad(
            "confidence",
            f"must be a number strictly between 0 and 1, got {c!r}",
        )
    every = spec["every"]
    if isinstance(every, bool) or not isinstance(every, int) or every < 2:
        bad("every", f"must be a whole number of at least 2, got {every!r}")
    names = spec["outputs"]
    if isinstance(names, str):
        bad("outputs", "must be a list of output names")
    else:
        for i, name in enumerate(names):
            if name not in outputs:
                bad(f"outputs[{i}]", f"{name!r} is not an output of the model")
    return problems


def _number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _percentile_of(statistic) -> float | None:
    match = (
        _PERCENTILE.match(statistic) if isinstance(statistic, str) else None
    )
    if not match:
        return None
    p = float(match.group(1))
    return p if 0 < p < 100 else None


def check(
    values: np.ndarray,
    names: list[str],
    spec: Convergence,
    n: int,
    threads: int,
) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per chosen output and statistic, (value, half-width, allowed) over
    the first n iterations of values (outputs x iterations)."""
    chosen = spec.outputs or tuple(names)
    z = float(
        _core.quantile(
            _KINDS["NORMAL"], [0.0, 1.0], np.array([(1 + spec.confidence) / 2])
        )[0]
    )
    out = {}
    for name in chosen:
        row = values[names.index(name), :n]
        out[name] = _output_check(row, spec, z, threads)
    return out


def _output_check(row, spec: Convergence, z: float, threads: int):
    pcts = [_percentile_of(s) for s in spec.statistics]
    asked = [p for p in pcts if p is not None]
    first = _core.describe(row, asked, 1, threads)
    valid = int(first["valid"])
    ranks = interval_ranks(asked, valid, spec.confidence)
    ends = []
    if any(ranks):
        ends = _core.describe(row, rank_percentiles(ranks, valid), 1, threads)[
            "percentiles"
        ]
    bounds, it = {}, iter(ends)
    for p, pair in zip(asked, ranks):
        bounds[p] = (next(it), next(it)) if pair else (math.nan, math.nan)
    found = dict(zip(asked, first["percentiles"]))
    result = {}
    for statistic, p in zip(spec.statistics, pcts):
        if statistic == "mean":
            value, half = first["mean"], _mean_half(first, spec.confidence)
        elif statistic == "std":
            value = first["std"]
            half = (
                z
                * value
                * math.sqrt(max(first["kurtosis"] - 1, 0) / valid)
                / 2
            )
        else:
            value = found[p]
            lo, hi = bounds[p]
            half = (hi - lo) / 2
        allowed = (
            spec.tolerance * abs(value) if spec.relative else spec.tolerance
        )
        result[statistic] = (value, half, allowed)
    return result


def _mean_half(d, confidence: float) -> float:
    n = int(d["valid"])
    if n < 2:
        return math.inf
    t = float(
        _core.quantile(
            _KINDS["STUDENT"], [float(n - 1)], np.array([(1 + confidence) / 2])
        )[0]
    )
    return t * d["sem"]


def converged(found) -> bool:
    """Every half-width within its allowance (NaN never is)."""
    return all(
        half <= allowed
        for stats in found.values()
        for _, half, allowed in stats.values()
    )
