"""Command-line options: the parser, its value types, what they mean.

Durations read as a number with an optional unit: "30s", "500ms",
"2m", "1h" or plain "30" (seconds).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bench.loadgen.runner import Load
from bench.loadgen.schedule import ARRIVALS
from bench.loadgen.sla import ERROR_RATE_LIMIT, P95_LIMIT_SECONDS

UNIT_SECONDS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}
DURATION = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(\w*)\s*")
DEFAULT_DURATION_SECONDS = 30.0


def duration(text: str) -> float:
    """Seconds in a duration such as "30s" (argparse type)."""
    match = DURATION.fullmatch(text)
    if match is None or match.group(2) not in UNIT_SECONDS:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (e.g. 30s, 500ms, 2m)"
        )

    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not an integer >= 1: {text!r}")

    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number > 0: {text!r}")

    return value


def load_from(args: argparse.Namespace) -> Load:
    """The Load the arguments ask for (30 s when neither bound is given)."""
    bounded = args.duration is not None or args.count is not None

    return Load(
        concurrency=args.concurrency,
        rate=args.rate,
        arrival=args.arrival,
        duration=args.duration if bounded else DEFAULT_DURATION_SECONDS,
        count=args.count,
        warmup=args.warmup,
    )


def options_block(args: argparse.Namespace, load: Load) -> dict:
    """The report's record of what was asked for (durations in s)."""
    return {
        "target": args.target,
        "mix": str(args.mix),
        "seed": args.seed,
        "loop": "open" if load.open_loop else "closed",
        "concurrency": load.concurrency,
        "rate": load.rate,
        "arrival": load.arrival if load.open_loop else None,
        "duration_seconds": load.duration,
        "count": load.count,
        "warmup_seconds": load.warmup,
        "connections": args.connections,
        "deadline_seconds": args.deadline,
        "sla_p95_limit_seconds": args.sla_p95,
        "sla_error_rate_limit": args.sla_error_rate,
    }


def parser() -> argparse.ArgumentParser:
    """The mcengine-bench argument parser."""
    parser = argparse.ArgumentParser(
        prog="mcengine-bench",
        description="Load an mcengine server with a request mix; report "
        "latencies (ghz's JSON shape) and whether the SLA held.",
    )
    _target_arguments(parser)
    _load_arguments(parser)
    _report_arguments(parser)
    _capacity_arguments(parser)

    return parser


def _target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, help="HOST:PORT")
    parser.add_argument(
        "--mix", required=True, type=Path, help="mix file (JSON)"
    )
    parser.add_argument(
        "--connections",
        type=positive_int,
        default=1,
        help="gRPC connections, used round-robin (default 1)",
    )
    parser.add_argument(
        "--deadline",
        type=duration,
        default=5.0,
        help="per-call deadline (default 5s)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=duration,
        default=10.0,
        help="time allowed to connect at the start (default 10s)",
    )


def _load_arguments(parser: argparse.ArgumentParser) -> None:
    loop = parser.add_mutually_exclusive_group(required=True)
    loop.add_argument(
        "--concurrency",
        type=positive_int,
        help="closed loop: this many workers, each waiting for its reply",
    )
    loop.add_argument(
        "--rate",
        type=positive_float,
        help="open loop: calls/s sent on schedule; latency counts from "
        "each call's intended send time",
    )
    parser.add_argument(
        "--arrival",
        choices=ARRIVALS,
        default="poisson",
        help="open-loop arrivals: poisson (exponential gaps, default) or "
        "uniform (fixed interval)",
    )
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument(
        "--duration",
        type=duration,
        help="measured time after warm-up (default 30s)",
    )
    bound.add_argument(
        "--count",
        type=positive_int,
        help="measured calls after warm-up",
    )
    parser.add_argument(
        "--warmup",
        type=duration,
        default=5.0,
        help="load before measuring; its calls are excluded (default 5s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the mix draws and Poisson arrivals (default 1)",
    )


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        help="write the JSON report here, and PNG plots beside it",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="write no PNG plots"
    )
    parser.add_argument(
        "--sla-p95",
        type=positive_float,
        default=P95_LIMIT_SECONDS,
        help=f"p95 limit in seconds (default {P95_LIMIT_SECONDS:g})",
    )
    parser.add_argument(
        "--sla-error-rate",
        type=float,
        default=ERROR_RATE_LIMIT,
        help=f"error-rate limit, a fraction (default {ERROR_RATE_LIMIT:g})",
    )


def _capacity_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "capacity",
        "step the load up from --rate (or --concurrency) "
        "until the SLA breaks; each stage runs --warmup then --duration "
        "(or --count)",
    )
    group.add_argument("--capacity", action="store_true")
    step = group.add_mutually_exclusive_group()
    step.add_argument(
        "--step-factor",
        type=positive_float,
        help="multiply the level by this each stage (default 1.5)",
    )
    step.add_argument(
        "--step-add",
        type=positive_float,
        help="add this to the level each stage",
    )
    group.add_argument(
        "--max-stages",
        type=positive_int,
        default=8,
        help="stop after this many stages (default 8)",
    )
    group.add_argument(
        "--max-level",
        type=positive_float,
        help="stop before a level above this",
    )
