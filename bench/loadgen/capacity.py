"""How much load can it take? Step the load up until the SLA breaks.

Each stage is a whole run (its own warm-up, then a fixed duration or
count) at one load level; the level starts where the user puts it
(the load expected in production, so that the first stage answers "does
it hold there?") and grows by a factor (default x1.5) or by a fixed
step, until a stage misses the SLA, or the stage or load limits are
reached. The answer is the highest level whose stage met the SLA, with
its achieved throughput; the true limit lies between it and the first
failing level (no bisection: the step sets the resolution).

The level is the open-loop rate (calls/s, the recommended way: the
offered load does not fall when the server slows down) or, with
--concurrency, the number of closed-loop workers (simpler to picture,
but a slow server slows its own load down, so the p95 it holds reads as
service time at that concurrency).

A stage whose generator showed signs of limiting the result (selfcheck)
is flagged: a break there may be the generator's, not the server's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.loadgen.runner import Load


@dataclass(frozen=True)
class Steps:
    """How the level grows, and where the search stops."""

    factor: float | None = 1.5
    add: float | None = None
    max_stages: int = 8
    max_level: float | None = None

    def following(self, level: float, closed_loop: bool) -> float:
        """The next level; for workers, a whole number at least one more."""
        grown = level + self.add if self.add else level * self.factor
        if closed_loop:
            return max(math.ceil(grown - 1e-9), int(level) + 1)

        return grown


@dataclass(frozen=True)
class Stage:
    """One level's outcome: its report and its raw latencies (ns)."""

    level: float
    report: dict
    latencies: list[int]

    @property
    def met(self) -> bool:
        return self.report["sla"]["met"]

    @property
    def generator_limited(self) -> bool:
        return self.report["generator"]["limited"]


RunStage = Callable[[Load], Awaitable[Stage]]


async def search(run_stage: RunStage, start: Load, steps: Steps):
    """Run stages from `start` upwards; (stages, why the search stopped)."""
    closed = not start.open_loop
    level = float(start.concurrency if closed else start.rate)
    stages: list[Stage] = []
    while True:
        stages.append(await run_stage(_at(start, level)))
        if not stages[-1].met:
            return stages, "the SLA was missed"
        if len(stages) >= steps.max_stages:
            return stages, f"{steps.max_stages} stages were run"
        level = steps.following(level, closed)
        if steps.max_level is not None and level > steps.max_level:
            return stages, f"the next level exceeds {steps.max_level:g}"


def summary(stages: list[Stage], stopped: str, start: Load) -> dict:
    """The capacity report: every stage, the answer and its bounds."""
    knob = "rate" if start.open_loop else "concurrency"
    passing = [s for s in stages if s.met]
    failing = next((s for s in stages if not s.met), None)

    return {
        "mode": "capacity",
        "knob": knob,
        "stopped_because": stopped,
        "met_at_start": stages[0].met,
        "highest_passing": _brief(passing[-1]) if passing else None,
        "first_failing": _brief(failing) if failing else None,
        "stages": [{"level": s.level, **s.report} for s in stages],
    }


def _at(start: Load, level: float) -> Load:
    if start.open_loop:
        return dataclasses.replace(start, rate=level)

    return dataclasses.replace(start, concurrency=int(level))


def _brief(stage: Stage) -> dict:
    return {
        "level": stage.level,
        "rps": stage.report["rps"],
        "p95_seconds": stage.report["sla"]["p95_seconds"],
        "error_rate": stage.report["sla"]["error_rate"],
        "generator_limited": stage.generator_limited,
    }
