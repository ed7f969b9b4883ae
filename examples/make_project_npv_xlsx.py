"""Writes examples/project_npv.xlsx, a small @RISK-style workbook.

A project's cash flows over five years on a sheet "Cash flows", its
assumptions on a sheet "Inputs" (a sheet name with a space is quoted in
formulas), a workbook-scoped name for the discount rate, distributions in
cells, RiskOutput() marking the NPV and IRR. Run it to rebuild the file:

    .venv/bin/python examples/make_project_npv_xlsx.py

The NPV is linear in independent inputs, so its mean is known: with
revenue means 100, 110, 121, 133.1, 146.41 (growth 10 %), costs 60 % of
revenue (Pert with mean 0.6), an outlay of 250 (Triang mean 250) and a
rate of 8 %, E[NPV] = 0.4 * sum(revenue_t / 1.08^t) - 250 (tests check it
within 4 standard errors).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

HERE = Path(__file__).resolve().parent


def build() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    inputs["A1"], inputs["B1"] = "Discount rate", 0.08
    inputs["A2"], inputs["B2"] = "Outlay", "=RiskTriang(200, 250, 300)"
    inputs["A3"], inputs["B3"] = "Cost share", "=RiskPert(0.5, 0.6, 0.7)"
    inputs["A4"], inputs["B4"] = "First-year revenue", "=RiskNormal(100, 15)"
    inputs["A5"], inputs["B5"] = "Growth", 0.1
    wb.defined_names["rate"] = DefinedName("rate", attr_text="Inputs!$B$1")

    flows = wb.create_sheet("Cash flows")
    flows["A1"], flows["B1"], flows["C1"], flows["D1"] = (
        "Year", "Revenue", "Costs", "Net",
    )  # fmt: skip
    for year in range(1, 6):
        row = year + 1
        flows[f"A{row}"] = year
        if year == 1:
            flows[f"B{row}"] = "=Inputs!B4"
        else:
            flows[f"B{row}"] = f"=B{row - 1} * (1 + Inputs!$B$5)"
        flows[f"C{row}"] = f"=B{row} * Inputs!$B$3"
        flows[f"D{row}"] = f"=B{row} - C{row}"
    # The flows for IRR: the outlay first, then each year's net.
    flows["E1"], flows["E2"] = "Flow", "=-Inputs!B2"
    for year in range(1, 6):
        flows[f"E{year + 2}"] = f"=D{year + 1}"
    flows["F1"], flows["G1"] = (
        "NPV",
        '=RiskOutput("NPV") + NPV(rate, D2:D6) - Inputs!B2',
    )
    flows["F2"], flows["G2"] = "IRR", '=RiskOutput("IRR") + IRR(E2:E7)'
    return wb


if __name__ == "__main__":
    build().save(HERE / "project_npv.xlsx")
