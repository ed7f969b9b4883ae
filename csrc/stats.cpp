// stats.cpp: describe() and describe_readonly() of stats.h, the summary of one
// output.
//
// describe() reads an output in a few passes, each over fixed chunks shared by
// the threads: moments (two passes per chunk, the second from cache; the first
// also notices errors, and only then are they set apart and the moments
// taken again), then the percentiles' pass (stats_percentiles.cpp), which
// counts the histogram on each chunk just before it reads it (from cache).
// Nothing is written to the array unless it holds errors or selection has to
// fall back to the whole array (small arrays, rare misses); in_place decides
// whether that writing reorders the caller's array or a private copy.
//
// Known limit: each worker keeps its own histogram counts, so that pass holds
// up to workers x bins counters (256 x kMaxBins x 8 bytes = 128 MiB at most).
#include "stats.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "stats_detail.h"
#include "stats_percentiles.h"

namespace mc::stats {
namespace {

using detail::finite;
using detail::Finite;
using detail::kBlock;
using detail::kNaN;
using detail::parallel_for;
using detail::worker_count;

constexpr std::size_t kLanes = 8;  // independent sums, so the loops vectorise
#define MC_STATS_INLINE inline __attribute__((always_inline))

// The index of the first non-finite value of v[0, n), or n; vectorised.
std::size_t first_error(const double* v, std::size_t n) {
  for (std::size_t b = 0; b < n; b += kBlock) {
    std::size_t end = std::min(n, b + kBlock), bad = 0;
    for (std::size_t i = b; i < end; ++i) bad += !finite(v[i]);
    if (!bad) continue;
    while (finite(v[b])) ++b;
    return b;
  }
  return n;
}

// The finite values of values[0, n), in their order, and where they may be
// reordered (null: nowhere). Without errors that is the array itself; with
// them, `in_place` compacted (errors moved behind) or else a copy in `own`.
Finite finite_values(const double* values, double* in_place, std::size_t n,
                     std::unique_ptr<double[]>& own) {
  std::size_t w = first_error(values, n);
  if (w == n) return {values, n, in_place};
  if (in_place) {
    for (std::size_t i = w; i < n; ++i) {
      if (finite(in_place[i])) std::swap(in_place[w++], in_place[i]);
    }
    return {in_place, w, in_place};
  }
  own.reset(new double[n]);  // uninitialised: every slot used is written first
  double* out = own.get();
  std::copy(values, values + w, out);
  for (std::size_t i = w; i < n; ++i) {
    out[w] = values[i];
    w += finite(values[i]);
  }
  return {out, w, out};
}

// Count, mean, central sums of powers 2 to 4, and range of some values.
struct Moments {
  double n = 0, mean = 0, m2 = 0, m3 = 0, m4 = 0, min = 0, max = 0;
  bool finite = true;  // false: some value was NaN or infinite, the rest is void
};

// Eight lanes of sums, as two vectors of four doubles (a GCC and Clang
// extension): every machine adds in the same order, so results agree bit for
// bit, and AVX2 holds each vector in one register. (One vector of eight was
// left in memory by GCC 12 on AVX2, with the lanes moved one by one.)
using Quad = double __attribute__((vector_size(4 * sizeof(double))));
struct Lanes {
  Quad a, b;
};

MC_STATS_INLINE Lanes load_lanes(const double* x, double scale) {
  Lanes v;
  std::memcpy(&v.a, x, sizeof v.a);
  std::memcpy(&v.b, x + 4, sizeof v.b);
  v.a *= scale;
  v.b *= scale;
  return v;
}

// Lane j of the sums: lanes 0-3 in a, 4-7 in b.
double lane(const Lanes& v, std::size_t j) { return j < 4 ? v.a[j] : v.b[j - 4]; }

// Sum, min and max of x[0, n) * scale, n > 0, and whether all are finite (the
// sum of v - v, NaN once any v is not). The scale is a power of two (so
// scaling is exact), 1 except for values near the ends of the double range.
void sum_range(const double* x, std::size_t n, double scale, Moments& out) {
  const Quad first = Quad{} + x[0] * scale;
  Lanes s{}, bad{}, lo{first, first}, hi{first, first};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Lanes v = load_lanes(x + i, scale);
    s.a += v.a;
    s.b += v.b;
    bad.a += v.a - v.a;
    bad.b += v.b - v.b;
    lo.a = v.a < lo.a ? v.a : lo.a;
    lo.b = v.b < lo.b ? v.b : lo.b;
    hi.a = hi.a < v.a ? v.a : hi.a;
    hi.b = hi.b < v.b ? v.b : hi.b;
  }
  double total = 0, flags = 0, least = lo.a[0], most = hi.a[0];
  for (; i < n; ++i) {
    double v = x[i] * scale;
    total += v;
    flags += v - v;
    least = std::min(least, v);
    most = std::max(most, v);
  }
  for (std::size_t j = 0; j < kLanes; ++j) {
    total += lane(s, j);
    flags += lane(bad, j);
    least = std::min(least, lane(lo, j));
    most = std::max(most, lane(hi, j));
  }
  out.finite = flags == 0.0;
  out.mean = total;
  out.min = least;
  out.max = most;
}

// Adds the sums of d, d^2, d^3, d^4 over x[0, n), d = x scale - c, to
// sums[0, 4).
void add_powers(const double* x, std::size_t n, double scale, double c, double* sums) {
  Lanes s1{}, s2{}, s3{}, s4{};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Lanes d = load_lanes(x + i, scale);
    d.a -= c;
    d.b -= c;
    Quad a2 = d.a * d.a, b2 = d.b * d.b;
    s1.a += d.a;
    s1.b += d.b;
    s2.a += a2;
    s2.b += b2;
    s3.a += a2 * d.a;
    s3.b += b2 * d.b;
    s4.a += a2 * a2;
    s4.b += b2 * b2;
  }
  double block[4] = {};
  for (; i < n; ++i) {
    double d = x[i] * scale - c, d2 = d * d;
    block[0] += d;
    block[1] += d2;
    block[2] += d2 * d;
    block[3] += d2 * d2;
  }
  for (std::size_t j = 0; j < kLanes; ++j) {
    block[0] += lane(s1, j);
    block[1] += lane(s2, j);
    block[2] += lane(s3, j);
    block[3] += lane(s4, j);
  }
  for (std::size_t p = 0; p < 4; ++p) sums[p] += block[p];
}

// Moments of one chunk, two passes: a provisional mean c, then sums of powers
// of x - c in blocks (rounding error grows with the block and lane lengths,
// not with n), shifted to the exact mean. A constant chunk gives its value.
Moments chunk_moments(const double* x, std::size_t n, double scale) {
  Moments m;
  sum_range(x, n, scale, m);
  m.n = static_cast<double>(n);
  if (!m.finite) return m;
  double c = m.mean / m.n, s[4] = {};
  for (std::size_t b = 0; b < n; b += kBlock) {
    add_powers(x + b, std::min(kBlock, n - b), scale, c, s);
  }
  double e = s[0] / m.n;
  m.mean = c + e;
  m.m2 = std::max(0.0, s[1] - s[0] * e);
  m.m3 = s[2] - 3 * e * s[1] + 2 * m.n * e * e * e;
  double m4 = s[3] - 4 * e * s[2] + 6 * e * e * s[1] - 3 * m.n * e * e * e * e;
  m.m4 = std::max(0.0, m4);
  return m;
}

// Moments of the concatenation of a and b (Chan et al., Pebay's higher terms).
Moments merge(const Moments& a, const Moments& b) {
  double n = a.n + b.n, d = b.mean - a.mean, dn = d / n, ab = a.n * b.n;
  Moments r;
  r.n = n;
  r.mean = a.mean + dn * b.n;
  r.m2 = a.m2 + b.m2 + d * dn * ab;
  r.m3 =
      a.m3 + b.m3 + d * dn * dn * ab * (a.n - b.n) + 3 * dn * (a.n * b.m2 - b.n * a.m2);
  r.m4 = a.m4 + b.m4 + d * dn * dn * dn * ab * (a.n * a.n - ab + b.n * b.n) +
         6 * dn * dn * (a.n * a.n * b.m2 + b.n * b.n * a.m2) +
         4 * dn * (a.n * b.m3 - b.n * a.m3);
  r.min = std::min(a.min, b.min);
  r.max = std::max(a.max, b.max);
  r.finite = a.finite && b.finite;
  return r;
}

// Merges parts[lo, hi) as a balanced tree of neighbours: chunk order is kept,
// and the rounding error grows with log2 of the number of chunks.
Moments merge_range(const std::vector<Moments>& parts, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return parts[lo];
  std::size_t mid = lo + (hi - lo) / 2;
  return merge(merge_range(parts, lo, mid), merge_range(parts, mid, hi));
}

Moments scaled_moments(const double* x, std::size_t n, double scale,
                       std::int32_t threads) {
  std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<Moments> parts(chunks);
  parallel_for(chunks, worker_count(chunks, threads), [&](std::size_t c, std::size_t) {
    std::size_t begin = c * kChunk;
    parts[c] = chunk_moments(x + begin, std::min(kChunk, n - begin), scale);
  });
  return merge_range(parts, 0, chunks);
}

// Fourth powers of deviations overflow beyond about 2^255 and underflow below
// about 2^-255, so values of such magnitude are summed scaled by a power of two
// (exact), and the moments reported in the values' own units.
constexpr double kSafeHigh = 0x1p200, kSafeLow = 0x1p-200;

// Moments of x[0, n) and the scale (a power of two) they are expressed in.
Moments moments(const double* x, std::size_t n, std::int32_t threads, double& scale) {
  scale = 1.0;
  Moments m = scaled_moments(x, n, scale, threads);
  if (!m.finite) return m;
  double size = std::max(std::fabs(m.min), std::fabs(m.max));
  if (size == 0.0 || (size < kSafeHigh && size > kSafeLow)) return m;
  // Clamped so the scale itself stays a normal double (subnormal outputs).
  scale = std::ldexp(1.0, std::clamp(-std::ilogb(size), -1022, 1022));
  Moments scaled = scaled_moments(x, n, scale, threads);
  scaled.min = m.min;
  scaled.max = m.max;
  return scaled;
}

// Equal-width edges from lo to hi, computed on halves so that hi - lo cannot
// overflow; nondecreasing, with the ends exact.
std::vector<double> bin_edges(double lo, double hi, std::int32_t bins) {
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  double half_step = (hi * 0.5 - lo * 0.5) / bins;
  for (std::int32_t i = 0; i < bins; ++i) {
    edges[i] = std::min(hi, lo + 2.0 * (i * half_step));
  }
  edges[bins] = hi;
  return edges;
}

// How a value finds its bin: a guess g = (v / 2 - lo / 2) per_half, whose
// whole part is the bin unless v lies within rounding of an edge. g is off by
// at most a few ulps of bins (the halving and the subtraction of exact values
// are exact or rounded once), and an edge lo + 2 (i half_step) by a few ulps
// of max(|lo|, |hi|), so a guess whose fraction keeps the tolerance from both
// ends is the bin; the few others are checked against the edges. Counts go
// to kCountLanes interleaved counters per bin, lane i % kCountLanes, so that runs of
// values in one bin do not wait on each other's increments.
constexpr std::size_t kCountLanes = 4;

// The fraction of a bin within which a guess is checked (2: every guess).
double guess_tolerance(double lo, double hi, std::size_t bins) {
  double width = (hi * 0.5 - lo * 0.5) / static_cast<double>(bins);
  double size = std::max(std::fabs(lo), std::fabs(hi));
  double tol = 16 * DBL_EPSILON * (static_cast<double>(bins) + size / width);
  return tol < 0.25 ? tol : 2.0;  // also NaN (no width) gives 2
}

// Counts the bins of x[0, n) into counts (kCountLanes per bin): the guesses
// of a block first, each marked when unsure, in a loop that vectorises (into
// int32, which AVX2 converts in one instruction), then the counting, where
// only the unsure guesses are checked against the edges.
void count_bins(const double* x, std::size_t n, const std::vector<double>& edges,
                double lo_half, double per_half, double tol, std::int64_t* counts) {
  constexpr std::int32_t kUnsure = std::numeric_limits<std::int32_t>::min();
  std::size_t last = edges.size() - 2;
  auto top = static_cast<double>(last);
  std::int32_t guess[kBlock];  // the bin, or kUnsure plus the bin
  for (std::size_t b = 0; b < n; b += kBlock) {
    std::size_t len = std::min(kBlock, n - b);
    const double* v = x + b;
    for (std::size_t i = 0; i < len; ++i) {
      double g = (v[i] * 0.5 - lo_half) * per_half;  // NaN when per_half is inf
      double c = g < top ? g : top;
      c = c > 0.0 ? c : 0.0;
      auto k = static_cast<std::int32_t>(c);
      double frac = g - static_cast<double>(k);
      bool sure = (frac >= tol) & ((c == top) | (frac <= 1 - tol));
      guess[i] = sure ? k : k | kUnsure;
    }
    for (std::size_t i = 0; i < len; ++i) {
      std::int32_t g = guess[i];
      auto k = static_cast<std::size_t>(g & ~kUnsure);
      if (g < 0 && !(edges[k] <= v[i] && (k == last || v[i] < edges[k + 1]))) {
        auto above = std::upper_bound(edges.begin(), edges.end(), v[i]) - edges.begin();
        k = std::min(last, static_cast<std::size_t>(above - 1));
      }
      ++counts[k * kCountLanes + i % kCountLanes];
    }
  }
}

// A histogram of equal-width bins from lo to hi, counted chunk by chunk into
// each worker's own counts (count() may run on any chunk, on any worker).
class Histogram {
 public:
  Histogram(std::size_t n, double lo, double hi, std::int32_t bins,
            std::int32_t threads)
      : edges_(bin_edges(lo, hi, lo == hi ? 1 : bins)),
        lo_half_(lo * 0.5),
        per_half_(static_cast<double>(edges_.size() - 1) / (hi * 0.5 - lo_half_)),
        tol_(guess_tolerance(lo, hi, edges_.size() - 1)),
        local_(worker_count((n + kChunk - 1) / kChunk, threads),
               std::vector<std::int64_t>((edges_.size() - 1) * kCountLanes)) {}

  void count(const double* x, std::size_t n, std::size_t worker) {
    count_bins(x, n, edges_, lo_half_, per_half_, tol_, local_[worker].data());
  }

  // Every chunk of x[0, n), in parallel.
  void count_all(const double* x, std::size_t n, std::int32_t threads) {
    std::size_t chunks = (n + kChunk - 1) / kChunk;
    parallel_for(chunks, worker_count(chunks, threads),
                 [&](std::size_t c, std::size_t w) {
                   std::size_t begin = c * kChunk;
                   count(x + begin, std::min(kChunk, n - begin), w);
                 });
  }

  void finish(Summary& s) const {
    s.edges = edges_;
    s.counts.assign(edges_.size() - 1, 0);
    for (const auto& counts : local_) {
      for (std::size_t c = 0; c < counts.size(); ++c)
        s.counts[c / kCountLanes] += counts[c];
    }
  }

 private:
  std::vector<double> edges_;
  double lo_half_, per_half_, tol_;
  std::vector<std::vector<std::int64_t>> local_;
};

void set_moments(const Moments& m, double scale, Summary& s) {
  double m2 = m.m2 / m.n;
  s.mean = m.mean / scale;
  s.std = m.n >= 2 ? std::sqrt(m.m2 / (m.n - 1)) / scale : kNaN;
  s.min = m.min;
  s.max = m.max;
  s.skewness = (m.m3 / m.n) / (m2 * std::sqrt(m2));  // 0 / 0 when constant
  s.kurtosis = (m.m4 / m.n) / (m2 * m2);
  s.sem = s.std / std::sqrt(m.n);
}

// describe() over values, reordered only through in_place (when not null).
Summary describe_values(const double* values, double* in_place, std::size_t n,
                        const double* pcts, std::size_t k, std::int32_t bins,
                        std::int32_t threads) {
  Summary s;
  std::unique_ptr<double[]> own;
  // Moments first: their pass also finds whether there are errors, which is
  // rare, and only then are the finite values set apart and summed again.
  double scale = 1.0;
  Finite v{values, n, in_place};
  Moments m;
  if (n > 0) m = moments(values, n, threads, scale);
  if (n == 0 || !m.finite) {
    v = finite_values(values, in_place, n, own);
    if (v.n > 0) m = moments(v.x, v.n, threads, scale);
  }
  s.valid = static_cast<std::int64_t>(v.n);
  s.errors = static_cast<std::int64_t>(n - v.n);
  if (v.n == 0) {
    s.mean = s.std = s.min = s.max = s.skewness = s.kurtosis = s.sem = kNaN;
    s.percentiles.assign(k, kNaN);
    return s;
  }
  set_moments(m, scale, s);
  // The histogram is counted chunk by chunk inside the percentiles' pass when
  // there is one, so that both read each chunk from memory once.
  Histogram h(v.n, m.min, m.max, std::max(bins, 1), threads);
  bool counted = false;
  s.percentiles = detail::percentiles(
      v, pcts, k, m.min, m.max, threads,
      [&h](const double* x, std::size_t len, std::size_t w) { h.count(x, len, w); },
      counted);
  if (!counted) h.count_all(v.x, v.n, threads);
  h.finish(s);
  return s;
}

}  // namespace

Summary describe(double* values, std::size_t n, const double* pcts, std::size_t k,
                 std::int32_t bins, std::int32_t threads) {
  return describe_values(values, values, n, pcts, k, bins, threads);
}

Summary describe_readonly(const double* values, std::size_t n, const double* pcts,
                          std::size_t k, std::int32_t bins, std::int32_t threads) {
  return describe_values(values, nullptr, n, pcts, k, bins, threads);
}

}  // namespace mc::stats
