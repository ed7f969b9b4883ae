"""simulate(): argument checks, limits, cancellation and progress."""

import threading
import time

import pytest

from mcengine.engine import Cancelled, DeadlineExceeded, Limits, simulate
from mcengine.model import LimitError, ModelError

MODEL = {"cells": {"x": "=RiskNormal(0, 1)", "y": "=x * 2"}, "outputs": ["y"]}
# A chain of 2,000 instructions per iteration: long enough to stop midway.
SLOW = {
    "cells": {
        "step0_": "=RiskNormal(1, 0.1)",
        **{f"step{i}_": f"=LN(EXP(step{i - 1}_))" for i in range(1, 1000)},
    },
    "outputs": ["step999_"],
}


@pytest.mark.parametrize(
    "options, field",
    [
        ({"iterations": 0}, "iterations"),
        ({"iterations": 2.5}, "iterations"),
        ({"iterations": True}, "iterations"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**64}, "seed"),
        ({"seed": "1"}, "seed"),
        ({"threads": -1}, "threads"),
        ({"percentiles": [50, 101]}, "percentiles[1]"),
        ({"percentiles": ["5"]}, "percentiles[0]"),
    ],
)
def test_bad_arguments_name_the_field(options, field):
    """Each bad argument is a ModelError naming it."""
    options = {"iterations": 10, **options}
    with pytest.raises(ModelError) as caught:
        simulate(MODEL, **options)
    assert caught.value.violations[0].field == field


def test_limits_are_checked_before_any_work():
    """Over-limit iterations and models are refused with the limit."""
    limits = Limits(max_iterations=1_000, max_cells=2, max_values=5_000)
    with pytest.raises(LimitError) as caught:
        simulate(MODEL, iterations=1_001, limits=limits)
    assert caught.value.limit == 1_000 and caught.value.value == 1_001
    with pytest.raises(LimitError):
        simulate(SLOW, iterations=10, limits=limits)
    two = {
        "cells": {"a": "=RiskUniform(0,1)", "b": "=a"},
        "outputs": ["a", "b"],
    }
    with pytest.raises(LimitError) as caught:
        simulate(two, iterations=1_000, limits=Limits(max_values=1_999))
    assert "iterations times outputs" in str(caught.value)


def test_cancel_stops_a_run_between_blocks():
    """Setting the event from the progress callback stops the run."""
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        cancel.set()

    with pytest.raises(Cancelled) as caught:
        simulate(
            SLOW,
            iterations=5_000_000,
            seed=1,
            cancel=cancel,
            progress=progress,
            threads=2,
        )
    assert not isinstance(caught.value, DeadlineExceeded)
    assert "of 5000000 iterations done" in str(caught.value)


def test_a_deadline_stops_the_run():
    """A deadline shortly ahead ends a long run with DeadlineExceeded."""
    with pytest.raises(DeadlineExceeded):
        simulate(
            SLOW, iterations=5_000_000, seed=1, deadline=time.monotonic() + 0.2
        )


def test_a_deadline_already_past_refuses_to_start():
    """No work is done once the deadline has passed."""
    with pytest.raises(DeadlineExceeded):
        simulate(MODEL, iterations=10, deadline=time.monotonic() - 1)


def test_progress_ends_with_the_total():
    """The last progress call reports every iteration done."""
    calls = []
    simulate(
        MODEL,
        iterations=1_000,
        seed=1,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (1_000, 1_000)


def test_simulations_run_concurrently_from_threads():
    """Two threads may simulate at once; each gets its own result."""
    results = {}

    def run(seed):
        results[seed] = simulate(MODEL, iterations=20_000, seed=seed)

    threads = [threading.Thread(target=run, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alone = simulate(MODEL, iterations=20_000, seed=1)
    assert results[1].outputs["y"] == alone.outputs["y"]
    assert results[1].outputs["y"] != results[2].outputs["y"]


def test_a_cancel_already_set_refuses_to_start():
    """An event set before the call means no run at all."""
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        simulate(MODEL, iterations=10, cancel=event)


@pytest.mark.parametrize(
    "options", [{"deadline": float("nan")}, {"cancel": 5}]
)
def test_malformed_controls_are_refused(options):
    """A NaN deadline or a cancel without is_set() is a caller error."""
    with pytest.raises((TypeError, ValueError)):
        simulate(MODEL, iterations=10, **options)


def test_thread_counts_are_capped():
    """A million threads is refused with the cap in the message."""
    with pytest.raises(ModelError) as caught:
        simulate(MODEL, iterations=10, threads=10**6)
    assert "per core" in str(caught.value)
