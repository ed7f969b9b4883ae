"""The JSON model format: reading and checking its structure.

    {"name": "optional title",
     "cells": {NAME: number | "=formula" | "text"},
     "outputs": [NAME, ...],
     "percentiles": [1, 5, 50, 95, 99],    (optional)
     "correlations": [{"inputs": [NAME, ...], "matrix": [[...]]}]}
                                           (optional; model.correlation)

Every structural problem is collected, not just the first, so one reply
tells the caller all that must change. Formulas are parsed later, by the
compiler; here a cell's value is only checked for its type.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from mcengine.model.correlation import check_structure
from mcengine.model.errors import LimitError, ModelError, Violation
from mcengine.model.names import key, name_problem

_KNOWN_KEYS = {
    "name",
    "cells",
    "outputs",
    "percentiles",
    "correlations",
    "description",
}


@dataclass(frozen=True)
class ModelLimits:
    """Size limits checked before any parsing work is done."""

    max_cells: int = 20_000
    max_formula_chars: int = 8_192
    max_outputs: int = 100


@dataclass(frozen=True)
class ModelSpec:
    """A structurally valid model: cells in the order given."""

    name: str | None
    cells: dict[str, float | str]
    outputs: list[str]
    percentiles: list[float] | None
    # The "correlations" groups, shapes checked (model.correlation): each
    # {"inputs": [NAME, ...], "matrix": ndarray, "repair": bool}.
    correlations: list = field(default_factory=list)
    # Parsed syntax trees by cell name, when the cells were parsed already
    # (a workbook's, whose formulas hold references); None: parse cells.
    trees: dict | None = None


def read_model(model, limits: ModelLimits | None = None) -> ModelSpec:
    """Reads a model from a dict, JSON text or a path to a JSON file."""
    data = _as_dict(model)
    checked = _Checker(data, limits or ModelLimits())
    return checked.spec()


def _as_dict(model) -> dict:
    if isinstance(model, Path):
        model = _read_file(model)
    if isinstance(model, (str, bytes)):
        hint = ""
        if not str(model).lstrip().startswith(("{", "[", "b'{")):
            hint = " (model text is JSON; to read a file pass a pathlib.Path)"
        model = parse_json(model, hint=hint)
    if not isinstance(model, dict):
        raise ModelError.single("model", "a model is a JSON object")
    return model


def parse_json(text: str | bytes, field: str = "model", hint: str = ""):
    """The JSON document in text; ModelError on field for text that is not
    JSON, repeats a key in one object (json would keep the last), nests too
    deeply or holds an integer too long to convert."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys(field))
    except json.JSONDecodeError as exc:
        raise ModelError.single(
            field,
            f"not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}{hint}",
        ) from None
    except RecursionError:
        raise ModelError.single(field, "JSON nested too deeply") from None
    except ModelError:
        raise
    except ValueError:  # Python refuses to convert such an integer
        raise ModelError.single(
            field, "a number in the JSON has more than 4,300 digits"
        ) from None


def _unique_keys(field: str):
    def unique(pairs: list[tuple[str, object]]) -> dict:
        """A JSON object, refusing a key given twice."""
        result = {}
        for name, value in pairs:
            if name in result:
                raise ModelError.single(
                    field, f"the key {name!r} appears twice in one object"
                )
            result[name] = value
        return result

    return unique


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError.single(
            "model", f"cannot read {path}: {exc}"
        ) from None


class _Checker:
    def __init__(self, data: dict, limits: ModelLimits):
        self.data = data
        self.limits = limits
        self.violations: list[Violation] = []

    def add(self, field: str, description: str) -> None:
        self.violations.append(Violation(field, description))

    def spec(self) -> ModelSpec:
        self.check_limits()
        for extra in sorted(set(self.data) - _KNOWN_KEYS):
            self.add(
                extra,
                "unknown key; a model has "
                + ", ".join(sorted(_KNOWN_KEYS - {"description"})),
            )
        correlations = check_structure(
            self.data.get("correlations", []), self.add
        )
        cells = self.cells()
        outputs = self.outputs(cells)
        percentiles = self.percentiles()
        name = self.data.get("name")
        if name is not None and not isinstance(name, str):
            self.add("name", "the model's name must be text")
        if self.violations:
            raise ModelError(self.violations)
        return ModelSpec(name, cells, outputs, percentiles, correlations)

    def check_limits(self) -> None:
        cells = self.data.get("cells")
        outputs = self.data.get("outputs")
        if isinstance(cells, dict) and len(cells) > self.limits.max_cells:
            raise LimitError(
                "cells", self.limits.max_cells, len(cells), "cell count"
            )
        if (
            isinstance(outputs, list)
            and len(outputs) > self.limits.max_outputs
        ):
            raise LimitError(
                "outputs",
                self.limits.max_outputs,
                len(outputs),
                "output count",
            )
        for name, value in (
            (cells or {}).items() if isinstance(cells, dict) else ()
        ):
            if (
                isinstance(value, str)
                and len(value) > self.limits.max_formula_chars
            ):
                raise LimitError(
                    f"cells.{name}",
                    self.limits.max_formula_chars,
                    len(value),
                    "formula length",
                )

    def cells(self) -> dict[str, float | str]:
        cells = self.data.get("cells")
        if not isinstance(cells, dict) or not cells:
            self.add("cells", "a model needs a non-empty object of cells")
            return {}
        seen: dict[str, str] = {}
        result: dict[str, float | str] = {}
        for name, value in cells.items():
            field = f"cells.{name}"
            if problem := name_problem(name):
                self.add(field, problem)
                continue
            if key(name) in seen:
                self.add(
                    field,
                    f"same name as '{seen[key(name)]}' (names "
                    "are compared without regard to case)",
                )
                continue
            seen[key(name)] = name
            if checked := self.cell_value(field, value):
                result[name] = checked[0]
        return result

    def cell_value(self, field: str, value) -> tuple[float | str] | None:
        if isinstance(value, bool):
            return (1.0 if value else 0.0,)
        if isinstance(value, (int, float)):
            number = _as_float(value)
            if number is None:
                self.add(
                    field,
                    "a constant must be a finite number "
                    "within the range of a double (about 1.8e308)",
                )
                return None
            return (number,)
        if isinstance(value, str):
            return (value,)
        self.add(
            field,
            "a cell holds a number, text, or a formula starting with '='",
        )
        return None

    def outputs(self, cells: dict) -> list[str]:
        outputs = self.data.get("outputs")
        if not isinstance(outputs, list) or not outputs:
            self.add("outputs", "a model needs a non-empty list of outputs")
            return []
        by_key = {key(n): n for n in cells}
        given = self.data.get("cells")
        # Names refused for their own sake are reported there, not here.
        named = {key(n) for n in given} if isinstance(given, dict) else set()
        result, seen = [], set()
        for i, name in enumerate(outputs):
            field = f"outputs[{i}]"
            if isinstance(name, str) and key(name) in named - set(by_key):
                continue
            if not isinstance(name, str) or key(name) not in by_key:
                self.add(field, f"{name!r} is not a cell of this model")
            elif key(name) in seen:
                self.add(field, f"'{name}' is listed twice")
            else:
                seen.add(key(name))
                result.append(by_key[key(name)])
        return result

    def percentiles(self) -> list[float] | None:
        values = self.data.get("percentiles")
        if values is None:
            return None
        problems = check_percentiles(values)
        for where, description in problems:
            self.add(f"percentiles{where}", description)
        return None if problems else [float(v) for v in values]


def _as_float(value: int | float) -> float | None:
    """value as a finite float, or None (infinite, NaN or too large)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def check_percentiles(values) -> list[tuple[str, str]]:
    """(field suffix, problem) for each bad entry of a percentile list."""
    if not isinstance(values, (list, tuple)):
        return [("", "percentiles are a list of numbers from 0 to 100")]
    problems = []
    for i, value in enumerate(values):
        number = isinstance(value, (int, float)) and not isinstance(
            value, bool
        )
        if not number or not 0 <= value <= 100:
            problems.append(
                (f"[{i}]", f"{value!r} is not a number from 0 to 100")
            )
    return problems
