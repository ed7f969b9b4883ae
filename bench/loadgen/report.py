"""The JSON report of one run, in the shape ghz writes.

ghz's keys keep ghz's names and meaning: count, total, average, fastest,
slowest, rps, latencyDistribution, statusCodeDistribution,
errorDistribution, histogram; every duration is an integer number of
nanoseconds, as in ghz (histogram marks too, where ghz writes seconds).
Keys this generator adds are snake_case: options, units, latency_basis,
ok_latency_distribution, entries, send_lag, warmup, generator, warnings,
sla.

Only measured calls count (warm-up calls are excluded and counted
apart). Latencies, percentiles, fastest, slowest, average and the
histogram cover every completed measured call, errors included;
ok_latency_distribution repeats the percentiles over OK calls only.
total runs from the first measured call's (intended) send time to the
last measured reply, and rps is count / total.
"""

from __future__ import annotations

import collections
import datetime

from bench.loadgen import distribution, selfcheck
from bench.loadgen.distribution import nanoseconds
from bench.loadgen.runner import CallRecord, RunResult
from bench.loadgen.sla import Sla

UNITS = {"durations": "ns", "rps": "calls/s", "seconds": "s"}


def build(result: RunResult, options: dict, sla: Sla) -> dict:
    """The report of a finished run, SLA verdict and warnings included."""
    measured = result.measured
    latencies = sorted(nanoseconds(r.latency) for r in measured)
    ok = sorted(nanoseconds(r.latency) for r in measured if r.code == "OK")
    total = _total(measured)
    errors = len(measured) - len(ok)
    lag = selfcheck.send_lag(result)
    generator = selfcheck.generator(result)
    generator["limited"] = selfcheck.limited(generator, lag, len(measured))
    p95 = distribution.percentile(latencies, 95) if latencies else None

    return {
        "date": _now(),
        "options": options,
        "units": UNITS,
        "latency_basis": _basis(result),
        **_summary(latencies, total),
        "latencyDistribution": distribution.latency_distribution(latencies),
        "ok_latency_distribution": distribution.latency_distribution(ok),
        "statusCodeDistribution": _codes(measured),
        "errorDistribution": _errors(measured),
        "histogram": distribution.histogram(latencies),
        "entries": _entries(measured),
        "send_lag": lag,
        "warmup": _warmup(result),
        "generator": generator,
        "warnings": selfcheck.warnings(generator, lag, len(measured)),
        "sla": sla.verdict(p95, len(measured), errors),
    }


def _summary(latencies: list[int], total: int) -> dict:
    count = len(latencies)

    return {
        "count": count,
        "total": total,
        "average": round(sum(latencies) / count) if count else 0,
        "fastest": latencies[0] if count else 0,
        "slowest": latencies[-1] if count else 0,
        "rps": count / (total / 1e9) if total > 0 else 0.0,
    }


def _basis(result: RunResult) -> dict:
    since = "intended send time" if result.load.open_loop else "send time"

    return {
        "latency_from": since,
        "percentiles": "nearest rank, exact over all completed calls",
        "errors_included": True,
        "ok_only": "ok_latency_distribution",
    }


def _total(measured: list[CallRecord]) -> int:
    if not measured:
        return 0
    first = min(r.intended for r in measured)

    return nanoseconds(max(r.ended for r in measured) - first)


def _codes(measured: list[CallRecord]) -> dict:
    counts = collections.Counter(r.code for r in measured)

    return dict(counts.most_common())


def _errors(measured: list[CallRecord]) -> dict:
    counts = collections.Counter(
        f"{r.code}: {r.message}" for r in measured if r.code != "OK"
    )

    return dict(counts.most_common())


def _entries(measured: list[CallRecord]) -> dict:
    """Per mix entry: calls, errors and its own latency percentiles."""
    groups: dict[str, list[CallRecord]] = collections.defaultdict(list)
    for record in measured:
        groups[record.entry].append(record)
    entries = {}
    for name in sorted(groups):
        records = groups[name]
        ordered = sorted(nanoseconds(r.latency) for r in records)
        entries[name] = {
            "count": len(records),
            "errors": sum(1 for r in records if r.code != "OK"),
            "p50": distribution.percentile(ordered, 50),
            "p95": distribution.percentile(ordered, 95),
            "slowest": ordered[-1],
        }

    return entries


def _warmup(result: RunResult) -> dict:
    excluded = sum(1 for r in result.records if r.warmup)

    return {"seconds": result.load.warmup, "excluded_calls": excluded}


def _now() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)

    return now.isoformat(timespec="seconds")
