"""Checking that the engine computes a workbook as Excel did.

Every formula cell is evaluated once, deterministically (each distribution
at its mean, model.static), and compared with the value Excel cached in
the file: numbers within 1e-9 relative (absolute below 1e-300), Excel
errors as the same error, text as the same text, TRUE/FALSE as 1/0.
Cells that cannot be compared are listed with the reason: unsupported
functions (and the cells that depend on them), circular references,
volatile functions (RAND, NOW, TODAY...), external links, multi-cell
array formulas, and formulas Excel saved without a value.
"""

from __future__ import annotations

import math
import re

from mcengine.model import syntax as ast
from mcengine.model.builder import (
    ArrayValue,
    ProgramBuilder,
    Reg,
    TextValue,
    error_name,
)
from mcengine.model.codegen import CellCompiler, CellError
from mcengine.model.graph import dependency_order, find_cycles
from mcengine.model.names import key
from mcengine.model.parser import FormulaSyntaxError
from mcengine.model.registers import fold
from mcengine.model.workbook import (
    Workbook,
    _Rewriter,
    array_member,
    read_workbook,
)

RELATIVE_TOLERANCE = 1e-9
VOLATILE = {
    "RAND",
    "RANDBETWEEN",
    "NOW",
    "TODAY",
    "OFFSET",
    "INDIRECT",
    "CELL",
    "INFO",
}
_UNKNOWN = re.compile(r"unknown function '([^']+)'")


def check_workbook(source, limits=None) -> dict:
    """The comparison document of a workbook given as bytes or a path."""
    return _Check(read_workbook(source, limits)).run()


class _Check:
    def __init__(self, book: Workbook):
        self.book = book
        self.trees: dict[str, ast.Node] = {}
        self.skipped: list[dict] = []
        self.unsupported: list[dict] = []
        self.broken: dict[str, str] = {}  # cell key -> why it has no value

    def run(self) -> dict:
        self.parse()
        deps = self.dependencies()
        cycles = find_cycles(deps)
        in_cycle = {key(c) for cycle in cycles for c in cycle}
        for cycle in cycles:
            for cell in cycle:
                self.broken[key(cell)] = "part of a circular reference"
        order = dependency_order(
            {
                c: [d for d in ds if key(d) not in in_cycle]
                for c, ds in deps.items()
                if key(c) not in in_cycle
            }
        )
        values = self.evaluate(order, deps)
        document = self.compare(values)
        document["cycles"] = cycles
        return document

    def parse(self) -> None:
        rewriter = _Rewriter(self.book)
        for where, content in self.book.cells.items():
            sheet = where.rsplit("!", 1)[0]
            if isinstance(content, float):
                self.trees[where] = ast.Number(1, content)
                continue
            if not content.startswith("="):
                self.trees[where] = ast.Text(1, content)
                continue
            reason = self.skip_reason(where, content)
            if reason:
                self.skip(where, reason)
                continue
            try:
                if where in self.book.array_members:
                    self.trees[where] = array_member(
                        rewriter, self.trees, where
                    )
                    continue
                self.trees[where] = rewriter.parse(content, sheet, where)
            except FormulaSyntaxError as exc:
                self.skip(where, f"does not parse: {exc}")

    def skip_reason(self, where: str, formula: str) -> str | None:
        if "[" in formula:
            return "external link"
        names = re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(", formula)
        volatile = sorted({n.upper() for n in names} & VOLATILE)
        if volatile:
            return f"volatile ({volatile[0]})"
        return None

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append({"cell": where, "reason": reason})
        self.broken[key(where)] = reason

    def dependencies(self) -> dict[str, list[str]]:
        deps = {}
        for where, tree in self.trees.items():
            found, stack = [], [tree]
            while stack:
                node = stack.pop()
                if isinstance(node, ast.Name):
                    found.append(node.name)
                elif isinstance(node, ast.Element):
                    found.append(node.source)
                stack.extend(ast.children(node))
            deps[where] = [n for n in found if n in self.trees]
        return deps

    def evaluate(self, order: list[str], deps) -> dict[str, object]:
        builder = ProgramBuilder()
        cells = CellCompiler(builder, {}, static=True)
        values: dict[str, object] = {}
        for where in order:
            bad = next((d for d in deps[where] if key(d) in self.broken), None)
            if bad is not None:
                self.broken[key(where)] = f"depends on {bad}"
                if self.book.cells[where].__class__ is str:
                    self.skipped.append(
                        {"cell": where, "reason": f"depends on {bad}"}
                    )
                continue
            try:
                values[where] = cells.compile_cell(where, self.trees[where])
            except CellError as exc:
                self.broken[key(where)] = str(exc)
                match = _UNKNOWN.search(exc.reason)
                function = match.group(1).upper() if match else None
                self.unsupported.append(
                    {"cell": where, "function": function, "reason": exc.reason}
                )
        known = fold(builder, [False] * len(builder.rows))
        return {
            where: _value(value, known)
            for where, value in values.items()
            if not isinstance(value, ArrayValue)
        }

    def compare(self, values: dict[str, object]) -> dict:
        checked = matched = 0
        mismatches = []
        for where, content in self.book.cells.items():
            if not (isinstance(content, str) and content.startswith("=")):
                continue
            if where not in values:
                continue
            excel = self.book.cached.get(where)
            if excel is None:
                self.skipped.append(
                    {"cell": where, "reason": "Excel saved no value"}
                )
                continue
            checked += 1
            engine = values[where]
            if same(excel, engine):
                matched += 1
            else:
                mismatches.append(
                    {
                        "cell": where,
                        "excel": _shown(excel),
                        "engine": _shown(engine),
                    }
                )
        return {
            "cells_checked": checked,
            "matched": matched,
            "mismatches": mismatches,
            "unsupported": self.unsupported,
            "skipped": self.skipped,
        }


def _value(value, known: dict[int, float]) -> object:
    if isinstance(value, TextValue):
        return value.text
    if isinstance(value, Reg):
        number = known.get(value.index, math.nan)
        return error_name(number) or number
    return None


def same(excel, engine) -> bool:
    """Whether Excel's cached value and the engine's agree."""
    if isinstance(excel, bool):
        excel = 1.0 if excel else 0.0
    if isinstance(excel, str):
        if excel.startswith("#"):
            return isinstance(engine, str) and engine == excel
        return engine == excel
    if isinstance(engine, str) or engine is None:
        return False
    a, b = float(excel), float(engine)
    if a == b:
        return True
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b), 1e-300)


def _shown(value) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
