"""Warm-up: load the core and check one simulation against a known answer.

A replica turns ready only after this passes, so a broken build (a core
that fails to load, an RNG or a statistic gone wrong) never receives
traffic. The self-test samples RiskNormal(10, 2), whose mean is exactly 10
and whose standard deviation is exactly 2. At a fixed seed the result is
fixed for a build; each accepted band is 4 standard errors wide on each
side, which a correct engine leaves with probability about 6e-5 for a
seed chosen at random:
  mean: |m - 10| <= 4 * 2 / sqrt(n)
  std:  |s - 2|  <= 4 * 2 / sqrt(2 (n - 1))  (normal data: se(s) is
        sigma / sqrt(2 (n - 1)))
"""

from __future__ import annotations

import importlib
import math

MODEL = {
    "name": "warm-up self-test",
    "cells": {"x": "=RiskNormal(10, 2)"},
    "outputs": ["x"],
}
MEAN = 10.0
SD = 2.0
ITERATIONS = 100_000
SEED = 20_240_601


class SelfTestFailed(RuntimeError):
    """The self-test simulation gave an answer outside its stated band."""


def load_engine():
    """Import the engine (and so the C++ core); ImportError if absent."""
    return importlib.import_module("mcengine.engine")


def self_test(engine) -> dict:
    """Run the known-answer simulation; raise SelfTestFailed if off."""
    result = engine.simulate(MODEL, iterations=ITERATIONS, seed=SEED)
    stats = result.outputs["x"]
    mean_band = 4 * SD / math.sqrt(ITERATIONS)
    sd_band = 4 * SD / math.sqrt(2 * (ITERATIONS - 1))
    if stats.valid != ITERATIONS or stats.errors != 0:
        raise SelfTestFailed(
            f"expected {ITERATIONS} valid iterations, got "
            f"{stats.valid} valid and {stats.errors} errors"
        )
    if not abs(stats.mean - MEAN) <= mean_band:
        raise SelfTestFailed(
            f"mean {stats.mean!r} is outside {MEAN} +- {mean_band:.4g}"
        )
    if not abs(stats.std - SD) <= sd_band:
        raise SelfTestFailed(
            f"std {stats.std!r} is outside {SD} +- {sd_band:.4g}"
        )

    return {"mean": stats.mean, "std": stats.std, "seconds": _seconds(result)}


def _seconds(result) -> float:
    return round(float(result.elapsed_seconds), 4)
