"""Statistics of simulated outputs, computed in the core.

Each output's values are summarised by _core.describe (moments merged in a
fixed chunk order, percentiles by exact selection, a histogram); outputs
are summarised in parallel. Sensitivity is the Spearman rank correlation
of each input with the output over the first `kept` iterations, which
bounds its cost whatever the run's length.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mcengine import _core
from mcengine.engine.result import Histogram, OutputStats

HISTOGRAM_BINS = 50


def summarise(
    names: list[str],
    values: np.ndarray,
    input_names: list[str],
    inputs: np.ndarray,
    percentiles: list[float],
    threads: int,
) -> dict[str, OutputStats]:
    """Statistics of each row of `values`; rows are reordered in place."""
    workers = max(1, min(threads, len(names)))
    inner = max(1, threads // len(names)) if names else 1
    rho = _sensitivities(values, inputs, threads)

    def one(i: int) -> OutputStats:
        sensitivity = dict(zip(input_names, (float(r) for r in rho[i])))
        return _describe(names[i], values[i], sensitivity, percentiles, inner)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        stats = list(pool.map(one, range(len(names))))
    return {s.name: s for s in stats}


def _sensitivities(values, inputs, threads) -> np.ndarray:
    """Spearman of every input with every output over the kept prefix
    (outputs x inputs); each input is ranked once for all outputs."""
    kept = inputs.shape[1]
    if not inputs.shape[0] or not kept:
        return np.zeros((values.shape[0], 0))
    prefixes = np.ascontiguousarray(values[:, :kept])
    return _core.spearman(inputs, prefixes, threads)


def _describe(name, row, sensitivity, percentiles, threads):
    d = _core.describe(
        row, percentiles, HISTOGRAM_BINS, threads, in_place=True
    )
    return OutputStats(
        name=name,
        mean=d["mean"],
        std=d["std"],
        min=d["min"],
        max=d["max"],
        skewness=d["skewness"],
        kurtosis=d["kurtosis"],
        sem=d["sem"],
        valid=int(d["valid"]),
        errors=int(d["errors"]),
        percentiles=dict(zip(percentiles, d["percentiles"])),
        histogram=Histogram(
            [float(e) for e in d["edges"]], [int(c) for c in d["counts"]]
        ),
        sensitivity=sensitivity,
    )
