"""Checking a request's run settings before any work starts.

The engine checks these too; checking here as well means a request that
could never run is refused before it takes a simulation slot, and the
client learns every problem with its request fields in one reply.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from mcengine.engine.simulate import check_measures
from mcengine.engine.statistics import DEFAULT_CONFIDENCE
from mcengine.model.errors import LimitError, ModelError, Violation

DEFAULT_VALIDATE_ITERATIONS = 10_000
# The proto's Sampling numbers and the engine's names for them.
SAMPLING_NAMES = {0: "mc", 1: "antithetic", 2: "lhs", 3: "sobol"}


@dataclass(frozen=True)
class RunSpec:
    """The keyword arguments of simulate() that come from a request."""

    iterations: int
    seed: int | None
    percentiles: list[float] | None
    threads: int | None
    sampling: str = "mc"
    targets: tuple[float, ...] = ()
    risk_levels: tuple[float, ...] = ()
    confidence: float = DEFAULT_CONFIDENCE
    convergence: dict | None = None

    def kwargs(self) -> dict:
        return {
            "iterations": self.iterations,
            "seed": self.seed,
            "percentiles": self.percentiles,
            "threads": self.threads,
            "sampling": self.sampling,
            "targets": list(self.targets),
            "risk_levels": list(self.risk_levels),
            "confidence": self.confidence,
            "convergence": self.convergence,
        }


def run_spec(request, max_iterations: int, default_threads: int | None):
    """The RunSpec of a SimulateRequest; ModelError or LimitError if bad."""
    violations = _iteration_violations(request.iterations)
    violations += _percentile_violations(request.percentiles)
    sampling = SAMPLING_NAMES.get(request.sampling)
    if sampling is None:
        known = ", ".join(str(number) for number in SAMPLING_NAMES)
        violations.append(
            Violation(
                "sampling",
                f"unknown method {request.sampling}; known: {known}",
            )
        )
    measures = None
    try:
        measures = check_measures(
            list(request.targets),
            list(request.risk_levels),
            request.confidence or DEFAULT_CONFIDENCE,
        )
    except ModelError as error:
        violations += error.violations
    if violations:
        raise ModelError(violations)
    check_limits(request.iterations, request.threads, max_iterations)
    targets, risk_levels, confidence = measures

    return RunSpec(
        iterations=request.iterations,
        seed=request.seed if request.HasField("seed") else None,
        percentiles=list(request.percentiles) or None,
        threads=request.threads or default_threads or None,
        sampling=sampling,
        targets=tuple(targets),
        risk_levels=tuple(risk_levels),
        confidence=confidence,
        convergence=_convergence(request),
    )


def _convergence(request) -> dict | None:
    """The engine's convergence settings of a request (checked there)."""
    if not request.HasField("convergence"):
        return None
    rule = request.convergence
    return {
        "statistics": list(rule.statistics) or ["mean"],
        "tolerance": rule.tolerance or 0.01,
        "relative": not rule.absolute,
        "confidence": rule.confidence or DEFAULT_CONFIDENCE,
        "every": rule.every or 10_000,
        "outputs": list(rule.outputs),
    }


def check_limits(iterations: int, threads: int, max_iterations: int):
    """Raise LimitError for iterations or threads over the server's limit."""
    if iterations > max_iterations:
        raise LimitError("iterations", max_iterations, iterations, "requested")
    cores = os.cpu_count() or 1
    if threads > cores:
        raise LimitError("threads", cores, threads, "requested")


def limit_violations(iterations: int, threads: int, max_iterations: int):
    """The limit checks as a list of violations, for ValidateModel."""
    try:
        check_limits(iterations, threads, max_iterations)
    except LimitError as error:
        return [Violation(error.field, error.description)]

    return []


def memory_violations(iterations: int, outputs: int, max_values: int):
    """The engine keeps every output value: iterations * outputs is capped."""
    values = iterations * outputs
    if values <= max_values:
        return []
    error = LimitError(
        "iterations", max_values, values, "iterations times outputs"
    )

    return [Violation(error.field, error.description)]


def _iteration_violations(iterations: int) -> list[Violation]:
    if iterations < 1:
        return [Violation("iterations", "must be at least 1, got 0")]

    return []


def _percentile_violations(percentiles) -> list[Violation]:
    violations = []
    for index, p in enumerate(percentiles):
        if not (math.isfinite(p) and 0 <= p <= 100):
            description = f"must be a number in [0, 100], got {p!r}"
            violations.append(Violation(f"percentiles[{index}]", description))

    return violations
