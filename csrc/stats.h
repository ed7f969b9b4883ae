// stats.h: statistics of simulated outputs (host only; not a kernel header).
//
// Exports mc::stats::Summary, describe(), describe_readonly() (stats.cpp, the
// percentiles in stats_percentiles.cpp), spearman() (stats_spearman.cpp),
// threshold_stats() and discrete_mode() (stats_tail.cpp).
// An iteration is valid when its value is finite: NaN stands for an Excel
// error, and an infinity is counted as an error too, since Excel has no
// infinities (an overflow there is #NUM!). Every statistic is computed over
// the valid values only.
//
// Guarantees: results are bit-identical for any thread count (threads only
// decide who computes which fixed-size chunk; partials are merged in chunk
// order), and percentiles are exact order statistics, not estimates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mc::stats {

// Values per chunk of the moment and histogram passes. Fixed, so that the
// summation order, and hence every bit of the result, is independent of the
// number of threads.
constexpr std::size_t kChunk = 65536;

// Upper bound on histogram bins (each thread keeps its own counts); callers
// validate against it.
constexpr std::int32_t kMaxBins = 65536;

struct Summary {
  std::int64_t valid = 0, errors = 0;
  double mean, std, min, max, skewness, kurtosis, sem;
  std::vector<double> percentiles;   // in the order requested
  std::vector<double> edges;         // bins + 1 values; empty when valid == 0
  std::vector<std::int64_t> counts;  // bins values; empty when valid == 0
};

// Describes the finite values of values[0, n), which it may reorder (errors
// are moved behind the finite values, whose order is kept; selection may then
// permute the finite ones):
// - mean; std (sample, n - 1; NaN below 2 values); sem = std / sqrt(valid);
// - skewness m3 / m2^1.5 and kurtosis m4 / m2^2 from population central
//   moments (a normal gives 0 and 3); NaN when the values are all equal;
// - pcts[0, k) percentiles, each in [0, 100] (NaN for any other), as Excel's
//   PERCENTILE.INC: h = (valid - 1) p / 100, x[lo] + (h - lo)(x[lo+1] - x[lo]);
// - a histogram of `bins` (>= 1) equal-width bins from min to max, each bin
//   [edges[i], edges[i+1]) and the last one closed; one bin when min == max.
// With no valid values every statistic is NaN. threads <= 0: all cores.
Summary describe(double* values, std::size_t n, const double* pcts, std::size_t k,
                 std::int32_t bins, std::int32_t threads);

// describe() without touching values: bit-identical results, from the array
// itself where possible; a private copy is made only of an array holding
// errors, or for a selection that cannot work from the array (see
// stats_percentiles.cpp).
Summary describe_readonly(const double* values, std::size_t n, const double* pcts,
                          std::size_t k, std::int32_t bins, std::int32_t threads);

// Spearman rank correlation of each of the k rows of inputs (row-major, k x m)
// with each of the o rows of outputs (o x m): midranks for ties, then
// Pearson's correlation of the ranks, over the iterations where both values
// are finite. NaN when either side is constant there or fewer than two
// iterations remain. The result is o x k, row-major.
std::vector<double> spearman(const double* inputs, std::size_t k, std::size_t m,
                             const double* outputs, std::size_t o,
                             std::int32_t threads);

// spearman(), and with bins > 0 also what a tornado and a spider chart and a
// rank regression need: rho (o x k, as spearman()), inputs (k x k, the
// inputs' rank correlations with one another, 1 on the diagonal of a
// non-constant input) and bin_means (o x k x bins: the output's mean within
// each of `bins` equal-count bins of the input, by the input's ranks).
// Without `pairs`, inputs is left empty: its k^2 m / 2 products are what
// grows fastest with the number of inputs.
struct Sensitivity {
  std::vector<double> rho, inputs, bin_means;
};
Sensitivity sensitivity(const double* inputs, std::size_t k, std::size_t m,
                        const double* outputs, std::size_t o, std::int32_t threads,
                        std::size_t bins, bool pairs = true);

// Per threshold t, over the finite values: how many are below t and how many
// at most t, and the sums of those below and of those above it (the tail
// means behind CVaR). Bit-identical for any thread count.
struct ThresholdStats {
  std::int64_t below = 0, at_most = 0;
  double sum_below = 0.0, sum_above = 0.0;
};
std::vector<ThresholdStats> threshold_stats(const double* x, std::size_t n,
                                            const double* thresholds, std::size_t k,
                                            std::int32_t threads);

// The most frequent finite value (the smallest of those tied), when the
// finite values take at most max_distinct distinct values; found is false
// otherwise (or when there are none). -0.0 counts as 0.0.
struct ModeResult {
  bool found = false;
  double value = 0.0;
  std::int64_t count = 0, distinct = 0;
};
ModeResult discrete_mode(const double* x, std::size_t n, std::size_t max_distinct);

}  // namespace mc::stats
