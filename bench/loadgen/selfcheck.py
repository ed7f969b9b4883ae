"""Did the generator, rather than the server, limit the result?

Three signs, each turned into a warning in the report and the summary:

- CPU: the generator's process time (every thread: Python and gRPC's
  own) over the run's wall time. Above half of one core, the Python
  event loop is busy enough that sends and reply handling queue behind
  each other, and the latencies start to include the generator's own
  delays. On a machine shared with the server it also takes CPU from
  the server.
- Send lag (open loop): how late calls went out versus their schedule.
  The latencies stay honest (they count from the intended time), but
  the offered load was not the one asked for. Late means more than
  50 ms (2.5 % of the 2 s limit; scheduling hiccups on a busy machine
  reach 10 ms); more than 1 % of calls late is reported.
- Few calls: with fewer than 100 measured calls, p95 rests on the
  slowest five or fewer, so one slow call decides the verdict.
"""

from __future__ import annotations

from bench.loadgen.distribution import nanoseconds, percentile
from bench.loadgen.runner import RunResult

CPU_FRACTION_LIMIT = 0.5
LATE_SECONDS = 0.050
LATE_FRACTION_LIMIT = 0.01
FEW_CALLS = 100


def generator(result: RunResult) -> dict:
    """The generator's own cost over the whole run, warm-up included."""
    wall = result.wall_seconds

    return {
        "cpu_seconds": result.cpu_seconds,
        "wall_seconds": wall,
        "cpu_fraction_of_one_core": result.cpu_seconds / wall if wall else 0,
    }


def send_lag(result: RunResult) -> dict | None:
    """Lateness of measured sends versus the schedule (open loop only)."""
    measured = result.measured
    if not result.load.open_loop or not measured:
        return None
    lags = sorted(nanoseconds(r.send_lag) for r in measured)
    late = sum(1 for lag in lags if lag > nanoseconds(LATE_SECONDS))

    return {
        "p50": percentile(lags, 50),
        "p99": percentile(lags, 99),
        "max": lags[-1],
        "late_calls": late,
        "late_threshold": nanoseconds(LATE_SECONDS),
    }


def warnings(generator_block: dict, lag: dict | None, calls: int) -> list:
    """Plain sentences, one per sign that the result may be limited."""
    found = [
        _cpu_warning(generator_block),
        _lag_warning(lag, calls),
        _sample_warning(calls),
    ]

    return [w for w in found if w is not None]


def limited(generator_block: dict, lag: dict | None, calls: int) -> bool:
    """Whether the generator itself may have set the pace (CPU or lag)."""
    signs = (_cpu_warning(generator_block), _lag_warning(lag, calls))

    return any(sign is not None for sign in signs)


def _cpu_warning(generator_block: dict) -> str | None:
    fraction = generator_block["cpu_fraction_of_one_core"]
    if fraction <= CPU_FRACTION_LIMIT:
        return None

    return (
        f"generator used {fraction:.0%} of one core "
        f"(limit {CPU_FRACTION_LIMIT:.0%}): it may have limited the "
        "result; use fewer connections, a lower rate, or run it on "
        "another machine"
    )


def _lag_warning(lag: dict | None, calls: int) -> str | None:
    if lag is None or lag["late_calls"] <= LATE_FRACTION_LIMIT * calls:
        return None

    return (
        f"{lag['late_calls']} of {calls} calls were sent more than "
        f"{LATE_SECONDS * 1e3:.0f} ms late (max {lag['max'] / 1e6:.0f} "
        "ms): the generator did not keep to the schedule, so the offered "
        "rate was lower than asked; latencies still count from the "
        "intended send times"
    )


def _sample_warning(calls: int) -> str | None:
    if calls == 0:
        return "no measured call completed"
    if calls >= FEW_CALLS:
        return None
    slowest = calls - percentile_rank(calls) + 1

    return (
        f"only {calls} measured calls: p95 rests on the slowest "
        f"{slowest} call(s); run longer"
    )


def percentile_rank(calls: int, p: int = 95) -> int:
    """The 1-based nearest rank of the p-th percentile among `calls`."""
    return percentile(range(1, calls + 1), p)
