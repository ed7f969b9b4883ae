"""mcengine-bench against a real server: runs, reports, plots, exit codes.

Runs are bounded by call counts (a few dozen calls of the smoke mix,
well under a second each), with no warm-up, so each test takes about a
second; only 127.0.0.1 is used.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from bench.loadgen.cli import main
from tests.bench.conftest import EXAMPLES, MIXES

SMOKE = str(MIXES / "smoke.json")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A gRPC round trip on loopback takes far more than 10 us, so a value
# under this cannot be nanoseconds.
AT_LEAST_NS = 10_000


def bench(server, *args: str) -> int:
    argv = ["--target", server.target, "--mix", SMOKE, "--warmup", "0"]

    return main(argv + list(args))


def test_closed_loop_run_writes_a_report_in_nanoseconds(
    bench_server, tmp_path
):
    """20 calls by 2 workers: all OK, exit 0, durations in ns."""
    output = tmp_path / "closed.json"
    began = time.perf_counter()
    status = bench(
        bench_server,
        "--concurrency",
        "2",
        "--count",
        "20",
        "--output",
        str(output),
        "--no-plots",
    )
    elapsed_ns = (time.perf_counter() - began) * 1e9
    document = json.loads(output.read_text())

    assert status == 0
    assert document["count"] == 20
    assert document["statusCodeDistribution"] == {"OK": 20}
    assert document["errorDistribution"] == {}
    assert AT_LEAST_NS <= document["fastest"] <= document["slowest"]
    assert 0 < document["total"] <= elapsed_ns
    assert document["slowest"] <= document["total"]
    assert [d["percentage"] for d in document["latencyDistribution"]] == [
        10,
        25,
        50,
        75,
        90,
        95,
        99,
    ]
    assert sum(h["count"] for h in document["histogram"]) == 20
    assert document["options"]["loop"] == "closed"
    assert document["sla"]["met"] is True
    assert document["generator"]["cpu_seconds"] > 0
    assert document["send_lag"] is None


def test_open_loop_run_counts_from_intended_times(bench_server, tmp_path):
    """20 calls at 50/s: the report says so and gives the send lag."""
    output = tmp_path / "open.json"
    status = bench(
        bench_server,
        "--rate",
        "50",
        "--count",
        "20",
        "--output",
        str(output),
        "--no-plots",
    )
    document = json.loads(output.read_text())

    assert status == 0
    assert document["count"] == 20
    assert document["options"]["loop"] == "open"
    assert document["options"]["arrival"] == "poisson"
    assert document["latency_basis"]["latency_from"] == "intended send time"
    assert document["send_lag"]["max"] >= 0


def test_summary_is_printed(bench_server, capsys):
    """stdout carries the load, the latencies and the verdict."""
    bench(bench_server, "--concurrency", "1", "--count", "5")
    text = capsys.readouterr().out

    assert "closed loop, 1 workers, 5 calls" in text
    assert "p95" in text
    assert text.rstrip().splitlines()[-1].startswith("SLA        MET")


def test_impossible_p95_limit_exits_one(bench_server, capsys):
    """A 1 ns p95 limit cannot be met: exit status 1, NOT MET printed."""
    status = bench(
        bench_server,
        "--concurrency",
        "1",
        "--count",
        "3",
        "--sla-p95",
        "1e-9",
    )

    assert status == 1
    assert "SLA        NOT MET" in capsys.readouterr().out


def test_deadline_exceeded_calls_are_errors(bench_server, tmp_path, write_mix):
    """R1 at 20M iterations against a 50 ms deadline: every call fails.

    The run takes seconds on any machine this project targets, so the
    deadline always passes first; the calls count as errors with their
    latency, and the SLA's error rate is missed.
    """
    mix = write_mix(
        [
            {
                "model": str(EXAMPLES / "r1_margin.json"),
                "iterations": 20_000_000,
                "seed": 1,
            }
        ]
    )
    output = tmp_path / "deadline.json"
    status = main(
        [
            "--target",
            bench_server.target,
            "--mix",
            str(mix),
            "--concurrency",
            "1",
            "--count",
            "2",
            "--warmup",
            "0",
            "--deadline",
            "50ms",
            "--output",
            str(output),
            "--no-plots",
        ]
    )
    document = json.loads(output.read_text())

    assert status == 1
    assert document["statusCodeDistribution"] == {"DEADLINE_EXCEEDED": 2}
    assert sum(document["errorDistribution"].values()) == 2
    assert document["fastest"] >= 50_000_000
    assert document["sla"]["error_rate"] == 1.0
    assert document["ok_latency_distribution"] == []


def test_plots_are_written_beside_the_report(bench_server, tmp_path):
    """report.json gets report.latency.png, a PNG image."""
    output = tmp_path / "out" / "report.json"
    bench(
        bench_server,
        "--concurrency",
        "1",
        "--count",
        "10",
        "--output",
        str(output),
    )
    image = output.with_suffix(".latency.png")

    assert image.read_bytes()[:8] == PNG_SIGNATURE


def test_capacity_steps_the_rate_and_plots_the_curve(bench_server, tmp_path):
    """Two stages at 20 then 30 calls/s of small calls both hold."""
    output = tmp_path / "capacity.json"
    status = bench(
        bench_server,
        "--capacity",
        "--rate",
        "20",
        "--count",
        "10",
        "--max-stages",
        "2",
        "--output",
        str(output),
    )
    document = json.loads(output.read_text())

    assert status == 0
    assert document["mode"] == "capacity"
    assert [s["level"] for s in document["stages"]] == [20.0, 30.0]
    assert document["stages"][1]["options"]["rate"] == 30.0
    assert document["highest_passing"]["level"] == 30.0
    assert document["stopped_because"] == "2 stages were run"
    for suffix in (".capacity.png", ".latency.png"):
        image = output.with_suffix(suffix)
        assert image.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize(
    "args",
    [
        ["--mix", SMOKE, "--rate", "1"],
        ["--target", "x:1", "--mix", SMOKE],
        [
            "--target",
            "x:1",
            "--mix",
            SMOKE,
            "--rate",
            "1",
            "--concurrency",
            "1",
        ],
        ["--target", "x:1", "--mix", SMOKE, "--rate", "-1"],
        [
            "--target",
            "x:1",
            "--mix",
            SMOKE,
            "--rate",
            "1",
            "--duration",
            "soon",
        ],
    ],
)
def test_bad_flags_exit_two(args):
    """argparse refuses missing, conflicting or malformed flags: exit 2."""
    with pytest.raises(SystemExit) as exit_:
        main(args)

    assert exit_.value.code == 2


def test_bad_mix_and_zero_deadline_exit_two(tmp_path, capsys):
    """An unreadable mix or a zero deadline is a usage error: exit 2."""
    absent = ["--target", "x:1", "--mix", str(tmp_path / "no.json")]
    zero = ["--target", "x:1", "--mix", SMOKE, "--deadline", "0"]

    assert main(absent + ["--rate", "1", "--count", "1"]) == 2
    assert main(zero + ["--rate", "1", "--count", "1"]) == 2
    assert "mcengine-bench:" in capsys.readouterr().err


def test_unreachable_target_exits_two(capsys):
    """No listener at the target: refused at the start, exit 2."""
    with socket.socket() as bound:
        # Bound but not listening: connections to it are refused, and no
        # other process can take the port while the test holds it.
        bound.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{bound.getsockname()[1]}"
        status = main(
            [
                "--target",
                target,
                "--mix",
                SMOKE,
                "--rate",
                "1",
                "--count",
                "1",
                "--connect-timeout",
                "1s",
            ]
        )

    assert status == 2
    assert "no connection" in capsys.readouterr().err
