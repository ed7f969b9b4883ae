"""Evaluator rate on a long chain of arithmetic cells, against NumPy.

The model is one uniform input followed by SCALE.chain_cells cells, each
reading the one before: `p * 1.001 + 0.5`, `p - 0.5`, `p / 1.001` in
turn, so every instruction depends on the previous one and nothing can be
folded. The figure is instructions x iterations per second on one thread.
The baseline runs the same operations in the same order with NumPy, one
in-place array operation per instruction, over the same uniforms (read
from mcengine._core.uniforms); as both round each operation in float64,
the outputs must be bit-identical, and are checked to be.
"""

from __future__ import annotations

import numpy as np

from bench.core.record import checked, record, timed
from bench.core.scale import SCALE
from mcengine import _core
from mcengine.engine import sample
from mcengine.model import compile_model

SEED = 3
STEPS = ("{p} * 1.001 + 0.5", "{p} - 0.5", "{p} / 1.001")
FIGURE = "evaluator:chain"
UNIT = "instructions x iterations"


def chain_model(cells: int) -> dict:
    """One RiskUniform(0, 1) input and `cells` chained arithmetic cells."""
    model = {"step_0": "=RiskUniform(0, 1)"}
    for i in range(1, cells + 1):
        step = STEPS[(i - 1) % len(STEPS)]
        model[f"step_{i}"] = "=" + step.format(p=f"step_{i - 1}")

    return {"cells": model, "outputs": [f"step_{cells}"]}


def numpy_chain(u: np.ndarray, cells: int) -> np.ndarray:
    """The chain in NumPy: the same operations, in the same order."""
    x = u.copy()
    for i in range(cells):
        step = i % len(STEPS)
        if step == 0:
            np.multiply(x, 1.001, out=x)
            np.add(x, 0.5, out=x)
        elif step == 1:
            np.subtract(x, 0.5, out=x)
        else:
            np.divide(x, 1.001, out=x)

    return x


def reference(n: int) -> np.ndarray:
    """The chain's expected output: NumPy over the engine's uniforms."""
    return numpy_chain(_core.uniforms(SEED, 0, 0, n), SCALE.chain_cells)


def test_mcengine_evaluator_rate(benchmark):
    """mcengine evaluating the chain on one thread; bit-identical output."""
    n, cells = SCALE.chain_iterations, SCALE.chain_cells
    compiled = compile_model(chain_model(cells))
    count = compiled.instruction_count
    name = f"mcengine, {count} instructions, 1 thread"
    record(benchmark, FIGURE, "subject", name, count * n, UNIT)
    output = compiled.outputs[0]
    values = timed(
        benchmark,
        lambda: sample(compiled, iterations=n, seed=SEED, threads=1)[output],
        SCALE.chain_rounds,
    )
    identical = bool(np.array_equal(values, reference(n)))
    assert identical, "the evaluator's chain differs from NumPy's"
    checked(benchmark, identical_to_numpy=identical, instructions=count)


def test_numpy_evaluator_rate(benchmark):
    """NumPy running the same chain, one in-place operation at a time."""
    n, cells = SCALE.chain_iterations, SCALE.chain_cells
    count = compile_model(chain_model(cells)).instruction_count
    name = "NumPy, one in-place array operation per instruction"
    record(benchmark, FIGURE, "baseline", name, count * n, UNIT)
    u = _core.uniforms(SEED, 0, 0, n)
    values = timed(
        benchmark, lambda: numpy_chain(u, cells), SCALE.chain_rounds
    )
    assert np.isfinite(values).all()
