// stats_detail.h: what stats.cpp, stats_percentiles.cpp and stats_spearman.cpp
// share (host only, and private to them; the public header is stats.h).
//
// Exports (namespace mc::stats::detail):
//   kNaN, kBlock, finite(x)        the missing value, the block length of the
//                                  vectorised loops, the test of a valid value
//   worker_count(items, threads)   how many threads a pass uses
//   parallel_for(count, workers, body)
//                                  body(item, worker) for every item, on a
//                                  pool of threads started for the call
//   Finite                         the valid values of an output and where
//                                  they may be reordered
//
// Everything here is inline, so that each file's passes still inline these
// helpers into their loops, as they did when the three files were one.
#pragma once

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace mc::stats::detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxThreads = 256;
constexpr std::size_t kBlock = 512;  // values per block of lane sums

inline bool finite(double x) { return std::fabs(x) <= DBL_MAX; }

// The number of workers for `items` work items when `threads` are asked for.
inline std::size_t worker_count(std::size_t items, std::int32_t threads) {
  std::size_t want = threads > 0 ? static_cast<std::size_t>(threads)
                                 : std::thread::hardware_concurrency();
  return std::max<std::size_t>(1, std::min({want, items, kMaxThreads}));
}

// Runs body(item, worker) for every item in [0, count) on `workers` threads,
// the caller's included. Which worker takes which item varies from run to run,
// so bodies write only to their item's slot or their worker's scratch.
template <class Body>
void parallel_for(std::size_t count, std::size_t workers, const Body& body) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_lock;
  auto run = [&](std::size_t worker) {
    try {
      for (std::size_t i = next++; i < count; i = next++) body(i, worker);
    } catch (...) {
      std::lock_guard<std::mutex> hold(failure_lock);
      failure = std::current_exception();
      next = count;
    }
  };
  std::vector<std::thread> pool;
  try {
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  } catch (const std::system_error&) {
    // Fewer threads than asked for: the ones running share all the items.
  }
  run(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// The finite values of an output, x[0, n) in their original order, and where
// they may be reordered (null: nowhere, so selection must copy them first).
struct Finite {
  const double* x;
  std::size_t n;
  double* writable;
};

}  // namespace mc::stats::detail
