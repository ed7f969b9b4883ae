"""Emitting Program instructions: registers, constants, rows.

The builder hands out a fresh register for every value; the compiler later
folds what does not vary and packs the rest into few registers
(model.registers). Each row is INSTR_WIDTH integers: opcode, destination,
then operands (see csrc/evaluator.h).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mcengine import _core

OPCODES: dict[str, int] = _core.opcodes()
WIDTH: int = _core.INSTR_WIDTH

# Excel's error values and the codes of csrc/mc_defs.h.
ERROR_CODES = {
    "#NULL!": 1,
    "#DIV/0!": 2,
    "#VALUE!": 3,
    "#REF!": 4,
    "#NAME?": 5,
    "#NUM!": 6,
    "#N/A": 7,
}
ERROR_NAMES = {code: name for name, code in ERROR_CODES.items()}


def error_value(name: str) -> float:
    """The NaN that carries Excel's error `name` through the core."""
    bits = 0x7FF8000000000000 | ERROR_CODES[name]
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def error_name(value: float) -> str | None:
    """ "#DIV/0!" for the NaN of that error, None for a number."""
    if value == value:
        return None
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return ERROR_NAMES.get(bits & 0x7, "#NUM!")


@dataclass(frozen=True)
class Reg:
    """A numeric value held in a register; varying if it differs by
    iteration (it depends on a distribution)."""

    index: int
    varying: bool


@dataclass(frozen=True)
class TextValue:
    """Text, which exists only while compiling (constant folding)."""

    text: str


@dataclass(frozen=True)
class ArrayValue:
    """An array constant's or a range's elements, row by row (columns per
    row; 0 when unknown, a single row)."""

    items: tuple
    columns: int = 0

    @property
    def width(self) -> int:
        return self.columns or len(self.items)

    @property
    def height(self) -> int:
        return len(self.items) // self.width if self.items else 0


@dataclass(frozen=True)
class EmptyValue:
    """An empty cell of a range: skipped by functions over lists, 0 in
    arithmetic."""


@dataclass
class Sample:
    """Where a distribution was sampled, for checks after folding."""

    row: int
    cell: str
    pos: int
    spec: object
    params: list[Reg]
    truncation: tuple | None = None
    shift: Reg | None = None


@dataclass
class ProgramBuilder:
    rows: list[list[int]] = field(default_factory=list)
    # The registers each row reads, and the row slots that hold them.
    reads: list[list[tuple[int, int]]] = field(default_factory=list)
    n_regs: int = 0
    const_regs: list[int] = field(default_factory=list)
    const_values: list[float] = field(default_factory=list)
    aux: list = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    _constants: dict[bytes, Reg] = field(default_factory=dict)
    _constant_values: dict[int, float] = field(default_factory=dict)

    def new_register(self) -> int:
        self.n_regs += 1
        return self.n_regs - 1

    def constant(self, value: float) -> Reg:
        bits = struct.pack("<d", value)
        if bits not in self._constants:
            reg = Reg(self.new_register(), False)
            self.const_regs.append(reg.index)
            self.const_values.append(value)
            self._constants[bits] = reg
            self._constant_values[reg.index] = value
        return self._constants[bits]

    def constant_value(self, reg: Reg) -> float | None:
        """The value of a constant register; None for a computed one."""
        return self._constant_values.get(reg.index)

    def emit(self, op: str, operands: list[Reg], immediate: int = 0) -> Reg:
        dst = Reg(self.new_register(), any(r.varying for r in operands))
        row = [OPCODES[op], dst.index] + [r.index for r in operands]
        if op in ("ROUND", "LOOKUP"):
            row.append(immediate)
        self.rows.append(row + [0] * (WIDTH - len(row)))
        self.reads.append([(2 + i, r.index) for i, r in enumerate(operands)])
        return dst

    def add_aux(self, array) -> int:
        self.aux.append(array)
        return len(self.aux) - 1

    def sample(
        self,
        kind: int,
        stream: int,
        params: list[Reg],
        aux_index: int,
        where: tuple[str, int, object],
        truncation: tuple[int, Reg, Reg] | None = None,
    ) -> Reg:
        """A SAMPLE row: kind, stream, aux, four parameter slots, the
        fixed flag (set by the core), then the truncation's mode and the
        registers of its bounds (dist_truncate.h)."""
        dst = Reg(self.new_register(), True)
        slots = [r.index for r in params] + [-1] * (4 - len(params))
        row = [OPCODES["SAMPLE"], dst.index, kind, stream, aux_index, *slots]
        row.append(0)
        reads = [(5 + i, r.index) for i, r in enumerate(params)]
        if truncation is not None:
            mode, lower, upper = truncation
            row += [mode, lower.index, upper.index]
            reads += [(11, lower.index), (12, upper.index)]
        self.rows.append(row + [0] * (WIDTH - len(row)))
        self.reads.append(reads)
        cell, pos, spec = where
        self.samples.append(
            Sample(
                len(self.rows) - 1, cell, pos, spec, list(params), truncation
            )
        )
        return dst
