// stats_tail.cpp: threshold_stats() and discrete_mode() of stats.h.
//
// threshold_stats: one pass over the values for every threshold at once,
// chunk by chunk in parallel; within a chunk, eight lanes of counts and sums
// that the compiler vectorises, the lanes and then the chunks added in a
// fixed order, so every bit is independent of the thread count.
//
// discrete_mode: a small open-addressing table of the distinct values; it
// stops as soon as there are more than max_distinct of them, which for a
// continuous output happens within its first few hundred values, so asking
// costs almost nothing when there is no mode to report.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "stats.h"
#include "stats_detail.h"

namespace mc::stats {
namespace {

using detail::finite;

constexpr std::size_t kLanes = 8;
constexpr double kMax = 1.7976931348623157e308;  // DBL_MAX

struct Partial {
  std::vector<double> lt, le, sum_lt, sum_gt;  // per threshold
  explicit Partial(std::size_t k) : lt(k), le(k), sum_lt(k), sum_gt(k) {}
};

void chunk_thresholds(const double* x, std::size_t n, const double* t, std::size_t k,
                      Partial& out) {
  for (std::size_t j = 0; j < k; ++j) {
    double lt[kLanes] = {}, le[kLanes] = {}, below[kLanes] = {}, above[kLanes] = {};
    const double cut = t[j];
    std::size_t i = 0;
    // Comparisons with NaN are false, so only infinities need excluding:
    // they are the values whose magnitude exceeds DBL_MAX.
    for (; i + kLanes <= n; i += kLanes) {
      for (std::size_t l = 0; l < kLanes; ++l) {
        double v = x[i + l];
        double ok = std::fabs(v) <= kMax ? 1.0 : 0.0;
        double less = v < cut ? ok : 0.0, most = v <= cut ? ok : 0.0;
        double more = v > cut ? ok : 0.0;
        // v clamped to a finite value, so that a weight of 0 on an infinity
        // adds 0, not NaN.
        double finite_v = std::min(kMax, std::max(-kMax, v));  // NaN: -kMax
        lt[l] += less;
        le[l] += most;
        below[l] += less * finite_v;
        above[l] += more * finite_v;
      }
    }
    for (; i < n; ++i) {
      double v = x[i];
      if (!finite(v)) continue;
      lt[0] += v < cut ? 1.0 : 0.0;
      le[0] += v <= cut ? 1.0 : 0.0;
      below[0] += v < cut ? v : 0.0;
      above[0] += v > cut ? v : 0.0;
    }
    for (std::size_t l = 0; l < kLanes; ++l) {
      out.lt[j] += lt[l];
      out.le[j] += le[l];
      out.sum_lt[j] += below[l];
      out.sum_gt[j] += above[l];
    }
  }
}

// Hash of a value's bits (+0.0 and -0.0 are one value: callers add 0.0).
std::uint64_t bits_hash(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  b ^= b >> 33;
  b *= 0xFF51AFD7ED558CCDull;
  b ^= b >> 33;
  return b;
}

}  // namespace

std::vector<ThresholdStats> threshold_stats(const double* x, std::size_t n,
                                            const double* thresholds, std::size_t k,
                                            std::int32_t threads) {
  std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<Partial> parts(chunks, Partial(k));
  detail::parallel_for(chunks, detail::worker_count(chunks, threads),
                       [&](std::size_t c, std::size_t) {
                         std::size_t begin = c * kChunk;
                         chunk_thresholds(x + begin, std::min(kChunk, n - begin),
                                          thresholds, k, parts[c]);
                       });
  std::vector<ThresholdStats> out(k);
  for (const Partial& p : parts) {
    for (std::size_t j = 0; j < k; ++j) {
      out[j].below += static_cast<std::int64_t>(p.lt[j]);
      out[j].at_most += static_cast<std::int64_t>(p.le[j]);
      out[j].sum_below += p.sum_lt[j];
      out[j].sum_above += p.sum_gt[j];
    }
  }
  return out;
}

ModeResult discrete_mode(const double* x, std::size_t n, std::size_t max_distinct) {
  std::size_t size = 16;
  while (size < 2 * (max_distinct + 1)) size *= 2;
  std::vector<double> keys(size);
  std::vector<std::int64_t> counts(size, 0);
  std::size_t distinct = 0;
  ModeResult r;
  for (std::size_t i = 0; i < n; ++i) {
    double v = x[i] + 0.0;
    if (!finite(v)) continue;
    std::size_t slot = bits_hash(v) & (size - 1);
    while (counts[slot] != 0 && keys[slot] != v) slot = (slot + 1) & (size - 1);
    if (counts[slot] == 0) {
      if (++distinct > max_distinct) return r;  // not discrete: no mode
      keys[slot] = v;
    }
    ++counts[slot];
  }
  for (std::size_t s = 0; s < size; ++s) {
    if (counts[s] == 0) continue;
    bool better = counts[s] > r.count || (counts[s] == r.count && keys[s] < r.value);
    if (better) {
      r.value = keys[s];
      r.count = counts[s];
    }
  }
  r.found = r.count > 0;
  r.distinct = static_cast<std::int64_t>(distinct);
  return r;
}

}  // namespace mc::stats
