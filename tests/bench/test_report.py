"""The report's shape, units and SLA verdict, from calls made up here."""

from __future__ import annotations

import pytest

from bench.loadgen import report, summary
from bench.loadgen.runner import CallRecord, Load, RunResult
from bench.loadgen.sla import Sla

GHZ_KEYS = {
    "count",
    "total",
    "average",
    "fastest",
    "slowest",
    "rps",
    "latencyDistribution",
    "statusCodeDistribution",
    "errorDistribution",
    "histogram",
}


def call(start, seconds, code="OK", message="", entry="a", warmup=False):
    return CallRecord(
        entry=entry,
        intended=start,
        sent=start,
        ended=start + seconds,
        code=code,
        message=message,
        warmup=warmup,
    )


def result_of(records, load=None, cpu=0.1) -> RunResult:
    load = load or Load(concurrency=1, count=len(records))
    return RunResult(
        load, records, started=0.0, finished=10.0, cpu_seconds=cpu
    )


def twenty_calls() -> list[CallRecord]:
    """Calls 1 .. 20 ms long, the last two failing, one warm-up call."""
    records = [call(0.0, 0.5, warmup=True)]
    for k in range(1, 19):
        records.append(call(k * 0.1, k / 1000, entry="a" if k % 2 else "b"))
    records.append(call(1.9, 0.019, "DEADLINE_EXCEEDED", "Deadline Exceeded"))
    records.append(call(2.0, 0.020, "UNAVAILABLE", "draining"))

    return records


def test_report_has_ghz_keys_with_durations_in_nanoseconds():
    """count, total, ... in ghz's names; every duration an int of ns."""
    document = report.build(result_of(twenty_calls()), {"x": 1}, Sla())

    assert GHZ_KEYS <= set(document)
    assert document["count"] == 20
    assert document["fastest"] == 1_000_000
    assert document["slowest"] == 20_000_000
    assert document["average"] == 10_500_000
    assert document["total"] == 1_920_000_000
    assert document["rps"] == pytest.approx(20 / 1.92, rel=1e-12)
    durations = [document[k] for k in ("total", "average", "fastest")]
    durations += [d["latency"] for d in document["latencyDistribution"]]
    durations += [h["mark"] for h in document["histogram"]]
    assert all(isinstance(d, int) for d in durations)
    assert document["units"]["durations"] == "ns"
    assert document["options"] == {"x": 1}


def test_percentiles_include_errors_and_ok_only_are_given_too():
    """p95 of all 20 calls is 19 ms (an error); of the 18 OK, 18 ms."""
    document = report.build(result_of(twenty_calls()), {}, Sla())
    at = {
        d["percentage"]: d["latency"] for d in document["latencyDistribution"]
    }
    ok = {
        d["percentage"]: d["latency"]
        for d in document["ok_latency_distribution"]
    }

    assert at[95] == 19_000_000
    assert ok[95] == 18_000_000
    assert document["latency_basis"]["errors_included"] is True


def test_status_and_error_distributions_count_measured_calls():
    """Codes by name, errors by 'CODE: message'; warm-up not counted."""
    document = report.build(result_of(twenty_calls()), {}, Sla())

    assert document["statusCodeDistribution"] == {
        "OK": 18,
        "DEADLINE_EXCEEDED": 1,
        "UNAVAILABLE": 1,
    }
    assert document["errorDistribution"] == {
        "DEADLINE_EXCEEDED: Deadline Exceeded": 1,
        "UNAVAILABLE: draining": 1,
    }
    assert document["warmup"]["excluded_calls"] == 1
    assert document["entries"]["b"]["count"] == 9
    assert document["entries"]["a"]["errors"] == 2


def test_sla_block_gives_p95_error_rate_and_verdict():
    """2 errors in 20 is 10 %, over the 1 % limit: not met."""
    document = report.build(result_of(twenty_calls()), {}, Sla())

    assert document["sla"] == {
        "p95_seconds": 0.019,
        "p95_limit_seconds": 2.0,
        "error_rate": 0.1,
        "error_rate_limit": 0.01,
        "met": False,
    }


def test_sla_limits_are_inclusive():
    """p95 exactly at the limit and errors exactly at the limit pass."""
    sla = Sla(p95_limit_seconds=2.0, error_rate_limit=0.01)

    assert sla.verdict(2_000_000_000, 100, 1)["met"] is True
    assert sla.verdict(2_000_000_001, 100, 1)["met"] is False
    assert sla.verdict(1_000, 100, 2)["met"] is False
    assert sla.verdict(None, 0, 0)["met"] is False


def test_generator_cpu_over_half_a_core_is_a_warning():
    """6 s of CPU in a 10 s run is 60 % of one core: flagged."""
    records = [call(k * 0.01, 0.001) for k in range(200)]
    document = report.build(result_of(records, cpu=6.0), {}, Sla())

    assert document["generator"]["cpu_fraction_of_one_core"] == 0.6
    assert document["generator"]["limited"] is True
    assert document["warnings"][0].startswith("generator used 60%")


def test_few_calls_are_a_warning_but_enough_are_not():
    """Under 100 measured calls the report says p95 rests on a few."""
    few = report.build(result_of(twenty_calls()), {}, Sla())
    many = [call(k * 0.01, 0.001) for k in range(100)]
    enough = report.build(result_of(many), {}, Sla())

    assert "slowest 2 call(s)" in few["warnings"][0]
    assert enough["warnings"] == []


def test_empty_run_reports_zeros_and_misses_the_sla():
    """No measured call: zero counts, empty lists, SLA not met."""
    document = report.build(result_of([]), {}, Sla())

    assert document["count"] == 0
    assert document["latencyDistribution"] == []
    assert document["sla"]["met"] is False
    assert "no measured call completed" in document["warnings"]


def test_summary_states_the_verdict_and_the_basis():
    """The human summary names the basis of latencies and the verdict."""
    options = {
        "target": "127.0.0.1:1",
        "mix": "m.json",
        "seed": 1,
        "loop": "open",
        "rate": 5.0,
        "arrival": "poisson",
        "concurrency": None,
        "count": 20,
        "duration_seconds": None,
        "warmup_seconds": 0.0,
        "connections": 1,
        "deadline_seconds": 5.0,
    }
    load = Load(rate=5, count=20)
    document = report.build(result_of(twenty_calls(), load), options, Sla())
    text = summary.run_text(document)

    assert "from intended send time" in text
    assert "OK only" in text
    assert text.splitlines()[-1].startswith("SLA        NOT MET")
