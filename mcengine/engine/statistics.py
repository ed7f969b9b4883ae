"""Statistics of simulated outputs, computed in the core.

Each output's values are summarised by _core.describe (moments merged in a
fixed chunk order, percentiles by exact selection, a histogram); outputs
are summarised in parallel. Sensitivity is the Spearman rank correlation
of each input with the output over the first `kept` iterations, which
bounds its cost whatever the run's length.

The risk measures, all over the valid values (n of them):
- targets: P(X <= t) and P(X > t), counted exactly;
- VaR at level L (percent): the L-th percentile; CVaR: the mean of the
  values at or beyond it, in the tail the level points to (at or below
  for L <= 50, at or above for L > 50);
- the mean's confidence interval: mean +- t sem, t Student's quantile at
  (1 + c) / 2 with n - 1 degrees of freedom;
- each percentile's distribution-free interval [X_(l), X_(u)] (order
  statistics, 1-based): l the Binomial(n, p) quantile at (1 - c) / 2 and u
  one more than its quantile at (1 + c) / 2, so that it covers the true
  percentile with probability at least c whatever the distribution (the
  binomial quantiles are exact up to n = 10^7, beyond it the normal
  approximation, whose error is then far below one rank); NaN where the
  sample is too small for that confidence, and at percentiles 0 and 100;
- the mode of an output with at most MODE_DISTINCT distinct values (the
  smallest of tied values), None for the others.

The sensitivity of an output to its inputs, over the kept prefix: Spearman
rank correlations; standardised rank regression coefficients (SRRC) from
regressing the output's ranks on the ranks of every input connected to it,
with the regression's R squared; each input's contribution to variance,
its SRRC squared over the sum of them (the share of the explained
variance, exact for independent inputs); and the output's mean in each of
BINS equal-count bins of the input (the data of a spider chart). An input
with no path to the output is reported as disconnected instead.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from mcengine import _core
from mcengine.engine.result import Histogram, OutputStats

HISTOGRAM_BINS = 50
BINS = 10  # equal-count bins of each input for the output's means
# The rank regression (srrc, contribution, R squared) needs every pair of
# inputs correlated, k^2 / 2 products over the kept iterations, and a k x k
# solve: beyond this many inputs it is left out (NaN), and the achieved
# correlations of correlated groups with it.
REGRESSION_MAX_INPUTS = 500
MODE_DISTINCT = 1_000
DEFAULT_CONFIDENCE = 0.95
_KINDS = _core.dist_kinds()


@dataclass(frozen=True)
class Measures:
    """What to report beyond the fixed statistics."""

    percentiles: list[float]
    targets: list[float] = field(default_factory=list)
    risk_levels: list[float] = field(default_factory=list)
    confidence: float = DEFAULT_CONFIDENCE


def summarise(
    names: list[str],
    values: np.ndarray,
    input_names: list[str],
    inputs: np.ndarray,
    measures: Measures,
    threads: int,
    connections=(),
) -> tuple[dict[str, OutputStats], np.ndarray]:
    """Statistics of each row of `values` (rows are reordered in place),
    and the inputs' rank correlations with one another over the kept
    prefix. connections[o][j]: whether output o depends on input j (all do
    when not given)."""
    workers = max(1, min(threads, len(names)))
    inner = max(1, threads // len(names)) if names else 1
    found = _sensitivities(values, inputs, threads)

    def one(i: int) -> OutputStats:
        linked = connections[i] if connections else [True] * len(input_names)
        drivers = _drivers(input_names, linked, found, i)
        stats = _describe(
            names[i], values[i], drivers["spearman"], measures, inner
        )
        return replace(
            stats, **{k: v for k, v in drivers.items() if k != "spearman"}
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        stats = list(pool.map(one, range(len(names))))
    return {s.name: s for s in stats}, found["inputs"]


def _sensitivities(values, inputs, threads) -> dict:
    """Over the kept prefix: Spearman of every input with every output, the
    inputs' rank correlations with one another, and each output's mean in
    BINS equal-count bins of each input; each input ranked once."""
    kept, k, o = inputs.shape[1], inputs.shape[0], values.shape[0]
    if not k or not kept:
        empty = np.zeros((o, 0))
        return {
            "rho": empty,
            "inputs": np.zeros((0, 0)),
            "bin_means": np.zeros((o, 0, BINS)),
        }
    prefixes = np.ascontiguousarray(values[:, :kept])
    pairs = k <= REGRESSION_MAX_INPUTS
    return _core.sensitivity(inputs, prefixes, threads, BINS, pairs)


def _drivers(input_names, linked, found, o: int) -> dict:
    """Spearman, standardised rank regression coefficients (SRRC), their
    R squared, contributions to variance and bin means of one output; the
    disconnected inputs left out of each (their Spearman NaN)."""
    rho = found["rho"][o]
    on = [j for j, link in enumerate(linked) if link]
    spearman = {
        name: float(rho[j]) if linked[j] else math.nan
        for j, name in enumerate(input_names)
    }
    srrc, r_squared = _rank_regression(found["inputs"], rho, on)
    total = sum(b * b for b in srrc if math.isfinite(b))
    return {
        "spearman": spearman,
        "disconnected": [
            n for n, link in zip(input_names, linked) if not link
        ],
        "srrc": {input_names[j]: b for j, b in zip(on, srrc)},
        "contribution": {
            input_names[j]: b * b / total if total > 0 else math.nan
            for j, b in zip(on, srrc)
        },
        "r_squared": r_squared,
        "bin_means": {
            input_names[j]: [float(v) for v in found["bin_means"][o, j]]
            for j in on
        },
    }


def _rank_regression(corr, rho, on: list[int]) -> tuple[list[float], float]:
    """The standardised coefficients b of the output's ranks regressed on the
    connected inputs' ranks, b = R^-1 r (R the inputs' rank correlations, r
    their Spearman with the output), and R^2 = r . b. Inputs whose ranks
    are constant (NaN correlations) get NaN and are left out; a singular R
    (an input a function of others) is solved by least squares. All NaN
    without the inputs' correlations (more than REGRESSION_MAX_INPUTS)."""
    if corr.size == 0 or not on:
        return [math.nan] * len(on), math.nan
    candidates = np.array(on)[np.isfinite(rho[on])]
    finite = np.isfinite(corr[np.ix_(candidates, candidates)]).all(axis=1)
    usable = [int(j) for j in candidates[finite]]
    coefficients = dict.fromkeys(on, math.nan)
    if not usable:
        return [math.nan] * len(on), math.nan
    matrix = corr[np.ix_(usable, usable)]
    target = rho[usable]
    b = np.linalg.lstsq(matrix, target, rcond=None)[0]
    coefficients.update(zip(usable, (float(v) for v in b)))
    return [coefficients[j] for j in on], float(target @ b)


def _describe(name, row, sensitivity, measures: Measures, threads):
    asked = list(measures.percentiles)
    levels = list(measures.risk_levels)
    # One selection serves the percentiles, the VaR levels and the order
    # statistics that bound the percentiles' intervals. Those ranks depend
    # on the valid count: when errors make it differ from the row's length,
    # a second selection over the valid values (which describe has moved to
    # the front) finds them.
    valid = row.size
    ranks = interval_ranks(asked, valid, measures.confidence)
    d = _core.describe(
        row,
        asked + levels + rank_percentiles(ranks, valid),
        HISTOGRAM_BINS,
        threads,
        in_place=True,
    )
    found = list(d["percentiles"])
    if d["valid"] != valid:
        valid = int(d["valid"])
        ranks = interval_ranks(asked, valid, measures.confidence)
        extra = rank_percentiles(ranks, valid)
        again = _core.describe(row[:valid], extra, 1, threads, in_place=True)
        found = found[: len(asked) + len(levels)] + list(again["percentiles"])
    chosen = found[: len(asked)]
    var = found[len(asked) : len(asked) + len(levels)]
    ends = found[len(asked) + len(levels) :]
    cuts = list(measures.targets) + list(var)
    counts = _core.threshold_stats(row, cuts, threads) if cuts else None
    return OutputStats(
        name=name,
        mean=d["mean"],
        std=d["std"],
        min=d["min"],
        max=d["max"],
        skewness=d["skewness"],
        kurtosis=d["kurtosis"],
        sem=d["sem"],
        valid=valid,
        errors=int(d["errors"]),
        percentiles=dict(zip(asked, chosen)),
        histogram=Histogram(
            [float(e) for e in d["edges"]], [int(c) for c in d["counts"]]
        ),
        sensitivity=sensitivity,
        targets=_targets(measures.targets, counts, valid),
        tail_risks=_tail_risks(levels, var, counts, measures, valid),
        mean_ci=_mean_interval(d, measures.confidence),
        percentile_cis=_percentile_intervals(asked, ranks, ends),
        mode=_mode(row),
    )


def interval_ranks(percentiles, n: int, confidence: float):
    """Per percentile, the 0-based order-statistic ranks (lo, hi) of its
    interval at the confidence, or None where the sample cannot give one."""
    tail = (1 - confidence) / 2
    ranks = []
    for p in percentiles:
        q = p / 100
        if n < 2 or not 0 < q < 1:
            ranks.append(None)
            continue
        lo_k, hi_k = _binomial_quantiles(n, q, tail)
        lo, hi = lo_k - 1, hi_k  # 1-based l = lo_k and u = hi_k + 1
        ranks.append((lo, hi) if lo >= 0 and hi <= n - 1 else None)
    return ranks


def rank_percentiles(ranks, n: int) -> list[float]:
    """The percentiles whose PERCENTILE.INC positions are exactly the ranks
    (the core snaps a position within a few ulps of a whole rank to it)."""
    return [100.0 * r / (n - 1) for pair in ranks if pair for r in pair]


def _binomial_quantiles(n: int, q: float, tail: float) -> tuple[int, int]:
    """Binomial(n, q) quantiles at tail and 1 - tail."""
    if n <= _core.MAX_COUNT:
        got = _core.quantile(
            _KINDS["BINOMIAL"], [float(n), q], np.array([tail, 1 - tail])
        )
        return int(got[0]), int(got[1])
    z = float(
        _core.quantile(_KINDS["NORMAL"], [0.0, 1.0], np.array([1 - tail]))[0]
    )
    centre, spread = n * q, z * math.sqrt(n * q * (1 - q))
    return math.floor(centre - spread), math.ceil(centre + spread)


def _targets(targets, counts, n: int) -> dict[float, tuple[float, float]]:
    out = {}
    for j, t in enumerate(targets):
        at_most = counts["at_most"][j]
        out[t] = (at_most / n, (n - at_most) / n) if n else (math.nan,) * 2
    return out


def _tail_risks(levels, var, counts, measures: Measures, n: int):
    """VaR and CVaR per level; CVaR is the mean of the tail at or beyond
    the VaR (values equal to it count as part of the tail)."""
    out = {}
    for j, (level, v) in enumerate(zip(levels, var)):
        k = len(measures.targets) + j
        below, at_most = counts["below"][k], counts["at_most"][k]
        ties = at_most - below
        if level <= 50:
            size, total = at_most, counts["sum_below"][k] + ties * v
        else:
            size, total = n - below, counts["sum_above"][k] + ties * v
        out[level] = (v, total / size if size else math.nan)
    return out


def _mean_interval(d, confidence: float) -> tuple[float, float]:
    n = int(d["valid"])
    if n < 2:
        return (math.nan, math.nan)
    t = float(
        _core.quantile(
            _KINDS["STUDENT"],
            [float(n - 1)],
            np.array([(1 + confidence) / 2]),
        )[0]
    )
    half = t * d["sem"]
    return (d["mean"] - half, d["mean"] + half)


def _percentile_intervals(asked, ranks, ends):
    """Each asked percentile's interval from the order statistics found, in
    the order _rank_percentiles asked for them."""
    values = iter(ends)
    return {
        p: (next(values), next(values)) if pair else (math.nan, math.nan)
        for p, pair in zip(asked, ranks)
    }


def _mode(row) -> float | None:
    got = _core.discrete_mode(row, MODE_DISTINCT)
    return None if got is None else float(got["value"])
