"""`make bench` at smoke scale: every benchmark imports, runs and checks.

The benchmarks are measurements, not tests, so nothing here looks at a
time; it only keeps them from rotting: bench.run drives the whole core
suite at tiny sizes (MCENGINE_BENCH_SCALE=smoke) and must write a report
whose figures each pair a subject with its baseline and carry their
correctness checks, and a summary with every section.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

SECTIONS = (
    "## Machine",
    "## R1 end to end",
    "## Thread scaling",
    "## Service overhead",
    "## Evaluator",
    "## Workbooks",
    "## Samples per second",
    "## Load run",
)


def test_core_benchmarks_run_and_check_at_smoke_scale(tmp_path):
    """bench.run --scale smoke passes and reports every figure checked."""
    command = [sys.executable, "-m", "bench.run", "--scale", "smoke"]
    command += ["--no-load", "--results", str(tmp_path)]
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    found = json.loads((tmp_path / "figures.json").read_text())
    assert any(key.startswith("dist:") for key in found)
    for key, figure in found.items():
        # The paired and cost figures time everything in each round, and
        # the workbook's compile time is a target, not a comparison: they
        # have no baseline.
        paired = key.startswith(
            (
                "r1-paired:",
                "r1-sampling:",
                "r1-correlation:",
                "workbook:compile",
            )
        )
        assert figure["subject"] and (paired or figure["baseline"]), key
        assert figure["subject"]["checks"], key
    # Without ../shared every R1 figure is skipped, the paired one with them.
    for prefix in ("r1-paired:", "r1-sampling:", "r1-correlation:"):
        assert any(k.startswith("r1:") for k in found) == any(
            k.startswith(prefix) for k in found
        )
    text = (tmp_path / "summary.md").read_text()
    assert all(section in text for section in SECTIONS)
