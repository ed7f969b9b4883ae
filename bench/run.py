"""`make bench`: the core suite, a short load run, and their summary.

    python -m bench.run [--scale standard|smoke] [--results DIR]
                        [--no-load] [--load-seconds S]

1. Runs the core benchmarks (bench/core, pytest-benchmark) in a child
   process and writes DIR/core.json (pytest-benchmark's report, with the
   machine described) and DIR/figures.json (each figure with its
   baseline and ratio).
2. When the load generator is installed (the `mcengine-bench` command
   beside this Python, and bench/mixes/standard.json), starts a local
   server on free ports and drives it with the standard mix for a short
   open-loop run: DIR/load.json (ghz's shape) and its plot. Without it
   the summary says so.
3. Writes DIR/summary.md.

The standard suite takes two to three minutes on a 2-core machine.
The exit status is 0 when every benchmark's correctness checks passed
(a missed load SLA is reported, not failed), else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import machine, summary
from bench.core import figures

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MIX = ROOT / "bench" / "mixes" / "standard.json"
# The short load run: open loop, well within the capacity of 2 cores
# (the standard mix averages about 100,000 iterations a call), and
# long enough for over 100 measured calls, so that p95 is not one call.
LOAD_RATE = 8.0
LOAD_SECONDS = 20.0
LOAD_WARMUP_SECONDS = 3.0
# mcengine-bench's exit statuses: 0 SLA met, 1 SLA missed, 2 usage error.
LOAD_RAN = (0, 1)
# Other processes' share of the CPUs above which the summary warns.
OTHERS_SHARE_NOTED = 0.05


def run_core(results: Path, scale: str) -> int:
    """The core suite in a child pytest; its exit status."""
    command = [sys.executable, "-m", "pytest", "bench/core", "-q"]
    command += ["-p", "no:cacheprovider", "--benchmark-sort=name"]
    command += ["--benchmark-columns=min,median,rounds"]
    command += [f"--benchmark-json={results / 'core.json'}"]
    env = {**os.environ, "MCENGINE_BENCH_SCALE": scale}

    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def load_generator() -> Path | None:
    """The mcengine-bench command, or None where it is not installed."""
    command = Path(sys.executable).parent / "mcengine-bench"
    if not command.exists() or not MIX.exists():
        return None

    return command


def run_load(command: Path, output: Path, seconds: float) -> str | None:
    """A short load run against a fresh local server; None or why not."""
    from tests.service.server_process import ServerProcess

    server = ServerProcess()
    try:
        server.wait_ready()
        arguments = [str(command), "--target", server.target]
        arguments += ["--mix", str(MIX), "--rate", str(LOAD_RATE)]
        arguments += ["--duration", f"{seconds}s"]
        arguments += ["--warmup", f"{LOAD_WARMUP_SECONDS}s"]
        arguments += ["--output", str(output)]
        status = subprocess.run(arguments, cwd=ROOT, check=False).returncode
    finally:
        server.terminate()
        server.wait_exit(60)
        server.close()
    if status not in LOAD_RAN:
        return f"mcengine-bench failed (exit status {status})."

    return None


def load_section(args) -> tuple[dict | None, str | None]:
    """The load report and a note, after running it when possible."""
    if args.no_load:
        return None, "Not run (--no-load)."
    command = load_generator()
    if command is None:
        note = "Not run: the load generator (mcengine-bench, bench/mixes/"
        return None, note + "standard.json) is not installed here."
    output = args.results / "load.json"
    failure = run_load(command, output, args.load_seconds)
    if failure:
        return None, failure
    rate = f"{LOAD_RATE:g} calls/s"
    note = f"bench/mixes/standard.json, open loop at {rate} for "
    note += f"{args.load_seconds:g} s after {LOAD_WARMUP_SECONDS:g} s"
    note += " of warm-up, against a local server (default settings);"
    note += " latencies plotted in load.latency.png."

    return json.loads(output.read_text()), note


@dataclass
class Clock:
    """Wall time, and the CPU time that other processes took meanwhile."""

    wall: float = field(default_factory=time.monotonic)
    busy: float | None = field(default_factory=machine.busy_cpu_seconds)
    own: float = field(default_factory=machine.own_cpu_seconds)

    def seconds(self) -> float:
        return time.monotonic() - self.wall

    def others_share(self) -> float | None:
        """The machine's capacity other processes used, from 0 to 1."""
        busy = machine.busy_cpu_seconds()
        if busy is None or self.busy is None:
            return None
        others = busy - self.busy - (machine.own_cpu_seconds() - self.own)

        return max(others, 0.0) / (self.seconds() * (os.cpu_count() or 1))


def busy_remark(clock: Clock) -> tuple[str, ...]:
    """A warning when other processes competed for the cores."""
    share = clock.others_share()
    if share is None or share < OTHERS_SHARE_NOTED:
        return ()
    text = f"Other processes used {share:.0%} of the machine's CPU time"
    text += " during this run, so these figures are pessimistic."

    return (text,)


def write_outputs(args, clock: Clock, status: int, load, note) -> Path:
    """figures.json and summary.md from the run's reports."""
    report = json.loads((args.results / "core.json").read_text())
    found = figures.figures(report)
    (args.results / "figures.json").write_text(
        json.dumps(figures.as_dict(found), indent=2) + "\n"
    )
    remarks = busy_remark(clock)
    text = summary.render(report, clock.seconds(), load, note, remarks)
    if status != 0:
        text += f"\n**The core suite failed (pytest exit status {status})"
        text += ": a figure without its checks did not pass them.**\n"
    path = args.results / "summary.md"
    path.write_text(text)

    return path


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--scale", choices=("standard", "smoke"))
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--load-seconds", type=float, default=LOAD_SECONDS)
    args = parser.parse_args(argv)
    args.scale = args.scale or os.environ.get(
        "MCENGINE_BENCH_SCALE", "standard"
    )

    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    clock = Clock()
    args.results.mkdir(parents=True, exist_ok=True)
    status = run_core(args.results, args.scale)
    if not (args.results / "core.json").exists():
        print("bench: the core suite wrote no report", file=sys.stderr)
        return 1
    load, note = load_section(args)
    path = write_outputs(args, clock, status, load, note)
    print(f"\nbench: wrote {path} ({clock.seconds():.0f} s in all)")

    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
