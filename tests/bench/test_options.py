"""Command-line values: durations, and the load the flags describe."""

from __future__ import annotations

import argparse

import pytest

from bench.loadgen import options


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30s", 30.0),
        ("500ms", 0.5),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("45", 45.0),
        ("1.5s", 1.5),
        ("0", 0.0),
    ],
)
def test_durations_read_with_their_unit(text, seconds):
    """A number with ms, s, m or h (or none: seconds) gives seconds."""
    assert options.duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "5 days", "-1s", "1x"])
def test_malformed_durations_are_refused(text):
    """Anything else is an argparse type error (exit 2 at the CLI)."""
    with pytest.raises(argparse.ArgumentTypeError):
        options.duration(text)


def test_neither_duration_nor_count_means_thirty_seconds():
    """Without a bound the run lasts 30 s after a 5 s warm-up."""
    args = options.parser().parse_args(
        ["--target", "h:1", "--mix", "m.json", "--rate", "3"]
    )
    load = options.load_from(args)

    assert (load.rate, load.duration, load.count) == (3.0, 30.0, None)
    assert load.warmup == 5.0
    assert load.arrival == "poisson"
    assert args.deadline == 5.0 and args.connections == 1


def test_options_block_records_the_load_in_seconds():
    """The report's options say which loop, bounds and limits were used."""
    args = options.parser().parse_args(
        [
            "--target",
            "h:1",
            "--mix",
            "m.json",
            "--concurrency",
            "4",
            "--count",
            "100",
            "--warmup",
            "2s",
            "--sla-p95",
            "1.5",
        ]
    )
    block = options.options_block(args, options.load_from(args))

    assert block["loop"] == "closed"
    assert block["concurrency"] == 4
    assert block["arrival"] is None
    assert block["count"] == 100 and block["duration_seconds"] is None
    assert block["warmup_seconds"] == 2.0
    assert block["sla_p95_limit_seconds"] == 1.5
