"""Open-loop arrival schedules: Poisson and fixed interval."""

from __future__ import annotations

import itertools
import math

import pytest

from bench.loadgen.schedule import arrivals


def first(n, iterator):
    return list(itertools.islice(iterator, n))


def test_uniform_arrivals_are_exact_multiples_of_the_interval():
    """The n-th send is due at exactly n / rate seconds."""
    assert first(4, arrivals("uniform", 4.0, seed=1)) == [
        0.25,
        0.5,
        0.75,
        1.0,
    ]
    assert first(30_001, arrivals("uniform", 10.0, 1))[-1] == 3000.1


def test_poisson_gaps_average_one_over_rate():
    """Mean gap of 20,000 is 1/rate within 4 standard errors.

    Exponential gaps have sd equal to their mean, so the standard error
    of the mean of n gaps is (1/rate) / sqrt(n).
    """
    n, rate = 20_000, 50.0
    offsets = first(n, arrivals("poisson", rate, seed=9))
    mean_gap = offsets[-1] / n

    assert abs(mean_gap - 1 / rate) <= 4 * (1 / rate) / math.sqrt(n)
    assert all(b > a for a, b in itertools.pairwise(offsets))


def test_poisson_arrivals_repeat_for_a_seed():
    """One seed, one schedule; another seed, another."""
    assert first(50, arrivals("poisson", 5, 2)) == first(
        50, arrivals("poisson", 5, 2)
    )
    assert first(50, arrivals("poisson", 5, 2)) != first(
        50, arrivals("poisson", 5, 3)
    )


def test_unknown_arrivals_and_bad_rates_are_refused():
    """Only poisson and uniform, and only positive rates."""
    with pytest.raises(ValueError):
        arrivals("bursty", 1, 1)
    with pytest.raises(ValueError):
        arrivals("uniform", 0, 1)
