// stats_percentiles.h: exact percentiles of an output's valid values (host
// only, private to the statistics; describe() in stats.h is the public entry).
//
// Exports (namespace mc::stats::detail):
//   percentiles(v, pcts, k, lo, hi, threads)
//
// The percentiles are exact order statistics, interpolated as Excel's
// PERCENTILE.INC, and bit-identical for any thread count; how they are found
// (narrowing by a sample, then selection) is described in
// stats_percentiles.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stats_detail.h"

namespace mc::stats::detail {

// Percentiles pcts[0, k) of the v.n > 0 finite values v.x, whose minimum and
// maximum are lo and hi: for p in [0, 100], h = (n - 1) p / 100 and
// x[lo] + (h - lo)(x[lo+1] - x[lo]) over the sorted values; NaN for any other
// p. v.writable, when not null, may be reordered; else the values are only
// read (a copy is made where selection has to work on the whole array).
std::vector<double> percentiles(const Finite& v, const double* pcts, std::size_t k,
                                double lo, double hi, std::int32_t threads);

}  // namespace mc::stats::detail
