"""R1 end to end: mcengine against the NumPy baseline, in the same run.

Runs ../shared/bench/r1_margin.json at N iterations (default 10,000,000)
with 1 thread and with every core, and ../shared/bench/r1_numpy.py (a
vectorised NumPy version of the same model) at the same N, alternating
them REPEAT times; reports the best time of each, the ratio, iterations
per second, and checks that 1 and all threads gave identical statistics
and that both engines agree within 4 standard errors.

Usage: python -m bench.r1_speed [N] [REPEAT]; writes bench/results/r1.json.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import mcengine
from bench.machine import describe_machine

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
RESULTS = ROOT / "bench" / "results"


def run_numpy(n: int) -> dict:
    script = SHARED / "r1_numpy.py"
    out = subprocess.run(
        [sys.executable, str(script), str(n), "1"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def run_engine(model: dict, n: int, threads: int) -> tuple[float, dict]:
    start = time.perf_counter()
    result = mcengine.simulate(model, iterations=n, seed=1, threads=threads)
    return time.perf_counter() - start, result.to_dict()


def statistics_only(d: dict) -> dict:
    return {
        k: v for k, v in d.items() if k not in ("elapsed_seconds", "threads")
    }


def agreement(ours: dict, theirs: dict, n: int) -> dict:
    """Difference of means in standard errors, per output."""
    report = {}
    for name, stats in theirs["outputs"].items():
        mine = ours["outputs"][name]
        se = math.sqrt(2) * stats["std"] / math.sqrt(n)
        report[name] = abs(mine["mean"] - stats["mean"]) / se
    return report


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: the R1 benchmark needs ../shared")
    model = json.loads((SHARED / "r1_margin.json").read_text())
    cores = os.cpu_count() or 1
    times = {"numpy": [], "threads_1": [], f"threads_{cores}": []}
    results = {}
    for _ in range(repeat):
        start = time.perf_counter()
        numpy_result = run_numpy(n)
        times["numpy"].append(time.perf_counter() - start)
        times["numpy_inner"] = numpy_result["seconds"]
        for threads in (1, cores):
            seconds, result = run_engine(model, n, threads)
            times[f"threads_{threads}"].append(seconds)
            results[threads] = result
    best = {k: min(v) for k, v in times.items() if isinstance(v, list)}
    identical = statistics_only(results[1]) == statistics_only(results[cores])
    report = {
        "benchmark": "R1 margin, mean + std + 5 percentiles of 2 outputs",
        "iterations": n,
        "machine": describe_machine(),
        "best_seconds": best,
        "numpy_seconds_inside_script": times["numpy_inner"],
        "ratio_vs_numpy": {
            k: best["numpy"] / v for k, v in best.items() if k != "numpy"
        },
        "ratio_vs_numpy_inner": {
            k: times["numpy_inner"] / v
            for k, v in best.items()
            if k != "numpy"
        },
        "iterations_per_second": {k: n / v for k, v in best.items()},
        "identical_for_1_and_all_threads": identical,
        "mean_difference_in_standard_errors": agreement(
            results[cores], numpy_result, n
        ),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "r1.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
