// stats_percentiles.h: exact percentiles of an output's valid values (host
// only, private to the statistics; describe() in stats.h is the public entry).
//
// Exports (namespace mc::stats::detail):
//   percentiles(v, pcts, k, lo, hi, threads, visit, visited)
//   ChunkVisit                 another pass to run on each chunk as it is read
//
// The percentiles are exact order statistics, interpolated as Excel's
// PERCENTILE.INC, and bit-identical for any thread count; how they are found
// (narrowing by a sample, then selection) is described in
// stats_percentiles.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "stats_detail.h"

namespace mc::stats::detail {

// Percentiles pcts[0, k) of the v.n > 0 finite values v.x, whose minimum and
// maximum are lo and hi: for p in [0, 100], h = (n - 1) p / 100 and
// x[lo] + (h - lo)(x[lo+1] - x[lo]) over the sorted values; NaN for any other
// p. v.writable, when not null, may be reordered; else the values are only
// read (a copy is made where selection has to work on the whole array).
//
// visit, when not empty, is called as visit(x, len, worker) on every chunk of
// v.x (kChunk values, the last one shorter) just before the pass that reads
// the chunk for the percentiles, so that a caller's own pass over the values
// reads them from cache; chunks arrive in any order, and worker is below
// worker_count(chunks, threads). visited is set to whether it did so; when
// not (small arrays, or percentiles found without a pass), the caller makes
// its own pass.
using ChunkVisit = std::function<void(const double*, std::size_t, std::size_t)>;

std::vector<double> percentiles(const Finite& v, const double* pcts, std::size_t k,
                                double lo, double hi, std::int32_t threads,
                                const ChunkVisit& visit, bool& visited);

}  // namespace mc::stats::detail
