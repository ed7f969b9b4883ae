"""Thread scaling on R1: one thread against every core, same results.

mcengine promises bit-identical results whatever the thread count, so
every run is checked against one reference run; the figure is the time on
one thread over the time on all cores.
"""

from __future__ import annotations

import os

import pytest

import mcengine
from bench.core import r1
from bench.core.checks import check_identical
from bench.core.record import checked, record, timed
from bench.core.scale import SCALE

CORES = os.cpu_count() or 1
FIGURE = f"threads:1->{CORES}"


def run(model: dict, threads: int) -> dict:
    """R1 at SCALE.thread_iterations on `threads` threads, as a dict."""
    result = mcengine.simulate(
        model,
        iterations=SCALE.thread_iterations,
        seed=r1.SEED,
        percentiles=r1.PERCENTILES,
        threads=threads,
    )

    return result.to_dict()


@pytest.fixture(scope="module")
def reference() -> dict:
    """R1 on every core: the result every thread count must reproduce."""
    return run(r1.model(), CORES)


@pytest.mark.parametrize("threads", sorted({1, CORES}))
def test_thread_scaling(benchmark, reference: dict, threads: int):
    """R1 at SCALE.thread_iterations on `threads` threads."""
    role = "baseline" if threads == 1 else "subject"
    name = f"mcengine.simulate, {threads} thread{'s' * (threads > 1)}"
    n = SCALE.thread_iterations
    record(benchmark, FIGURE, role, name, n, "iterations")
    model = r1.model()
    result = timed(benchmark, lambda: run(model, threads), SCALE.thread_rounds)
    checked(benchmark, identical=check_identical(result, reference))
