"""A model -> a CompiledModel: parsed, checked, folded and allocated.

The steps, each reporting every problem it finds with the cell, the
position in its formula and the reason:
1. read the JSON structure (model.loader);
2. parse each formula (model.parser);
3. resolve names and refuse cycles, showing the cycle's path;
4. number the stochastic inputs in the order they are written (cells in
   model order, then left to right), so a model's random streams do not
   change when its cells are reordered internally;
5. emit instructions in dependency order (model.codegen);
6. fold what does not vary, check constant distribution parameters, build
   inversion tables, allocate registers (model.registers).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mcengine import _core
from mcengine.model import syntax as ast
from mcengine.model.builder import OPCODES, ProgramBuilder, Reg, error_name
from mcengine.model.codegen import TRUNC_PROBS, CellCompiler, CellError
from mcengine.model.correlation import resolve
from mcengine.model.distributions import (
    DISTRIBUTIONS,
    parameter_error,
    table_for,
)
from mcengine.model.errors import ModelError, Violation, check_stop
from mcengine.model.graph import dependency_order, find_cycles
from mcengine.model.loader import ModelLimits, ModelSpec, read_model
from mcengine.model.names import key
from mcengine.model.parser import FormulaSyntaxError, parse_formula
from mcengine.model.registers import allocate, fold, varying_rows
from mcengine.model.workbook import (
    ARRAY_SUFFIX,
    WorkbookSource,
    is_workbook,
    read_workbook,
    translate,
)

# Rough single-core costs, measured on the R1 benchmark, for estimates.
_SECONDS_PER_OP = 1.5e-9
_SECONDS_PER_SAMPLE = 8e-9
# Quantiles solved per value rather than read from a table or a formula:
# InvGauss always; Pert, the betas and the gammas when their parameters
# vary per iteration; HyperGeo's sums.
_SOLVED_SECONDS = {"INVGAUSS": 3e-6, "HYPERGEO": 5e-7}
_TABLE_KINDS = ("PERT", "BETAGENERAL", "GAMMA", "BETA", "CHISQ", "ERLANG")
# A truncation whose parameters or bounds vary finds its bounds' share of
# (0, 1) per iteration: two bisections of about 62 quantiles each.
_TRUNCATION_QUANTILES = 130


@dataclass(frozen=True)
class CompiledModel:
    """A checked, immutable model ready to run in the core."""

    name: str | None
    inputs: list[str]
    outputs: list[str]
    percentiles: list[float] | None
    cell_count: int
    instruction_count: int
    program: object  # mcengine._core.Program
    # connections[o][j]: whether output o depends on input j at all (through
    # its value or a parameter); an input with no path to an output is
    # reported as disconnected from it.
    connections: tuple[tuple[bool, ...], ...] = ()
    # RiskSimtable: how many simulations the model asks for (1 without
    # one), which of them this is (from 0), and the checked model to
    # compile the others from.
    simulations: int = 1
    simulation: int = 0
    spec: object = None
    # Groups of correlated inputs (model.correlation.Group), applied by the
    # core in chunks of _core.CORRELATION_CHUNK iterations.
    correlations: tuple = ()
    # Seconds per iteration that costly samples add (solved quantiles,
    # truncations recomputed per iteration), for estimate_seconds.
    sample_seconds: float = 0.0

    def for_simulation(self, simulation: int) -> CompiledModel:
        """The same model compiled for another simulation of its
        RiskSimtables (itself for its own)."""
        if simulation == self.simulation:
            return self
        return _compile_spec(self.spec, simulation)

    def estimate_seconds(self, iterations: int, threads: int = 1) -> float:
        """A rough run time for `iterations` on `threads` cores."""
        samples = len(self.inputs)
        ops = self.instruction_count - samples
        per_iteration = ops * _SECONDS_PER_OP + samples * _SECONDS_PER_SAMPLE
        per_iteration += self.sample_seconds
        return iterations * per_iteration / max(1, threads)


def compile_model(model, limits: ModelLimits | None = None) -> CompiledModel:
    """Compiles a model given as a dict, JSON text or a pathlib.Path.

    Text is always read as JSON, never as a file name, so text from a
    client cannot make the service open files.
    """
    if isinstance(model, CompiledModel):
        return model
    if isinstance(model, WorkbookSource):
        outputs = model.outputs
        if isinstance(outputs, str):
            outputs = [outputs]
        return compile_workbook(model.data, list(outputs) or None)
    if _is_workbook(model):
        return compile_workbook(model)
    try:
        return _compile(model, limits)
    except RecursionError:
        # Parsing bounds nesting, so this needs a pathological model.
        raise ModelError.single(
            "model", "the model nests too deeply to compile"
        ) from None


def compile_workbook(
    source, outputs: list[str] | None = None, limits=None
) -> CompiledModel:
    """Compiles an .xlsx or .xlsm workbook given as bytes or a path.
    outputs: cell addresses ("Sheet1!B7", or "B7" on the first sheet);
    None takes the cells marked with RiskOutput(). A RiskOutput's name,
    when it has one, names the output in results."""
    book = read_workbook(source, limits, cached=False)
    translated = translate(book, outputs)
    try:
        return _compile_spec(translated.spec, 0)
    except ModelError as error:
        raise ModelError(
            [_workbook_violation(v, translated) for v in error.violations]
        ) from None


def _workbook_violation(violation: Violation, translated) -> Violation:
    """A violation in a workbook's terms: an array formula's hidden cell
    named as its first cell, a correlation group as its RiskCorrmat."""
    field = violation.field.replace(ARRAY_SUFFIX, "")
    description = violation.description.replace(ARRAY_SUFFIX, "")
    if field.startswith("correlations["):
        index = int(field[len("correlations[") : field.index("]")])
        where, first = translated.corrmat_sources[index]
        field = f"cells.{first}"
        description = (
            f"RiskCorrmat({where}): "
            + description.split('; correct it, or set "repair"', 1)[0]
        )
    return Violation(field, description)


def _is_workbook(model) -> bool:
    if isinstance(model, Path):
        return model.suffix.lower() in (".xlsx", ".xlsm")
    return isinstance(model, (bytes, bytearray)) and is_workbook(model)


def _compile(model, limits: ModelLimits | None) -> CompiledModel:
    return _compile_spec(read_model(model, limits), 0)


def _compile_spec(spec: ModelSpec, simulation: int) -> CompiledModel:
    trees = _parse(spec)
    order = _order(spec, trees)
    streams, input_names = _number_inputs(spec, trees)
    emitter = _Emitter(spec, trees, streams, input_names, simulation)
    return _correlate(emitter.emit(order), spec)


def _correlate(compiled: CompiledModel, spec: ModelSpec) -> CompiledModel:
    """The compiled model with its correlation groups checked against its
    inputs and handed to the core."""
    if not spec.correlations:
        return compiled
    groups, violations = resolve(spec.correlations, compiled.inputs)
    if violations:
        raise ModelError(violations)
    program = compiled.program.with_correlations(
        [(list(g.streams), g.factor.ravel()) for g in groups]
    )
    return replace(compiled, program=program, correlations=tuple(groups))


def _g(value: float) -> str:
    return "" if math.isinf(value) else f"{value:g}"


def _error_parameter(spec, values: list[float]) -> str | None:
    """A message for a parameter that is an Excel error, if one is."""
    for name, value in zip(spec.params, values):
        error = error_name(value)
        if error is not None:
            return f"{name} is the error {error}"
    return None


def _parse(spec: ModelSpec) -> dict[str, ast.Node]:
    if spec.trees is not None:
        return spec.trees
    trees, violations = {}, []
    for name, value in spec.cells.items():
        if isinstance(value, float):
            trees[name] = ast.Number(1, value)
        elif not value.startswith("="):
            trees[name] = _literal_text(value)
        else:
            try:
                trees[name] = parse_formula(value)
            except FormulaSyntaxError as exc:
                violations.append(Violation(f"cells.{name}", str(exc)))
    if violations:
        raise ModelError(violations)
    return trees


def _literal_text(value: str) -> ast.Node:
    """A cell typed without "=": a number if it reads as one, else text."""
    try:
        return ast.Number(1, float(value))
    except ValueError:
        return ast.Text(1, value)


# A range read by many formulas is one node of the cell graph, between its
# cells and the formulas (a whole column read by 200 formulas is then 200
# edges and one column, not 200 columns).
_RANGE = "\0range "


def _order(spec: ModelSpec, trees: dict[str, ast.Node]) -> list[str]:
    by_key = {key(n): n for n in spec.cells}
    deps: dict[str, list[str]] = {}
    violations = []
    for name, tree in trees.items():
        deps[name] = []
        names, ranges = _references_and_ranges(tree)
        for array in ranges:
            node = f"{_RANGE}{id(array)}"
            deps[name].append(node)
            if node not in deps:
                deps[node] = list(
                    dict.fromkeys(
                        by_key[key(e.name)]
                        for e in array.elements()
                        if isinstance(e, ast.Name) and key(e.name) in by_key
                    )
                )
        for ref in sorted(names, key=lambda r: r.pos):
            target = by_key.get(key(ref.name))
            if target is None:
                violations.append(
                    Violation(
                        f"cells.{name}",
                        f"position {ref.pos}: '{ref.name}' is "
                        "not a cell of this model" + _near(ref.name, by_key),
                    )
                )
            else:
                deps[name].append(target)
    for cycle in find_cycles(deps):
        cycle = [c for c in cycle if not c.startswith(_RANGE)]
        path = " -> ".join(cycle + [cycle[0]])
        violations.append(
            Violation(f"cells.{cycle[0]}", f"circular reference: {path}")
        )
    if violations:
        raise ModelError(violations)
    return [c for c in dependency_order(deps) if not c.startswith(_RANGE)]


def _references_and_ranges(tree: ast.Node):
    """The names a tree reads, and its ranges (arrays of cell names) whole:
    their cells are not walked here."""
    found, ranges, stack = [], [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            found.append(node)
        elif isinstance(node, ast.Element):
            found.append(ast.Name(node.pos, node.source))
        elif isinstance(node, ast.Array) and _is_range(node):
            ranges.append(node)
            continue
        stack.extend(ast.children(node))
    return found, ranges


def _is_range(array: ast.Array) -> bool:
    first = array.rows[0][0] if array.rows and array.rows[0] else None
    return isinstance(first, (ast.Name, ast.Empty))


def _near(name: str, by_key: dict[str, str]) -> str:
    found = difflib.get_close_matches(key(name), list(by_key), n=1)
    return f"; did you mean '{by_key[found[0]]}'?" if found else ""


def _number_inputs(spec, trees):
    streams, names = {}, []
    for name in spec.cells:
        calls = [
            n
            for n in ast.preorder(trees[name], into_ranges=False)
            if isinstance(n, ast.Call) and n.key in DISTRIBUTIONS
        ]
        for k, call in enumerate(calls, start=1):
            streams[(key(name), call.pos)] = len(names)
            names.append(name if k == 1 else f"{name}#{k}")
    return streams, names


class _Emitter:
    def __init__(self, spec, trees, streams, input_names, simulation=0):
        self.spec = spec
        self.trees = trees
        self.builder = ProgramBuilder()
        self.cells = CellCompiler(self.builder, streams, simulation)
        self.input_names = input_names
        self.violations: list[Violation] = []

    def emit(self, order: list[str]) -> CompiledModel:
        for done, name in enumerate(order):
            if done % 256 == 0:
                check_stop()
            try:
                self.cells.compile_cell(name, self.trees[name])
            except CellError as exc:
                self.violations.append(Violation(f"cells.{name}", str(exc)))
                self.cells.values[key(name)] = Reg(0, False)
        outputs = self.output_registers()
        self.check_simtables()
        if self.violations:
            raise ModelError(self.violations)
        return self.finish(outputs)

    def check_simtables(self) -> None:
        """Every RiskSimtable list gives one value per simulation: all
        must have the same length."""
        lengths = {length for _, length in self.cells.simtables}
        if len(lengths) <= 1:
            return
        first_cell, first = self.cells.simtables[0]
        for cell, length in self.cells.simtables[1:]:
            if length != first:
                self.violations.append(
                    Violation(
                        f"cells.{cell}",
                        f"RiskSimtable has {length} values, but the one in "
                        f"'{first_cell}' has {first}: each needs one value "
                        "per simulation",
                    )
                )

    def output_registers(self) -> list[int]:
        regs = []
        for i, name in enumerate(self.spec.outputs):
            value = self.cells.values[key(name)]
            if not isinstance(value, Reg):
                self.violations.append(
                    Violation(
                        f"outputs[{i}]",
                        f"'{name}' holds text or an array; an "
                        "output must be a number",
                    )
                )
                continue
            regs.append(value.index)
        return regs

    def finish(self, outputs: list[int]) -> CompiledModel:
        b = self.builder
        varying = varying_rows(b)
        constants = fold(b, varying)
        self.check_samples(constants)
        if self.violations:
            raise ModelError(self.violations)
        inputs = [s_row[1] for s_row in self.sample_rows()]
        allocation = allocate(b, varying, constants, outputs, inputs)
        return CompiledModel(
            name=self.spec.name,
            inputs=list(self.input_names),
            outputs=list(self.spec.outputs),
            percentiles=self.spec.percentiles,
            cell_count=len(self.spec.cells),
            instruction_count=allocation.n_body,
            program=allocation.program,
            connections=self.connections(outputs),
            simulations=max(
                [length for _, length in self.cells.simtables], default=1
            ),
            simulation=self.cells.simulation,
            spec=self.spec,
            sample_seconds=self.sample_seconds(),
        )

    def sample_seconds(self) -> float:
        """The extra cost per iteration of the costly samples."""
        kinds = {v: k for k, v in _core.dist_kinds().items()}
        total = 0.0
        for s in self.builder.samples:
            kind = kinds.get(s.spec.kind, "")
            varying = any(p.varying for p in s.params)
            bounds = s.truncation[1:] if s.truncation else ()
            cost = _SOLVED_SECONDS.get(kind, 0.0)
            if kind in _TABLE_KINDS and varying:
                cost = 1e-6
            if s.truncation and (varying or any(b.varying for b in bounds)):
                cost = _TRUNCATION_QUANTILES * max(cost, _SECONDS_PER_SAMPLE)
            total += cost
        return total

    def connections(self, outputs: list[int]) -> tuple[tuple[bool, ...], ...]:
        """Per output register, whether it depends on each input: the
        inputs behind every register, as bits, row by row."""
        behind: dict[int, int] = {}
        for row, reads in zip(self.builder.rows, self.builder.reads):
            bits = 0
            for _, reg in reads:
                bits |= behind.get(reg, 0)
            if row[0] == OPCODES["SAMPLE"]:
                bits |= 1 << row[3]
            behind[row[1]] = bits
        count = len(self.input_names)
        return tuple(
            tuple(bool(behind.get(reg, 0) >> j & 1) for j in range(count))
            for reg in outputs
        )

    def sample_rows(self) -> list[list[int]]:
        """SAMPLE rows ordered by stream number."""
        rows = [self.builder.rows[s.row] for s in self.builder.samples]
        return sorted(rows, key=lambda row: row[3])

    def check_samples(self, constants: dict[int, float]) -> None:
        refused = set()
        for s in self.builder.samples:
            # Written-out arguments were checked where they were packed.
            if s.spec.literal or any(
                p.index not in constants for p in s.params
            ):
                continue
            values = [constants[p.index] for p in s.params]
            problem = _error_parameter(s.spec, values) or parameter_error(
                s.spec, values
            )
            if problem:
                refused.add(s.row)
                self.violations.append(
                    Violation(
                        f"cells.{s.cell}",
                        f"position {s.pos}: {s.spec.name}: {problem}",
                    )
                )
                continue
            table = table_for(s.spec, values)
            if table is not None:
                self.builder.rows[s.row][4] = self.builder.add_aux(table)
        for s in self.builder.samples:
            if s.row in refused:
                continue
            problem = s.truncation and self.truncation_problem(s, constants)
            if not problem and s.shift is not None:
                error = error_name(constants.get(s.shift.index, 0.0))
                if error is not None:
                    problem = f"RiskShift: its shift is the error {error}"
            if problem:
                self.violations.append(
                    Violation(
                        f"cells.{s.cell}",
                        f"position {s.pos}: {s.spec.name}: {problem}",
                    )
                )

    def truncation_problem(self, s, constants: dict[int, float]):
        """What is wrong with a sample's constant truncation, if anything:
        bounds out of order or range, or no probability between them."""
        mode, lower, upper = s.truncation
        if lower.index not in constants or upper.index not in constants:
            return None
        lo, hi = constants[lower.index], constants[upper.index]
        probs = mode == TRUNC_PROBS
        name = "RiskTruncateP" if probs else "RiskTruncate"
        for label, bound in (("minimum", lo), ("maximum", hi)):
            error = error_name(bound)
            if error is not None:
                return f"{name}: its {label} is the error {error}"
        if probs and not 0 <= lo < hi <= 1:
            return f"{name}({_g(lo)}, {_g(hi)}) needs 0 <= pmin < pmax <= 1"
        if not lo <= hi:
            return f"{name}({_g(lo)}, {_g(hi)}) needs min <= max"
        if any(p.index not in constants for p in s.params):
            return None
        aux_index = self.builder.rows[s.row][4]
        aux = self.builder.aux[aux_index] if aux_index >= 0 else None
        params = [constants[p.index] for p in s.params]
        probe = _core.quantile(
            s.spec.kind, params, np.array([0.5]), aux, (mode, lo, hi)
        )
        if np.isnan(probe[0]):
            return (
                f"{name}({_g(lo)}, {_g(hi)}) holds no probability that the "
                "engine can sample: none at all, or under about 1e-16 (the "
                "precision of the uniforms in the upper tail; only the "
                "normal kinds reach further)"
            )
        return _coarse_tail(s.spec.kind, params, mode, lo, hi, name)


# An interval of u narrower than this in the upper tail holds under 8,192 of
# the uniforms (2^-53 apart there): its samples would take a few values.
COARSE_TAIL = 2.0**-40


def _coarse_tail(kind, params, mode, lo, hi, name) -> str | None:
    """The reason to refuse a constant truncation in the far upper tail,
    where the uniforms are too coarse to sample it faithfully (Poisson(40)
    above 100, 1e-15 of probability, gave three values, z = -100 on the
    mean); None when it is fine. The normal kinds work on z: never coarse."""
    interval = _core.truncation_interval(kind, params, mode, lo, hi)
    if interval["normal"] or not interval["ok"]:
        return None
    a, b = interval["a"], interval["b"]
    if a > 0.5 and b - a < COARSE_TAIL:
        return (
            f"{name}({_g(lo)}, {_g(hi)}) holds about {b - a:.1g} of "
            "probability in the upper tail, where the uniforms are 1e-16 "
            "apart: its samples would take only a few distinct values"
        )
    return None
