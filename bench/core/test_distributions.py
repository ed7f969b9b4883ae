"""Samples per second of each distribution, against NumPy's Generator.

The subject is a one-cell model run by mcengine.engine.sample on one
thread (Philox uniforms, then the quantile function, or the inversion
table for Pert, BetaGeneral and Gamma); compiling is outside the timing.
The baseline draws the same distribution with numpy.random.Generator
(Philox) on one thread, by whatever method NumPy uses. Each sample's mean
is checked against the distribution's known mean within 4 standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from bench.core.checks import check_mean
from bench.core.record import checked, record, timed
from bench.core.scale import SCALE
from mcengine.engine import sample
from mcengine.model import compile_model

SEED = 2024
BASELINE_NAME = "NumPy Generator(Philox)"


@dataclass(frozen=True)
class Case:
    """A distribution, its known mean and sd, and its NumPy equivalent."""

    formula: str
    mean: float
    sd: float
    numpy: Callable[[np.random.Generator, int], np.ndarray]

    @property
    def name(self) -> str:
        return self.formula.split("(", 1)[0]


def _beta_sd(a: float, b: float, low: float, high: float) -> float:
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    return (high - low) * math.sqrt(variance)


def _lognorm_from_moments(rng, n: int, mean: float, sd: float):
    sigma2 = math.log1p((sd / mean) ** 2)
    return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), n)


_MU, _SIGMA = math.log(20), 0.25
_G15 = math.gamma(1.5)
_TRI = (400.0, 500.0, 800.0)
_TRI_VAR = (sum(x * x for x in _TRI) - 500 * 400 - 800 * 400 - 800 * 500) / 18
_PERT_A, _PERT_B = 1 + 4 * 30 / 100, 1 + 4 * 70 / 100

CASES = [
    Case("RiskNormal(10, 2)", 10, 2, lambda r, n: r.normal(10, 2, n)),
    Case(
        "RiskLognorm(10, 2)",
        10,
        2,
        lambda r, n: _lognorm_from_moments(r, n, 10, 2),
    ),
    Case(
        "RiskLognorm2(LN(20), 0.25)",
        math.exp(_MU + _SIGMA**2 / 2),
        math.sqrt(math.expm1(_SIGMA**2)) * math.exp(_MU + _SIGMA**2 / 2),
        lambda r, n: r.lognormal(_MU, _SIGMA, n),
    ),
    Case(
        "RiskUniform(80, 120)",
        100,
        40 / math.sqrt(12),
        lambda r, n: r.uniform(80, 120, n),
    ),
    Case(
        "RiskTriang(400, 500, 800)",
        sum(_TRI) / 3,
        math.sqrt(_TRI_VAR),
        lambda r, n: r.triangular(*_TRI, n),
    ),
    Case(
        "RiskPert(50, 80, 150)",
        (50 + 4 * 80 + 150) / 6,
        _beta_sd(_PERT_A, _PERT_B, 50, 150),
        lambda r, n: 50 + 100 * r.beta(_PERT_A, _PERT_B, n),
    ),
    Case(
        "RiskBetaGeneral(2, 5, 0, 10)",
        10 * 2 / 7,
        _beta_sd(2, 5, 0, 10),
        lambda r, n: 10 * r.beta(2, 5, n),
    ),
    Case(
        "RiskGamma(2, 3)",
        6,
        3 * math.sqrt(2),
        lambda r, n: r.gamma(2, 3, n),
    ),
    Case("RiskExpon(10)", 10, 10, lambda r, n: r.exponential(10, n)),
    Case(
        "RiskWeibull(2, 3)",
        3 * _G15,
        3 * math.sqrt(1 - _G15**2),
        lambda r, n: 3 * r.weibull(2, n),
    ),
    Case(
        "RiskBernoulli(0.1)",
        0.1,
        math.sqrt(0.09),
        lambda r, n: r.binomial(1, 0.1, n),
    ),
    Case(
        "RiskBinomial(100, 0.3)",
        30,
        math.sqrt(21),
        lambda r, n: r.binomial(100, 0.3, n),
    ),
    Case("RiskPoisson(40)", 40, math.sqrt(40), lambda r, n: r.poisson(40, n)),
    Case(
        "RiskDiscrete({1,2,3,4}, {1,2,3,4})",
        3,
        1,
        lambda r, n: r.choice([1, 2, 3, 4], n, p=[0.1, 0.2, 0.3, 0.4]),
    ),
    Case(
        "RiskIntUniform(1, 6)",
        3.5,
        math.sqrt(35 / 12),
        lambda r, n: r.integers(1, 7, n),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_mcengine_samples_per_second(benchmark, case: Case):
    """mcengine's one-cell model, one thread, sampled SCALE.dist_samples
    times; the mean is checked against the known mean."""
    n = SCALE.dist_samples
    name = f"mcengine {case.formula}, 1 thread"
    record(benchmark, f"dist:{case.name}", "subject", name, n, "samples")
    compiled = compile_model(
        {"cells": {"x": "=" + case.formula}, "outputs": ["x"]}
    )
    values = timed(
        benchmark,
        lambda: sample(compiled, iterations=n, seed=SEED, threads=1)["x"],
        SCALE.dist_rounds,
    )
    checked(benchmark, mean_z=check_mean(values, case.mean, case.sd))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_numpy_samples_per_second(benchmark, case: Case):
    """NumPy's Generator(Philox) drawing the same distribution."""
    n = SCALE.dist_samples
    figure = f"dist:{case.name}"
    record(benchmark, figure, "baseline", BASELINE_NAME, n, "samples")
    rng = np.random.Generator(np.random.Philox(SEED))
    values = timed(benchmark, lambda: case.numpy(rng, n), SCALE.dist_rounds)
    z = check_mean(values.astype(np.float64), case.mean, case.sd)
    checked(benchmark, mean_z=z)
