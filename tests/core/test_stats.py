"""Output statistics of the C++ core: _core.describe and _core.spearman."""

import math

import numpy as np
import pytest
import scipy.stats

from mcengine import _core

PCTS = [0, 0.1, 0.5, 1, 2.5, 5, 7, 10, 14, 25, 28, 33.3, 50, 55, 56]
PCTS += [66.7, 75, 90, 95, 97.5, 99, 99.9, 100]
NUMBERS = ["mean", "std", "min", "max", "skewness", "kurtosis", "sem"]


def same(a, b):
    """Bit-for-bit equality of two floats (NaN equals NaN)."""
    return np.asarray(a, float).tobytes() == np.asarray(b, float).tobytes()


def same_summary(a, b):
    """Bit-for-bit equality of two describe() results."""
    keys = ["valid", "errors", *NUMBERS, "percentiles", "edges"]
    counts_equal = np.array_equal(a["counts"], b["counts"])
    return counts_equal and all(same(a[key], b[key]) for key in keys)


def percentile_tolerance(x, pcts):
    """How far np.percentile may lie from the exact definition.

    NumPy computes the rank h as (n - 1) * (p / 100), two roundings, where we
    compute (n - 1) * p / 100 and snap it to a whole rank within a few ulps;
    the two ranks differ by a few ulps of h, which moves the result by that
    much times the gap between neighbouring order statistics. Each side then
    interpolates with its own formula, within 2 ulps of the values involved.
    """
    s = np.sort(x)
    n = len(s)
    h = (n - 1) * np.asarray(pcts) / 100
    lo = np.floor(h).astype(int)
    below, above = s[np.maximum(lo - 1, 0)], s[np.minimum(lo + 1, n - 1)]
    big = np.maximum.reduce([abs(below), abs(above), abs(s[lo])])
    rank_ulps = 4 * np.spacing(np.maximum(h, 1)) * (above - below)
    return 4 * np.spacing(big) + rank_ulps


@pytest.mark.parametrize("n", [1, 2, 100, 1_000_001])
@pytest.mark.parametrize("ties", [False, True])
def test_percentiles_match_numpy_linear(n, ties):
    """Percentiles equal np.percentile (linear) within the rounding of h."""
    rng = np.random.default_rng(n)
    x = rng.integers(0, 50, n) * 0.5 if ties else rng.normal(size=n)
    ours = np.array(_core.describe(x, PCTS)["percentiles"])
    ref = np.percentile(x, PCTS)
    assert np.all(abs(ours - ref) <= percentile_tolerance(x, PCTS))


def test_percentiles_of_large_array_are_exact_order_statistics():
    """A whole-number rank gives exactly that order statistic, for n > 1e6."""
    x = np.random.default_rng(7).lognormal(size=2_000_001)
    pcts = [1, 5, 50, 95, 99]  # ranks 20000, 100000, ... are whole
    s = np.sort(x)
    expected = [s[2_000_000 * p // 100] for p in pcts]
    assert _core.describe(x, pcts)["percentiles"] == expected


def _tie_below_median(x):
    """x with the values ranked 49.5% to 50% made one value: a tie of 1% of
    them inside the median's bracket, beside ranks that are asked for."""
    order = np.argsort(x)
    n = len(x)
    tie = order[int(0.495 * n) : n // 2]
    x = x.copy()
    x[tie] = x[order[int(0.4975 * n)]]
    return x


ORDERS = {
    "random": lambda x: x,
    "ascending": np.sort,
    "descending": lambda x: np.sort(x)[::-1].copy(),
    "tie below the median": _tie_below_median,
}


@pytest.mark.parametrize("order", ORDERS)
def test_clustered_ranks_are_exact_in_any_order(order):
    """Ranks a few thousand apart (percentiles with their confidence
    bounds) fall in one bracket that is narrowed again before selection
    (2M values: the median's bracket holds about 44,000); each is exactly
    its order statistic, whatever order the values come in."""
    x = ORDERS[order](np.random.default_rng(10).normal(size=2_000_001))
    pcts = [4.9, 5, 5.1, 49.95, 49.99, 50, 50.01, 50.05, 94.9, 95, 95.1]
    s = np.sort(x)
    expected = [s[round(20_000 * p)] for p in pcts]  # h = 20000 p, whole
    assert _core.describe(x, pcts)["percentiles"] == expected


def test_many_percentiles_use_the_full_sweep_exactly():
    """With 101 percentiles of 1e6 values, each equals the definition."""
    x = np.random.default_rng(8).normal(size=1_000_001)
    pcts = list(range(101))  # h = 10000 p, always a whole rank
    s = np.sort(x)
    expected = [s[10_000 * p] for p in pcts]
    assert _core.describe(x, pcts)["percentiles"] == expected


def test_percentiles_inside_a_large_tie_are_that_value():
    """A payoff that is 0 in 60% of 1e6 iterations has low percentiles 0."""
    x = np.maximum(0.0, np.random.default_rng(9).normal(-0.25, size=10**6))
    pcts = [1, 5, 50, 59, 75, 95, 99]
    ours = np.array(_core.describe(x, pcts)["percentiles"])
    assert list(ours[:3]) == [0.0, 0.0, 0.0]
    tolerance = percentile_tolerance(x, pcts)
    assert np.all(abs(ours - np.percentile(x, pcts)) <= tolerance)


@pytest.mark.parametrize("p", [0, 7, 14, 28, 55, 56, 100])
def test_percentiles_of_0_to_99_follow_the_definition(p):
    """On 0..99, percentile p is x[lo] + (h - lo)(x[lo+1] - x[lo]) exactly."""
    x = np.random.default_rng(p).permutation(100).astype(float)
    h = 99 * p / 100
    lo = math.floor(h)
    expected = lo + (h - lo) * 1.0 if lo < 99 else 99.0
    assert _core.describe(x, [p])["percentiles"] == [expected]


def test_percentile_ends_are_min_and_max():
    """Percentile 0 of 0..99 is 0 and percentile 100 is 99."""
    x = np.arange(100, dtype=float)[::-1].copy()
    assert _core.describe(x, [0, 100])["percentiles"] == [0.0, 99.0]


def test_percentile_seven_of_a_hundred_interpolates_at_6_93():
    """p = 7 over 100 values lands at rank 6.93, between x[6] and x[7]."""
    x = np.arange(100, dtype=float) ** 2
    h = 6.93
    expected = 36.0 + (h - 6) * (49.0 - 36.0)
    assert _core.describe(x, [7])["percentiles"] == [expected]


def test_nan_and_infinity_are_counted_as_errors_and_excluded():
    """Errors (any NaN payload, or +-inf) are counted and left out."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=10_000)
    bad = rng.choice(x.size, 700, replace=False)
    error_div0 = np.array([0x7FF8000000000002], dtype=np.uint64).view(float)
    x[bad[:300]] = np.nan
    x[bad[300:600]] = error_div0[0]
    x[bad[600:650]] = np.inf
    x[bad[650:]] = -np.inf
    clean = x[np.isfinite(x)]
    got = _core.describe(x, PCTS, bins=20)
    assert (got["valid"], got["errors"]) == (9_300, 700)
    assert same_summary({**got, "errors": 0}, _core.describe(clean, PCTS, 20))


def test_in_place_moves_errors_behind_the_values_in_order():
    """in_place=True leaves the finite values first, in their order."""
    x = np.array([3.0, np.nan, 1.0, np.inf, 2.0])
    _core.describe(x, [], in_place=True)
    assert list(x[:3]) == [3.0, 1.0, 2.0]
    assert not np.isfinite(x[3:]).any()


def test_in_place_and_copy_give_identical_results():
    """The default leaves the array alone; in_place changes no result bit."""
    x = np.random.default_rng(4).gamma(2.0, size=700_001)
    x[::1000] = np.nan
    before = x.copy()
    copy_result = _core.describe(x, PCTS, bins=30)
    assert same(x, before)
    in_place_result = _core.describe(x, PCTS, 30, in_place=True)
    assert same_summary(in_place_result, copy_result)


@pytest.mark.parametrize("values", [[], [np.nan, np.inf, -np.inf]])
def test_no_valid_values_give_nan_statistics(values):
    """With no valid values every statistic is NaN and valid is 0."""
    got = _core.describe(np.array(values, dtype=float), [5, 50])
    assert (got["valid"], got["errors"]) == (0, len(values))
    assert all(math.isnan(got[key]) for key in NUMBERS)
    assert all(math.isnan(p) for p in got["percentiles"])
    assert got["edges"].size == 0 and got["counts"].size == 0


def test_moments_match_numpy_and_scipy():
    """mean, std, skewness, kurtosis and sem agree with numpy and scipy."""
    # Tolerance, relative 1e-12: both sides sum 1e6 float64 terms with
    # bounded-growth summation (numpy pairwise; ours in 8 lanes per block of
    # 512, blocks per chunk of 65536, chunks merged as a balanced tree), so
    # each side's relative error stays near 1e-14 for these one-signed,
    # moderately skewed values. The mean is held to an exact sum (fsum).
    x = np.random.default_rng(5).lognormal(0.0, 0.5, size=1_000_003)
    got = _core.describe(x, [])
    n = x.size
    assert got["mean"] == pytest.approx(math.fsum(x) / n, rel=1e-15)
    assert got["std"] == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert got["skewness"] == pytest.approx(scipy.stats.skew(x), rel=1e-12)
    kurt = scipy.stats.kurtosis(x, fisher=False)
    assert got["kurtosis"] == pytest.approx(kurt, rel=1e-12)
    assert got["sem"] == pytest.approx(x.std(ddof=1) / math.sqrt(n), rel=1e-12)
    assert (got["min"], got["max"]) == (x.min(), x.max())


def test_normal_kurtosis_is_three():
    """Kurtosis follows @RISK's convention: about 3 for a normal sample."""
    # Tolerance: 4 standard errors of a normal sample's kurtosis, sqrt(24/n).
    x = np.random.default_rng(6).normal(size=400_000)
    got = _core.describe(x, [])
    four_se = 4 * math.sqrt(24 / x.size)
    assert got["kurtosis"] == pytest.approx(3.0, abs=four_se)


def test_mean_of_twenty_million_copies_is_exact():
    """The mean of 20,000,000 copies of 0.1 is exactly 0.1, std exactly 0."""
    got = _core.describe(np.full(20_000_000, 0.1), [50])
    assert (got["mean"], got["std"], got["percentiles"]) == (0.1, 0.0, [0.1])
    assert math.isnan(got["skewness"]) and math.isnan(got["kurtosis"])


def test_std_of_one_value_is_nan():
    """A single valid value has a mean but no sample standard deviation."""
    got = _core.describe(np.array([2.5, np.nan]), [50])
    assert (got["mean"], got["percentiles"]) == (2.5, [2.5])
    assert math.isnan(got["std"]) and math.isnan(got["sem"])


def test_results_are_identical_for_any_thread_count():
    """threads = 1, 2, 3 give the same result, bit for bit."""
    x = np.random.default_rng(9).standard_t(5, size=3_000_017)
    x[::997] = np.nan
    results = [_core.describe(x, PCTS, 40, threads=t) for t in (1, 2, 3)]
    assert same_summary(results[0], results[1])
    assert same_summary(results[0], results[2])


@pytest.mark.parametrize(
    ("n", "pcts"),
    [(500_000, []), (1_200_000, [1, 50, 99])],
    ids=["own-pass", "counted-in-the-percentiles-pass"],
)
def test_histogram_counts_every_valid_value_within_its_edges(n, pcts):
    """Counts sum to valid, edges span min..max, and match np.histogram,
    whether counted in a pass of its own or chunk by chunk inside the
    percentiles' pass (large arrays, percentiles asked for)."""
    x = np.random.default_rng(10).exponential(size=n)
    x[:10] = np.nan
    got = _core.describe(x, pcts, bins=37, threads=2)
    edges, counts = got["edges"], got["counts"]
    assert len(edges) == 38 and counts.dtype == np.int64
    assert (edges[0], edges[-1]) == (got["min"], got["max"])
    assert np.all(np.diff(edges) > 0)
    assert counts.sum() == got["valid"]
    valid = x[np.isfinite(x)]
    assert np.array_equal(counts, np.histogram(valid, bins=edges)[0])


@pytest.mark.parametrize(
    ("offset", "width", "bins"),
    [(0.0, 1.0, 50), (1e6, 1.0, 64), (-3e9, 7.5, 1000), (0.0, 1e-300, 7)],
    ids=["unit", "far-from-zero", "many-bins", "tiny-range"],
)
def test_histogram_is_exact_at_and_beside_every_edge(offset, width, bins):
    """Values on each edge and one ulp to either side land in the bins
    np.histogram gives them: the guessed bin is trusted only away from the
    edges (its rounding grows with bins and with the values' magnitude)."""
    ends = np.array([offset, offset + width])
    first = _core.describe(ends, [], bins=bins)["edges"]
    x = np.concatenate(
        [ends, first, np.nextafter(first, -np.inf), np.nextafter(first, np.inf)]
    )
    x = x[(x >= ends[0]) & (x <= ends[1])]
    x = np.concatenate([x, np.random.default_rng(3).uniform(*ends, 100_000)])
    got = _core.describe(x, [], bins=bins)
    assert np.array_equal(got["edges"], first)
    assert np.array_equal(got["counts"], np.histogram(x, bins=first)[0])


def test_histogram_of_constant_data_is_one_bin():
    """Equal values give one bin holding them all."""
    got = _core.describe(np.full(1000, -4.25), [], bins=50)
    assert list(got["edges"]) == [-4.25, -4.25]
    assert list(got["counts"]) == [1000]


def test_histogram_of_extreme_range_does_not_overflow():
    """A range wider than the largest double still gives finite edges."""
    x = np.array([-1e308, 0.0, 1e308])
    got = _core.describe(x, [50], bins=4)
    assert np.all(np.isfinite(got["edges"])) and got["counts"].sum() == 3
    assert got["percentiles"] == [0.0]


def spearman_reference(x, y):
    """scipy's Spearman correlation over the rows where both are valid."""
    keep = np.isfinite(x) & np.isfinite(y)
    return scipy.stats.spearmanr(x[keep], y[keep]).statistic


def test_spearman_matches_scipy():
    """Correlations equal scipy.stats.spearmanr to 1e-12."""
    # Tolerance: ours is exact up to one final division and square root;
    # scipy's Pearson of float ranks rounds at about 1e-16 per term.
    rng = np.random.default_rng(11)
    inputs = rng.normal(size=(6, 5000))
    noise = rng.normal(size=5000)
    output = inputs[0] + 0.5 * inputs[1] ** 3 - inputs[2] + noise
    got = _core.spearman(inputs, output)
    expected = [spearman_reference(row, output) for row in inputs]
    assert got == pytest.approx(expected, abs=1e-12)


def test_spearman_gives_ties_their_average_rank():
    """Tied values take midranks, as scipy does (1e-12)."""
    rng = np.random.default_rng(12)
    inputs = np.round(rng.normal(size=(4, 3000)), 1)
    output = np.round(inputs[0] + rng.normal(size=3000), 0)
    got = _core.spearman(inputs, output)
    expected = [spearman_reference(row, output) for row in inputs]
    assert got == pytest.approx(expected, abs=1e-12)


def test_spearman_orders_values_that_differ_only_in_their_low_bits():
    """Ranking sorts by the top 32 bits of each value first: values equal
    there (1000 plus multiples of 1e-10) and signed zeros with real ties
    among them must still rank as scipy ranks them (1e-12)."""
    rng = np.random.default_rng(21)
    close = 1000.0 + rng.integers(0, 50, size=4000) * 1e-10
    zeros = rng.choice([0.0, -0.0, 1e-300, -1e-300], size=4000)
    inputs = np.stack([close, zeros])
    output = close * 1e9 + rng.normal(size=4000)
    got = _core.spearman(inputs, output)
    expected = [spearman_reference(row, output) for row in inputs]
    assert got == pytest.approx(expected, abs=1e-12)


def test_spearman_excludes_rows_with_errors_pairwise():
    """Rows where the output or that input is NaN are left out (1e-12)."""
    rng = np.random.default_rng(13)
    inputs = rng.normal(size=(3, 4000))
    output = inputs.sum(axis=0)
    output[::17] = np.nan
    inputs[1, ::5] = np.nan
    got = _core.spearman(inputs, output)
    expected = [spearman_reference(row, output) for row in inputs]
    assert got == pytest.approx(expected, abs=1e-12)


def test_spearman_of_constant_input_or_output_is_nan():
    """A constant side has no ranks to correlate: NaN, not 0."""
    rng = np.random.default_rng(14)
    inputs = np.vstack([rng.normal(size=100), np.full(100, 3.0)])
    got = _core.spearman(inputs, rng.normal(size=100))
    assert not math.isnan(got[0]) and math.isnan(got[1])
    assert np.isnan(_core.spearman(inputs, np.ones(100))).all()


def test_spearman_of_monotone_transform_is_exactly_one():
    """y = exp(5x) gives exactly 1.0 and y = -x exactly -1.0."""
    x = np.random.default_rng(15).uniform(size=100_000)
    got = _core.spearman(np.vstack([x, -x]), np.exp(5 * x))
    assert list(got) == [1.0, -1.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percentiles": [50, 101]}, "percentile 101.0 is outside"),
        ({"percentiles": [-0.5]}, "percentile -0.5 is outside"),
        ({"percentiles": [float("nan")]}, "percentile nan is outside"),
        ({"bins": 0}, "bins must be in"),
        ({"threads": -1}, "threads must be >= 0"),
    ],
)
def test_describe_refuses_bad_arguments(kwargs, message):
    """Bad percentiles, bins or threads raise ValueError naming the value."""
    args = {"percentiles": [50], **kwargs}
    with pytest.raises(ValueError, match=message):
        _core.describe(np.ones(10), **args)


@pytest.mark.parametrize(
    "values",
    [
        np.ones(10, dtype=np.float32),
        np.ones((2, 5)),
        np.ones(20)[::2],
        np.ones(10).astype(">f8"),
    ],
)
def test_describe_in_place_refuses_arrays_it_cannot_reorder(values):
    """in_place=True needs a writable C-contiguous native float64 vector."""
    with pytest.raises(ValueError):
        _core.describe(values, [50], in_place=True)


def test_describe_in_place_refuses_read_only_array():
    """A read-only array is refused rather than written to."""
    x = np.ones(10)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        _core.describe(x, [50], in_place=True)
    assert _core.describe(x, [50])["percentiles"] == [1.0]


def test_spearman_refuses_mismatched_shapes():
    """inputs (k, m) and output (m) must agree on m, and be float64."""
    with pytest.raises(ValueError, match="output has 9 values"):
        _core.spearman(np.ones((2, 10)), np.ones(9))
    with pytest.raises(ValueError, match="float64"):
        _core.spearman(np.ones((2, 10), dtype=np.int64), np.ones(10))
    with pytest.raises(ValueError, match="dimension"):
        _core.spearman(np.ones(10), np.ones(10))


@pytest.mark.parametrize("power", [-1000, -600, 600, 1000])
def test_moments_hold_at_the_ends_of_the_double_range(power):
    """Values near 1e-300 or 1e300 give the moments of the same values at
    unit scale times 2**power, exactly: fourth powers would under- or
    overflow, so they are summed scaled by a power of two."""
    x = np.random.default_rng(5).normal(size=10_000)
    unit = _core.describe(x, [50])
    big = _core.describe(np.ldexp(x, power), [50])
    for name in ("mean", "std", "min", "max"):
        assert big[name] == math.ldexp(unit[name], power)
    assert big["skewness"] == unit["skewness"]
    assert big["kurtosis"] == unit["kurtosis"]


def test_spearman_of_many_outputs_equals_one_at_a_time():
    """Ranking each input once for several outputs changes no bit, with
    and without errors in an output or an input."""
    rng = np.random.default_rng(8)
    inputs = rng.normal(size=(5, 3_000))
    inputs[3, 17] = np.nan
    outputs = np.vstack([inputs[0] * 2 + inputs[1], rng.normal(size=3_000)])
    outputs[1, 5] = np.nan
    together = _core.spearman(inputs, outputs)
    assert together.shape == (2, 5)
    for j in range(2):
        alone = _core.spearman(inputs, np.ascontiguousarray(outputs[j]))
        assert np.array_equal(together[j], alone, equal_nan=True)


def test_spearman_with_more_pairs_than_rows_and_many_threads():
    """3 inputs x 3 outputs (9 pairs, 6 rows) on 8 threads, every input
    and output with an error, so each pair takes the per-pair path and
    its worker's scratch: equal to scipy over the shared valid rows
    (1e-12, as in test_spearman_matches_scipy)."""
    rng = np.random.default_rng(22)
    inputs = rng.normal(size=(3, 2_000))
    outputs = np.vstack(
        [inputs.sum(axis=0), inputs[0] - inputs[2], inputs[1] ** 3]
    )
    inputs[:, 7] = np.nan
    outputs[:, 11] = np.nan
    got = _core.spearman(inputs, outputs, threads=8)
    for j in range(3):
        expected = [spearman_reference(row, outputs[j]) for row in inputs]
        assert got[j] == pytest.approx(expected, abs=1e-12)


def test_moments_of_subnormal_values_are_finite():
    """Values below the smallest normal double (about 2.2e-308) still give
    their mean and a zero spread, not NaN."""
    tiny = np.full(1_000, 3.5e-309)
    d = _core.describe(tiny, [50])
    assert d["mean"] == 3.5e-309 and d["std"] == 0.0
    assert d["percentiles"] == [3.5e-309]
