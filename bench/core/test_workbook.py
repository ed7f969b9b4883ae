"""Workbooks: compiling a large one, and simulating it at the evaluator's
speed.

The workbook is a chain of SCALE.workbook_formulas formula cells in two
columns, row r reading row r - 1 (`A{r} = A{r-1} * 1.0001 + B{r-1}`,
`B{r} = MAX(A{r} / 100, B{r-1} * 0.999)`), from two stochastic cells, with
a RiskOutput at the end; it is written with openpyxl as users' files are.
Compiling it (reading, parsing, checking, code generation) is timed from
its bytes. Simulating it is timed against the same chain as a JSON model
of named cells: both compile to the same instructions, so the ratio shows
that a workbook runs at the evaluator's speed; their outputs must be
bit-identical, and are checked to be.
"""

from __future__ import annotations

import io

import numpy as np

from bench.core.record import checked, record, timed
from bench.core.scale import SCALE
from mcengine.engine import sample
from mcengine.model import compile_model, compile_workbook

SEED = 5
COMPILE_FIGURE = "workbook:compile"
RUN_FIGURE = "workbook:simulate"


def chain_rows(formulas: int) -> int:
    return max(2, formulas // 2)


def workbook_bytes(formulas: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"] = "=RiskNormal(100, 10)"
    ws["B1"] = "=RiskTriang(1, 2, 4)"
    rows = chain_rows(formulas)
    for r in range(2, rows + 1):
        ws[f"A{r}"] = f"=A{r - 1}*1.0001 + B{r - 1}"
        ws[f"B{r}"] = f"=MAX(A{r}/100, B{r - 1}*0.999)"
    ws["C1"] = f'=RiskOutput("end") + A{rows} + B{rows}'
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def named_model(formulas: int) -> dict:
    """The same chain with named cells (a_r, b_r)."""
    cells = {"a_1": "=RiskNormal(100, 10)", "b_1": "=RiskTriang(1, 2, 4)"}
    rows = chain_rows(formulas)
    for r in range(2, rows + 1):
        cells[f"a_{r}"] = f"=a_{r - 1}*1.0001 + b_{r - 1}"
        cells[f"b_{r}"] = f"=MAX(a_{r}/100, b_{r - 1}*0.999)"
    cells["end"] = f"=a_{rows} + b_{rows}"
    return {"cells": cells, "outputs": ["end"]}


def test_workbook_compile(benchmark):
    """compile_workbook from the file's bytes (issue: under 2 s for
    10,000 formula cells)."""
    formulas = 2 * chain_rows(SCALE.workbook_formulas) - 1
    data = workbook_bytes(SCALE.workbook_formulas)
    name = f"compile_workbook, {formulas:,} formula cells"
    record(
        benchmark, COMPILE_FIGURE, "subject", name, formulas, "formula cells"
    )
    compiled = timed(
        benchmark, lambda: compile_workbook(data), SCALE.workbook_rounds
    )
    checked(
        benchmark,
        instructions=compiled.instruction_count,
        outputs=compiled.outputs,
    )


def _timed_run(benchmark, compiled, role: str, what: str):
    """Records and times one thread's run of `compiled`; its output."""
    count = compiled.instruction_count
    name = f"{what}, {count:,} instructions, 1 thread"
    work = count * SCALE.workbook_iterations
    record(
        benchmark, RUN_FIGURE, role, name, work, "instructions x iterations"
    )
    output, n = compiled.outputs[0], SCALE.workbook_iterations

    def run():
        return sample(compiled, iterations=n, seed=SEED, threads=1)[output]

    values = timed(benchmark, run, SCALE.workbook_rounds)
    checked(benchmark, instructions=count)
    return values


def test_workbook_simulate(benchmark):
    """The workbook's chain, one thread; its output bit-identical to the
    named-cell model's."""
    compiled = compile_workbook(workbook_bytes(SCALE.workbook_formulas))
    values = _timed_run(benchmark, compiled, "subject", "workbook")
    named = compile_model(named_model(SCALE.workbook_formulas))
    expected = sample(
        named, iterations=SCALE.workbook_iterations, seed=SEED, threads=1
    )[named.outputs[0]]
    identical = bool(np.array_equal(values, expected))
    assert identical, "the workbook and the named-cell model differ"
    checked(benchmark, identical_to_named_model=identical)


def test_named_model_simulate(benchmark):
    """The same chain as a JSON model of named cells, one thread."""
    compiled = compile_model(named_model(SCALE.workbook_formulas))
    _timed_run(benchmark, compiled, "baseline", "JSON model")
