"""Excel semantics of the evaluator, checked one formula at a time.

Expected values are those Excel gives (its documentation's examples where
it has them); numbers compare to 1e-12 relative unless the documented
value is itself rounded, in which case the tolerance is half its last
digit.
"""

import pytest

from mcengine.engine import sample, simulate
from mcengine.model.builder import error_name


def evaluate(formula: str, **cells) -> float:
    model = {"cells": {**cells, "x": formula}, "outputs": ["x"]}
    return float(sample(model, iterations=1, seed=1)["x"][0])


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=ROUND(2.15, 1)", 2.2),
        ("=ROUND(-2.5, 0)", -3.0),
        ("=ROUND(2.5, 0)", 3.0),
        ("=ROUND(626.3, -3)", 1000.0),
        ("=ROUND(1.005, 2)", 1.01),
        ("=ROUND(-1.475, 2)", -1.48),
        ("=ROUNDUP(3.2, 0)", 4.0),
        ("=ROUNDUP(-3.2, 0)", -4.0),
        ("=ROUNDUP(3.14159, 3)", 3.142),
        ("=ROUNDDOWN(-3.7, 0)", -3.0),
        ("=ROUNDDOWN(3.14159, 3)", 3.141),
        ("=TRUNC(-8.9)", -8.0),
        ("=MOD(-3, 2)", 1.0),
        ("=MOD(3, -2)", -1.0),
        ("=MOD(5.5, 2)", 1.5),
        ("=-2^2", 4.0),
        ("=2^3^2", 64.0),
        ("=50%", 0.5),
        ("=1+2*3-4/2", 5.0),
        ("=INT(-2.5)", -3.0),
        ("=SIGN(-3)", -1.0),
        ("=ABS(-2)", 2.0),
        ("=LOG(8, 2)", 3.0),
        ("=LOG(100)", 2.0),
        ("=LOG10(1000)", 3.0),
        ("=LN(EXP(2))", 2.0),
        ("=SQRT(16)", 4.0),
        ("=POWER(2, 10)", 1024.0),
        ("=(-8)^3", -512.0),
        ("=SUM(1, 2, 3)", 6.0),
        ("=SUM({1,2;3,4}, 5)", 15.0),
        ("=AVERAGE(1, 2, 3, 4)", 2.5),
        ("=MIN(3, 1, 2)", 1.0),
        ("=MAX({1,5,2})", 5.0),
        ("=AND(1, 0)", 0.0),
        ("=AND(TRUE, 2)", 1.0),
        ("=OR(0, 0)", 0.0),
        ("=NOT(0)", 1.0),
        ("=XOR(TRUE, TRUE)", 0.0),
        ("=IF(2 > 1, 10, 20)", 10.0),
        ("=IF(0, 10)", 0.0),
        ("=IF(TRUE, 1, 1/0)", 1.0),
        ("=1 = 1", 1.0),
        ("=2 <> 2", 0.0),
        ("=3 >= 3", 1.0),
        ('="a" = "A"', 1.0),
        ('="3" + 1', 4.0),
        ("=NPV(0.1, 100, 200)", 100 / 1.1 + 200 / 1.21),
        ("=PMT(0, 10, 1000)", -100.0),
        ("=PI()", 3.141592653589793),
    ],
)
def test_formula_values_follow_excel(formula, expected):
    """Each formula evaluates to Excel's value."""
    assert evaluate(formula) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "formula, expected, abs_tol",
    [
        ("=PMT(8%/12, 10, 10000)", -1037.03, 0.005),
        ("=PMT(8%/12, 10, 10000, 0, 1)", -1030.16, 0.005),
        ("=FV(6%/12, 10, -200, -500, 1)", 2581.40, 0.005),
        ("=PV(8%/12, 12*20, 500, , 0)", -59777.15, 0.005),
        ("=NORM.S.INV(0.908789)", 1.3333347, 5e-8),
        ("=NORM.DIST(42, 40, 1.5, TRUE)", 0.9087888, 5e-8),
        ("=NORM.DIST(42, 40, 1.5, FALSE)", 0.10934005, 5e-9),
        ("=NORM.INV(0.908789, 40, 1.5)", 42.000002, 5e-7),
        ("=NORM.S.DIST(1.333333, TRUE)", 0.908788726, 5e-10),
    ],
)
def test_documented_examples_match_to_their_printed_digits(
    formula, expected, abs_tol
):
    """Excel's documented examples, to half a unit of the last digit."""
    assert evaluate(formula) == pytest.approx(expected, abs=abs_tol)


@pytest.mark.parametrize(
    "formula, error",
    [
        ("=1/0", "#DIV/0!"),
        ("=MOD(5, 0)", "#DIV/0!"),
        ("=SQRT(-1)", "#NUM!"),
        ("=LN(0)", "#NUM!"),
        ("=POWER(0, 0)", "#NUM!"),
        ("=0^-1", "#DIV/0!"),
        ("=(-8)^(1/3)", "#NUM!"),
        ("=EXP(1000)", "#NUM!"),
        ("=1E300 * 1E300", "#NUM!"),
        ("=LOG(10, 1)", "#DIV/0!"),
        ("=NORM.S.INV(1)", "#NUM!"),
        ("=NORM.INV(0.5, 0, 0)", "#NUM!"),
        ('="a" + 1', "#VALUE!"),
        ("=#N/A", "#N/A"),
        ("=SUM(1, #N/A)", "#N/A"),
        ("=IF(1/0 > 1, 1, 2)", "#DIV/0!"),
        ("=MAX(1, SQRT(-1))", "#NUM!"),
        ("=ROUND(1/0, 2)", "#DIV/0!"),
        ("=NPV(-1, 100)", "#DIV/0!"),
    ],
)
def test_errors_follow_excel(formula, error):
    """Excel's error values arise and propagate as Excel's do."""
    assert error_name(evaluate(formula)) == error


def test_errors_are_counted_per_iteration_and_excluded():
    """Half the iterations divide by zero: they are counted, and the
    statistics cover the rest (which are all exactly 1)."""
    model = {
        "cells": {"u": "=RiskUniform(0, 1)", "x": "=IF(u < 0.5, 1/0, 1)"},
        "outputs": ["x"],
    }
    result = simulate(model, iterations=100_000, seed=4)
    x = result.outputs["x"]
    assert x.errors + x.valid == 100_000
    # Binomial(1e5, 0.5): 4 SE = 4 * sqrt(1e5 * 0.25) = 632.
    assert abs(x.errors - 50_000) < 632
    assert x.mean == 1.0 and x.std == 0.0 and x.min == x.max == 1.0


def test_per_iteration_parameters_are_evaluated_per_iteration():
    """A distribution whose parameter is another draw: mean of
    Normal(mu, 1) with mu ~ Uniform(0, 10) is 5 (4 SE with sd
    sqrt(100/12 + 1))."""
    model = {
        "cells": {"mu": "=RiskUniform(0, 10)", "x": "=RiskNormal(mu, 1)"},
        "outputs": ["x"],
    }
    x = simulate(model, iterations=100_000, seed=9).outputs["x"]
    assert x.mean == pytest.approx(
        5.0, abs=4 * (100 / 12 + 1) ** 0.5 / 100_000**0.5
    )
    assert x.errors == 0


def test_invalid_per_iteration_parameters_give_num_errors():
    """An sd drawn below zero makes that iteration #NUM!, not a crash."""
    model = {
        "cells": {"sd": "=RiskUniform(-1, 1)", "x": "=RiskNormal(0, sd)"},
        "outputs": ["x"],
    }
    x = simulate(model, iterations=100_000, seed=9).outputs["x"]
    # P(sd <= 0) = 1/2; 4 SE of a Binomial(1e5, 0.5) count is 632.
    assert abs(x.errors - 50_000) < 632


@pytest.mark.parametrize(
    "call",
    [
        "RiskGamma(a, 1)",
        "RiskPoisson(a)",
        "RiskBinomial(10, a)",
        "RiskNegbin(2, a)",
        "RiskPert(0, a, 1)",
        "RiskInvgauss(a, 1)",
    ],
)
def test_invalid_parameters_of_iterating_kinds_give_num_errors(call):
    """The kinds whose quantile iterates (a root-finder or a count search)
    are not run where the parameters are invalid, where they could spend
    their step limits (Gamma(-1, 1) took 70 ms a value before)."""
    model = {
        "cells": {"a": "=RiskUniform(-1, 1)", "x": f"={call}"},
        "outputs": ["x"],
    }
    x = simulate(model, iterations=20_000, seed=5).outputs["x"]
    # a <= 0 is invalid: P = 1/2; 4 SE of a Binomial(2e4, 0.5) count is 283.
    assert abs(x.errors - 10_000) < 283
