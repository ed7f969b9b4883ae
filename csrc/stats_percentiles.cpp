// stats_percentiles.cpp: percentiles() of stats_percentiles.h, by exact
// selection.
//
// The ranks a set of percentiles needs are selected together (select_ranks).
// Large arrays are first narrowed: one parallel pass gathers the few values
// around every rank, and selection runs on those alone, leaving the array
// untouched; the constants and odds are described at kSample below.
//
// Known limit: below kNarrowFrom values, and when a bracket misses its rank,
// selection reorders the writable array, or a private copy of it (one more
// array of the output's size) when describe_readonly() passed one without
// errors.
#include "stats_percentiles.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "stats.h"

// With AVX-512, gather_range compares eight values at a time against every
// bracket and keeps the comparisons as bit masks; with AVX2, four at a time,
// counting in vector lanes.
#if defined(__AVX512F__)
#define MC_GATHER_AVX512 1
#define MC_GATHER_AVX2 0
#include <immintrin.h>
#elif defined(__AVX2__)
#define MC_GATHER_AVX512 0
#define MC_GATHER_AVX2 1
#include <immintrin.h>
#else
#define MC_GATHER_AVX512 0
#define MC_GATHER_AVX2 0
#endif

namespace mc::stats {
namespace {

using detail::finite;
using detail::Finite;
using detail::kBlock;

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
// selection then runs on the gathered values only (about 2% of the array per
// bracket at the median, less in the tails). The bracket reaches four binomial
// standard deviations to each side, so it misses its rank less than once in
// 10^4 tries; a miss is detected, and the sweep over the whole array takes
// over, so the result is exact either way. A bracket still holding kInnerFrom
// values or more is narrowed again the same way, with a sample of
// kInnerSample, before selection: gathering is branch-free, whereas the
// partitions of a selection mispredict a branch on every other value. On one
// Zen 4 thread, selecting the 15 ranks of five percentiles and their
// intervals among 10M values took 10 ms in the gathered brackets, 2 ms with
// them narrowed again.
constexpr std::size_t kSample = 32768;
constexpr std::size_t kNarrowFrom = 16 * kSample;  // below this, sweep directly
constexpr std::size_t kInnerSample = 1024;
constexpr std::size_t kInnerFrom = 16 * kInnerSample;

// An allocator that leaves the slots a vector grows by unwritten (the passes
// that gather values write them next), instead of zeroing them first.
template <class T>
struct Uninitialised : std::allocator<T> {
  using std::allocator<T>::allocator;
  template <class U>
  struct rebind {
    using other = Uninitialised<U>;
  };
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Values = std::vector<double, Uninitialised<double>>;

struct Bracket {
  double lo, hi;           // values in [lo, hi] are gathered
  std::size_t first, end;  // the ranks it serves: ranks[first, end)
  std::size_t below = 0;   // values < lo
  std::size_t inside = 0;  // values in [lo, hi]
  Values values;           // those values in no order; none when lo == hi
};

std::vector<double> sorted_sample(const double* x, std::size_t n, std::size_t size) {
  std::vector<double> sample(size);
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (double& v : sample) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = x[(state >> 11) % n];
  }
  std::sort(sample.begin(), sample.end());
  return sample;
}

// Brackets for the sorted ranks, overlapping ones merged; none when together
// they would hold half the values or more, as the sample estimates it
// (narrowing would not pay).
std::vector<Bracket> bracket_ranks(const std::vector<std::size_t>& ranks, std::size_t n,
                                   const std::vector<double>& sample) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto s = static_cast<double>(sample.size());
  std::vector<Bracket> out;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    double p = (static_cast<double>(ranks[i]) + 0.5) / static_cast<double>(n);
    double q = p * s, margin = 4 * std::sqrt(s * p * (1 - p)) + 2;
    auto below = static_cast<std::size_t>(std::max(0.0, q - margin));
    auto above = static_cast<std::size_t>(std::min(s - 1, q + margin + 1));
    double lo = q - margin < 0 ? -kInf : sample[below];
    double hi = q + margin >= s - 1 ? kInf : sample[above];
    if (!out.empty() && lo <= out.back().hi) {
      out.back().hi = std::max(out.back().hi, hi);
      out.back().end = i + 1;
    } else {
      out.push_back({lo, hi, i, i + 1, 0, 0, {}});
    }
  }
  std::ptrdiff_t held = 0;  // sample values inside the brackets
  for (const Bracket& b : out) {
    held += std::upper_bound(sample.begin(), sample.end(), b.hi) -
            std::lower_bound(sample.begin(), sample.end(), b.lo);
  }
  if (2 * static_cast<double>(held) >= s) out.clear();
  return out;
}

// The caller's pass over each piece of a chunk (ChunkVisit), if any, made
// just before gathering reads the piece, so that the second read is from the
// first level of cache.
struct Visitor {
  const detail::ChunkVisit& visit;
  std::size_t worker;

  void operator()(const double* x, std::size_t len) const {
    if (visit && len > 0) visit(x, len, worker);
  }
};

// Takes the value v, known to lie inside one of the brackets (sorted and
// disjoint), into that bracket.
void take(double v, std::vector<Bracket>& brackets) {
  std::size_t j = 0, count = brackets.size();
  while (j + 1 < count && v > brackets[j].hi) ++j;
  ++brackets[j].inside;
  // A bracket of one value (a tie across its ranks) needs only a count.
  if (brackets[j].lo < brackets[j].hi) brackets[j].values.push_back(v);
}

// Gathers x[0, n) block by block into brackets (sorted and disjoint), portably: counts
// of values below each, then the values inside each. The tests against all brackets
// vectorise and mark the values inside with a byte each; the scan reads the marks eight
// at a time, so only the few values inside (a few per cent) take the scalar branch.
void gather_scalar(const double* x, std::size_t n, std::vector<Bracket>& brackets,
                   const Visitor& visit) {
  for (std::size_t b = 0; b < n; b += kBlock) {
    const double* v = x + b;
    std::size_t len = std::min(kBlock, n - b);
    visit(v, len);
    alignas(8) std::uint8_t inside[kBlock + 8] = {};
    for (Bracket& bracket : brackets) {
      double lo = bracket.lo, hi = bracket.hi;
      std::size_t below = 0;
      for (std::size_t i = 0; i < len; ++i) {
        below += v[i] < lo;
        inside[i] |= static_cast<std::uint8_t>((v[i] >= lo) & (v[i] <= hi));
      }
      bracket.below += below;
    }
    for (std::size_t w = 0; w < len; w += 8) {
      std::uint64_t marks;
      std::memcpy(&marks, inside + w, sizeof marks);
      for (; marks; marks &= marks - 1) {
        take(v[w + static_cast<std::size_t>(__builtin_ctzll(marks)) / 8], brackets);
      }
    }
  }
}

// pack_inside(x, lo, hi, out): the values of x[0, kLanes) within [lo, hi]
// (lo and hi broadcast), stored at out packed to the front, in order; their
// count. A whole vector is stored, so out needs kLanes slots.
#if MC_GATHER_AVX512
using Lanes = __m512d;
constexpr std::size_t kLanes = 8;

inline Lanes broadcast(double x) { return _mm512_set1_pd(x); }

// The compress goes through a register: into memory it is slow on Zen 4.
inline std::size_t pack_inside(const double* x, Lanes lo, Lanes hi, double* out) {
  __m512d v = _mm512_loadu_pd(x);
  __mmask8 in =
      _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(v, lo, _CMP_GE_OQ), v, hi, _CMP_LE_OQ);
  _mm512_storeu_pd(out, _mm512_maskz_compress_pd(in, v));
  return static_cast<std::size_t>(__builtin_popcount(in));
}
#elif MC_GATHER_AVX2
using Lanes = __m256d;
constexpr std::size_t kLanes = 4;

inline Lanes broadcast(double x) { return _mm256_set1_pd(x); }

// For each mask of four lanes, the permutation (as eight 32-bit indices) that
// moves the lanes it marks to the front, in order: AVX2's stand-in for a
// compress.
struct LeftPack {
  std::int32_t index[16][8];
  constexpr LeftPack() : index() {
    for (int mask = 0; mask < 16; ++mask) {
      int to = 0;
      for (int lane = 0; lane < 4; ++lane) {
        if (!(mask >> lane & 1)) continue;
        index[mask][2 * to] = 2 * lane;
        index[mask][2 * to + 1] = 2 * lane + 1;
        ++to;
      }
    }
  }
};
constexpr LeftPack kLeftPack;

// The lanes of v that mask marks, stored at out packed to the front; their
// count.
inline std::size_t store_packed(double* out, __m256d v, int mask) {
  __m256i pick =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLeftPack.index[mask]));
  __m256 packed = _mm256_permutevar8x32_ps(_mm256_castpd_ps(v), pick);
  _mm256_storeu_ps(reinterpret_cast<float*>(out), packed);
  return static_cast<std::size_t>(__builtin_popcount(static_cast<unsigned>(mask)));
}

inline std::size_t pack_inside(const double* x, Lanes lo, Lanes hi, double* out) {
  __m256d v = _mm256_loadu_pd(x);
  __m256d in =
      _mm256_and_pd(_mm256_cmp_pd(v, lo, _CMP_GE_OQ), _mm256_cmp_pd(v, hi, _CMP_LE_OQ));
  return store_packed(out, v, _mm256_movemask_pd(in));
}
#else
constexpr std::size_t kLanes = 1;
#endif

// Appends to out the values of x[0, n) within [lo, hi], in order, without a
// branch on the data; their count.
std::size_t append_inside(const double* x, std::size_t n, double lo, double hi,
                          Values& out) {
  std::size_t old = out.size(), taken = 0, i = 0;
  out.resize(old + n + kLanes);  // room for pack_inside's whole vectors
  double* to = out.data() + old;
#if MC_GATHER_AVX512 || MC_GATHER_AVX2
  Lanes low = broadcast(lo), high = broadcast(hi);
  for (; i + kLanes <= n; i += kLanes)
    taken += pack_inside(x + i, low, high, to + taken);
#endif
  for (; i < n; ++i) {
    to[taken] = x[i];
    taken += (x[i] >= lo) & (x[i] <= hi);
  }
  out.resize(old + taken);
  return taken;
}

// Counts of x[0, n) below each bracket and gathers those inside it, for
// brackets of any number and overlap, in one pass per bracket.
void gather_each(const double* x, std::size_t n, std::vector<Bracket>& brackets) {
  for (Bracket& b : brackets) {
    std::size_t below = 0, same = 0;
    for (std::size_t i = 0; i < n; ++i) below += x[i] < b.lo;
    b.below = below;
    if (b.lo < b.hi) {
      b.inside = append_inside(x, n, b.lo, b.hi, b.values);
    } else {  // a bracket of one value needs only a count
      for (std::size_t i = 0; i < n; ++i) same += x[i] == b.lo;
      b.inside = same;
    }
  }
}

#if MC_GATHER_AVX512 || MC_GATHER_AVX2
// Values staged before distribute() splits them among the brackets: enough
// that each bracket's share is a long vector loop.
constexpr std::size_t kStage = 4096;

// Appends to each bracket the staged values stage[0, len) that lie inside it
// (every staged value lies inside exactly one bracket, so the counts need no
// other pass).
void distribute(const double* stage, std::size_t len, std::vector<Bracket>& brackets) {
  for (Bracket& b : brackets) {
    if (b.lo < b.hi) {
      b.inside += append_inside(stage, len, b.lo, b.hi, b.values);
      continue;
    }
    std::size_t same = 0;  // a bracket of one value needs only a count
    for (std::size_t i = 0; i < len; ++i) same += stage[i] == b.lo;
    b.inside += same;
  }
}
#endif

#if MC_GATHER_AVX512
// Gathers x[0, n) into brackets (sorted and disjoint), eight values to a
// register, without a branch on the data: per bracket, the lanes below it
// add to a lane count, and the values inside any bracket (a few per cent) are
// compressed to the front of a vector and stored at the end of a staging
// buffer, which distribute() splits among the brackets when it fills.
void gather_range(const double* x, std::size_t n, std::vector<Bracket>& brackets,
                  const Visitor& visit) {
  constexpr std::size_t kMaxFast = 16;
  std::size_t count = brackets.size();
  if (count > kMaxFast) {
    gather_scalar(x, n, brackets, visit);
    return;
  }
  __m512d lo[kMaxFast], hi[kMaxFast];
  __m512i below[kMaxFast];
  const __m512i one = _mm512_set1_epi64(1);
  for (std::size_t j = 0; j < count; ++j) {
    lo[j] = _mm512_set1_pd(brackets[j].lo);
    hi[j] = _mm512_set1_pd(brackets[j].hi);
    below[j] = _mm512_setzero_si512();
  }
  double stage[kStage + kBlock + kLanes];
  std::size_t i = 0, staged = 0;
  while (i + 8 <= n) {
    std::size_t end = i + std::min(kBlock, (n - i) / 8 * 8);
    visit(x + i, end - i);
    for (; i < end; i += 8) {
      __m512d v = _mm512_loadu_pd(x + i);
      __mmask8 inside = 0;
      for (std::size_t j = 0; j < count; ++j) {
        __mmask8 under = _mm512_cmp_pd_mask(v, lo[j], _CMP_LT_OQ);
        below[j] = _mm512_mask_add_epi64(below[j], under, below[j], one);
        inside |= _mm512_mask_cmp_pd_mask(static_cast<__mmask8>(~under), v, hi[j],
                                          _CMP_LE_OQ);
      }
      _mm512_storeu_pd(stage + staged, _mm512_maskz_compress_pd(inside, v));
      staged += static_cast<std::size_t>(__builtin_popcount(inside));
    }
    if (staged >= kStage) {
      distribute(stage, staged, brackets);
      staged = 0;
    }
  }
  distribute(stage, staged, brackets);
  for (std::size_t j = 0; j < count; ++j) {
    brackets[j].below += static_cast<std::size_t>(_mm512_reduce_add_epi64(below[j]));
  }
  gather_scalar(x + i, n - i, brackets, visit);
}
#elif MC_GATHER_AVX2
// Gathers x[0, n) into brackets (sorted and disjoint), sixteen values a step in
// four registers: per bracket, the lanes below it (each comparison's all-ones
// lane is -1, subtracted from a lane count, once a step so that the count's
// trip through memory is not on every vector's path) and those inside it (not
// below, and at most its top). The values inside any bracket (a few per cent)
// are packed to the front of their register by a permutation and stored at
// the end of a staging buffer, without a branch on the data, and
// distribute() splits them among the brackets when it fills. On one Zen 3
// thread, describe() of 10M values with five percentiles took 57-63 ms when
// each value inside was taken one by one, 51-54 staged.
void gather_range(const double* x, std::size_t n, std::vector<Bracket>& brackets,
                  const Visitor& visit) {
  constexpr std::size_t kMaxFast = 16, kStep = 16;
  std::size_t count = brackets.size();
  if (count > kMaxFast) {
    gather_scalar(x, n, brackets, visit);
    return;
  }
  __m256d lo[kMaxFast], hi[kMaxFast];
  __m256i below[kMaxFast];
  for (std::size_t j = 0; j < count; ++j) {
    lo[j] = _mm256_set1_pd(brackets[j].lo);
    hi[j] = _mm256_set1_pd(brackets[j].hi);
    below[j] = _mm256_setzero_si256();
  }
  double stage[kStage + kBlock + kLanes];
  std::size_t i = 0, staged = 0;
  while (i + kStep <= n) {
    std::size_t end = i + std::min(kBlock, (n - i) / kStep * kStep);
    visit(x + i, end - i);
    for (; i < end; i += kStep) {
      __m256d v[4], inside[4];
      for (int q = 0; q < 4; ++q) {
        v[q] = _mm256_loadu_pd(x + i + 4 * q);
        inside[q] = _mm256_setzero_pd();
      }
      for (std::size_t j = 0; j < count; ++j) {
        __m256i under_sum = _mm256_setzero_si256();
        for (int q = 0; q < 4; ++q) {
          __m256d under = _mm256_cmp_pd(v[q], lo[j], _CMP_LT_OQ);
          under_sum = _mm256_add_epi64(under_sum, _mm256_castpd_si256(under));
          inside[q] = _mm256_or_pd(
              inside[q],
              _mm256_andnot_pd(under, _mm256_cmp_pd(v[q], hi[j], _CMP_LE_OQ)));
        }
        below[j] = _mm256_sub_epi64(below[j], under_sum);
      }
      for (int q = 0; q < 4; ++q) {
        staged += store_packed(stage + staged, v[q], _mm256_movemask_pd(inside[q]));
      }
    }
    if (staged >= kStage) {
      distribute(stage, staged, brackets);
      staged = 0;
    }
  }
  distribute(stage, staged, brackets);
  for (std::size_t j = 0; j < count; ++j) {
    alignas(32) std::int64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), below[j]);
    brackets[j].below +=
        static_cast<std::size_t>(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
  }
  gather_scalar(x + i, n - i, brackets, visit);
}
#else
void gather_range(const double* x, std::size_t n, std::vector<Bracket>& brackets,
                  const Visitor& visit) {
  gather_scalar(x, n, brackets, visit);
}
#endif

// Gathers x[0, n) into brackets, chunks in parallel. The values of a bracket
// end up in an order that depends on the threads, but the order statistics
// selected from them do not.
void gather(const double* x, std::size_t n, std::vector<Bracket>& brackets,
            std::int32_t threads, const detail::ChunkVisit& visit) {
  std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::size_t workers = detail::worker_count(chunks, threads);
  std::vector<std::vector<Bracket>> local(workers, brackets);
  detail::parallel_for(chunks, workers, [&](std::size_t c, std::size_t w) {
    std::size_t begin = c * kChunk, len = std::min(kChunk, n - begin);
    gather_range(x + begin, len, local[w], Visitor{visit, w});
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

void select_into(double* x, std::size_t n, const std::size_t* ranks, std::size_t count,
                 double* found);

// The order statistics ranks (sorted, distinct) of the values that the
// brackets gathered, into found; false when a bracket missed its rank.
bool select_in_brackets(std::vector<Bracket>& brackets,
                        const std::vector<std::size_t>& ranks, double* found) {
  std::vector<std::size_t> local;
  for (Bracket& b : brackets) {
    local.clear();
    for (std::size_t i = b.first; i < b.end; ++i) {
      if (ranks[i] < b.below || ranks[i] - b.below >= b.inside) return false;
      local.push_back(ranks[i] - b.below);
      found[i] = b.lo;
    }
    if (b.lo == b.hi) continue;
    select_into(b.values.data(), b.values.size(), local.data(), local.size(),
                found + b.first);
  }
  return true;
}

// The order statistics ranks[0, count) (sorted, distinct) of x[0, n) through
// brackets of a sample of kInnerSample values, x left as it is; false when
// narrowing would not pay, a bracket missed its rank, or one holds more than
// half the values (a large tie), so that recursion always halves the work.
bool narrowed_within(const double* x, std::size_t n, const std::size_t* ranks,
                     std::size_t count, double* found) {
  std::vector<std::size_t> wanted(ranks, ranks + count);
  std::vector<Bracket> brackets =
      bracket_ranks(wanted, n, sorted_sample(x, n, kInnerSample));
  if (brackets.empty()) return false;
  gather_each(x, n, brackets);
  for (const Bracket& b : brackets) {
    if (b.lo < b.hi && b.inside > n / 2) return false;
  }
  return select_in_brackets(brackets, wanted, found);
}

// The order statistics ranks[0, count) (sorted, distinct) of x[0, n), which
// may be reordered, into found.
void select_into(double* x, std::size_t n, const std::size_t* ranks, std::size_t count,
                 double* found) {
  if (n >= kInnerFrom && narrowed_within(x, n, ranks, count, found)) return;
  select_ranks(x, 0, n, ranks, count);
  for (std::size_t i = 0; i < count; ++i) found[i] = x[ranks[i]];
}

// The order statistics ranks (sorted, distinct) of x[0, n) through brackets;
// false when a bracket missed its rank.
bool narrowed(const double* x, std::size_t n, const std::vector<std::size_t>& ranks,
              std::int32_t threads, const detail::ChunkVisit& visit, bool& visited,
              std::vector<double>& values) {
  std::vector<Bracket> brackets = bracket_ranks(ranks, n, sorted_sample(x, n, kSample));
  if (brackets.empty()) return false;
  gather(x, n, brackets, threads, visit);
  visited = static_cast<bool>(visit);
  values.resize(ranks.size());
  return select_in_brackets(brackets, ranks, values.data());
}

// The order statistics ranks (sorted, distinct) of v.x[0, v.n): through
// brackets when the array is large, else (or when a bracket missed) by the
// sweep over the writable array or a copy of it.
std::vector<double> order_statistics(const Finite& v,
                                     const std::vector<std::size_t>& ranks,
                                     std::int32_t threads,
                                     const detail::ChunkVisit& visit, bool& visited) {
  std::vector<double> values, copy;
  if (ranks.empty()) return values;
  if (v.n >= kNarrowFrom &&
      narrowed(v.x, v.n, ranks, threads, visit, visited, values)) {
    return values;
  }
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

}  // namespace

std::vector<double> detail::percentiles(const Finite& v, const double* pcts,
                                        std::size_t k, double lo, double hi,
                                        std::int32_t threads, const ChunkVisit& visit,
                                        bool& visited) {
  std::size_t n = v.n;
  visited = false;
  std::vector<std::size_t> ranks = needed_ranks(n, pcts, k);
  std::vector<double> values = order_statistics(v, ranks, threads, visit, visited);
  auto at = [&](std::size_t r) {
    if (r == 0 || r == n - 1) return r == 0 ? lo : hi;
    return values[std::lower_bound(ranks.begin(), ranks.end(), r) - ranks.begin()];
  };
  std::vector<double> out(k, detail::kNaN);
  for (std::size_t i = 0; i < k; ++i) {
    if (!(pcts[i] >= 0 && pcts[i] <= 100)) continue;
    double h = rank_position(n, pcts[i]);
    auto r = static_cast<std::size_t>(h);
    double t = h - static_cast<double>(r);
    out[i] = t > 0 ? lerp(at(r), at(r + 1), t) : at(r);
  }
  return out;
}

}  // namespace mc::stats
