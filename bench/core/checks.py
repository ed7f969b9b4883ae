"""Correctness checks that every benchmark makes before its time counts.

A benchmark that got faster by computing the wrong thing must fail, not
report a speed-up. Statistical checks allow 4 standard errors: with the
fixed seeds used here a check either always passes or always fails on a
given build, and a correct engine fails one with probability about 6e-5.
"""

from __future__ import annotations

import json
import math

import numpy as np

Z_LIMIT = 4.0


def mean_z(values: np.ndarray, mean: float, sd: float) -> float:
    """How many standard errors the sample mean lies from `mean`."""
    sem = sd / math.sqrt(values.size)
    return float(abs(values.mean() - mean) / sem)


def check_mean(values: np.ndarray, mean: float, sd: float) -> float:
    """The z of the sample mean against the known one; fails beyond 4."""
    if not np.isfinite(values).all():
        raise AssertionError("the sample holds NaN or infinite values")
    z = mean_z(values, mean, sd)
    if z > Z_LIMIT:
        message = f"sample mean {values.mean()} is {z:.1f} SE from {mean}"
        raise AssertionError(message)

    return z


def difference_z(ours: dict, theirs: dict, n: int) -> float:
    """How many standard errors apart two independent means of n lie."""
    se = math.sqrt(ours["std"] ** 2 / n + theirs["std"] ** 2 / n)
    return abs(ours["mean"] - theirs["mean"]) / se


def check_agreement(ours: dict, theirs: dict, n: int) -> dict[str, float]:
    """The z of each output's mean difference; fails beyond 4."""
    zs = {
        name: difference_z(ours[name], stats, n)
        for name, stats in theirs.items()
    }
    worst = max(zs.values())
    if worst > Z_LIMIT:
        raise AssertionError(f"means differ by {worst:.1f} SE: {zs}")

    return zs


def statistics(result: dict) -> str:
    """A result's statistics as canonical text, without timing facts.

    Compared as text so that NaN (an undefined sensitivity) equals NaN.
    """
    kept = {
        key: value
        for key, value in result.items()
        if key not in ("elapsed_seconds", "threads")
    }
    return json.dumps(kept, sort_keys=True)


def check_identical(result: dict, reference: dict) -> bool:
    """Fails unless both results hold bit-identical statistics."""
    if statistics(result) != statistics(reference):
        raise AssertionError("results differ from the reference run")

    return True
