"""PNG plots beside the JSON report: latency histogram, capacity curve.

Figures are drawn with matplotlib's Agg canvas directly (no pyplot, so
no global figure state and no display needed). matplotlib comes with
the dev extras; without it the caller reports that plots were skipped.
"""

from __future__ import annotations

from pathlib import Path

HISTOGRAM_BINS = 50
MARKED_PERCENTILES = (50, 95, 99)
# Draw the p95 limit when it is within this factor of the slowest call;
# further out it would squash the histogram into one bar.
LIMIT_SHOWN_WITHIN = 3.0


def available() -> bool:
    """Whether matplotlib can be imported here."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False

    return True


def latency_histogram(latencies_ns: list[int], report: dict, path: Path):
    """Histogram of measured latencies with p50/p95/p99 and the limit.

    Bins are spaced evenly in log(latency), so a mix of 5 ms and 500 ms
    calls shows both modes; the limit is drawn only when it lies near
    the data, and named in the legend otherwise.
    """
    figure, axes = _figure()
    seconds = [ns / 1e9 for ns in latencies_ns]
    if seconds:
        axes.hist(seconds, bins=_log_bins(seconds), color="tab:blue")
        axes.set_xscale("log")
    at = {d["percentage"]: d["latency"] for d in report["latencyDistribution"]}
    for p, style in zip(MARKED_PERCENTILES, ("-", "--", ":")):
        if p in at:
            axes.axvline(
                at[p] / 1e9,
                color="black",
                linestyle=style,
                label=f"p{p} {at[p] / 1e9:.3f} s",
            )
    _limit_line(axes, report["sla"]["p95_limit_seconds"], max(seconds or [0]))
    axes.set_xlabel(
        f"latency (s, from {report['latency_basis']['latency_from']})"
    )
    axes.set_ylabel("calls")
    axes.set_title(f"{report['count']} calls, {report['rps']:.2f} calls/s")
    axes.legend()
    _save(figure, path)


def capacity_curve(capacity: dict, path: Path) -> None:
    """Offered level against p95 (left axis) and achieved rps (right).

    Stages that missed the SLA are circled in red and every stage with
    errors is labelled with its error rate, since a server that refuses
    work (RESOURCE_EXHAUSTED) breaks the SLA without a slow p95.
    """
    figure, axes = _figure()
    stages = capacity["stages"]
    levels = [s["level"] for s in stages]
    p95 = [s["sla"]["p95_seconds"] or 0.0 for s in stages]
    axes.plot(levels, p95, "o-", color="tab:blue", label="p95 (s)")
    _mark_misses(axes, stages, levels, p95)
    limit = stages[0]["sla"]["p95_limit_seconds"]
    axes.axhline(
        limit, color="tab:red", linestyle="--", label=f"p95 limit {limit:g} s"
    )
    unit = "calls/s" if capacity["knob"] == "rate" else "workers"
    axes.set_xlabel(f"offered load ({unit})")
    axes.set_ylabel("p95 latency (s)")
    axes.set_ylim(bottom=0)
    achieved = axes.twinx()
    rps = [s["rps"] for s in stages]
    achieved.plot(
        levels, rps, "s-", color="tab:green", label="achieved calls/s"
    )
    achieved.set_ylabel("achieved calls/s")
    achieved.set_ylim(bottom=0)
    lines = axes.get_legend_handles_labels()
    more = achieved.get_legend_handles_labels()
    axes.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left")
    axes.set_title("capacity: p95 and throughput by offered load")
    _save(figure, path)


def _mark_misses(axes, stages: list[dict], levels, p95) -> None:
    missed = [
        (x, y) for x, y, s in zip(levels, p95, stages) if not s["sla"]["met"]
    ]
    if missed:
        axes.scatter(
            *zip(*missed),
            s=160,
            facecolors="none",
            edgecolors="tab:red",
            label="SLA missed",
        )
    for x, y, stage in zip(levels, p95, stages):
        rate = stage["sla"]["error_rate"]
        if rate:
            axes.annotate(
                f"errors {rate:.1%}",
                (x, y),
                textcoords="offset points",
                xytext=(0, 10),
                ha="center",
            )


def _log_bins(seconds: list[float]) -> list[float]:
    low, high = min(seconds), max(seconds)
    if high <= low:
        return [low * 0.99, high * 1.01]
    ratio = (high / low) ** (1 / HISTOGRAM_BINS)

    return [low * ratio**i for i in range(HISTOGRAM_BINS + 1)]


def _limit_line(axes, limit: float, slowest: float) -> None:
    label = f"p95 limit {limit:g} s"
    if limit <= LIMIT_SHOWN_WITHIN * slowest:
        axes.axvline(limit, color="tab:red", label=label)
    else:
        axes.plot([], [], " ", label=label + " (off the scale)")


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(figure)

    return figure, figure.add_subplot()


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, format="png")
