"""The `mcengine-bench` command: load a server, report, give a verdict.

    mcengine-bench --target HOST:PORT --mix FILE
                   [--concurrency C | --rate R [--arrival poisson|uniform]]
                   [--duration 30s | --count N] [--connections K]
                   [--deadline 5s] [--warmup 5s] [--seed S]
                   [--output report.json] [--no-plots]
                   [--sla-p95 2] [--sla-error-rate 0.01]
                   [--capacity [--step-factor 1.5 | --step-add A]
                               [--max-stages 8] [--max-level L]]

Prints a summary and, with --output, writes the JSON report with PNG
plots beside it (report.latency.png, and report.capacity.png with
--capacity). Exit status: 0 when the SLA is met (with --capacity: at
the start level), 1 when it is not, 2 for a usage error: bad flags, an
unusable mix file, or no connection to the target at the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from bench.loadgen import capacity, options, plots, report, runner, summary
from bench.loadgen.client import Caller, ConnectError
from bench.loadgen.distribution import nanoseconds
from bench.loadgen.mix import Mix, MixError, load_mix
from bench.loadgen.sla import Sla

EXIT_MET, EXIT_MISSED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = options.parser().parse_args(argv)
    try:
        load = options.load_from(args)
        load.check()
        _check(args)
        mix = load_mix(args.mix)
        _prepare_output(args.output)
    except (ValueError, MixError, OSError) as error:
        return _usage(str(error))
    try:
        document, stages = asyncio.run(_session(args, load, mix))
    except ConnectError as error:
        return _usage(str(error))
    except KeyboardInterrupt:
        return 130
    _publish(args, document, stages)
    met = document["met_at_start"] if args.capacity else document["sla"]["met"]

    return EXIT_MET if met else EXIT_MISSED


def _check(args: argparse.Namespace) -> None:
    if not args.deadline > 0:
        raise ValueError(f"deadline must be > 0 s: {args.deadline}")
    if not 0 <= args.sla_error_rate <= 1:
        raise ValueError(
            f"error-rate limit must be in [0, 1]: {args.sla_error_rate}"
        )
    if args.step_factor is not None and not args.step_factor > 1:
        raise ValueError(f"step factor must be > 1: {args.step_factor}")


def _prepare_output(output: Path | None) -> None:
    # Before the run, so a bad path costs a message, not the run.
    if output is None:
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.is_dir() or not os.access(output.parent, os.W_OK):
        raise ValueError(f"cannot write the report to {output}")


async def _session(args, load: runner.Load, mix: Mix):
    """Connect, run (once or stage by stage), close; (document, stages)."""
    caller = Caller(args.target, args.connections, args.deadline)
    sla = Sla(args.sla_p95, args.sla_error_rate)

    async def run_stage(stage_load: runner.Load) -> capacity.Stage:
        chooser = mix.chooser(args.seed)
        result = await runner.run(caller, chooser, stage_load, args.seed)
        block = options.options_block(args, stage_load)
        latencies = sorted(nanoseconds(r.latency) for r in result.measured)
        level = stage_load.rate or stage_load.concurrency
        stage = capacity.Stage(
            level, report.build(result, block, sla), latencies
        )
        if args.capacity:
            # Stages take minutes; show each as it ends (stderr, so
            # stdout keeps only the summary).
            line = summary.stage_line({"level": level, **stage.report})
            print(f"stage {line.strip()}", file=sys.stderr, flush=True)

        return stage

    try:
        await caller.connect(args.connect_timeout)
        if not args.capacity:
            stage = await run_stage(load)
            return stage.report, [stage]
        stages, stopped = await capacity.search(run_stage, load, _steps(args))
        return capacity.summary(stages, stopped, load), stages
    finally:
        await caller.close()


def _steps(args: argparse.Namespace) -> capacity.Steps:
    return capacity.Steps(
        factor=args.step_factor or 1.5,
        add=args.step_add,
        max_stages=args.max_stages,
        max_level=args.max_level,
    )


def _publish(args, document: dict, stages: list[capacity.Stage]) -> None:
    """Print the summary; write the report and plots when asked."""
    if args.capacity:
        print(summary.capacity_text(document))
    else:
        print(summary.run_text(document))
    if args.output is None:
        return
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"report     {args.output}")
    if not args.no_plots:
        _plot(args.output, document, stages, args.capacity)


def _plot(output: Path, document: dict, stages, by_capacity: bool) -> None:
    if not plots.available():
        print("plots      skipped: matplotlib is not installed")
        return
    passing = [s for s in stages if s.met]
    shown = passing[-1] if passing else stages[0]
    written = [output.with_suffix(".latency.png")]
    plots.latency_histogram(shown.latencies, shown.report, written[0])
    if by_capacity:
        written.append(output.with_suffix(".capacity.png"))
        plots.capacity_curve(document, written[1])
    print("plots      " + ", ".join(str(p) for p in written))


def _usage(message: str) -> int:
    print(f"mcengine-bench: {message}", file=sys.stderr)

    return EXIT_USAGE
