"""Exact percentiles and the histogram of a list of latencies.

Percentiles are exact over every completed call (the list is sorted; no
sketch, no sampling) and use the nearest-rank definition: the p-th
percentile of n values is the value of rank ceil(p/100 * n) in
ascending order (rank 1 for p = 0). It is always a latency some call
actually had, and "p95 <= 2 s" reads as "at least 95 % of calls took 2 s
or less", which is what an SLA means. (mcengine's own statistics use
Excel's interpolating PERCENTILE.INC; a load test wants observed
values.)

Latencies here are integers in nanoseconds, as in ghz's reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

# The percentages ghz reports.
PERCENTAGES = (10, 25, 50, 75, 90, 95, 99)
HISTOGRAM_BINS = 10


def nanoseconds(seconds: float) -> int:
    """Seconds as the report's unit: whole nanoseconds."""
    return round(seconds * 1e9)


def percentile(ordered: Sequence[int], p: float) -> int:
    """The nearest-rank p-th percentile of ascending `ordered` values."""
    if not ordered:
        raise ValueError("no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be in [0, 100]: {p}")
    # Exact rational arithmetic: 95 % of 20 is rank 19, not 19.000...01.
    rank = Fraction(str(p)) * len(ordered) / 100
    index = max(int(-(-rank // 1)), 1) - 1

    return ordered[index]


def latency_distribution(ordered: Sequence[int]) -> list[dict]:
    """ghz's latencyDistribution: [{percentage, latency}], empty if none."""
    if not ordered:
        return []

    return [
        {"percentage": p, "latency": percentile(ordered, p)}
        for p in PERCENTAGES
    ]


def histogram(ordered: Sequence[int], bins: int = HISTOGRAM_BINS) -> list:
    """Equal-width bins from fastest to slowest: [{mark, count, frequency}].

    `mark` is each bin's upper edge in nanoseconds (ghz writes seconds
    there; this report keeps one unit throughout). A value on an inner
    edge belongs to the lower bin; the slowest is in the last.
    """
    if not ordered:
        return []
    low, high = ordered[0], ordered[-1]
    counts = [0] * bins
    for value in ordered:
        counts[_bin(value - low, high - low, bins)] += 1
    total = len(ordered)

    return [
        {
            "mark": low + (high - low) * (i + 1) // bins,
            "count": counts[i],
            "frequency": counts[i] / total,
        }
        for i in range(bins)
    ]


def _bin(offset: int, span: int, bins: int) -> int:
    # Integer arithmetic, so a value on an edge never lands by rounding
    # in the bin above: bin i holds offsets in (i, i + 1] * span / bins,
    # and bin 0 the fastest too.
    if span == 0:
        return bins - 1
    upper = -(-offset * bins // span)

    return max(upper - 1, 0)
