"""Constant folding and register allocation.

Folding: every instruction that does not depend on a distribution is run
once, by the core's own evaluator (so folding and simulation share one set
of semantics), and its result becomes a constant register. What remains is
the per-iteration body.

Allocation: the body is straight-line code, so a register can be reused as
soon as its last reader has run. Constants, outputs and sampled inputs keep
their registers for the whole block (the driver reads outputs and inputs
after the block). Instructions whose result nobody reads are dropped;
samples are always kept, since every input is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcengine import _core
from mcengine.model.builder import OPCODES, ProgramBuilder

_SAMPLE = OPCODES["SAMPLE"]


def _program(
    rows, n_regs, const_regs, const_values, aux=(), outputs=(), inputs=()
):
    code = np.array(rows, dtype=np.int32).reshape(-1, _core.INSTR_WIDTH)
    offsets = np.cumsum([0] + [len(a) for a in aux])[:-1]
    pool = np.concatenate(aux) if aux else np.zeros(0)
    return _core.Program(
        code,
        n_regs,
        np.array(const_regs, np.int32),
        np.array(const_values, np.float64),
        pool,
        offsets.astype(np.int64),
        np.array(outputs, np.int32),
        np.array(inputs, np.int32),
    )


def varying_rows(b: ProgramBuilder) -> list[bool]:
    """Per row, whether its value varies by iteration: a SAMPLE, or a row
    reading a varying register."""
    varying_regs: set[int] = set()
    flags = []
    for row, reads in zip(b.rows, b.reads):
        varies = row[0] == _SAMPLE or any(r in varying_regs for _, r in reads)
        if varies:
            varying_regs.add(row[1])
        flags.append(varies)
    return flags


def fold(b: ProgramBuilder, varying: list[bool]) -> dict[int, float]:
    """Values of all registers computed by non-varying rows (and of the
    literal constants), by one run of the evaluator."""
    rows = [row for row, v in zip(b.rows, varying) if not v]
    program = _program(
        rows or [], max(b.n_regs, 1), b.const_regs, b.const_values, b.aux
    )
    values = _core.eval_once(program)
    known = dict(zip(b.const_regs, b.const_values))
    for row in rows:
        known[row[1]] = float(values[row[1]])
    return known


@dataclass
class Allocation:
    program: object  # _core.Program
    n_body: int
    output_regs: list[int]
    input_regs: list[int]


def allocate(
    b: ProgramBuilder,
    varying: list[bool],
    constants: dict,
    outputs: list[int],
    inputs: list[int],
) -> Allocation:
    """Packs the varying rows into few registers; builds the Program."""
    body = _live_rows(b, varying, set(outputs))
    pinned = set(outputs) | set(inputs)
    used = {r for i in body for _, r in b.reads[i]} | pinned
    const_list = sorted(r for r in used if r in constants)
    new = {r: n for n, r in enumerate(const_list)}
    last_read = {r: i for i in body for _, r in b.reads[i]}
    free: list[int] = []
    next_reg = len(const_list)
    rows = []
    for i in body:
        row = list(b.rows[i])
        dead = [
            r
            for _, r in b.reads[i]
            if last_read[r] == i and r not in pinned and r not in constants
        ]
        if row[0] != _SAMPLE:  # element-wise ops may write in place
            free.extend(new[r] for r in dict.fromkeys(dead))
        if free:
            new[row[1]] = free.pop()
        else:
            new[row[1]], next_reg = next_reg, next_reg + 1
        if row[0] == _SAMPLE:
            free.extend(new[r] for r in dict.fromkeys(dead))
        for slot, r in b.reads[i]:
            row[slot] = new[r]
        row[1] = new[row[1]]
        rows.append(row)
    out_regs = [new[r] for r in outputs]
    in_regs = [new[r] for r in inputs]
    program = _program(
        rows,
        max(next_reg, 1),
        range(len(const_list)),
        [constants[r] for r in const_list],
        b.aux,
        out_regs,
        in_regs,
    )
    return Allocation(program, len(rows), out_regs, in_regs)


def _live_rows(
    b: ProgramBuilder, varying: list[bool], outputs: set[int]
) -> list[int]:
    """Indices of the varying rows whose result is needed, in order."""
    needed = set(outputs)
    live = []
    for i in range(len(b.rows) - 1, -1, -1):
        if not varying[i]:
            continue
        row = b.rows[i]
        if row[0] == _SAMPLE or row[1] in needed:
            live.append(i)
            needed.update(r for _, r in b.reads[i])
    return live[::-1]
