"""Our own examples, checked against closed forms.

Tolerances: 4 standard errors of the simulated mean (sd from the sample),
or float rounding (1e-9 relative) where a value is checked per iteration.
"""

import math

import numpy as np
import pytest

import mcengine
from mcengine.engine import sample
from tests.conftest import EXAMPLES, load_json

N = 400_000


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def test_insurance_result_matches_its_closed_form_mean():
    """E[result] = premium (1 - E[expense]) - E[net losses], with the
    ceded layer of a lognormal claim priced by the stop-loss formula."""
    model = load_json(EXAMPLES / "insurance_portfolio.json")
    result = mcengine.simulate(model, iterations=N, seed=17)
    mean, sd, retention = 400_000.0, 250_000.0, 250_000.0
    sigma = math.sqrt(math.log(1 + (sd / mean) ** 2))
    mu = math.log(mean) - sigma**2 / 2
    d1 = (mu - math.log(retention) + sigma**2) / sigma
    stop_loss = mean * normal_cdf(d1) - retention * normal_cdf(d1 - sigma)
    gross = 180 * 4 * 900 + 0.15 * mean
    net = gross - 0.15 * stop_loss
    expense = (0.22 + 4 * 0.25 + 0.33) / 6
    expected = 1_250_000 * (1 - expense) - net
    out = result.outputs["underwriting_result"]
    assert out.mean == pytest.approx(expected, abs=4 * out.sem)
    ratio = result.outputs["loss_ratio"]
    assert ratio.mean == pytest.approx(net / 1_250_000, abs=4 * ratio.sem)


def test_loan_payment_matches_the_annuity_formula_per_iteration():
    """Each iteration's payment is P r / (1 - (1 + r)^-n) at its rate."""
    model = load_json(EXAMPLES / "loan_repayment.json")
    model["outputs"] = [
        "annual_rate",
        "monthly_payment",
        "payment_rounded",
        "balance_after_5y",
    ]
    values = sample(model, iterations=50_000, seed=3)
    r = values["annual_rate"] / 12
    payment = 300_000 * r / (1 - (1 + r) ** -300)
    assert np.allclose(values["monthly_payment"], payment, rtol=1e-9, atol=0)
    assert np.all(np.abs(values["payment_rounded"] - payment) <= 0.005 + 1e-9)
    balance = 300_000 * (1 + r) ** 60 - payment * ((1 + r) ** 60 - 1) / r
    assert np.allclose(values["balance_after_5y"], balance, rtol=1e-9)


def test_correlated_costs_spread_follows_the_normal_copula():
    """Normal inputs reordered to rank correlations rho have Pearson
    correlations 2 sin(pi rho / 6), so the total's sd is known: checked
    within 4 standard errors of a sample sd (sd / sqrt(2 n) for a normal
    total); the mean, which correlation leaves alone, within 4 sem."""
    model = load_json(EXAMPLES / "correlated_costs.json")
    result = mcengine.simulate(model, iterations=N, seed=23)
    sd = np.array([150.0, 120.0, 90.0])
    rho = np.array(model["correlations"][0]["matrix"])
    pearson = 2 * np.sin(np.pi * rho / 6)
    np.fill_diagonal(pearson, 1)
    expected_sd = math.sqrt(sd @ pearson @ sd)
    total = result.outputs["total"]
    assert total.mean == pytest.approx(2650.0, abs=4 * total.sem)
    assert total.std == pytest.approx(
        expected_sd, abs=4 * expected_sd / math.sqrt(2 * N)
    )
    # Independent inputs would give a visibly smaller spread.
    assert math.sqrt(sd @ sd) < expected_sd - 10 * expected_sd / math.sqrt(
        2 * N
    )


def test_project_npv_workbook_matches_its_closed_form_mean():
    """examples/project_npv.xlsx (examples/make_project_npv_xlsx.py): the
    NPV is linear in independent inputs, E = 0.4 sum(100 * 1.1^(t-1) /
    1.08^t) - 250; within 4 standard errors."""
    result = mcengine.simulate(
        EXAMPLES / "project_npv.xlsx", iterations=N, seed=29
    )
    revenue = [100 * 1.1**t for t in range(5)]
    expected = (
        0.4 * sum(r / 1.08 ** (t + 1) for t, r in enumerate(revenue)) - 250
    )
    npv = result.outputs["NPV"]

    assert list(result.outputs) == ["NPV", "IRR"]
    assert npv.mean == pytest.approx(expected, abs=4 * npv.sem)
    assert result.outputs["IRR"].errors == 0
