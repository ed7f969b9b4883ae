"""Workbooks as models: references, sheets, defined names, shared formulas,
outputs, limits, and the comparison with Excel's cached values.

Excel-computed files (../shared/cases/xlsx) are the oracle for values;
the small workbooks here are written XML by XML (tests/model/xlsx_files)
for the structural cases, with cached values chosen by the test. Exact
comparisons unless a tolerance is stated.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

import mcengine
from mcengine.engine.simulate import sample
from mcengine.model import (
    ModelError,
    WorkbookSource,
    check_workbook,
    compile_workbook,
)
from mcengine.model.workbook import WorkbookLimits, read_workbook
from tests.conftest import shared_path
from tests.model.xlsx_files import (
    array_formula,
    formula,
    make_xlsx,
    number,
    shared_child,
    shared_master,
    text,
    zip_bomb,
)


def shared_books() -> list[Path]:
    return sorted(shared_path("cases", "xlsx").glob("*.xlsx"))


def test_every_shared_workbook_matches_excel():
    """The issue's bar: zero mismatches, nothing unsupported or skipped,
    on every Excel-computed workbook (numbers within 1e-9 relative)."""
    for path in shared_books():
        document = check_workbook(path)
        assert document["mismatches"] == [], path.name
        assert document["unsupported"] == [] and document["skipped"] == []
        assert document["cells_checked"] > 0, path.name
        assert document["matched"] == document["cells_checked"]


def test_shared_npv_workbook_simulates_with_listed_outputs():
    path = next(p for p in shared_books() if p.name == "NPV.xlsx")
    result = mcengine.simulate(
        WorkbookSource(path.read_bytes(), ("A1", "Sheet1!B1")), iterations=3
    )

    assert list(result.outputs) == ["Sheet1!A1", "Sheet1!B1"]
    # Excel's cached values, within 1e-9 relative.
    assert result.outputs["Sheet1!A1"].mean == pytest.approx(
        1188.4434123352207, rel=1e-9
    )
    assert result.outputs["Sheet1!B1"].mean == pytest.approx(
        -3749.4650870155747, rel=1e-9
    )


def _book(**extra_cells):
    """Two sheets, one with a space in its name; stochastic cells summed
    over a range per iteration; outputs marked with RiskOutput."""
    costs = {
        "A1": formula("RiskNormal(100, 10)"),
        "A2": formula("RiskUniform(0, 20)"),
        "A3": formula("RiskTriang(1, 2, 6)"),
        "B1": formula('RiskOutput("total") + SUM(A1:A3)'),
        "B2": formula("RiskOutput() + 'Rates & terms'!B1 * B1"),
        "C1": formula("SUM(A:A)"),
    }
    costs.update(extra_cells)
    rates = {"A1": text("tax"), "B1": number(0.25)}
    return make_xlsx({"Costs": costs, "Rates & terms": rates})


def test_ranges_are_read_per_iteration():
    """Exact: the total is the sum of that iteration's three inputs, the
    taxed cell 0.25 of it, and a whole column sums the same cells. A
    listed output keeps its RiskOutput name ("total" for B1)."""
    compiled = compile_workbook(_book(), ["B1", "B2", "C1", "A1", "A2", "A3"])
    values = sample(compiled, iterations=2000, seed=5)
    total = values["Costs!A1"] + values["Costs!A2"] + values["Costs!A3"]

    assert np.array_equal(values["total"], total)
    assert np.array_equal(values["Costs!C1"], total)
    assert np.array_equal(values["Costs!B2"], 0.25 * total)


def test_risk_output_marks_and_names_outputs():
    """RiskOutput("total") names its output; a bare RiskOutput() keeps the
    address; the mean is within 4 standard errors of 100 + 10 + 3."""
    result = mcengine.simulate(_book(), iterations=40_000, seed=3)
    total = result.outputs["total"]

    assert list(result.outputs) == ["total", "Costs!B2"]
    assert abs(total.mean - 113) <= 4 * total.sem


def test_sheet_and_workbook_defined_names():
    """A sheet-scoped name wins over the workbook's on its own sheet."""
    book = make_xlsx(
        {
            "One": {"A1": number(2), "B1": formula("rate * 10", 30.0)},
            "Two": {"A1": number(3), "B1": formula("rate * 10", 20.0)},
        },
        names=[("rate", "One!$A$1", None), ("rate", "Two!$A$1", 0)],
    )
    # On sheet One the local name (sheet index 0 -> One) is Two!A1 = 3.
    values = sample(
        compile_workbook(book, ["One!B1", "Two!B1"]), iterations=1, seed=1
    )

    assert values["One!B1"][0] == 30 and values["Two!B1"][0] == 20
    document = check_workbook(book)
    assert document["matched"] == 2 and document["mismatches"] == []


def test_shared_formulas_children_follow_their_master():
    """Children of a shared formula carry no text; openpyxl translates
    the master's relative references for each."""
    book = make_xlsx(
        {
            "S": {
                "A1": number(1),
                "A2": number(2),
                "A3": number(3),
                "B1": shared_master("A1*10", "B1:B3", 0, 10.0),
                "B2": shared_child(0, 20.0),
                "B3": shared_child(0, 30.0),
            }
        }
    )
    document = check_workbook(book)

    assert document["cells_checked"] == 3 and document["matched"] == 3


def test_mismatches_errors_and_text_are_compared():
    book = make_xlsx(
        {
            "S": {
                "A1": formula("1+1", 3.0),
                "A2": formula("1/0", "#DIV/0!"),
                "A3": formula("1/0", 5.0),
                "A4": formula('"a" & "b"', "ab"),
                "A5": formula("2*3", 6.0),
                "A6": formula("RAND()", 0.5),
                "A7": formula("A5"),
            }
        }
    )
    document = check_workbook(book)
    mismatched = {m["cell"]: m for m in document["mismatches"]}

    assert set(mismatched) == {"S!A1", "S!A3"}
    assert (
        mismatched["S!A1"]["excel"] == 3 and mismatched["S!A1"]["engine"] == 2
    )
    assert mismatched["S!A3"]["engine"] == "#DIV/0!"
    assert document["matched"] == 3  # A2 (an error as the error), A4, A5
    skipped = {s["cell"]: s["reason"] for s in document["skipped"]}
    assert skipped["S!A6"].startswith("volatile")
    assert skipped["S!A7"] == "Excel saved no value"


def test_unsupported_functions_and_cycles_are_listed():
    book = make_xlsx(
        {
            "S": {
                "A1": formula("B1 + 1", 0.0),
                "B1": formula("A1 + 1", 0.0),
                "C1": formula("WEBSERVICE(1)", 1.0),
                "C2": formula("C1 * 2", 2.0),
                "D1": formula("4", 4.0),
            }
        }
    )
    document = check_workbook(book)

    assert document["cycles"] == [["S!A1", "S!B1"]] or document["cycles"] == [
        ["S!B1", "S!A1"]
    ]
    assert document["unsupported"][0]["cell"] == "S!C1"
    assert document["unsupported"][0]["function"] == "WEBSERVICE"
    assert {"cell": "S!C2", "reason": "depends on S!C1"} in document["skipped"]
    assert document["matched"] == 1


def test_a_cycle_is_refused_when_simulating():
    book = make_xlsx(
        {"S": {"A1": formula("B1 + 1"), "B1": formula("A1 + RiskOutput()")}}
    )
    with pytest.raises(ModelError, match="circular reference"):
        compile_workbook(book)


def test_stochastic_cells_are_checked_at_their_mean():
    """@RISK's static value: each distribution at its mean (exact for
    these closed forms)."""
    book = make_xlsx(
        {
            "S": {
                "A1": formula("RiskTriang(1, 2, 6)", 3.0),
                "A2": formula("RiskPert(0, 2, 10)", 3.0),
                "A3": formula("RiskDiscrete({1,2},{1,3})", 1.75),
                "A4": formula("RiskNormal(A1, 1) * 2", 6.0),
            }
        }
    )
    document = check_workbook(book)

    assert document["mismatches"] == [] and document["matched"] == 4


def test_bad_references_name_the_cell_and_position():
    book = make_xlsx({"S": {"A1": formula("Nowhere!B2 + RiskOutput()")}})
    with pytest.raises(ModelError) as raised:
        compile_workbook(book)
    (violation,) = raised.value.violations
    assert violation.field == "cells.S!A1"
    assert "no sheet named 'Nowhere'" in violation.description


def test_no_outputs_and_unknown_output_cells_are_refused():
    book = make_xlsx({"S": {"A1": formula("RiskNormal(0, 1)")}})
    with pytest.raises(ModelError, match="no outputs"):
        compile_workbook(book)
    with pytest.raises(ModelError) as raised:
        compile_workbook(book, ["S!Z9"])
    assert raised.value.violations[0].field == "outputs[0]"


@pytest.mark.parametrize(
    "data, words",
    [
        (b"not a zip at all", "not an .xlsx or .xlsm file"),
        (b"PK\x03\x04 truncated", "damaged zip archive"),
    ],
)
def test_bad_files_are_clear_errors(data, words):
    with pytest.raises(ModelError) as raised:
        read_workbook(data)
    (violation,) = raised.value.violations
    assert violation.field == "workbook" and words in violation.description


def test_zip_bomb_is_refused_before_expanding():
    """A 64 MiB member stored in a few KB, against a 16 MiB limit: the
    zip directory alone refuses it (the default limit is 500 MB)."""
    bomb = zip_bomb(64 << 20)
    limits = WorkbookLimits(max_uncompressed_bytes=16 << 20)

    assert len(bomb) < 1 << 20
    with pytest.raises(ModelError, match="refused before expanding"):
        read_workbook(bomb, limits)


def test_size_sheet_and_formula_limits():
    book = make_xlsx({f"S{i}": {"A1": formula("1")} for i in range(3)})
    with pytest.raises(ModelError, match="3 sheets; the limit is 2"):
        read_workbook(book, WorkbookLimits(max_sheets=2))
    with pytest.raises(ModelError, match="3 formula cells; the limit is 2"):
        read_workbook(book, WorkbookLimits(max_formula_cells=2))
    with pytest.raises(ModelError, match="the limit is 100"):
        read_workbook(book, WorkbookLimits(max_bytes=100))


def test_openpyxl_written_workbook_with_spaces_and_dates():
    """A workbook as openpyxl writes it (no cached values): a sheet name
    with spaces and a date cell, which becomes Excel's serial."""
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My Inputs"
    ws["A1"] = datetime.date(2008, 1, 1)
    ws["B1"] = "=YEAR(A1) + RiskOutput()"
    ws["B2"] = "='My Inputs'!A1 + 1"
    buffer = io.BytesIO()
    wb.save(buffer)
    values = sample(
        compile_workbook(buffer.getvalue(), ["B1", "B2"]), iterations=1, seed=1
    )

    assert values["My Inputs!B1"][0] == 2008
    assert values["My Inputs!B2"][0] == 39449


def test_date_serials_include_excels_1900_leap_day():
    assert math.isclose(
        sample(
            {
                "cells": {"x": "=DATE(1900, 3, 1) - DATE(1900, 2, 28)"},
                "outputs": ["x"],
            },
            iterations=1,
            seed=1,
        )["x"][0],
        2.0,
    )


def _corrmat_book(second_position: int = 2) -> bytes:
    return make_xlsx(
        {
            "S": {
                "A1": formula("RiskNormal(0, 1, RiskCorrmat(C1:D2, 1))"),
                "A2": formula(
                    "RiskUniform(0, 1, RiskCorrmat($C$1:$D$2, "
                    f"{second_position}))"
                ),
                "A3": formula("RiskExpon(1)"),
                "B1": formula("RiskOutput() + A1 + A2 + A3"),
                "C1": number(1),
                "D1": number(-0.8),
                "C2": number(-0.8),
                "D2": number(1),
            }
        }
    )


def test_risk_corrmat_correlates_workbook_inputs():
    """RiskCorrmat(matrix range, position): the inputs at positions 1 and
    2 get the matrix's rank correlation, within 0.02 at n = 100,000 (over
    6 standard errors of a Spearman coefficient there); the third input
    stays out of the group."""
    result = mcengine.simulate(_corrmat_book(), iterations=100_000, seed=8)
    (group,) = result.correlations

    assert group["inputs"] == ["S!A1", "S!A2"]
    assert group["target"] == [[1, -0.8], [-0.8, 1]]
    assert abs(group["achieved"][0][1] + 0.8) <= 0.02


def test_risk_corrmat_positions_must_fill_the_matrix():
    with pytest.raises(ModelError, match=r"positions given are \[1, 3\]"):
        compile_workbook(_corrmat_book(second_position=3))


def test_risk_corrmat_in_a_json_model_says_where_it_works():
    model = {
        "cells": {"x": "=RiskNormal(0, 1, RiskCorrmat(1, 1))"},
        "outputs": ["x"],
    }
    with pytest.raises(ModelError, match="works in workbooks"):
        mcengine.simulate(model, iterations=10)


def test_array_formulas_over_one_and_several_cells():
    """{=A1:A3*2} over B1:B3 gives each cell its element; {=SUM(A1:A3*
    A1:A3)} in one cell works element by element inside SUM; Excel's
    cached values agree, and the cells simulate the same values."""
    book = make_xlsx(
        {
            "S": {
                "A1": number(1),
                "A2": number(2),
                "A3": number(3),
                "B1": array_formula("A1:A3*2", "B1:B3", 2.0),
                "B2": number(4),
                "B3": number(6),
                "C1": array_formula("SUM(A1:A3*A1:A3)", "C1", 14.0),
                "D1": array_formula("A1:A2+10", "D1:D3", 11.0),
                "D2": number(12),
                "D3": ('t="e"', "<v>#N/A</v>"),
            }
        }
    )
    document = check_workbook(book)
    values = sample(
        compile_workbook(book, ["B1", "B2", "B3", "C1"]), iterations=1, seed=1
    )

    assert document["mismatches"] == [] and document["matched"] == 7
    assert [values[f"S!B{r}"][0] for r in (1, 2, 3)] == [2, 4, 6]
    assert values["S!C1"][0] == 14


def test_xlsm_files_are_read_and_macros_ignored(tmp_path):
    """The same workbook saved as .xlsm (with a stray vbaProject part) is
    read from its path; the macro part is never opened."""
    import zipfile

    data = _book()
    path = tmp_path / "book.xlsm"
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\0" * 64)
    path.write_bytes(buffer.getvalue())
    result = mcengine.simulate(path, iterations=1000, seed=2)

    assert list(result.outputs) == ["total", "Costs!B2"]


def test_a_cell_far_out_does_not_make_reading_slow():
    """One constant in XFD1048576 beside a small model: the rows are read
    as the file holds them (no filling of the sheet's whole rectangle), and
    a limit on scanned cells bounds the rest."""
    book = make_xlsx(
        {
            "S": {
                "A1": number(1),
                "B1": formula("RiskOutput() + RiskNormal(0, 1) + A1"),
                "XFD1048576": number(5),
            }
        }
    )
    assert compile_workbook(book).outputs == ["S!B1"]
    with pytest.raises(ModelError, match="scanning over 100 cells"):
        read_workbook(book, WorkbookLimits(max_scanned_cells=100))


def test_a_range_counts_as_one_argument():
    """300 values in one range, and ranges in two arguments: Excel's 255
    limit counts arguments, not cells. Exact sums."""
    cells = {f"B{r}": number(r) for r in range(1, 301)}
    cells["C1"] = formula("RiskOutput() + SUM(B1:B300)")
    cells["C2"] = formula("SUM(B1:B100, B101:B300) + MAX(B1:B300)")
    values = sample(
        compile_workbook(make_xlsx({"S": cells}), ["C1", "C2"]),
        iterations=1,
        seed=1,
    )

    assert values["S!C1"][0] == 45150 and values["S!C2"][0] == 45150 + 300


def test_excel_future_function_prefixes_are_read():
    book = make_xlsx(
        {
            "S": {
                "A1": formula("_xlfn.STDEV.S({1,2,3,4})"),
                "A2": formula("_xlfn.IFNA(_xlfn.XLOOKUP(9,{1,2},{3,4}), -1)"),
            }
        }
    )
    values = sample(compile_workbook(book, ["A1", "A2"]), iterations=1, seed=1)
    assert values["S!A1"][0] == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    assert values["S!A2"][0] == -1


def test_if_with_text_results_is_refused_when_it_varies():
    """Text exists only while compiling: an IF whose test varies and whose
    results are text is refused (it used to read as 0 silently); with a
    test known when compiling, the text is chosen then."""
    varying = make_xlsx(
        {
            "S": {
                "A1": formula("RiskIntUniform(1, 3)"),
                "A2": formula('IF(A1 > 1, "yes", "no")'),
                "A3": formula('RiskOutput() + (A2 = "yes")'),
            }
        }
    )
    with pytest.raises(
        ModelError, match="gives text that depends on the iteration"
    ):
        compile_workbook(varying)
    fixed = make_xlsx(
        {
            "S": {
                "A1": number(5),
                "A2": formula('IF(A1 > 4, "big", "small")'),
                "A3": formula(
                    'RiskOutput() + (A2 = "big") + RiskNormal(0, 0.001)'
                ),
            }
        }
    )
    result = mcengine.simulate(fixed, iterations=100, seed=1)
    assert abs(result.outputs["S!A3"].mean - 1) < 0.01


def test_logical_values_text_and_times_follow_excel():
    """Exact, as Excel computes them: TRUE in a range is skipped by SUM
    and COUNT; text reached through a reference is skipped by SUM; a time
    is a fraction of a day, a duration too; 1 January 1900 is serial 1."""
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["B1"], ws["B2"], ws["B3"] = True, 1, "abc"
    ws["C1"] = datetime.time(12, 0)
    ws["C2"] = datetime.datetime(1900, 1, 1)
    ws["C3"] = datetime.timedelta(hours=36)
    formulas = {
        "D1": "=SUM(B1:B2)",
        "D2": "=COUNT(B1:B4)",
        "D3": "=SUM(B3, 2)",
        "D4": "=C1*24",
        "D5": "=C2",
        "D6": "=C3*24",
    }
    for cell, body in formulas.items():
        ws[cell] = body
    buffer = io.BytesIO()
    wb.save(buffer)
    values = sample(
        compile_workbook(buffer.getvalue(), list(formulas)),
        iterations=1,
        seed=1,
    )
    got = [values[f"S!{c}"][0] for c in formulas]

    assert got == [1, 1, 2, 12, 1, 36]


def test_whole_columns_read_by_many_formulas_are_one_range():
    """Fifty formulas over a 5,000-row column: the column is expanded
    once, and a sum of constants is taken while compiling (exact)."""
    cells = {f"B{r}": number(r) for r in range(1, 5001)}
    for r in range(1, 51):
        cells[f"C{r}"] = formula("COUNT(B:B) + SUM(B:B)")
    cells["D1"] = formula("RiskOutput() + C50")
    compiled = compile_workbook(make_xlsx({"S": cells}))
    values = sample(compiled, iterations=1, seed=1)

    assert values["S!D1"][0] == 5000 + 5000 * 5001 / 2
    assert compiled.instruction_count < 10


@pytest.mark.parametrize(
    "body, words",
    [
        ("RAND() + RiskOutput()", "draws a new value on every recalculation"),
        ("[1]Sheet1!A1 + RiskOutput()", "links to other workbooks"),
        ("Total * 2 + RiskOutput()", "'Total' is not a defined name"),
        (
            "RiskCorrmat(A1:A2, 1) + RiskOutput()",
            "is written inside a distribution",
        ),
    ],
)
def test_workbook_formula_errors_say_what_is_wrong(body, words):
    book = make_xlsx(
        {"S": {"B1": formula(body), "A1": number(1), "A2": number(2)}}
    )
    with pytest.raises(ModelError) as raised:
        compile_workbook(book)
    assert any(words in v.description for v in raised.value.violations)


def test_risk_corrmat_matrix_problems_name_the_range_and_cell():
    book = make_xlsx(
        {
            "S": {
                "A1": formula("RiskNormal(0, 1, RiskCorrmat(C1:E3, 1))"),
                "A2": formula("RiskNormal(0, 1, RiskCorrmat(C1:E3, 2))"),
                "A3": formula("RiskNormal(0, 1, RiskCorrmat(C1:E3, 3))"),
                "B1": formula("RiskOutput() + A1 + A2 + A3"),
                "C1": number(1),
                "D1": number(0.9),
                "E1": number(0.9),
                "C2": number(0.9),
                "D2": number(1),
                "E2": number(-0.9),
                "C3": number(0.9),
                "D3": number(-0.9),
                "E3": number(1),
            }
        }
    )
    with pytest.raises(ModelError) as raised:
        compile_workbook(book)
    (violation,) = raised.value.violations
    assert violation.field == "cells.S!A1"
    assert violation.description.startswith("RiskCorrmat(S!C1:E3): ")
    assert "repair" not in violation.description


def test_outputs_listed_twice_missing_files_and_short_arrays():
    book = _book()
    with pytest.raises(ModelError, match="listed twice"):
        compile_workbook(book, ["B1", "Costs!B1"])
    with pytest.raises(ModelError, match="cannot read"):
        compile_workbook(Path("/nonexistent/book.xlsx"))
    one = mcengine.simulate(WorkbookSource(book, "B2"), iterations=10, seed=1)
    assert list(one.outputs) == ["Costs!B2"]
    padded = make_xlsx(
        {
            "S": {
                "A1": number(1),
                "A2": number(2),
                "A3": number(3),
                "B1": number(10),
                "B2": number(20),
                "C1": array_formula("A1:A3*B1:B2", "C1:C3"),
            }
        }
    )
    values = sample(
        compile_workbook(padded, ["C1", "C2", "C3"]), iterations=1, seed=1
    )
    from mcengine.model.builder import error_name

    assert values["S!C1"][0] == 10 and values["S!C2"][0] == 40
    assert error_name(values["S!C3"][0]) == "#N/A"


def test_written_out_distributions_take_ranges_of_numbers():
    """@RISK books pass ranges: RiskDiscrete(B1:B2, C1:C2) reads the
    numbers typed there; the mean is exact at the static value."""
    book = make_xlsx(
        {
            "S": {
                "A1": formula("RiskDiscrete(B1:B2, C1:C2)", 1.75),
                "A2": formula("RiskCumul(D1, D2, {5}, {0.5})", 5.0),
                "B1": number(1),
                "B2": number(2),
                "C1": number(1),
                "C2": number(3),
                "D1": number(0),
                "D2": number(10),
            }
        }
    )
    document = check_workbook(book)
    assert document["mismatches"] == [] and document["matched"] == 2
    values = sample(compile_workbook(book, ["A1"]), iterations=4000, seed=2)
    assert set(np.unique(values["S!A1"])) == {1.0, 2.0}


def test_compiling_a_workbook_stops_on_cancel():
    """Deterministic: the cancel turns set after a few checks, mid-way
    through a 2,000-formula workbook; simulate raises Cancelled instead of
    finishing the compile (a cancelled or late request must not keep a
    server's slot busy)."""
    from mcengine.engine.simulate import Cancelled

    cells = {"A1": formula("RiskNormal(0, 1)")}
    for r in range(2, 2001):
        cells[f"A{r}"] = formula(f"A{r - 1} + 1")
    cells["B1"] = formula("RiskOutput() + A2000")
    book = make_xlsx({"S": cells})

    class AfterChecks:
        calls = 0

        def is_set(self) -> bool:
            self.calls += 1
            return self.calls > 3

    cancel = AfterChecks()
    with pytest.raises(Cancelled, match="while compiling"):
        mcengine.simulate(book, iterations=10, cancel=cancel)
    assert cancel.calls == 4
