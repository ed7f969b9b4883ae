"""Open-loop arrival schedules: when each call is meant to be sent.

An open-loop test fixes the send times in advance, independent of how
the server answers; that is what lets a stalled server show up in the
latencies (each is counted from its intended time, see runner).

Two schedules, both as offsets in seconds from the start of the run:

- "poisson" (the default): independent arrivals, the gaps exponential
  with mean 1/rate, drawn from a seeded stream so a run is repeatable.
  Real traffic from many independent clients looks like this, bursts
  included, which is why it is the default.
- "uniform": a fixed interval of exactly 1/rate; the kindest load for
  a given rate, useful to separate burstiness from raw throughput.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

ARRIVALS = ("poisson", "uniform")


def arrivals(kind: str, rate: float, seed: int) -> Iterator[float]:
    """Endless intended send offsets (seconds, ascending, the first > 0)."""
    if rate <= 0:
        raise ValueError(f"rate must be > 0 calls/s, got {rate}")
    if kind == "poisson":
        return _poisson(rate, seed)
    if kind == "uniform":
        return _uniform(rate)
    raise ValueError(f"arrival must be one of {ARRIVALS}, got {kind!r}")


def _poisson(rate: float, seed: int) -> Iterator[float]:
    # A stream of its own (string seed), so that arrival gaps are not
    # correlated with the mix's draws made from the same run seed.
    stream = random.Random(f"arrivals:{seed}")
    offset = 0.0
    while True:
        offset += stream.expovariate(rate)
        yield offset


def _uniform(rate: float) -> Iterator[float]:
    # Multiplying instead of summing keeps the n-th time exact to one
    # rounding, however long the run.
    for n in itertools.count(1):
        yield n / rate
