"""The capacity search: levels, stopping, and the answer it gives."""

from __future__ import annotations

import asyncio

import pytest

from bench.loadgen import capacity, summary
from bench.loadgen.runner import Load


def fake_report(level: float, met: bool) -> dict:
    return {
        "options": {
            "target": "t",
            "mix": "m",
            "seed": 1,
            "loop": "open",
            "rate": level,
            "arrival": "poisson",
            "concurrency": None,
            "count": 10,
            "duration_seconds": None,
            "warmup_seconds": 0.0,
            "connections": 1,
            "deadline_seconds": 5.0,
        },
        "count": 300,
        "rps": level * 0.9,
        "sla": {
            "p95_seconds": 0.5 if met else 3.0,
            "p95_limit_seconds": 2.0,
            "error_rate": 0.0,
            "met": met,
        },
        "generator": {"limited": False},
        "warnings": [],
    }


def search_until(breaking: float, start: Load, steps: capacity.Steps):
    """Run the search on a fake server that holds below `breaking`."""
    seen = []

    async def run_stage(load: Load) -> capacity.Stage:
        level = load.rate if load.open_loop else load.concurrency
        seen.append(load)
        return capacity.Stage(level, fake_report(level, level < breaking), [])

    stages, stopped = asyncio.run(capacity.search(run_stage, start, steps))

    return stages, stopped, seen


def test_rate_grows_by_the_factor_until_the_sla_breaks():
    """1, 1.5, 2.25, 3.375 calls/s; the last breaks a limit of 3."""
    start = Load(rate=1.0, count=10)
    stages, stopped, seen = search_until(3.0, start, capacity.Steps())
    document = capacity.summary(stages, stopped, start)

    assert [s.level for s in stages] == [1.0, 1.5, 2.25, 3.375]
    assert all(load.count == 10 for load in seen)
    assert document["highest_passing"]["level"] == 2.25
    assert document["first_failing"]["level"] == 3.375
    assert document["met_at_start"] is True
    assert stopped == "the SLA was missed"


def test_added_steps_and_the_stage_limit_end_the_search():
    """+2 calls/s from 1, at most 3 stages, never breaking: 1, 3, 5."""
    steps = capacity.Steps(add=2.0, max_stages=3)
    stages, stopped, _ = search_until(100.0, Load(rate=1.0, count=5), steps)

    assert [s.level for s in stages] == [1.0, 3.0, 5.0]
    assert stopped == "3 stages were run"


def test_the_level_limit_ends_the_search():
    """x2 from 1 with a ceiling of 5: 1, 2, 4, then 8 is not run."""
    steps = capacity.Steps(factor=2.0, max_level=5.0)
    stages, stopped, _ = search_until(100.0, Load(rate=1.0, count=5), steps)

    assert [s.level for s in stages] == [1.0, 2.0, 4.0]
    assert "exceeds 5" in stopped


def test_closed_loop_steps_whole_workers():
    """Workers grow x1.5 rounded up, at least by one: 1, 2, 3, 5, 8."""
    _, _, seen = search_until(
        7, Load(concurrency=1, count=5), capacity.Steps()
    )

    assert [load.concurrency for load in seen] == [1, 2, 3, 5, 8]
    assert all(load.rate is None for load in seen)


def test_a_start_level_that_breaks_is_no_capacity():
    """When the first stage misses, there is no passing level."""
    start = Load(rate=10.0, count=5)
    stages, stopped, _ = search_until(1.0, start, capacity.Steps())
    document = capacity.summary(stages, stopped, start)

    assert len(stages) == 1
    assert document["highest_passing"] is None
    assert document["met_at_start"] is False
    assert "NOT MET even at the start level" in summary.capacity_text(document)


@pytest.mark.parametrize(
    "level, closed, expected",
    [(1.0, False, 1.5), (1.0, True, 2), (4.0, True, 6), (10.0, False, 15.0)],
)
def test_following_level(level, closed, expected):
    """The next level is level x 1.5; whole and one more for workers."""
    assert capacity.Steps().following(level, closed) == expected
