"""The shared reference cases, run end to end in process.

Tolerance throughout: 4 standard errors (../shared/cases/README.md). For a
mean, 4 sd / sqrt(n); for the p-quantile, 4 sqrt(p (1 - p) / n) / f(x_p)
with f the density there; for a standard deviation, 4 sd sqrt((k - 1) /
(4 n)) with k the kurtosis (the delta method on the variance).
"""

import math

import numpy as np
import pytest

import mcengine
from mcengine.engine import sample
from tests.conftest import load_json, shared_path

N = 200_000
SEED = 20261203


def mean_tol(sd: float, n: int = N) -> float:
    return 4 * sd / math.sqrt(n)


def sd_tol(sd: float, kurtosis: float, n: int = N) -> float:
    return 4 * sd * math.sqrt((kurtosis - 1) / (4 * n))


def quantile_tol(p: float, density: float, n: int = N) -> float:
    return 4 * math.sqrt(p * (1 - p) / n) / density


def run_case(name: str, **options):
    model = load_json(shared_path("cases", "models", name))
    return mcengine.simulate(model, iterations=N, seed=SEED, **options)


def test_npv_of_normal_cash_flows_matches_the_closed_form():
    """NPV is exactly Normal(501.5432, 2442.9622); Excel's NPV discounts
    the first value."""
    pytest.importorskip("scipy")
    from scipy.stats import norm

    result = run_case("npv_normal_cashflows.json", percentiles=[5, 50, 95])
    npv = result.outputs["npv"]
    mean, sd = 501.5432, 2442.9622
    assert npv.mean == pytest.approx(mean, abs=mean_tol(sd))
    assert npv.std == pytest.approx(sd, abs=sd_tol(sd, 3.0))
    for p, expected in ((5, -3516.77), (50, 501.54), (95, 4519.86)):
        density = norm.pdf(expected, mean, sd)
        tol = quantile_tol(p / 100, density)
        assert npv.percentiles[p] == pytest.approx(expected, abs=tol)
    positive = result.outputs["positive"]
    q = 0.581332
    assert positive.mean == pytest.approx(
        q, abs=mean_tol(math.sqrt(q * (1 - q)))
    )
    assert npv.errors == 0 and npv.valid == N


def test_black_scholes_call_and_put_match_hull():
    """Discounted payoffs average to the Black-Scholes prices."""
    result = run_case("black_scholes_call.json")
    call, put = result.outputs["call"], result.outputs["put"]
    assert call.mean == pytest.approx(4.759422, abs=mean_tol(4.9637))
    assert put.mean == pytest.approx(0.808599, abs=mean_tol(put.std))


def test_put_call_parity_holds_on_average():
    """E[call - put] = S - K e^(-rT) = 3.950823 (4 SE of the sample)."""
    parity = run_case("black_scholes_call.json").outputs["parity"]
    expected = 42 - 40 * math.exp(-0.05)
    assert parity.mean == pytest.approx(expected, abs=mean_tol(parity.std))


def test_put_call_parity_holds_in_every_iteration():
    """Per iteration, call - put is the discounted forward payoff
    (terminal - strike) e^(-rT); the difference is float rounding only
    (1e-12 absolute: payoffs are below 100 and take a few operations)."""
    model = load_json(
        shared_path("cases", "models", "black_scholes_call.json")
    )
    model["cells"]["gap"] = (
        "=parity - (terminal - strike) * EXP(-rate * maturity)"
    )
    model["outputs"] = ["gap"]
    gap = sample(model, iterations=N, seed=SEED)["gap"]
    assert np.max(np.abs(gap)) < 1e-12


NEWSVENDOR = {-250.0: 0.3, 125.0: 0.2, 500.0: 0.5}


def test_newsvendor_profit_takes_exactly_three_values():
    """Profit is -250, 125 or 500 with probabilities .3, .2, .5."""
    profit = run_case(
        "newsvendor_discrete.json", percentiles=[0, 25, 40, 75, 100]
    ).outputs["profit"]
    mean = sum(v * p for v, p in NEWSVENDOR.items())
    var = sum((v - mean) ** 2 * p for v, p in NEWSVENDOR.items())
    m4 = sum((v - mean) ** 4 * p for v, p in NEWSVENDOR.items())
    sd = math.sqrt(var)
    assert mean == 200 and sd == pytest.approx(326.9174, abs=1e-4)
    assert profit.mean == pytest.approx(mean, abs=mean_tol(sd))
    assert profit.std == pytest.approx(sd, abs=sd_tol(sd, m4 / var**2))
    # Exact: each of these percentiles falls inside one value's mass, far
    # (over 50 standard errors) from the mass boundaries .3 and .5.
    assert profit.percentiles == {
        0: -250.0,
        25: -250.0,
        40: 125.0,
        75: 500.0,
        100: 500.0,
    }
    assert sum(c for c in profit.histogram.counts if c) == N
    assert sum(1 for c in profit.histogram.counts if c) == 3


@pytest.mark.parametrize(
    "order, expected",
    [(100, 250.0), (150, 262.5), (200, 200.0), (250, 25.0), (300, -206.25)],
)
def test_newsvendor_expected_profit_by_order_size(order, expected):
    """The published expected profit for each order quantity."""
    model = load_json(
        shared_path("cases", "models", "newsvendor_discrete.json")
    )
    model["cells"]["order"] = order
    profit = mcengine.simulate(model, iterations=N, seed=SEED)
    stats = profit.outputs["profit"]
    assert stats.mean == pytest.approx(expected, abs=mean_tol(stats.std))


def test_discrete_weights_are_normalised():
    """RiskDiscrete({0,5},{1,1}) gives 0 and 5 with probability 1/2."""
    result = mcengine.simulate(
        {"cells": {"x": "=RiskDiscrete({0,5},{1,1})"}, "outputs": ["x"]},
        iterations=N,
        seed=SEED,
        percentiles=[0, 100],
    )
    x = result.outputs["x"]
    assert x.mean == pytest.approx(2.5, abs=mean_tol(2.5))
    assert x.percentiles == {0: 0.0, 100: 5.0}


def _single_distribution_densities():
    from scipy import stats

    def pert(lo, mode, hi):
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        return stats.beta(a, b, loc=lo, scale=hi - lo)

    def triang(lo, mode, hi):
        return stats.triang((mode - lo) / (hi - lo), loc=lo, scale=hi - lo)

    sigma = math.sqrt(math.log(1 + 4))
    return {
        "pert_0_2_10": pert(0, 2, 10),
        "triang_4_5_10": triang(4, 5, 10),
        "pert_4_5_10": pert(4, 5, 10),
        "lognorm_mean10_sd20": stats.lognorm(
            sigma, scale=math.exp(math.log(10) - sigma**2 / 2)
        ),
        "lognorm2_mu4_sigma2": stats.lognorm(2, scale=math.exp(4)),
        "triang_100_175_300": triang(100, 175, 300),
    }


SINGLE = {
    "pert_0_2_10": (3, 1.732051, {5: 0.589774, 50: 2.766723, 95: 6.212767}),
    "triang_4_5_10": (6.333333, 1.312335, {50: 6.127017, 80: 7.550510}),
    "pert_4_5_10": (5.666667, 1.015749, {50: 5.511724, 80: 6.537499}),
    "lognorm_mean10_sd20": (
        10,
        20,
        {5: 0.554962, 50: 4.472136, 95: 36.038473},
    ),
    "lognorm2_mu4_sigma2": (403.4288, 2953.533, {50: 54.598150}),
    "triang_100_175_300": (
        191.666667,
        41.247896,
        {5: 127.386128, 50: 188.196601, 80: 229.289322, 95: 264.644661},
    ),
}


@pytest.mark.parametrize("cell", sorted(SINGLE))
def test_single_distribution_conventions(cell):
    """@RISK's parameter conventions: mean, sd and percentiles as
    published (the sd of Lognorm2(4, 2) is not checked: its kurtosis,
    about 9e6, makes a 4-SE band wider than the value itself)."""
    pytest.importorskip("scipy")
    dist = _single_distribution_densities()[cell]
    mean, sd, quantiles = SINGLE[cell]
    result = run_case(
        "single_distributions.json", percentiles=sorted(quantiles)
    )
    out = result.outputs[cell]
    assert out.mean == pytest.approx(mean, abs=mean_tol(sd) + 1e-6)
    kurtosis = float(dist.stats(moments="k")) + 3
    if kurtosis < 100:
        assert out.std == pytest.approx(sd, abs=sd_tol(sd, kurtosis) + 1e-6)
    for p, expected in quantiles.items():
        tol = quantile_tol(p / 100, dist.pdf(expected))
        assert out.percentiles[p] == pytest.approx(expected, abs=tol)
