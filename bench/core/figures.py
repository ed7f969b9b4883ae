"""Figures from a pytest-benchmark JSON: subject, baseline and ratio.

Every benchmark in bench/core records its figure and role in extra_info
(see bench/core/__init__.py); here they are paired. Times are the fastest
round: on a shared machine, noise only ever adds time, so the minimum is
the best estimate of what the code costs. The ratio is the baseline's
time over the subject's: above 1, the subject is faster.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """One benchmark: what ran, its work per round and its times."""

    name: str
    work: int
    unit: str
    seconds: float  # fastest round
    median_seconds: float
    rounds: int
    checks: dict

    @property
    def rate(self) -> float:
        """Work per second in the fastest round."""
        return self.work / self.seconds


@dataclass(frozen=True)
class Figure:
    """A subject timed against its baseline (either may be missing)."""

    key: str
    subject: Timing | None
    baseline: Timing | None

    @property
    def ratio(self) -> float | None:
        """Baseline time over subject time; None if one is missing."""
        if self.subject is None or self.baseline is None:
            return None

        return self.baseline.seconds / self.subject.seconds


def _timing(entry: dict) -> Timing:
    info, stats = entry["extra_info"], entry["stats"]

    return Timing(
        name=info["name"],
        work=info["work"],
        unit=info["unit"],
        seconds=stats["min"],
        median_seconds=stats["median"],
        rounds=stats["rounds"],
        checks=info.get("checks", {}),
    )


def figures(report: dict) -> dict[str, Figure]:
    """The figures of a pytest-benchmark report, by key, in run order."""
    roles: dict[str, dict[str, Timing]] = {}
    for entry in report.get("benchmarks", []):
        info = entry.get("extra_info", {})
        if "figure" in info:
            timing = _timing(entry)
            roles.setdefault(info["figure"], {})[info["role"]] = timing

    return {
        key: Figure(key, found.get("subject"), found.get("baseline"))
        for key, found in roles.items()
    }


def _timing_dict(timing: Timing | None) -> dict | None:
    if timing is None:
        return None

    return {
        "name": timing.name,
        "work": timing.work,
        "unit": timing.unit,
        "seconds_min": timing.seconds,
        "seconds_median": timing.median_seconds,
        "rounds": timing.rounds,
        "rate_per_second": timing.rate,
        "checks": timing.checks,
    }


def as_dict(found: dict[str, Figure]) -> dict:
    """The figures as plain JSON-ready data."""
    return {
        key: {
            "subject": _timing_dict(figure.subject),
            "baseline": _timing_dict(figure.baseline),
            "ratio_baseline_over_subject": figure.ratio,
        }
        for key, figure in found.items()
    }
