// stats.cpp: describe(), describe_readonly() and spearman() of stats.h.
//
// describe() reads an output in a few passes, each over fixed chunks shared by
// the threads: a scan for errors, moments (two passes per chunk, the second
// from cache), a histogram, and for large arrays one pass gathering the
// neighbourhood of every requested percentile, where selection then runs.
// Nothing is written to the array unless it holds errors or selection has to
// fall back to the whole array (small arrays, rare misses); in_place decides
// whether that writing reorders the caller's array or a private copy.
//
// spearman() ranks with a radix sort (linear in the iterations) and correlates
// doubled midranks, which are integers: their sums of products are exact up to
// about 300,000 iterations and rounded beyond (relative error near 1e-16 per
// term, so far below any meaningful digit of a correlation).
//
// Known limit: this file holds two concepts (an output's summary, rank
// correlation) and is near 700 lines; selection and spearman would each make a
// module of their own.
#include "stats.h"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace mc::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxThreads = 256;
constexpr std::size_t kLanes = 8;    // independent sums, so the loops vectorise
constexpr std::size_t kBlock = 512;  // values per block of lane sums

bool finite(double x) { return std::fabs(x) <= DBL_MAX; }

// The number of workers for `items` work items when `threads` are asked for.
std::size_t worker_count(std::size_t items, std::int32_t threads) {
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
struct Finite {
  const double* x;
  std::size_t n;
  double* writable;
};

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
};

// Sum, min and max of x[0, n), n > 0.
void sum_range(const double* x, std::size_t n, Moments& out) {
  double s[kLanes] = {}, lo[kLanes], hi[kLanes], total = 0;
  std::fill(lo, lo + kLanes, x[0]);
  std::fill(hi, hi + kLanes, x[0]);
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) {
      s[j] += x[i + j];
      lo[j] = std::min(lo[j], x[i + j]);
      hi[j] = std::max(hi[j], x[i + j]);
    }
  }
  for (; i < n; ++i) {
    total += x[i];
    lo[0] = std::min(lo[0], x[i]);
    hi[0] = std::max(hi[0], x[i]);
  }
  for (std::size_t j = 0; j < kLanes; ++j) total += s[j];
  out.mean = total;
  out.min = *std::min_element(lo, lo + kLanes);
  out.max = *std::max_element(hi, hi + kLanes);
}

// Eight doubles as one value (a GCC and Clang extension): left to itself, GCC
// vectorises the lane loop below across iterations with costly shuffles.
using Lanes = double __attribute__((vector_size(8 * sizeof(double))));

// Adds the sums of d, d^2, d^3, d^4 over x[0, n), d = x - c, to sums[0, 4).
void add_powers(const double* x, std::size_t n, double c, double* sums) {
  Lanes s1 = {}, s2 = {}, s3 = {}, s4 = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Lanes d;
    std::memcpy(&d, x + i, sizeof d);
    d -= c;
    Lanes d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  double block[4] = {};
  for (; i < n; ++i) {
    double d = x[i] - c, d2 = d * d;
    block[0] += d;
    block[1] += d2;
    block[2] += d2 * d;
    block[3] += d2 * d2;
  }
  for (std::size_t j = 0; j < kLanes; ++j) {
    block[0] += s1[j];
    block[1] += s2[j];
    block[2] += s3[j];
    block[3] += s4[j];
  }
  for (std::size_t p = 0; p < 4; ++p) sums[p] += block[p];
}

// Moments of one chunk, two passes: a provisional mean c, then sums of powers
// of x - c in blocks (rounding error grows with the block and lane lengths,
// not with n), shifted to the exact mean. A constant chunk gives its value.
Moments chunk_moments(const double* x, std::size_t n) {
  Moments m;
  sum_range(x, n, m);
  m.n = static_cast<double>(n);
  double c = m.mean / m.n, s[4] = {};
  for (std::size_t b = 0; b < n; b += kBlock) {
    add_powers(x + b, std::min(kBlock, n - b), c, s);
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
  r.m3 = a.m3 + b.m3 + d * dn * dn * ab * (a.n - b.n) +
         3 * dn * (a.n * b.m2 - b.n * a.m2);
  r.m4 = a.m4 + b.m4 + d * dn * dn * dn * ab * (a.n * a.n - ab + b.n * b.n) +
         6 * dn * dn * (a.n * a.n * b.m2 + b.n * b.n * a.m2) +
         4 * dn * (a.n * b.m3 - b.n * a.m3);
  r.min = std::min(a.min, b.min);
  r.max = std::max(a.max, b.max);
  return r;
}

// Merges parts[lo, hi) as a balanced tree of neighbours: chunk order is kept,
// and the rounding error grows with log2 of the number of chunks.
Moments merge_range(const std::vector<Moments>& parts, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return parts[lo];
  std::size_t mid = lo + (hi - lo) / 2;
  return merge(merge_range(parts, lo, mid), merge_range(parts, mid, hi));
}

Moments moments(const double* x, std::size_t n, std::int32_t threads) {
  std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<Moments> parts(chunks);
  parallel_for(chunks, worker_count(chunks, threads), [&](std::size_t c, std::size_t) {
    std::size_t begin = c * kChunk;
    parts[c] = chunk_moments(x + begin, std::min(kChunk, n - begin));
  });
  return merge_range(parts, 0, chunks);
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

// The bin of x, lo <= x <= hi: the i with edges[i] <= x < edges[i + 1], the last
// bin closed. A guess from the width, checked against the edges themselves so
// that counts agree with the edges reported, whatever the rounding.
std::size_t bin_of(double x, const std::vector<double>& edges, double lo_half,
                   double per_half) {
  std::size_t last = edges.size() - 2;
  double guess = (x * 0.5 - lo_half) * per_half;  // NaN when per_half is inf
  std::size_t i = guess < static_cast<double>(last) ? static_cast<std::size_t>(guess)
                                                     : last;
  if (edges[i] <= x && (i == last || x < edges[i + 1])) return i;
  auto above = std::upper_bound(edges.begin(), edges.end(), x) - edges.begin();
  return std::min(last, static_cast<std::size_t>(above - 1));
}

void histogram(const double* x, std::size_t n, double lo, double hi,
               std::int32_t bins, std::int32_t threads, Summary& s) {
  if (lo == hi) bins = 1;
  s.edges = bin_edges(lo, hi, bins);
  double lo_half = lo * 0.5, per_half = bins / (hi * 0.5 - lo_half);
  std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::size_t workers = worker_count(chunks, threads);
  std::vector<std::vector<std::int64_t>> local(
      workers, std::vector<std::int64_t>(static_cast<std::size_t>(bins)));
  parallel_for(chunks, workers, [&](std::size_t c, std::size_t w) {
    std::int64_t* counts = local[w].data();
    std::size_t end = std::min(n, (c + 1) * kChunk);
    for (std::size_t i = c * kChunk; i < end; ++i) {
      ++counts[bin_of(x[i], s.edges, lo_half, per_half)];
    }
  });
  s.counts.assign(static_cast<std::size_t>(bins), 0);
  for (const auto& counts : local) {
    for (std::int32_t b = 0; b < bins; ++b) s.counts[b] += counts[b];
  }
}

// The order-statistic position h of percentile p among n values. A position
// within a few ulps of an integer is snapped to it: p carries rounding of its
// own, and a whole rank must not fall a hair below and interpolate.
double rank_position(std::size_t n, double p) {
  double h = static_cast<double>(n - 1) * p / 100.0, whole = std::nearbyint(h);
  if (std::fabs(h - whole) <= 4 * DBL_EPSILON * h) h = whole;
  return std::min(h, static_cast<double>(n - 1));
}

// Puts the order statistics ranks[0, count) (sorted, distinct, all in [lo, hi))
// at their positions in x: a selection at the middle rank, neighbours of the
// split by a max or min scan, and the rest by recursion on each side.
void select_ranks(double* x, std::size_t lo, std::size_t hi, const std::size_t* ranks,
                  std::size_t count) {
  if (count == 0) return;
  std::size_t mid = count / 2, k = ranks[mid];
  std::nth_element(x + lo, x + k, x + hi);
  std::size_t left = mid, left_hi = k;
  while (left > 0 && ranks[left - 1] + 1 == left_hi) {
    std::iter_swap(std::max_element(x + lo, x + left_hi), x + left_hi - 1);
    --left, --left_hi;
  }
  select_ranks(x, lo, left_hi, ranks, left);
  std::size_t right = mid + 1, right_lo = k + 1;
  while (right < count && ranks[right] == right_lo) {
    std::iter_swap(std::min_element(x + right_lo, x + hi), x + right_lo);
    ++right, ++right_lo;
  }
  select_ranks(x, right_lo, hi, ranks + right, count - right);
}

// Narrowing before selection, as in Floyd and Rivest's algorithm: a sorted
// random sample brackets each requested rank between two sample values, one
// pass gathers the values inside each bracket and counts those below it, and
// the sweep then runs on the gathered values only (about 2% of the array per
// bracket at the median, less in the tails). The bracket reaches four binomial
// standard deviations to each side, so it misses its rank less than once in
// 10^4 tries; narrowed() detects a miss, and the sweep over the whole array
// takes over, so the result is exact either way.
constexpr std::size_t kSample = 32768;
constexpr std::size_t kNarrowFrom = 16 * kSample;  // below this, sweep directly

struct Bracket {
  double lo, hi;               // values in [lo, hi] are gathered
  std::size_t first, end;      // the ranks it serves: ranks[first, end)
  std::size_t below = 0;       // values < lo
  std::size_t inside = 0;      // values in [lo, hi]
  std::vector<double> values;  // those values in no order; none when lo == hi
};

std::vector<double> sorted_sample(const double* x, std::size_t n) {
  std::vector<double> sample(kSample);
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (double& v : sample) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = x[(state >> 11) % n];
  }
  std::sort(sample.begin(), sample.end());
  return sample;
}

// Brackets for the sorted ranks, overlapping ones merged; none when together
// they would hold most of the values (narrowing would not pay).
std::vector<Bracket> bracket_ranks(const std::vector<std::size_t>& ranks, std::size_t n,
                                   const std::vector<double>& sample) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto s = static_cast<double>(sample.size());
  double width = 0;
  std::vector<Bracket> out;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    double p = (static_cast<double>(ranks[i]) + 0.5) / static_cast<double>(n);
    double q = p * s, margin = 4 * std::sqrt(s * p * (1 - p)) + 2;
    auto below = static_cast<std::size_t>(std::max(0.0, q - margin));
    auto above = static_cast<std::size_t>(std::min(s - 1, q + margin + 1));
    double lo = q - margin < 0 ? -kInf : sample[below];
    double hi = q + margin >= s - 1 ? kInf : sample[above];
    width += 2 * margin / s;
    if (!out.empty() && lo <= out.back().hi) {
      out.back().hi = std::max(out.back().hi, hi);
      out.back().end = i + 1;
    } else {
      out.push_back({lo, hi, i, i + 1, 0, 0, {}});
    }
  }
  if (width > 0.5) out.clear();
  return out;
}

// Gathers x[0, n) block by block into brackets (sorted and disjoint): counts of
// values below each, then the values inside each. The tests against all
// brackets vectorise; only the few values inside take the scalar branch.
void gather_range(const double* x, std::size_t n, std::vector<Bracket>& brackets) {
  std::size_t count = brackets.size();
  for (std::size_t b = 0; b < n; b += kBlock) {
    const double* v = x + b;
    std::size_t len = std::min(kBlock, n - b);
    std::uint64_t inside[kBlock] = {};
    for (Bracket& bracket : brackets) {
      double lo = bracket.lo, hi = bracket.hi;
      std::size_t below = 0;
      for (std::size_t i = 0; i < len; ++i) {
        below += v[i] < lo;
        inside[i] |= (v[i] >= lo) & (v[i] <= hi);
      }
      bracket.below += below;
    }
    for (std::size_t i = 0; i < len; ++i) {
      if (!inside[i]) continue;
      std::size_t j = 0;
      while (j + 1 < count && v[i] > brackets[j].hi) ++j;
      ++brackets[j].inside;
      // A bracket of one value (a tie across its ranks) needs only a count.
      if (brackets[j].lo < brackets[j].hi) brackets[j].values.push_back(v[i]);
    }
  }
}

// Gathers x[0, n) into brackets, chunks in parallel. The values of a bracket
// end up in an order that depends on the threads, but the order statistics
// selected from them do not.
void gather(const double* x, std::size_t n, std::vector<Bracket>& brackets,
            std::int32_t threads) {
  std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::size_t workers = worker_count(chunks, threads);
  std::vector<std::vector<Bracket>> local(workers, brackets);
  parallel_for(chunks, workers, [&](std::size_t c, std::size_t w) {
    std::size_t begin = c * kChunk;
    gather_range(x + begin, std::min(kChunk, n - begin), local[w]);
  });
  for (const auto& part : local) {
    for (std::size_t j = 0; j < brackets.size(); ++j) {
      brackets[j].below += part[j].below;
      brackets[j].inside += part[j].inside;
      const auto& values = part[j].values;
      brackets[j].values.insert(brackets[j].values.end(), values.begin(), values.end());
    }
  }
}

// The order statistics ranks (sorted, distinct) of x[0, n) through brackets;
// false when a bracket missed its rank.
bool narrowed(const double* x, std::size_t n, const std::vector<std::size_t>& ranks,
              std::int32_t threads, std::vector<double>& values) {
  std::vector<Bracket> brackets = bracket_ranks(ranks, n, sorted_sample(x, n));
  if (brackets.empty()) return false;
  gather(x, n, brackets, threads);
  values.resize(ranks.size());
  std::vector<std::size_t> local;
  for (Bracket& b : brackets) {
    local.clear();
    for (std::size_t i = b.first; i < b.end; ++i) {
      if (ranks[i] < b.below || ranks[i] - b.below >= b.inside) return false;
      local.push_back(ranks[i] - b.below);
      values[i] = b.lo;
    }
    if (b.lo == b.hi) continue;
    select_ranks(b.values.data(), 0, b.values.size(), local.data(), local.size());
    for (std::size_t i = b.first; i < b.end; ++i) {
      values[i] = b.values[local[i - b.first]];
    }
  }
  return true;
}

// The order statistics ranks (sorted, distinct) of v.x[0, v.n): through
// brackets when the array is large, else (or when a bracket missed) by the
// sweep over the writable array or a copy of it.
std::vector<double> order_statistics(const Finite& v,
                                     const std::vector<std::size_t>& ranks,
                                     std::int32_t threads) {
  std::vector<double> values, copy;
  if (ranks.empty()) return values;
  if (v.n >= kNarrowFrom && narrowed(v.x, v.n, ranks, threads, values)) return values;
  double* x = v.writable;
  if (!x) {
    copy.assign(v.x, v.x + v.n);
    x = copy.data();
  }
  select_ranks(x, 0, v.n, ranks.data(), ranks.size());
  values.resize(ranks.size());
  for (std::size_t i = 0; i < ranks.size(); ++i) values[i] = x[ranks[i]];
  return values;
}

// Linear interpolation from a to b; the blend form when b - a overflows.
double lerp(double a, double b, double t) {
  double d = b - a;
  return finite(d) ? a + t * d : a * (1 - t) + b * t;
}

// The ranks percentiles pcts[0, k) need, sorted and distinct, without the
// ends 0 and n - 1 (min and max are known already).
std::vector<std::size_t> needed_ranks(std::size_t n, const double* pcts,
                                      std::size_t k) {
  std::vector<std::size_t> ranks;
  for (std::size_t i = 0; i < k; ++i) {
    if (!(pcts[i] >= 0 && pcts[i] <= 100)) continue;
    double h = rank_position(n, pcts[i]);
    auto r = static_cast<std::size_t>(h);
    bool between = h > static_cast<double>(r);
    for (std::size_t q = r; q <= r + between; ++q) {
      if (q > 0 && q < n - 1) ranks.push_back(q);
    }
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  return ranks;
}

std::vector<double> percentiles(const Finite& v, const double* pcts, std::size_t k,
                                double lo, double hi, std::int32_t threads) {
  std::size_t n = v.n;
  std::vector<std::size_t> ranks = needed_ranks(n, pcts, k);
  std::vector<double> values = order_statistics(v, ranks, threads);
  auto at = [&](std::size_t r) {
    if (r == 0 || r == n - 1) return r == 0 ? lo : hi;
    return values[std::lower_bound(ranks.begin(), ranks.end(), r) - ranks.begin()];
  };
  std::vector<double> out(k, kNaN);
  for (std::size_t i = 0; i < k; ++i) {
    if (!(pcts[i] >= 0 && pcts[i] <= 100)) continue;
    double h = rank_position(n, pcts[i]);
    auto r = static_cast<std::size_t>(h);
    double t = h - static_cast<double>(r);
    out[i] = t > 0 ? lerp(at(r), at(r + 1), t) : at(r);
  }
  return out;
}

void set_moments(const Moments& m, Summary& s) {
  double m2 = m.m2 / m.n;
  s.mean = m.mean;
  s.std = m.n >= 2 ? std::sqrt(m.m2 / (m.n - 1)) : kNaN;
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
  Finite v = finite_values(values, in_place, n, own);
  s.valid = static_cast<std::int64_t>(v.n);
  s.errors = static_cast<std::int64_t>(n - v.n);
  if (v.n == 0) {
    s.mean = s.std = s.min = s.max = s.skewness = s.kurtosis = s.sem = kNaN;
    s.percentiles.assign(k, kNaN);
    return s;
  }
  Moments m = moments(v.x, v.n, threads);
  set_moments(m, s);
  histogram(v.x, v.n, m.min, m.max, std::max(bins, 1), threads, s);
  s.percentiles = percentiles(v, pcts, k, m.min, m.max, threads);
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

namespace {

// A value's order-preserving unsigned image, and where the value came from.
struct Keyed {
  std::uint64_t key, index;
};

// The order-preserving image of a finite x: flip the sign bit of a positive
// value, every bit of a negative one. Adding +0.0 first turns -0.0 into +0.0,
// so that equal values, and only they, have equal keys.
std::uint64_t sort_key(double x) {
  std::uint64_t bits;
  x += 0.0;
  std::memcpy(&bits, &x, sizeof bits);
  return bits >> 63 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Sorts keyed by key: least significant byte first, one stable scatter per
// byte, skipping the bytes that all keys share. Linear in n, where a
// comparison sort would pay log2(n) cache-missing passes.
void radix_sort(std::vector<Keyed>& keyed, std::vector<Keyed>& spare) {
  std::size_t n = keyed.size(), counts[8][256] = {};
  for (const Keyed& e : keyed) {
    for (int d = 0; d < 8; ++d) ++counts[d][(e.key >> (8 * d)) & 255];
  }
  spare.resize(n);
  for (int d = 0; d < 8; ++d) {
    std::size_t* slot = counts[d];
    if (n == 0 || slot[(keyed[0].key >> (8 * d)) & 255] == n) continue;
    for (std::size_t b = 0, start = 0; b < 256; ++b) {
      std::size_t size = slot[b];
      slot[b] = start;
      start += size;
    }
    for (const Keyed& e : keyed) spare[slot[(e.key >> (8 * d)) & 255]++] = e;
    keyed.swap(spare);
  }
}

// One worker's buffers, reused across the rows it takes.
struct Scratch {
  std::vector<double> x, rx, y, ry;
  std::vector<Keyed> keyed, spare;
};

// Doubled midranks centred on zero, 2 rank - (n + 1), of v[0, n) into out:
// integers, so that the sums of their products are exact while they stay
// below 2^53, and Pearson's correlation of them is that of the midranks.
void centred_ranks(const double* v, std::size_t n, double* out, Scratch& s) {
  s.keyed.resize(n);
  for (std::size_t i = 0; i < n; ++i) s.keyed[i] = {sort_key(v[i]), i};
  radix_sort(s.keyed, s.spare);
  const std::vector<Keyed>& sorted = s.keyed;
  for (std::size_t i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && sorted[j].key == sorted[i].key;) ++j;
    // Positions i..j-1 hold ranks i+1..j, whose mean doubled is i + j + 1.
    double rank = static_cast<double>(i + j) - static_cast<double>(n);
    for (std::size_t t = i; t < j; ++t) out[sorted[t].index] = rank;
  }
}

// Pearson's correlation of centred values: NaN when either is constant.
double centred_correlation(const double* x, const double* y, std::size_t n) {
  if (n < 2) return kNaN;
  double xy = 0, xx = 0, yy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  return xy / std::sqrt(xx * yy);  // exactly 1 when x == y: sqrt(fl(s * s)) == s
}

// The output's finite values, their rows, and their centred ranks.
struct Ranked {
  std::vector<std::size_t> rows;
  std::vector<double> values, ranks;
};

double row_correlation(const double* input, const Ranked& out, Scratch& s) {
  std::size_t n = out.rows.size(), kept = 0;
  s.x.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    s.x[i] = input[out.rows[i]];
    kept += finite(s.x[i]);
  }
  s.rx.resize(n);
  if (kept == n) {  // the common case: the output's ranks serve as they are
    centred_ranks(s.x.data(), n, s.rx.data(), s);
    return centred_correlation(s.rx.data(), out.ranks.data(), n);
  }
  s.y.resize(kept);
  s.ry.resize(kept);
  for (std::size_t i = 0, w = 0; i < n; ++i) {
    if (!finite(s.x[i])) continue;
    s.x[w] = s.x[i];
    s.y[w++] = out.values[i];
  }
  centred_ranks(s.x.data(), kept, s.rx.data(), s);
  centred_ranks(s.y.data(), kept, s.ry.data(), s);
  return centred_correlation(s.rx.data(), s.ry.data(), kept);
}

}  // namespace

std::vector<double> spearman(const double* inputs, std::size_t k, std::size_t m,
                             const double* output, std::int32_t threads) {
  Ranked out;
  for (std::size_t i = 0; i < m; ++i) {
    if (!finite(output[i])) continue;
    out.rows.push_back(i);
    out.values.push_back(output[i]);
  }
  out.ranks.resize(out.rows.size());
  Scratch scratch_out;
  centred_ranks(out.values.data(), out.rows.size(), out.ranks.data(), scratch_out);
  std::vector<double> result(k, kNaN);
  std::size_t workers = worker_count(k, threads);
  std::vector<Scratch> scratch(workers);
  parallel_for(k, workers, [&](std::size_t r, std::size_t w) {
    result[r] = row_correlation(inputs + r * m, out, scratch[w]);
  });
  return result;
}

}  // namespace mc::stats
