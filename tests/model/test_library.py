"""The worksheet function library against independent answers.

Oracles: the worked examples of Microsoft's Excel function reference
(values Excel computed, printed to a stated number of digits: each is
checked to within half a unit of its last printed digit), exact
arithmetic where the answer is exact, and scipy for the statistical
distributions (relative error 1e-9). Per-iteration behaviour is checked
exactly against the inputs of the same iterations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mcengine.engine.simulate import sample


def values(formulas: dict[str, str], iterations: int = 1, seed: int = 1):
    model = {"cells": dict(formulas), "outputs": list(formulas)}
    return sample(model, iterations=iterations, seed=seed)


def one(formula: str) -> float:
    return float(values({"x": formula})["x"][0])


# (formula, Excel's documented value, digits printed after the point)
DOCUMENTED = [
    ("=IRR({-70000,12000,15000,18000,21000,26000})", 0.086630948, 9),
    ("=IRR({-70000,12000,15000,18000,21000})", -0.021244848, 9),
    ("=MIRR({-120000,39000,30000,21000,37000,46000},0.1,0.12)", 0.126094, 6),
    ("=NPER(0.12/12, -100, -1000, 10000, 1)", 59.6738657, 7),
    ("=NPER(0.12/12, -100, -1000)", -9.57859404, 8),
    (
        (
            "=XNPV(0.09, {-10000,2750,4250,3250,2750}, "
            "{39448,39508,39751,39859,39904})"
        ),
        2086.647602,
        6,
    ),
    ("=LOGNORM.INV(0.039084, 3.5, 1.2)", 4.0000252, 7),
    ("=LOGNORM.DIST(4, 3.5, 1.2, TRUE)", 0.0390836, 7),
    ("=LOGNORM.DIST(4, 3.5, 1.2, FALSE)", 0.0176176, 7),
    ("=EXPON.DIST(0.2, 10, TRUE)", 0.86466472, 8),
    ("=EXPON.DIST(0.2, 10, FALSE)", 1.35335283, 8),
    ("=BETA.DIST(2, 8, 10, TRUE, 1, 3)", 0.6854706, 7),
    ("=BETA.DIST(2, 8, 10, FALSE, 1, 3)", 1.4837646, 7),
    ("=BETA.INV(0.685470581, 8, 10, 1, 3)", 2.0, 6),
    ("=GAMMA.DIST(10.00001131, 9, 2, FALSE)", 0.032639, 6),
    ("=GAMMA.DIST(10.00001131, 9, 2, TRUE)", 0.068094, 6),
    ("=GAMMA.INV(0.068094, 9, 2)", 10.0000112, 7),
    ("=T.INV(0.75, 2)", 0.8164966, 7),
    (
        "=STDEV.S({1345,1301,1368,1322,1310,1370,1318,1350,1303,1299})",
        27.46391572,
        8,
    ),
    (
        "=VAR.S({1345,1301,1368,1322,1310,1370,1318,1350,1303,1299})",
        754.2666667,
        7,
    ),
    ("=MEDIAN({1,2,3,4,5,6})", 3.5, 6),
    ("=CEILING(2.5, 1)", 3, 6),
    ("=CEILING(-2.5, 2)", -2, 6),
    ("=FLOOR(-2.5, -2)", -2, 6),
    ("=FLOOR(1.58, 0.1)", 1.5, 6),
    ("=DATE(2008, 1, 1)", 39448, 0),
    ("=DATE(1900, 2, 29)", 60, 0),
    ("=DATE(1900, 3, 1)", 61, 0),
    ("=DATE(2008, 14, 2)", 39846, 0),
    ("=YEAR(39448)", 2008, 0),
    ("=MONTH(39508)", 3, 0),
    ("=DAY(60)", 29, 0),
    ("=EDATE(DATE(2011,1,15), -1)", 40527, 0),
    ("=EDATE(DATE(2011,1,31), 1)", 40602, 0),
    ("=EOMONTH(DATE(2011,1,1), 1)", 40602, 0),
    ("=EOMONTH(DATE(2011,1,1), -3)", 40482, 0),
    ("=COSH(4)", 27.308233, 6),
    ("=TANH(0.5)", 0.462117, 6),
]


@pytest.mark.parametrize("formula, expected, digits", DOCUMENTED)
def test_documented_examples(formula, expected, digits):
    assert abs(one(formula) - expected) <= 0.5 * 10.0**-digits + 1e-12


def test_iterative_rates_are_the_exact_roots():
    """RATE and XIRR against their roots found by mpmath at 30 digits
    (Microsoft's examples print 0.0077014724, truncated, and 0.373362535,
    where Excel's own iteration stopped): within 1e-12."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    rate = mp.findroot(
        lambda r: 8000 * (1 + r) ** 48 - 200 * ((1 + r) ** 48 - 1) / r, 0.0077
    )
    dates = [39448, 39508, 39751, 39859, 39904]
    flows = [-10000, 2750, 4250, 3250, 2750]
    xirr = mp.findroot(
        lambda r: sum(
            v / (1 + r) ** (mp.mpf(d - dates[0]) / 365)
            for v, d in zip(flows, dates)
        ),
        0.37,
    )
    assert abs(one("=RATE(48, -200, 8000)") - float(rate)) <= 1e-12
    got = one(
        "=XIRR({-10000,2750,4250,3250,2750}, {39448,39508,39751,39859,39904})"
    )
    assert abs(got - float(xirr)) <= 1e-12


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=VLOOKUP(2, {1,10;2,20;3,30}, 2, FALSE)", 20),
        ("=VLOOKUP(2.5, {1,10;2,20;3,30}, 2)", 20),
        ("=VLOOKUP(0.5, {1,10;2,20;3,30}, 2)", "#N/A"),
        ("=HLOOKUP(3, {1,2,3;10,20,30}, 2, FALSE)", 30),
        ("=MATCH(7, {1,5,7,9}, 0)", 3),
        ("=MATCH(8, {1,5,7,9})", 3),
        ("=MATCH(6, {9,7,5,1}, -1)", 2),
        ("=XLOOKUP(5, {1,5,7}, {10,50,70})", 50),
        ("=XLOOKUP(6, {1,5,7}, {10,50,70}, -1, -1)", 50),
        ("=XLOOKUP(6, {1,5,7}, {10,50,70}, -1, 1)", 70),
        ("=XLOOKUP(9, {1,5,7}, {10,50,70}, -1)", -1),
        ("=INDEX({1,2;3,4}, 2, 1)", 3),
        ("=INDEX({1,2,3}, 3)", 3),
        ("=CHOOSE(2, 10, 20, 30)", 20),
        ("=CHOOSE(4, 10, 20, 30)", "#VALUE!"),
        ("=IFS(3 > 4, 1, 3 > 2, 2)", 2),
        ("=IFS(FALSE, 1)", "#N/A"),
        ("=SWITCH(3, 1, 10, 3, 30, 0)", 30),
        ("=SWITCH(4, 1, 10, 3, 30, 0)", 0),
        ("=IFERROR(1/0, 7)", 7),
        ("=IFERROR(5, 7)", 5),
        ("=IFNA(MATCH(99, {1,2}, 0), -1)", -1),
        ("=IFNA(1/0, -1)", "#DIV/0!"),
        ("=ISERROR(LN(-1))", 1),
        ("=SUMPRODUCT({1,2,3}, {4,5,6})", 32),
        ("=COUNT({1,2,3})", 3),
        ('=COUNTIF({1,5,7,9}, ">4")', 3),
        ('=SUMIF({1,5,7,9}, ">=7")', 16),
        ('=SUMIF({1,5,7,9}, "<>5", {10,20,30,40})', 80),
        ("=AVERAGEIF({1,5,7,9}, 5)", 5),
        ("=LARGE({5,1,4,2,3}, 2)", 4),
        ("=SMALL({5,1,4,2,3}, 2)", 2),
        ("=SMALL({5,1,4}, 4)", "#NUM!"),
        ("=XOR(TRUE, TRUE, TRUE)", 1),
        ("=IRR({1, 2, 3})", "#NUM!"),
    ],
)
def test_exact_answers(formula, expected):
    got = values({"x": formula})["x"][0]
    if isinstance(expected, str):
        from mcengine.model.builder import error_name

        assert error_name(got) == expected
    else:
        assert got == expected


@pytest.mark.parametrize(
    "formula, reference",
    [
        (
            "=GAMMA.DIST({x}, 2.5, 3, TRUE)",
            lambda s, x: s.gamma(2.5, scale=3).cdf(x),
        ),
        (
            "=GAMMA.DIST({x}, 2.5, 3, FALSE)",
            lambda s, x: s.gamma(2.5, scale=3).pdf(x),
        ),
        ("=BETA.DIST({x}, 2, 5, TRUE)", lambda s, x: s.beta(2, 5).cdf(x / 20)),
        (
            "=LOGNORM.DIST({x}, 1, 0.5, FALSE)",
            lambda s, x: s.lognorm(0.5, scale=math.e).pdf(x),
        ),
    ],
)
def test_distribution_functions_against_scipy(stats, formula, reference):
    for x in (0.5, 1.5, 4.0, 9.0):
        arg = x / 20 if "BETA" in formula else x
        got = one(formula.format(x=arg))
        want = float(reference(stats, x))
        assert abs(got - want) <= 1e-9 * max(abs(want), 1e-300), x


@pytest.mark.parametrize(
    "formula, reference",
    [
        ("=GAMMA.INV({p}, 2.5, 3)", lambda s, p: s.gamma(2.5, scale=3).ppf(p)),
        ("=BETA.INV({p}, 2, 5)", lambda s, p: s.beta(2, 5).ppf(p)),
        ("=T.INV({p}, 4)", lambda s, p: s.t(4).ppf(p)),
    ],
)
def test_inverse_functions_against_scipy(stats, formula, reference):
    for p in (1e-6, 0.05, 0.5, 0.95, 1 - 1e-6):
        got = one(formula.format(p=p))
        want = float(reference(stats, p))
        assert abs(got - want) <= 1e-9 * max(abs(want), 1e-12), p


def test_lookups_follow_a_varying_key_per_iteration():
    """Exact: a key drawn per iteration finds that iteration's row."""
    got = values(
        {
            "key": "=RiskIntUniform(1, 4)",
            "found": "=VLOOKUP(key, {1,10;2,20;3,30;4,40}, 2, FALSE)",
            "position": "=MATCH(key, {4,3,2,1}, 0)",
            "chosen": "=CHOOSE(key, 1.5, 2.5, 3.5, 4.5)",
        },
        iterations=2000,
        seed=11,
    )
    assert np.array_equal(got["found"], 10 * got["key"])
    assert np.array_equal(got["position"], 5 - got["key"])
    assert np.array_equal(got["chosen"], got["key"] + 0.5)


def test_order_statistics_per_iteration():
    """Exact: MEDIAN of five draws equals NumPy's sort of the same draws,
    iteration by iteration (LARGE and SMALL share its sorting network)."""
    cells = {f"draw_{i}": "=RiskNormal(0, 1)" for i in range(5)}
    every = ", ".join(cells)
    cells.update(med=f"=MEDIAN({every})", top=f"=MAX({every})")
    got = values(cells, iterations=3000, seed=2)
    draws = np.sort(np.array([got[f"draw_{i}"] for i in range(5)]), axis=0)

    assert np.array_equal(got["med"], draws[2])
    assert np.array_equal(got["top"], draws[4])


def test_irr_of_stochastic_flows_per_iteration():
    """A workbook's IRR over a range of stochastic cash flows: each
    iteration's rate makes that iteration's NPV zero (to 1e-9 of the
    outlay)."""
    from mcengine.model import compile_workbook
    from tests.model.xlsx_files import formula, make_xlsx, number

    book = make_xlsx(
        {
            "F": {
                "A1": number(-1000),
                "A2": formula("RiskUniform(200, 400)"),
                "A3": formula("RiskUniform(300, 500)"),
                "A4": formula("RiskUniform(400, 600)"),
                "B1": formula("IRR(A1:A4)"),
            }
        }
    )
    compiled = compile_workbook(book, ["B1", "A2", "A3", "A4"])
    got = sample(compiled, iterations=2000, seed=7)
    r = got["F!B1"]
    npv = -1000 + got["F!A2"] / (1 + r) + got["F!A3"] / (1 + r) ** 2
    npv += got["F!A4"] / (1 + r) ** 3

    assert np.all(np.abs(npv) <= 1e-9 * 1000)


def test_text_comparison_folds_case_insensitively():
    assert one('=IF("abc" = "ABC", 1, 0)') == 1
    assert one('=IF("a" & "b" = "ab", 1, 0)') == 1


def test_lookups_in_constant_tables_are_one_instruction():
    """Exact: a varying key into a 20-row table of numbers gives the same
    answers as a scan (checked against Python per iteration), in a single
    core instruction per lookup (binary search) instead of a chain of IF."""
    from mcengine.model import compile_model
    from mcengine.model.builder import error_name

    keys = list(range(1, 21))
    table = "{" + ";".join(f"{k},{k * 10}" for k in keys) + "}"
    column = "{" + ",".join(map(str, keys)) + "}"
    cells = {
        "key": "=RiskIntUniform(0, 22)",
        "exact": f"=VLOOKUP(key, {table}, 2, FALSE)",
        "nearest": f"=VLOOKUP(key + 0.5, {table}, 2)",
        "position": f"=MATCH(key, {column}, 0)",
        "fallback": f"=XLOOKUP(key, {column}, {column}, -1)",
    }
    model = {"cells": cells, "outputs": list(cells)}
    got = values(cells, iterations=3000, seed=3)

    for k, exact, nearest, position, fallback in zip(
        got["key"],
        got["exact"],
        got["nearest"],
        got["position"],
        got["fallback"],
    ):
        inside = 1 <= k <= 20
        assert exact == k * 10 if inside else error_name(exact) == "#N/A"
        assert (
            nearest == min(20, int(k + 0.5)) * 10
            if k >= 1
            else (error_name(nearest) == "#N/A")
        )
        assert position == k if inside else error_name(position) == "#N/A"
        assert fallback == (k if inside else -1)
    assert compile_model(model).instruction_count <= 10
