"""The markdown summary of a `make bench` run (bench/results/summary.md).

It reads the core suite's pytest-benchmark report (paired into figures by
bench/core/figures.py) and, when one ran, the load generator's report,
and writes each figure beside its named baseline and their ratio, under a
description of the machine and build that produced them.
"""

from __future__ import annotations

from bench.core.figures import Figure, Timing, figures

SERVICE_TARGET = 0.10  # the overhead of Simulate over gRPC we aim under
NOT_RUN = "No result (R1 figures need ../shared/bench; else see the log)."
CONVENTIONS = (
    "Times are the fastest of each benchmark's rounds; a ratio is the"
    " baseline's time over mcengine's (above 1: mcengine is faster)."
    " Every figure was checked for correctness before it counted"
    " (z: standard errors; a check fails beyond 4)."
)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(row) + " |" for row in rows]

    return lines + [""]


def _section(
    title: str, intro: str, header: list[str], rows: list[list[str]]
) -> list[str]:
    """A titled table, or why it has no rows."""
    lines = [f"## {title}", ""]
    if not rows:
        return lines + [NOT_RUN, ""]

    return lines + ([intro, ""] if intro else []) + _table(header, rows)


def _seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"

    return f"{seconds:.3f} s"


def _rate(timing: Timing | None) -> str:
    if timing is None:
        return "n/a"
    rate = timing.rate
    if rate >= 1e9:
        return f"{rate / 1e9:.2f} G"

    return f"{rate / 1e6:.1f} M"


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio

    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _time(timing: Timing | None) -> str:
    return "n/a" if timing is None else _seconds(timing.seconds)


def _header(report: dict, wall_seconds: float) -> list[str]:
    scale = report["machine_info"].get("mcengine", {}).get("scale", "?")
    commit = report.get("commit_info", {})
    revision = commit.get("id", "unknown")[:12]
    dirty = " (uncommitted changes)" if commit.get("dirty") else ""

    run = f"Run {report.get('datetime', '?')}, commit {revision}{dirty},"
    run += f" scale {scale}; `make bench` took {wall_seconds:.0f} s."

    return ["# mcengine benchmarks", "", run, CONVENTIONS, ""]


def _machine(report: dict) -> list[str]:
    m = report["machine_info"].get("mcengine", {})
    rows = [
        ["CPU", f"{m.get('cpu')} ({m.get('cores')} cores)"],
        ["vector extensions", ", ".join(m.get("vector_flags", []))],
        ["OS", str(m.get("os"))],
        ["core build", f"{m.get('compiler')}, `{m.get('build_flags')}`"],
        ["Python / NumPy", f"{m.get('python')} / {m.get('numpy')}"],
        ["gRPC / mcengine", f"{m.get('grpc')} / {m.get('mcengine')}"],
    ]

    return ["## Machine", ""] + _table(["", ""], rows)


def _by_prefix(found: dict[str, Figure], prefix: str) -> list[Figure]:
    return [f for key, f in found.items() if key.startswith(prefix)]


def _worst_z(figure: Figure) -> str:
    zs = figure.subject.checks.get("mean_difference_z", {})

    return f"max z {max(zs.values()):.2f}" if zs else "n/a"


def _r1(found: dict[str, Figure]) -> list[str]:
    rows = []
    ordered = sorted(_by_prefix(found, "r1:"), key=lambda f: int(f.key[3:]))
    for figure in ordered:
        subject = figure.subject
        rows.append(
            [
                f"{int(figure.key[3:]):,}",
                subject.name if subject else "n/a",
                _time(subject),
                _rate(subject) + " iterations/s",
                _time(figure.baseline),
                _ratio(figure),
                _worst_z(figure) if subject else "n/a",
            ]
        )
    header = ["iterations", "mcengine", "time", "rate", "NumPy"]
    header += ["ratio", "checks: means agree"]
    intro = "R1 (../shared/bench/r1_margin.json): mean, std, percentiles"
    intro += " 1, 5, 50, 95, 99 of two outputs; baseline"
    intro += " ../shared/bench/r1_numpy.py, in the same run."

    return _section("R1 end to end", intro, header, rows) + _r1_paired(found)


def _r1_paired(found: dict[str, Figure]) -> list[str]:
    """The ratios of NumPy and mcengine run in alternation, pair by pair."""
    lines = []
    for figure in _by_prefix(found, "r1-paired:"):
        checks = figure.subject.checks if figure.subject else {}
        ratios = checks.get("paired_ratios")
        if not ratios:
            continue
        listed = ", ".join(f"{r:.1f}x" for r in ratios)
        lines.append(
            f"In alternation at {int(figure.key[10:]):,} iterations, pair by"
            f" pair: median ratio {checks['median_paired_ratio']:.2f}x"
            f" (each pair: {listed})."
        )
    for prefix, what in (
        ("r1-sampling:", "Sampling methods"),
        ("r1-correlation:", "Correlated inputs"),
    ):
        for figure in _by_prefix(found, prefix):
            checks = figure.subject.checks if figure.subject else {}
            costs = checks.get("median_cost_over_mc")
            if not costs:
                continue
            listed = ", ".join(f"{m} {c:.2f}x" for m, c in costs.items())
            lines.append(
                f"{what} at {int(figure.key[len(prefix) :]):,} iterations,"
                f" run in alternation with mc, their cost over mc's (median"
                f" of rounds): {listed}."
            )
    return lines + [""] if lines else []


def _identical(figure: Figure) -> str:
    timings = [t for t in (figure.subject, figure.baseline) if t]
    same = all(t.checks.get("identical") for t in timings)

    return "identical" if same and timings else "NOT identical"


def _threads(found: dict[str, Figure]) -> list[str]:
    rows = [
        [
            figure.key.split(":", 1)[1],
            f"{figure.subject.work:,}" if figure.subject else "n/a",
            _time(figure.baseline),
            _time(figure.subject),
            _ratio(figure),
            _identical(figure),
        ]
        for figure in _by_prefix(found, "threads:")
    ]
    header = ["threads", "R1 iterations", "1 thread", "all cores"]
    header += ["speed-up", "results"]

    return _section("Thread scaling", "", header, rows)


def _overhead(figure: Figure) -> tuple[str, str, str]:
    """Overhead by fastest rounds, whether it meets the target, and by
    medians (a second view where the difference is near the noise)."""
    if figure.ratio is None:
        return "n/a", "n/a", "n/a"
    overhead = 1 / figure.ratio - 1
    met = "met" if overhead < SERVICE_TARGET else "NOT met"
    medians = figure.subject.median_seconds / figure.baseline.median_seconds

    return f"{overhead:+.1%}", met, f"{medians - 1:+.1%}"


def _service(found: dict[str, Figure]) -> list[str]:
    rows = []
    for figure in _by_prefix(found, "service:"):
        overhead, met, by_medians = _overhead(figure)
        work = figure.baseline.work if figure.baseline else 0
        rows.append(
            [
                f"{work:,}",
                _time(figure.baseline),
                _time(figure.subject),
                overhead,
                met,
                by_medians,
                _identical(figure),
            ]
        )
    header = ["R1 iterations", "in process", "gRPC", "overhead"]
    header += [f"target < {SERVICE_TARGET:.0%}", "by medians", "results"]
    intro = "Simulate over gRPC (local server, one channel) against"
    intro += " mcengine.simulate in process; same model text and seed."

    return _section("Service overhead", intro, header, rows)


def _evaluator(found: dict[str, Figure]) -> list[str]:
    rows = []
    for figure in _by_prefix(found, "evaluator:"):
        subject = figure.subject
        checks = subject.checks if subject else {}
        rows.append(
            [
                str(checks.get("instructions", "n/a")),
                _rate(subject) + " instr x it/s",
                _rate(figure.baseline) + " instr x it/s",
                _ratio(figure),
                "identical" if checks.get("identical_to_numpy") else "n/a",
            ]
        )
    header = ["instructions", "mcengine, 1 thread", "NumPy in place"]
    header += ["ratio", "output vs NumPy"]
    intro = "A chain of arithmetic cells, each reading the one before."

    return _section("Evaluator", intro, header, rows)


def _workbooks(found: dict[str, Figure]) -> list[str]:
    rows = []
    for figure in _by_prefix(found, "workbook:compile"):
        subject = figure.subject
        if subject:
            rows.append([subject.name, _seconds(subject.seconds), "", "", ""])
    for figure in _by_prefix(found, "workbook:simulate"):
        subject = figure.subject
        checks = subject.checks if subject else {}
        rows.append(
            [
                subject.name if subject else "n/a",
                _time(subject),
                _rate(subject) + " instr x it/s",
                _rate(figure.baseline) + " instr x it/s",
                _ratio(figure)
                + (
                    " (identical)"
                    if checks.get("identical_to_named_model")
                    else ""
                ),
            ]
        )
    header = ["what", "time", "workbook rate", "JSON model rate", "ratio"]
    intro = (
        "Compiling a chain of formula cells from the workbook's bytes, and"
        " simulating it beside the same chain as a JSON model."
    )

    return _section("Workbooks", intro, header, rows)


def _mean_z(timing: Timing | None) -> str:
    if timing is None or "mean_z" not in timing.checks:
        return "n/a"

    return f"{timing.checks['mean_z']:.2f}"


def _distributions(found: dict[str, Figure]) -> list[str]:
    rows = [
        [
            f"`{figure.subject.name.split(' ', 1)[1].rsplit(',', 1)[0]}`"
            if figure.subject
            else figure.key[5:],
            _rate(figure.subject),
            _rate(figure.baseline),
            _ratio(figure),
            _mean_z(figure.subject),
        ]
        for figure in _by_prefix(found, "dist:")
    ]
    header = ["distribution", "mcengine samples/s", "NumPy samples/s"]
    header += ["ratio", "mean z"]
    intro = "One thread each: a one-cell model through"
    intro += " mcengine.engine.sample against NumPy's Generator(Philox)."

    return _section("Samples per second", intro, header, rows)


def _latency(report: dict, percentage: int) -> str:
    for point in report.get("latencyDistribution", []):
        if point.get("percentage") == percentage:
            return _seconds(point["latency"] / 1e9)

    return "n/a"


def _load(load: dict | None, note: str | None) -> list[str]:
    lines = ["## Load run", ""]
    if load is None:
        return lines + [note or "Not run.", ""]
    options, sla = load.get("options", {}), load.get("sla", {})
    codes = ", ".join(
        f"{code} {count}"
        for code, count in load.get("statusCodeDistribution", {}).items()
    )
    rows = [
        ["mix", str(options.get("mix"))],
        ["loop", _loop(options)],
        ["calls", f"{load.get('count')} ({codes})"],
        ["throughput", f"{load.get('rps', 0):.2f} calls/s"],
        ["p50 / p95 / p99", _percentiles(load)],
        ["SLA (p95 <= 2 s, errors <= 1 %)", _verdict(sla)],
    ]
    rows += [["warning", text] for text in load.get("warnings", [])]

    return lines + ([note, ""] if note else []) + _table(["", ""], rows)


def _loop(options: dict) -> str:
    if options.get("loop") == "open":
        load = f"open, {options.get('rate')} calls/s"
    else:
        load = f"closed, {options.get('concurrency')} workers"

    return f"{load}, {options.get('duration_seconds')} s"


def _percentiles(load: dict) -> str:
    return " / ".join(_latency(load, p) for p in (50, 95, 99))


def _verdict(sla: dict) -> str:
    met = "met" if sla.get("met") else "NOT met"
    rate = sla.get("error_rate")
    errors = "n/a" if rate is None else f"{rate:.2%}"

    return f"{met} (errors {errors})"


def render(
    report: dict,
    wall_seconds: float,
    load: dict | None = None,
    load_note: str | None = None,
    remarks: tuple[str, ...] = (),
) -> str:
    """The summary's markdown text; remarks go under the header."""
    found = figures(report)
    sections = [
        _header(report, wall_seconds),
        [*remarks, ""] if remarks else [],
        _machine(report),
        _r1(found),
        _threads(found),
        _service(found),
        _evaluator(found),
        _workbooks(found),
        _distributions(found),
        _load(load, load_note),
    ]

    return "\n".join(line for section in sections for line in section)
