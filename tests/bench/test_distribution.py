"""Exact nearest-rank percentiles and the ghz-shaped histogram."""

from __future__ import annotations

import pytest

from bench.loadgen.distribution import (
    PERCENTAGES,
    histogram,
    latency_distribution,
    nanoseconds,
    percentile,
)

# Twenty latencies, 1 ms to 20 ms, in ns: rank k holds k ms.
TWENTY = [k * 1_000_000 for k in range(1, 21)]


def test_percentiles_are_nearest_rank_values():
    """p-th percentile of n values is the value of rank ceil(p n / 100)."""
    assert percentile(TWENTY, 95) == 19_000_000
    assert percentile(TWENTY, 50) == 10_000_000
    assert percentile(TWENTY, 10) == 2_000_000
    assert percentile(TWENTY, 96) == 20_000_000
    assert percentile(TWENTY, 99) == 20_000_000


def test_percentile_ends_are_fastest_and_slowest():
    """p0 is the smallest value (rank 1) and p100 the largest."""
    assert percentile(TWENTY, 0) == 1_000_000
    assert percentile(TWENTY, 100) == 20_000_000


def test_rank_uses_exact_arithmetic():
    """0.95 * 100 is rank 95 exactly, not 96 from binary rounding."""
    hundred = list(range(1, 101))

    assert percentile(hundred, 95) == 95
    assert percentile(hundred, 99.9) == 100
    assert percentile(list(range(1, 1001)), 99.9) == 999


def test_percentile_of_one_value_is_that_value():
    """A single call is every percentile."""
    assert all(percentile([7], p) == 7 for p in (0, 50, 95, 100))


def test_percentile_refuses_empty_and_out_of_range():
    """No values, or p outside [0, 100], raise ValueError."""
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(TWENTY, 101)


def test_latency_distribution_lists_ghz_percentages():
    """[{percentage, latency}] for 10, 25, 50, 75, 90, 95, 99, in order."""
    rows = latency_distribution(TWENTY)

    assert [r["percentage"] for r in rows] == list(PERCENTAGES)
    assert [r["latency"] for r in rows] == [
        2_000_000,
        5_000_000,
        10_000_000,
        15_000_000,
        18_000_000,
        19_000_000,
        20_000_000,
    ]
    assert latency_distribution([]) == []


def test_histogram_bins_span_fastest_to_slowest():
    """Ten equal bins; marks are upper edges; counts and shares add up."""
    values = [0, 10, 15, 20, 100]
    rows = histogram(values)

    assert [r["mark"] for r in rows] == list(range(10, 101, 10))
    assert [r["count"] for r in rows] == [2, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    assert [r["frequency"] for r in rows][:2] == [0.4, 0.4]
    assert sum(r["count"] for r in rows) == len(values)


def test_histogram_of_equal_values_puts_all_in_the_last_bin():
    """With no spread, every value is counted once, in the last bin."""
    rows = histogram([5, 5, 5])

    assert [r["count"] for r in rows] == [0] * 9 + [3]
    assert histogram([]) == []


def test_nanoseconds_round_to_whole_integers():
    """Seconds become int nanoseconds, rounded to nearest."""
    assert nanoseconds(1.5) == 1_500_000_000
    assert nanoseconds(2.9999999994) == 2_999_999_999
    assert isinstance(nanoseconds(0.1), int)
