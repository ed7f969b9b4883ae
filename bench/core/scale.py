"""How much work each benchmark does: the standard suite, or a smoke run.

MCENGINE_BENCH_SCALE=smoke shrinks every size so that the suite runs in
seconds (tests/bench runs it that way, so the benchmarks cannot rot); the
default is the standard suite of `make bench`, sized to finish in a few
minutes on a 2-core machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """Sizes (iterations or samples per round) and rounds per benchmark.

    Cheap benchmarks get more rounds: the summaries take the fastest
    round, and on a shared machine more rounds make it likelier that one
    ran undisturbed.
    """

    name: str
    dist_samples: int
    dist_rounds: int
    chain_cells: int
    chain_iterations: int
    chain_rounds: int
    r1_runs: tuple[tuple[int, int], ...]  # (iterations, rounds)
    thread_iterations: int
    thread_rounds: int
    service_iterations: int
    service_rounds: int
    workbook_formulas: int = 10_000
    workbook_iterations: int = 100_000
    workbook_rounds: int = 5


STANDARD = Scale(
    name="standard",
    dist_samples=1_000_000,
    dist_rounds=10,
    chain_cells=1_000,
    chain_iterations=1_000_000,
    chain_rounds=5,
    r1_runs=((1_000_000, 10), (10_000_000, 5)),
    thread_iterations=10_000_000,
    thread_rounds=5,
    service_iterations=1_000_000,
    service_rounds=25,
)

SMOKE = Scale(
    name="smoke",
    dist_samples=2_000,
    dist_rounds=1,
    chain_cells=20,
    chain_iterations=2_000,
    chain_rounds=1,
    r1_runs=((2_000, 1),),
    thread_iterations=5_000,
    thread_rounds=1,
    service_iterations=2_000,
    service_rounds=1,
    workbook_formulas=100,
    workbook_iterations=2_000,
    workbook_rounds=1,
)


def current() -> Scale:
    """The scale named by MCENGINE_BENCH_SCALE (default: standard)."""
    name = os.environ.get("MCENGINE_BENCH_SCALE", "standard")
    scales = {scale.name: scale for scale in (STANDARD, SMOKE)}
    if name not in scales:
        message = f"MCENGINE_BENCH_SCALE={name!r}: use one of {list(scales)}"
        raise ValueError(message)

    return scales[name]


SCALE = current()
