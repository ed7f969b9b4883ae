"""The runner on a virtual clock: schedules, bounds, coordinated omission.

Every test here runs on VirtualTimeLoop, whose clock jumps to the next
timer instead of waiting: times are exact (float rounding is below
1e-12 s, far under the 1 ns unit of the reports) and nothing sleeps.
Calls go to fake servers, coroutines with a service time.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.loadgen import report, runner
from bench.loadgen.distribution import nanoseconds, percentile
from bench.loadgen.mix import Chooser, MixEntry
from bench.loadgen.sla import Sla
from tests.bench.virtual_time import run_virtual

SERVICE = 0.010  # seconds a fake server takes per call
ENTRIES = (
    MixEntry("a", None, "{}", 10, 3.0),
    MixEntry("b", None, "{}", 10, 1.0),
)


def chooser(seed: int = 1) -> Chooser:
    return Chooser(ENTRIES, seed)


class StallingServer:
    """Answers after SERVICE s, but holds every reply during a stall."""

    def __init__(self, stall_from: float, stall_to: float):
        self.stall_from, self.stall_to = stall_from, stall_to

    async def __call__(self, entry):
        loop = asyncio.get_running_loop()
        await asyncio.sleep(SERVICE)
        if self.stall_from <= loop.time() < self.stall_to:
            await asyncio.sleep(self.stall_to - loop.time())

        return "OK", ""


class PausingGenerator:
    """Answers after SERVICE s; call number `at` freezes the process."""

    def __init__(self, at: int, pause: float):
        self.at, self.pause, self.calls = at, pause, 0

    async def __call__(self, entry):
        self.calls += 1
        if self.calls == self.at:
            # Advances the clock without yielding, as a blocking pause
            # of the whole generator process would.
            asyncio.get_running_loop().advance(self.pause)
        await asyncio.sleep(SERVICE)

        return "OK", ""


def latencies_ns(result) -> list[int]:
    return sorted(nanoseconds(r.latency) for r in result.measured)


def test_server_stall_shows_in_open_loop_latencies():
    """Calls scheduled during a 2 s stall carry their wait: p95 is 1.8 s.

    10 calls/s for 5 s; replies are held from t = 1 to 3 s, so the 20
    calls intended at 1.0, 1.1 ... 2.9 s end at 3.0 s with latencies
    2.0, 1.9 ... 0.1 s, the other 30 take 10 ms; the nearest-rank p95
    of 50 is rank 48, the third slowest: 1.8 s.
    """
    load = runner.Load(rate=10, arrival="uniform", count=50)
    result = run_virtual(runner.run(StallingServer(1.0, 3.0), chooser(), load))
    ordered = latencies_ns(result)

    assert len(ordered) == 50
    assert ordered[-3:] == [1_800_000_000, 1_900_000_000, 2_000_000_000]
    assert percentile(ordered, 95) == 1_800_000_000
    assert percentile(ordered, 50) == 10_000_000


def test_closed_loop_hides_the_same_stall():
    """One worker waits out the stall in a single call: p95 stays 10 ms.

    This is coordinated omission, the reason the open loop counts from
    intended send times: the closed loop sends nothing while waiting.
    """
    load = runner.Load(concurrency=1, count=400)
    result = run_virtual(runner.run(StallingServer(1.0, 3.0), chooser(), load))
    ordered = latencies_ns(result)
    stalled = [ns for ns in ordered if ns > 1_000_000_000]

    assert len(stalled) == 1
    assert percentile(ordered, 95) == pytest.approx(10_000_000, abs=1)


def test_generator_pause_counts_from_intended_send_times():
    """Calls due while the generator froze for 1 s carry the delay.

    The 10th call (due at 1.0 s) freezes the process until 2.0 s; the
    calls due at 1.1 ... 1.9 s go out at 2.0 s, so their send lag is
    0.9 ... 0.1 s and each latency is that lag plus the 10 ms service.
    """
    load = runner.Load(rate=10, arrival="uniform", count=30)
    result = run_virtual(
        runner.run(PausingGenerator(10, 1.0), chooser(), load)
    )
    late = sorted(
        (r for r in result.measured if r.send_lag > 1e-9),
        key=lambda r: r.intended,
    )

    assert [round(r.intended, 9) for r in late] == [
        round(1.1 + 0.1 * k, 9) for k in range(9)
    ]
    for record in late:
        assert record.sent == pytest.approx(2.0, abs=1e-12)
        assert record.latency == pytest.approx(
            record.send_lag + SERVICE, abs=1e-12
        )
    assert max(latencies_ns(result)) == 1_010_000_000


def test_generator_pause_is_reported_as_send_lag():
    """The report gives the lag (max 0.9 s, 9 late) and warns about it."""
    load = runner.Load(rate=10, arrival="uniform", count=30)
    result = run_virtual(
        runner.run(PausingGenerator(10, 1.0), chooser(), load)
    )
    document = report.build(result, {}, Sla())

    assert document["send_lag"]["max"] == 900_000_000
    assert document["send_lag"]["late_calls"] == 9
    assert document["generator"]["limited"] is True
    assert any("late" in w for w in document["warnings"])


def test_warmup_calls_are_run_but_excluded():
    """At 10/s with 1 s warm-up, calls due before 1 s are flagged."""
    load = runner.Load(rate=10, arrival="uniform", count=5, warmup=1.0)
    server = StallingServer(0, 0)
    result = run_virtual(runner.run(server, chooser(), load))

    assert sum(r.warmup for r in result.records) == 9
    assert [round(r.intended, 9) for r in result.measured] == [
        1.0,
        1.1,
        1.2,
        1.3,
        1.4,
    ]


def test_open_loop_duration_bounds_the_schedule():
    """Uniform 10/s for 1 s sends the calls due at 0.1 ... 0.9 s."""
    load = runner.Load(rate=10, arrival="uniform", duration=1.0)
    result = run_virtual(runner.run(StallingServer(0, 0), chooser(), load))

    assert len(result.measured) == 9
    assert result.finished == pytest.approx(0.9 + SERVICE, abs=1e-12)


def test_closed_loop_count_and_concurrency():
    """3 workers, 10 calls: exactly 10 measured, 3 in flight at first."""
    load = runner.Load(concurrency=3, count=10)
    result = run_virtual(runner.run(StallingServer(0, 0), chooser(), load))
    first = [r for r in result.records if r.sent == 0.0]

    assert len(result.measured) == 10
    assert len(first) == 3
    assert result.finished == pytest.approx(4 * SERVICE, abs=1e-12)


def test_closed_loop_duration_stops_issuing_at_the_end():
    """One worker for 0.105 s, 10 ms a call: 11 calls, at 0 ... 0.1 s."""
    load = runner.Load(concurrency=1, duration=0.1 + SERVICE / 2)
    result = run_virtual(runner.run(StallingServer(0, 0), chooser(), load))

    assert len(result.measured) == 11


def test_same_seed_repeats_the_run():
    """Poisson times and the entry sequence repeat for one seed."""
    load = runner.Load(rate=50, count=100)

    def trace(seed):
        result = run_virtual(
            runner.run(StallingServer(0, 0), chooser(seed), load, seed)
        )
        return [(r.entry, r.intended) for r in result.records]

    assert trace(3) == trace(3)
    assert trace(3) != trace(4)


@pytest.mark.parametrize(
    "load",
    [
        runner.Load(count=1),
        runner.Load(concurrency=1, rate=1, count=1),
        runner.Load(concurrency=0, count=1),
        runner.Load(rate=-1, count=1),
        runner.Load(rate=1, arrival="bursty", count=1),
        runner.Load(rate=1),
        runner.Load(rate=1, count=0),
        runner.Load(rate=1, duration=0),
        runner.Load(rate=1, count=1, warmup=-1),
    ],
)
def test_unworkable_loads_are_refused(load):
    """Load.check raises ValueError before anything is sent."""
    with pytest.raises(ValueError):
        load.check()
