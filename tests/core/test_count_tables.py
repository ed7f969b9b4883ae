"""Tables of the counting distributions (csrc/dist_count_table.h).

A table holds the exact quantile's own evaluations of F, so sampling through
it must give the exact search's answer bit for bit: the tests compare the
two paths exactly (no tolerance), at scipy's grid, at every tabulated step
and next to it, and in the tails the table leaves to the exact search.
"""

import numpy as np
import pytest

from mcengine import _core
from mcengine.model.distributions import DISTRIBUTIONS, table_for
from tests.core.oracle import GRID, KINDS, quantile

HEADER = 8  # COUNT_HEADER
TAIL = 2.0**-48  # COUNT_TAIL
MAX_ENTRIES = 8192  # COUNT_MAX_ENTRIES

CASES = [
    ("BINOMIAL", [16, 0.75]),
    ("BINOMIAL", [1, 0.3]),
    ("BINOMIAL", [100000, 0.3]),
    ("BINOMIAL", [50, 1e-9]),
    ("POISSON", [4]),
    ("POISSON", [0.001]),
    ("POISSON", [40]),
    ("POISSON", [1e6]),  # wider than the table: its tails go to the search
    ("NEGBIN", [3, 0.2]),
    ("NEGBIN", [1, 0.999]),
    ("GEOMET", [0.1]),
    ("GEOMET", [1e-5]),
    ("HYPERGEO", [5, 10, 40]),  # M <= 50: F summed in whole numbers
    ("HYPERGEO", [20, 30, 100]),
    ("HYPERGEO", [400, 900, 1000]),  # support [300, 400]
]


def case_id(case):
    return f"{case[0]}{case[1]}"


def table(kind, params):
    t = _core.build_table(KINDS[kind], params)
    assert t.size > HEADER, f"{kind}{params} has no count table"
    return t


def steps(t):
    """Every u at which the table changes its answer, and its neighbours:
    P(X <= k) below 1/2, 1 - P(X > k) above it."""
    m = int(_core.table_error(t)["entries"])
    below, above = t[HEADER : HEADER + m], -t[HEADER + m :]
    at = np.concatenate([below[below <= 0.5], 1.0 - above[above < 0.5]])
    near = [np.nextafter(at, 0.0), at, np.nextafter(at, 1.0)]
    u = np.concatenate(near)
    return u[(u > 0) & (u < 1)]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_table_answers_as_the_exact_search_does(case):
    """Exactly equal, NaNs included, at the grid, at each step and next to
    it, in the far tails (beyond the table) and outside (0, 1)."""
    kind, params = case
    t = table(kind, params)
    edges = [0.0, 1.0, np.nan, -0.5, 2.0**-60, TAIL / 2, TAIL, 0.5]
    edges += [np.nextafter(0.5, 1.0), 1 - TAIL, 1 - 2.0**-53]
    u = np.concatenate([GRID, steps(t), edges])
    exact = quantile(kind, params, u)
    tabled = quantile(kind, params, u, t)
    assert np.array_equal(tabled, exact, equal_nan=True)
    assert np.all(np.isnan(tabled[-11:-7])) and not np.any(
        np.isnan(tabled[:-11])
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_table_reaches_from_tail_to_tail(case):
    """The counts run from below the quantile at 2^-48 to the one at
    1 - 2^-48, unless that is more than MAX_ENTRIES counts (then it is
    MAX_ENTRIES counts about the median)."""
    kind, params = case
    info = _core.table_error(table(kind, params))
    first, m = info["first"], info["entries"]
    lo, median, hi = quantile(kind, params, [TAIL, 0.5, 1 - TAIL])
    assert info["x_relative"] == 0.0
    support = (
        max(params[0] + params[1] - params[2], 0) if kind == "HYPERGEO" else 0
    )
    if hi - lo + 2 <= MAX_ENTRIES:
        assert first == max(lo - 1, support)
        assert first + m - 1 == hi
    else:
        assert m == MAX_ENTRIES
        assert first < median < first + m - 1


@pytest.mark.parametrize(
    "kind, params",
    [
        ("BINOMIAL", [0, 0.5]),
        ("BINOMIAL", [10, 0]),
        ("BINOMIAL", [10, 1]),
        ("POISSON", [0]),
        ("GEOMET", [1]),
        ("NEGBIN", [4, 1]),
        ("HYPERGEO", [5, 0, 10]),
        ("HYPERGEO", [10, 10, 10]),
        ("POISSON", [-1]),  # invalid
    ],
)
def test_point_masses_and_invalid_parameters_get_no_table(kind, params):
    assert _core.build_table(KINDS[kind], params).size == 0


@pytest.mark.parametrize(
    "change, kind",
    [
        (lambda t: t, "BINOMIAL"),  # a Poisson table offered to Binomial
        (lambda t: t[:-1], "POISSON"),  # one entry short
        (lambda t: np.where(np.arange(t.size) == 2, -1.0, t), "POISSON"),
        (lambda t: np.where(np.arange(t.size) == 6, 1e9, t), "POISSON"),
        (lambda t: np.where(np.arange(t.size) == 0, 1.0, t), "POISSON"),
    ],
    ids=["kind", "short", "parameter", "entries", "tag"],
)
def test_a_malformed_count_table_is_refused_with_a_reason(change, kind):
    """The lambda the table stores is what undecided values are sampled
    with, so it must be valid; the sizes must match what the search reads."""
    bad = change(table("POISSON", [40]))
    with pytest.raises(
        ValueError, match=f"not a table from build_table for {kind}"
    ):
        params = [20, 0.5] if kind == "BINOMIAL" else [40]
        _core.quantile(KINDS[kind], params, np.array([0.5]), bad)


def test_constant_counting_parameters_compile_to_a_table():
    """table_for, which the compiler calls for constant parameters, hands
    the count table over (and caches it read-only)."""
    spec = DISTRIBUTIONS["RISKPOISSON"]
    t = table_for(spec, [40.0])
    assert t is not None and t.size > HEADER and not t.flags.writeable
    assert table_for(spec, [40.0]) is t


@pytest.mark.parametrize(
    "kind, params, asked",
    [
        ("PERT", [0.0, 0.3, 1.0], True),  # asked once an interval
        ("POISSON", [1e4], True),  # 1,558 counts: asked every 256
        ("POISSON", [4], False),  # 27 counts: never asked
    ],
)
def test_a_table_build_stops_when_its_stop_says_so(kind, params, asked):
    """build_table asks stop() as it goes and gives None when told to stop;
    a stop that says no changes nothing."""
    calls = []

    def stop(answer):
        calls.append(answer)
        return answer

    kept_on = _core.build_table(KINDS[kind], params, stop=lambda: stop(False))
    plain = _core.build_table(KINDS[kind], params)
    assert np.array_equal(kept_on, plain) and plain.size > 0
    assert bool(calls) == asked
    stopped = _core.build_table(KINDS[kind], params, stop=lambda: stop(True))
    assert (stopped is None) == asked


def test_a_stopped_compile_leaves_no_table_cached():
    """table_for under a stop that says yes raises CompileStopped, and the
    next compile of the same parameters builds the table after all."""
    from mcengine.model.errors import STOP, CompileStopped

    spec = DISTRIBUTIONS["RISKPOISSON"]
    token = STOP.set(lambda: True)
    try:
        with pytest.raises(CompileStopped):
            table_for(spec, [12345.0])
    finally:
        STOP.reset(token)
    assert table_for(spec, [12345.0]).size > HEADER
