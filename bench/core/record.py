"""Timing a benchmark and recording what summary.py needs to pair it."""

from __future__ import annotations


def timed(benchmark, function, rounds: int, between=None):
    """Times `function` for a fixed number of rounds; its last result.

    Fixed rounds (not pytest-benchmark's calibration) keep the suite's
    wall time predictable; summaries use the fastest round. `between`,
    when given, runs untimed before each round: two benchmarks that each
    run the other's call between rounds see the same conditions (caches,
    memory, the other process's state), so their ratio compares like
    with like.
    """

    def setup() -> None:
        between()

    return benchmark.pedantic(
        function,
        setup=setup if between else None,
        rounds=rounds,
        iterations=1,
    )


def record(
    benchmark,
    figure: str,
    role: str,
    name: str,
    work: int,
    unit: str,
) -> None:
    """Stores a benchmark's place in its figure in extra_info.

    Call it before timing: pytest-benchmark reads the group when the
    timing starts.
    """
    if role not in ("subject", "baseline"):
        raise ValueError(f"role must be subject or baseline, got {role!r}")
    benchmark.group = figure
    benchmark.extra_info.update(
        figure=figure,
        role=role,
        name=name,
        work=work,
        unit=unit,
        checks={},
    )


def checked(benchmark, **checks) -> None:
    """Records the correctness figures a benchmark checked."""
    benchmark.extra_info["checks"].update(checks)
