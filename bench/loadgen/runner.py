"""Driving the calls: closed loop (fixed workers) or open loop (a rate).

Closed loop: `concurrency` workers each send a call, wait for its reply
and send the next. It measures throughput at a fixed concurrency; its
latencies are service times, since a worker waiting on a slow reply
sends nothing meanwhile (a closed loop cannot see the calls a stalled
server kept from being sent: coordinated omission).

Open loop: calls are sent at the times an arrival schedule fixes in
advance, whether or not earlier calls have answered, and each latency
runs from the call's INTENDED send time to its reply. When the server
stalls, or the generator itself falls behind (CPU, a pause), the calls
that should have gone out meanwhile carry that wait in their latency
instead of being silently sent later; how late each was sent is kept
too (sent - intended), so the report can say when the generator, not
the server, set the pace.

Time comes from the running event loop's clock (`loop.time()`, the
monotonic clock), so a test can run the same code on a loop whose clock
is virtual. The calls themselves are an injected coroutine function, so
this module knows nothing of gRPC.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.loadgen.mix import Chooser, MixEntry
from bench.loadgen.schedule import ARRIVALS, arrivals

# A call: sends one request for the entry and returns (status code name,
# error message); ("OK", "") on success.
Call = Callable[[MixEntry], Awaitable[tuple[str, str]]]
WARMUP, MEASURED = "warmup", "measured"


@dataclass(frozen=True)
class Load:
    """How hard and for how long to drive the server."""

    concurrency: int | None = None
    rate: float | None = None
    arrival: str = "poisson"
    duration: float | None = None
    count: int | None = None
    warmup: float = 0.0

    @property
    def open_loop(self) -> bool:
        return self.rate is not None

    def check(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        if (self.concurrency is None) == (self.rate is None):
            raise ValueError("give exactly one of concurrency and rate")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1: {self.concurrency}")
        if self.rate is not None and not 0 < self.rate < float("inf"):
            raise ValueError(f"rate must be > 0 calls/s: {self.rate}")
        if self.arrival not in ARRIVALS:
            raise ValueError(f"arrival must be one of {ARRIVALS}")
        if self.duration is None and self.count is None:
            raise ValueError("give a duration or a count")
        if self.duration is not None and not self.duration > 0:
            raise ValueError(f"duration must be > 0 s: {self.duration}")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be >= 1: {self.count}")
        if not self.warmup >= 0:
            raise ValueError(f"warm-up must be >= 0 s: {self.warmup}")


@dataclass(frozen=True)
class CallRecord:
    """One completed call; times in seconds of the loop's clock."""

    entry: str
    intended: float
    sent: float
    ended: float
    code: str
    message: str
    warmup: bool

    @property
    def latency(self) -> float:
        """Seconds from the intended send time to the reply."""
        return self.ended - self.intended

    @property
    def send_lag(self) -> float:
        """Seconds the call went out after its intended time (>= 0)."""
        return self.sent - self.intended


@dataclass
class RunResult:
    """Every call of a run (warm-up ones flagged) and what it cost."""

    load: Load
    records: list[CallRecord] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def measured(self) -> list[CallRecord]:
        return [r for r in self.records if not r.warmup]

    @property
    def wall_seconds(self) -> float:
        return self.finished - self.started


class _Quota:
    """Decides, for a call about to start, its phase or that none starts."""

    def __init__(self, load: Load, start: float):
        self._warm_end = start + load.warmup
        duration = load.duration
        self._end = None if duration is None else self._warm_end + duration
        self._left = load.count

    def take(self, at: float) -> str | None:
        if at < self._warm_end:
            return WARMUP
        if self._end is not None and at >= self._end:
            return None
        if self._left is not None:
            if self._left == 0:
                return None
            self._left -= 1

        return MEASURED


async def run(call: Call, chooser: Chooser, load: Load, seed: int = 1):
    """Drive `call` with the load; every call has ended on return."""
    load.check()
    clock = asyncio.get_running_loop().time
    result = RunResult(load, started=clock())
    cpu_before = time.process_time()
    if load.open_loop:
        await _open_loop(call, chooser, load, seed, result)
    else:
        await _closed_loop(call, chooser, load, result)
    result.finished = clock()
    result.cpu_seconds = time.process_time() - cpu_before

    return result


async def _open_loop(call, chooser, load, seed, result) -> None:
    clock = asyncio.get_running_loop().time
    quota = _Quota(load, result.started)
    pending: set[asyncio.Task] = set()
    try:
        for offset in arrivals(load.arrival, load.rate, seed):
            intended = result.started + offset
            phase = quota.take(intended)
            if phase is None:
                break
            delay = intended - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            entry = chooser.next()
            task = asyncio.create_task(
                _one(call, entry, intended, phase, result.records)
            )
            pending.add(task)
            task.add_done_callback(pending.discard)
        while pending:
            await asyncio.gather(*pending)
    finally:
        _cancel(pending)


async def _closed_loop(call, chooser, load, result) -> None:
    clock = asyncio.get_running_loop().time
    quota = _Quota(load, result.started)

    async def worker() -> None:
        while (phase := quota.take(clock())) is not None:
            entry = chooser.next()
            await _one(call, entry, None, phase, result.records)

    workers = [asyncio.create_task(worker()) for _ in range(load.concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        _cancel(workers)


async def _one(call, entry, intended, phase, records) -> None:
    clock = asyncio.get_running_loop().time
    sent = clock()
    code, message = await call(entry)
    ended = clock()
    records.append(
        CallRecord(
            entry=entry.name,
            intended=sent if intended is None else intended,
            sent=sent,
            ended=ended,
            code=code,
            message=message,
            warmup=phase == WARMUP,
        )
    )


def _cancel(tasks) -> None:
    # Only reached with tasks left when a call raised something other
    # than a status (a bug): stop the rest rather than leak them.
    for task in list(tasks):
        task.cancel()
