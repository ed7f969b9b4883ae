"""What the quantile tests share: the grid of u, the tolerances, and the
comparison of the core's quantiles with a reference distribution.

GRID runs from 1e-12 to 1 - 1e-12: log-spaced in both tails plus a uniform
grid. Relative errors are taken against max(|x|, floor): the floor, where
given, is the distribution's scale, for quantiles that pass through 0. The
tolerances, and the errors measured when each was set, are stated in the
docstrings of test_quantiles.py and test_catalogue.py.
"""

import numpy as np

from mcengine import _core

KINDS = _core.dist_kinds()
TAILS = np.logspace(-12, np.log10(0.5), 200)
GRID = np.unique(
    np.concatenate([TAILS, 1 - TAILS, np.linspace(1e-3, 1 - 1e-3, 999)])
)
REL_NORMAL, REL_CLOSED, REL_SOLVED, REL_TABLE = 2e-15, 5e-14, 1e-12, 1e-11


def case_id(case) -> str:
    """A case (kind, parameters, ...) named for pytest."""
    return f"{case[0]}{case[1]}"


def quantile(kind: str, params, u, aux=None) -> np.ndarray:
    """The core's quantiles of kind at u, through aux when given."""
    return _core.quantile(KINDS[kind], params, np.asarray(u, float), aux)


def relative_error(got, want, floor) -> np.ndarray:
    return np.abs(got - want) / np.maximum(np.abs(want), floor or 1e-300)


def worst_error(stats, case, aux=None) -> float:
    """The largest relative error over GRID of a case (kind, parameters,
    reference, tolerance, floor) against its reference's ppf."""
    kind, params, ref, _, floor = case
    got = quantile(kind, params, GRID, aux)
    return float(relative_error(got, ref(stats).ppf(GRID), floor).max())


def worst_table_error(stats, case) -> float:
    """worst_error through the case's inversion table (which must exist)."""
    table = _core.build_table(KINDS[case[0]], case[1])
    assert table.size > 0, f"{case_id(case)} has no table"
    return worst_error(stats, case, table)
