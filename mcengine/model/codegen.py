"""Syntax trees -> instructions, one cell at a time.

The compiler visits cells in dependency order; a reference to another cell
reuses that cell's register, so a value is computed once per iteration
however many cells read it. Text exists only at compile time: text
constants, `&` between them and comparisons of them are folded here, and a
formula whose per-iteration value would be text is refused.
"""

from __future__ import annotations

import difflib
import math

from mcengine.model import syntax as ast
from mcengine.model.builder import (
    ArrayValue,
    EmptyValue,
    ProgramBuilder,
    Reg,
    TextValue,
    error_value,
)
from mcengine.model.distributions import DISTRIBUTIONS
from mcengine.model.functions import (
    CONSTANTS,
    SIMPLE,
    VARIADIC,
    CallError,
    supported_functions,
)
from mcengine.model.library import LIBRARY
from mcengine.model.names import key
from mcengine.model.static import NoMean, mean_register


class CellError(ValueError):
    """A problem in one formula, at a 1-based position."""

    def __init__(self, pos: int, reason: str):
        self.pos = pos
        self.reason = reason
        super().__init__(f"position {pos}: {reason}")


Value = Reg | TextValue | ArrayValue | EmptyValue

_COMPARE = {
    "=": ("EQ", False),
    "<>": ("NE", False),
    "<": ("LT", False),
    "<=": ("LE", False),
    ">": ("LT", True),
    ">=": ("LE", True),
}
_ARITHMETIC = {"+": "ADD", "-": "SUB", "*": "MUL", "/": "DIV", "^": "POW"}


SIMTABLE = "RISKSIMTABLE"
_VOLATILE = ("RAND", "RANDBETWEEN", "NOW", "TODAY", "OFFSET", "INDIRECT")
# Property functions, written after a distribution's own arguments.
TRUNCATE, TRUNCATE_P, SHIFT = "RISKTRUNCATE", "RISKTRUNCATEP", "RISKSHIFT"
PROPERTIES = (TRUNCATE, TRUNCATE_P, SHIFT)
TRUNC_VALUES, TRUNC_PROBS = 1, 2  # dist_truncate.h's TruncMode


def known_names() -> list[str]:
    """Function and distribution names, for "did you mean" hints."""
    names = supported_functions() + sorted(LIBRARY) + ["RiskSimtable"]
    return names + sorted(spec.name for spec in DISTRIBUTIONS.values())


def closest(name: str) -> str:
    names = known_names()
    upper = {n.upper(): n for n in names}
    found = difflib.get_close_matches(
        name.upper(), list(upper), n=3, cutoff=0.6
    )
    if not found:
        return ""
    return "; closest supported: " + ", ".join(upper[f] for f in found)


class CellCompiler:
    """Compiles the formulas of one model into a ProgramBuilder."""

    def __init__(
        self,
        builder: ProgramBuilder,
        streams: dict,
        simulation: int = 0,
        static: bool = False,
    ):
        self.b = builder
        # static: each distribution stands at its mean (model.static), for
        # a deterministic evaluation; no SAMPLE is emitted.
        self.static = static
        self._arrays: dict[int, tuple] = {}  # id(node) -> (node, value)
        self.streams = streams  # (cell key, pos) -> stream number
        self.values: dict[str, Value] = {}  # cell key -> its value
        self.cell = ""
        # RiskSimtable: which value each takes (the simulation, from 0),
        # and the length of each list met, by cell.
        self.simulation = simulation
        self.simtables: list[tuple[str, int]] = []

    def compile_cell(self, name: str, tree: ast.Node) -> Value:
        self.cell = name
        value = self.value(tree)
        self.values[key(name)] = value
        return value

    def value(self, node: ast.Node) -> Value:
        method = getattr(self, "visit_" + type(node).__name__)
        return method(node)

    def number(self, node: ast.Node) -> Reg:
        return self.coerce(self.value(node), node)

    def coerce(self, value: Value, node: ast.Node) -> Reg:
        if isinstance(value, Reg):
            return value
        if isinstance(value, EmptyValue):
            return self.b.constant(0.0)
        if isinstance(value, TextValue):
            return self.b.constant(text_to_number(value.text))
        raise CellError(
            node.pos,
            "a range or array constant can only be an "
            "argument of a function that takes a list",
        )

    def visit_Number(self, node: ast.Number) -> Value:
        return self.b.constant(node.value)

    def visit_Bool(self, node: ast.Bool) -> Value:
        return self.b.constant(1.0 if node.value else 0.0)

    def visit_Text(self, node: ast.Text) -> Value:
        return TextValue(node.value)

    def visit_ErrorLiteral(self, node: ast.ErrorLiteral) -> Value:
        return self.b.constant(error_value(node.code))

    def visit_Missing(self, node: ast.Missing) -> Value:
        return self.b.constant(0.0)

    def visit_Array(self, node: ast.Array) -> Value:
        # A workbook's range is one node however often it is written
        # (model.workbook caches them), so its value is built once.
        found = self._arrays.get(id(node))
        if found is None or found[0] is not node:
            items = tuple(self.value(e) for e in node.elements())
            value = ArrayValue(items, len(node.rows[0]) if node.rows else 0)
            found = self._arrays[id(node)] = (node, value)
        return found[1]

    def visit_Empty(self, node: ast.Empty) -> Value:
        return EmptyValue()

    def visit_Name(self, node: ast.Name) -> Value:
        found = self.values.get(key(node.name))
        if found is None:
            raise CellError(
                node.pos, f"'{node.name}' is not a cell of this model"
            )
        return found

    def visit_Unary(self, node: ast.Unary) -> Value:
        value = self.value(node.operand)
        if isinstance(value, ArrayValue):  # element by element
            items = tuple(
                self.unary(node, self.coerce(v, node.operand))
                for v in value.items
            )
            return ArrayValue(items, value.columns)
        return self.unary(node, self.coerce(value, node.operand))

    def unary(self, node: ast.Unary, operand: Reg) -> Reg:
        if node.op == "-":
            return self.b.emit("NEG", [operand])
        if node.op == "%":
            return self.b.emit("DIV", [operand, self.b.constant(100.0)])
        return operand

    def visit_Binary(self, node: ast.Binary) -> Value:
        # A long chain such as a+b+c+... is a deep left spine: walk it
        # in a loop, so formula length never becomes recursion depth.
        spine = [node]
        while isinstance(spine[-1].left, ast.Binary):
            spine.append(spine[-1].left)
        left = self.value(spine[-1].left)
        for step in reversed(spine):
            left = self.combine(step, left, self.value(step.right))
        return left

    def combine(self, node: ast.Binary, left: Value, right: Value) -> Value:
        if isinstance(left, ArrayValue) or isinstance(right, ArrayValue):
            return self.combine_arrays(node, left, right)
        if node.op == "&":
            return self.concatenate(node, left, right)
        if node.op in _COMPARE:
            return self.compare(node, left, right)
        operands = [
            self.coerce(left, node.left),
            self.coerce(right, node.right),
        ]
        return self.b.emit(_ARITHMETIC[node.op], operands)

    def combine_arrays(self, node: ast.Binary, left, right) -> ArrayValue:
        """An operator over ranges or arrays, element by element, a single
        value standing beside every element (as in an array formula)."""
        arrays = [v for v in (left, right) if isinstance(v, ArrayValue)]
        shaped = max(arrays, key=lambda a: len(a.items))
        missing = self.b.constant(error_value("#N/A"))
        lefts = _spread(left, shaped, missing)
        rights = _spread(right, shaped, missing)
        items = tuple(
            self.combine(node, _zero(a, self.b), _zero(b, self.b))
            for a, b in zip(lefts, rights)
        )
        return ArrayValue(items, shaped.columns)

    def visit_Element(self, node: ast.Element) -> Value:
        source = self.values.get(key(node.source))
        if not isinstance(source, ArrayValue):
            return source  # one value fills the whole range, as in Excel
        width = source.width
        if node.col >= width or node.row >= source.height:
            return self.b.constant(error_value("#N/A"))
        return source.items[node.row * width + node.col]

    def concatenate(
        self, node: ast.Binary, left: Value, right: Value
    ) -> Value:
        texts = [as_text(v, self.b) for v in (left, right)]
        if None in texts:
            raise CellError(
                node.pos,
                "'&' joins text known when the model "
                "is compiled; per-iteration text is not "
                "supported",
            )
        return TextValue(texts[0] + texts[1])

    def compare(self, node: ast.Binary, left: Value, right: Value) -> Value:
        if isinstance(left, TextValue) and isinstance(right, TextValue):
            return self.b.constant(
                compare_text(node.op, left.text, right.text)
            )
        if isinstance(left, TextValue) or isinstance(right, TextValue):
            # Excel orders every number before every text.
            number_first = isinstance(right, TextValue)
            return self.b.constant(
                compare_text(
                    node.op,
                    "0" if number_first else "1",
                    "1" if number_first else "0",
                )
            )
        op, swap = _COMPARE[node.op]
        operands = [
            self.coerce(left, node.left),
            self.coerce(right, node.right),
        ]
        return self.b.emit(op, operands[::-1] if swap else operands)

    def visit_Call(self, node: ast.Call) -> Value:
        name = node.key
        try:
            if name == SIMTABLE:
                return self.simtable(node)
            if name in DISTRIBUTIONS:
                return self.distribution(node, DISTRIBUTIONS[name])
            if name in LIBRARY:
                return LIBRARY[name](self, node)
            if name in SIMPLE:
                return self.simple(node, SIMPLE[name])
            if name in VARIADIC:
                return self.variadic(node, VARIADIC[name])
            if name in CONSTANTS:
                self.check_count(len(node.args), 0, 0)
                return self.b.constant(CONSTANTS[name])
            if name in PROPERTIES or name == "RISKCORRMAT":
                raise CallError(
                    "is written inside a distribution, after its own "
                    f"arguments, such as RiskNormal(0, 1, {node.name}(...))"
                )
            if name in _VOLATILE:
                raise CallError(
                    "draws a new value on every recalculation; use a "
                    "distribution instead, such as RiskUniform(0, 1)"
                    if name.startswith("RAND")
                    else "depends on when or where it is calculated, which "
                    "a simulation does not model"
                )
        except CallError as exc:
            raise CellError(node.pos, f"{node.name}: {exc}") from None
        raise CellError(
            node.pos, f"unknown function '{node.name}'" + closest(node.name)
        )

    def simtable(self, node: ast.Call) -> Value:
        """RiskSimtable({v1, v2, ...}): v_k in simulation k (from 1)."""
        self.check_count(len(node.args), 1, 1)
        arg = node.args[0]
        values = (
            [literal_number(e) for e in arg.elements()]
            if isinstance(arg, ast.Array)
            else [None]
        )
        if None in values or not values:
            raise CallError(
                "takes an array constant of numbers, one per simulation, "
                "such as {0.05, 0.1, 0.15}"
            )
        self.simtables.append((self.cell, len(values)))
        return self.b.constant(values[min(self.simulation, len(values) - 1)])

    def check_count(self, n: int, low: int, high: int) -> None:
        if low <= n <= high:
            return
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise CallError(f"takes {wanted} arguments, got {n}")

    def simple(self, node: ast.Call, spec) -> Value:
        self.check_count(len(node.args), spec.min_args, spec.max_args)
        args = [self.number(a) for a in node.args]
        return spec.emit(self.b, args)

    def variadic(self, node: ast.Call, spec) -> Value:
        # Excel counts a range as one argument, however many cells it has.
        self.check_count(len(node.args), spec.min_args, spec.max_args)
        args: list[Reg] = []
        for arg in node.args:
            value = self.value(arg)
            if isinstance(value, ArrayValue):
                # Empty cells and text in a range or array are skipped,
                # as Excel's SUM, AVERAGE, MIN and the like skip them.
                args.extend(v for v in value.items if isinstance(v, Reg))
            elif isinstance(arg, ast.Name) and isinstance(value, TextValue):
                continue  # so is text reached through a reference
            else:
                args.append(self.coerce(value, arg))
        return spec.emit(self.b, args)

    def distribution(self, node: ast.Call, spec) -> Value:
        n = len(spec.params)
        args, extras = node.args[:n], node.args[n:]
        self.check_count(len(args), n, n)
        truncation, shift = self.properties(extras, spec)
        if self.static:
            return self.static_value(node, spec, args, truncation, shift)
        stream = self.streams[(key(self.cell), node.pos)]
        where = (self.cell, node.pos, spec)
        aux, params = -1, []
        if spec.literal:
            try:
                packed = spec.pack(*self.literals(args, spec))
            except ValueError as exc:
                raise CallError(str(exc)) from None
            if spec.array_params:
                aux = self.b.add_aux(packed)
            else:
                params = [self.b.constant(float(v)) for v in packed]
        else:
            params = [self.number(a) for a in args]
        value = self.b.sample(
            spec.kind, stream, params, aux, where, truncation
        )
        if shift is None:
            return value
        self.b.samples[-1].shift = shift
        return self.b.emit("ADD", [value, shift])

    def static_value(self, node, spec, args, truncation, shift) -> Reg:
        """The distribution's mean (plus its shift)."""
        if truncation is not None:
            raise CallError("has no static value here when truncated")
        literals = self.literals(args, spec) if spec.literal else None
        params = [] if spec.literal else [self.number(a) for a in args]
        try:
            value = mean_register(self.b, node.key, params, literals)
        except (NoMean, ValueError) as exc:
            raise CallError(str(exc)) from None
        return value if shift is None else self.b.emit("ADD", [value, shift])

    def properties(self, extras: list[ast.Node], spec):
        """The truncation (mode, lower, upper) and the shift given by
        property functions after a distribution's own arguments; None
        for those not given."""
        truncation = shift = None
        for arg in extras:
            name = arg.key if isinstance(arg, ast.Call) else None
            if name == "RISKCORRMAT":
                raise CallError(
                    "RiskCorrmat reads a matrix range, so it works in "
                    'workbooks; in a JSON model give "correlations"'
                )
            if name not in PROPERTIES:
                raise CallError(
                    f"takes {len(spec.params)} arguments "
                    f"({', '.join(spec.params)}); after them only "
                    "RiskTruncate(min, max), RiskTruncateP(pmin, pmax) and "
                    "RiskShift(x) may follow"
                )
            if name == SHIFT:
                if shift is not None:
                    raise CallError("RiskShift is given twice")
                if len(arg.args) != 1:
                    raise CallError("RiskShift takes 1 argument (shift)")
                shift = self.number(arg.args[0])
                continue
            if truncation is not None:
                raise CallError(
                    "takes one RiskTruncate or RiskTruncateP, not two"
                )
            truncation = self.truncation(arg)
        return truncation, shift

    def truncation(self, call: ast.Call):
        """(mode, lower, upper) of RiskTruncate(min, max) or
        RiskTruncateP(pmin, pmax); an empty bound is open (-inf or +inf
        for values, 0 or 1 for probabilities)."""
        probs = call.key == TRUNCATE_P
        label = (
            "RiskTruncateP(pmin, pmax)" if probs else "RiskTruncate(min, max)"
        )
        if len(call.args) != 2:
            raise CallError(f"{label} takes 2 arguments, got {len(call.args)}")
        open_ends = (0.0, 1.0) if probs else (-math.inf, math.inf)
        bounds = []
        for arg, end in zip(call.args, open_ends):
            if isinstance(arg, ast.Missing):
                bounds.append(self.b.constant(end))
            else:
                bounds.append(self.number(arg))
        if all(isinstance(a, ast.Missing) for a in call.args):
            raise CallError(f"{label} needs at least one bound")
        return (TRUNC_PROBS if probs else TRUNC_VALUES, *bounds)

    def literals(self, args: list[ast.Node], spec) -> list:
        """The arguments of a distribution whose arguments must be written
        out: an array constant of numbers where spec.arrays says so, else a
        number (a sign in front allowed)."""
        arrays = spec.arrays or (False,) * len(spec.params)
        values = []
        for arg, label, is_array in zip(args, spec.params, arrays):
            if is_array:
                numbers = self.constant_numbers(arg)
                if numbers is None:
                    raise CallError(
                        f"{label} must be an array constant of numbers, "
                        "such as {1,2,3}, or a range of cells holding "
                        "numbers"
                    )
                values.append(numbers)
                continue
            number = literal_number(arg)
            if number is None and isinstance(arg, ast.Name):
                number = self.b.constant_value(self.number(arg))
            if number is None:
                raise CallError(
                    f"{label} must be a number written in the formula "
                    f"(such as 5 or -2.5) or a cell holding one: "
                    f"{spec.name} takes no expressions"
                )
            values.append(number)
        return values

    def constant_numbers(self, arg: ast.Node) -> list[float] | None:
        """The numbers of an array constant, or of a workbook range whose
        cells hold numbers typed in; None otherwise."""
        if not isinstance(arg, ast.Array):
            return None
        if all(isinstance(e, ast.Number) for e in arg.elements()):
            return [e.value for e in arg.elements()]
        value = self.value(arg)
        numbers = []
        for item in value.items:
            if isinstance(item, EmptyValue):
                continue
            fixed = (
                self.b.constant_value(item) if isinstance(item, Reg) else None
            )
            if fixed is None:
                return None
            numbers.append(fixed)
        return numbers


def _spread(value, shaped: ArrayValue, missing) -> tuple:
    """value's elements against the larger array's: its own, padded with
    #N/A where it is shorter (as Excel does), or the one value repeated."""
    if isinstance(value, ArrayValue):
        short = len(shaped.items) - len(value.items)
        return value.items + (missing,) * short
    return (value,) * len(shaped.items)


def _zero(value, builder) -> Value:
    return builder.constant(0.0) if isinstance(value, EmptyValue) else value


def literal_number(node: ast.Node) -> float | None:
    """The value of a number constant, with any signs in front of it."""
    sign = 1.0
    while isinstance(node, ast.Unary) and node.op in "+-":
        sign = -sign if node.op == "-" else sign
        node = node.operand
    return sign * node.value if isinstance(node, ast.Number) else None


def text_to_number(text: str) -> float:
    """Excel's coercion of text in arithmetic: "3" is 3, "a" is #VALUE!."""
    try:
        return float(text.strip())
    except ValueError:
        return error_value("#VALUE!")


def as_text(value: Value, builder: ProgramBuilder) -> str | None:
    """The text of a compile-time value, or None if it is only known per
    iteration."""
    if isinstance(value, TextValue):
        return value.text
    if isinstance(value, Reg) and not value.varying:
        index = (
            builder.const_regs.index(value.index)
            if value.index in builder.const_regs
            else -1
        )
        if index >= 0:
            number = builder.const_values[index]
            return f"{number:.15g}"
    return None


def compare_text(op: str, left: str, right: str) -> float:
    a, b = left.upper(), right.upper()
    results = {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }
    return 1.0 if results[op] else 0.0
