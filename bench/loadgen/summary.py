"""The human summary printed to stdout: what ran, what came back, verdict.

Times print in milliseconds below 1 s and in seconds above; the JSON
report keeps nanoseconds.
"""

from __future__ import annotations

from bench.loadgen.selfcheck import FEW_CALLS

PERCENT_COLUMNS = (50, 90, 95, 99)


def run_text(report: dict) -> str:
    """A few lines for one run: load, calls, latencies, verdict."""
    lines = [_load_line(report["options"])]
    lines += _result_lines(report)
    lines += [f"warning: {w}" for w in report["warnings"]]
    lines.append(_verdict_line(report["sla"]))

    return "\n".join(lines)


def capacity_text(capacity: dict) -> str:
    """One line per stage, then the answer."""
    stages = capacity["stages"]
    unit = "calls/s" if capacity["knob"] == "rate" else "workers"
    lines = [
        _load_line(stages[0]["options"]),
        f"capacity by {capacity['knob']}:",
    ]
    lines.append(f"  {unit:>10} {'rps':>8} {'p95':>9} {'errors':>7}  SLA")
    lines += [stage_line(stage) for stage in stages]
    lines += _answer_lines(capacity, unit)

    return "\n".join(lines)


def _load_line(options: dict) -> str:
    if options["loop"] == "open":
        load = f"open loop, {options['rate']:g} calls/s {options['arrival']}"
    else:
        load = f"closed loop, {options['concurrency']} workers"
    if options["count"] is not None:
        bound = f"{options['count']} calls"
    else:
        bound = f"{options['duration_seconds']:g} s"

    return (
        f"mcengine-bench -> {options['target']}: {load}, {bound} after "
        f"{options['warmup_seconds']:g} s warm-up, {options['connections']}"
        f" connection(s), deadline {options['deadline_seconds']:g} s, "
        f"mix {options['mix']} (seed {options['seed']})"
    )


def _result_lines(report: dict) -> list[str]:
    codes = ", ".join(
        f"{code} {n}" for code, n in report["statusCodeDistribution"].items()
    )
    basis = report["latency_basis"]["latency_from"]
    excluded = report["warmup"]["excluded_calls"]
    calls = (
        f"calls      {report['count']} in {_time(report['total'])}: "
        f"{report['rps']:.2f} calls/s ({excluded} warm-up calls excluded)"
    )
    spread = (
        f"           fastest {_time(report['fastest'])}  average "
        f"{_time(report['average'])}  slowest {_time(report['slowest'])}"
    )
    lines = [
        calls,
        f"status     {codes or 'none'}",
        f"latency    from {basis}, all completed calls (errors included)",
        "           " + _percentiles(report["latencyDistribution"]),
        spread,
    ]
    ok = report["ok_latency_distribution"]
    if ok and report["count"] != _ok_count(report):
        lines.append("OK only    " + _percentiles(ok))
    lines += _entry_lines(report["entries"])
    lines.append(_generator_line(report["generator"], report["send_lag"]))

    return lines


def _percentiles(distribution: list[dict]) -> str:
    at = {d["percentage"]: d["latency"] for d in distribution}

    return "  ".join(
        f"p{p} {_time(at[p])}" for p in PERCENT_COLUMNS if p in at
    )


def _entry_lines(entries: dict) -> list[str]:
    lines = []
    for name, entry in entries.items():
        errors = f", errors {entry['errors']}" if entry["errors"] else ""
        lines.append(
            f"  {name:<24} {entry['count']:>6} calls  p50 "
            f"{_time(entry['p50'])}  p95 {_time(entry['p95'])}{errors}"
        )

    return lines


def _generator_line(generator: dict, lag: dict | None) -> str:
    line = (
        f"generator  {generator['cpu_seconds']:.2f} s CPU in "
        f"{generator['wall_seconds']:.1f} s "
        f"({generator['cpu_fraction_of_one_core']:.0%} of one core)"
    )
    if lag is not None:
        line += f"; send lag p99 {_time(lag['p99'])}, max {_time(lag['max'])}"

    return line


def _verdict_line(sla: dict) -> str:
    if sla["p95_seconds"] is None:
        return "SLA        NOT MET: no call completed"
    verdict = "MET" if sla["met"] else "NOT MET"

    return (
        f"SLA        {verdict}: p95 {sla['p95_seconds']:.3f} s "
        f"(limit {sla['p95_limit_seconds']:g} s), errors "
        f"{sla['error_rate']:.2%} (limit {sla['error_rate_limit']:.2%})"
    )


def stage_line(stage: dict) -> str:
    """One capacity stage: level, rps, p95, error rate, verdict."""
    sla = stage["sla"]
    p95 = "-" if sla["p95_seconds"] is None else f"{sla['p95_seconds']:.3f}s"
    errors = "-" if sla["error_rate"] is None else f"{sla['error_rate']:.1%}"
    flag = " (generator-limited)" if stage["generator"]["limited"] else ""
    if stage["count"] < FEW_CALLS:
        flag += f" ({stage['count']} calls: too few to judge 1 %)"
    verdict = "met" if sla["met"] else "MISSED"

    return (
        f"  {stage['level']:>10g} {stage['rps']:>8.2f} {p95:>9} "
        f"{errors:>7}  {verdict}{flag}"
    )


def _answer_lines(capacity: dict, unit: str) -> list[str]:
    best, worst = capacity["highest_passing"], capacity["first_failing"]
    lines = [f"stopped because {capacity['stopped_because']}"]
    if best is None:
        lines.append(f"SLA        NOT MET even at the start level ({unit})")
        return lines
    lines.append(
        f"capacity   SLA held up to {best['level']:g} {unit} "
        f"({best['rps']:.2f} calls/s achieved, p95 "
        f"{best['p95_seconds']:.3f} s)"
    )
    if worst is not None:
        caveat = " (generator-limited)" if worst["generator_limited"] else ""
        lines.append(f"           missed at {worst['level']:g} {unit}{caveat}")
    verdict = "MET" if capacity["met_at_start"] else "NOT MET"
    lines.append(f"SLA        {verdict} at the start level")

    return lines


def _ok_count(report: dict) -> int:
    return report["statusCodeDistribution"].get("OK", 0)


def _time(ns: int) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.3f} s"

    return f"{ns / 1e6:.1f} ms"
