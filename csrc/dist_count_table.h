// dist_count_table.h: the counting distributions with constant parameters
// sampled from a table of their distribution function, host and device.
//
// Exports (namespace mc):
//   has_count_table(kind)      Binomial, Poisson, NegBin, Geomet, HyperGeo
//   is_count_table(t)          whether t is such a table (its tag)
//   count_search(t, u, out, n) out[k] = the count at u[k] where the table
//                              decides it, COUNT_UNDECIDED where it does not,
//                              #NUM! where u[k] is not inside (0, 1)
//   build_count_table(kind, p, out) (host only, dist_count_table.cpp)
//
// Their exact quantile (dist_discrete.h) steps from an estimate through
// evaluations of F, each an incomplete beta or gamma function: 300 ns or more
// a value. The table holds those same evaluations, made once per parameter
// set, for the counts first .. first + m - 1: below 1/2 the search needs the
// smallest count with P(X <= k) >= u, above it the smallest with
// P(X > k) <= 1 - u, i.e. -P(X > k) >= u - 1 (1 - u is exact there). Both are
// "the first entry >= target" of an ascending array, so one branch-free
// binary search serves both halves, and it returns what the step search
// returns (the values compared are the same ones). The table is undecided
// where u lies beyond its counts: the first entry reached while first > 0
// (the answer may be smaller), or none reached; those values, about 2^-47 of
// them, take the exact quantile.
//
// Layout: COUNT_HEADER doubles (slots below), then the m values P(X <= k),
// then the m values -P(X > k), k = first .. first + m - 1 less the kind's
// offset (HyperGeo counts from max(0, n + D - M)).
#pragma once

#include "dist_params.h"
#include "mc_defs.h"
#include "special_elementary.h"  // MC_INLINE

namespace mc {

constexpr double COUNT_TAG = 20261205.0;  // identifies this layout: change with it
constexpr int32_t COUNT_HEADER = 8;
constexpr int32_t COUNT_MAX_ENTRIES = 8192;
constexpr double COUNT_TAIL = 0x1p-48;  // the table reaches the counts at these
constexpr double COUNT_UNDECIDED = -1.0;

enum CountSlot : int32_t {
  COUNT_KIND_TAG = 0,  // COUNT_TAG
  COUNT_KIND,          // the DistKind
  COUNT_P0,            // its parameters, three slots
  COUNT_FIRST = COUNT_P0 + 3,
  COUNT_ENTRIES,
};

MC_HD bool has_count_table(int32_t kind) {
  return kind == DIST_BINOMIAL || kind == DIST_POISSON || kind == DIST_NEGBIN ||
         kind == DIST_GEOMET || kind == DIST_HYPERGEO;
}

MC_HD bool is_count_table(const double* t) {
  return t != nullptr && t[COUNT_KIND_TAG] == COUNT_TAG;
}

namespace count_detail {

constexpr int32_t CHUNK = 256;

// The decided count for u at the search's end pos (an index into t), base
// the start of u's half, or COUNT_UNDECIDED; #NUM! for u outside (0, 1).
MC_HD double decided(const double* t, int32_t pos, int32_t base, double target,
                     double u) {
  int32_t i = pos - base;
  double first = t[COUNT_FIRST];
  bool hit = t[pos] >= target && (i > 0 || first == 0.0);
  double value = hit ? first + i : COUNT_UNDECIDED;
  return u > 0.0 && u < 1.0 ? value : error_value(ERR_NUM);
}

}  // namespace count_detail

// See the header comment. On a CPU the search runs a chunk at a time, step
// by step over all its values, so that each step is one vectorised gather;
// on a GPU each thread searches alone.
MC_LOOP void count_search(const double* __restrict__ t, const double* u, double* out,
                          int32_t n) {
  using namespace count_detail;
  const int32_t m = static_cast<int32_t>(t[COUNT_ENTRIES]);
#if defined(__CUDA_ARCH__)
  for (int32_t k = 0; k < n; ++k) {
    bool upper = u[k] > 0.5;
    double target = upper ? u[k] - 1.0 : u[k];
    int32_t base = upper ? COUNT_HEADER + m : COUNT_HEADER, pos = base;
    for (int32_t len = m; len > 1;) {
      int32_t half = len / 2;
      pos = t[pos + half - 1] < target ? pos + half : pos;
      len -= half;
    }
    out[k] = decided(t, pos, base, target, u[k]);
  }
#else
  for (int32_t first = 0; first < n; first += CHUNK) {
    const int32_t len = n - first < CHUNK ? n - first : CHUNK;
    const double* v = u + first;
    int32_t pos[CHUNK], base[CHUNK];
    double target[CHUNK];
    for (int32_t k = 0; k < len; ++k) {
      bool upper = v[k] > 0.5;
      target[k] = upper ? v[k] - 1.0 : v[k];
      base[k] = upper ? COUNT_HEADER + m : COUNT_HEADER;
      pos[k] = base[k];
    }
    for (int32_t width = m; width > 1;) {
      const int32_t half = width / 2;
      for (int32_t k = 0; k < len; ++k) {
        pos[k] = t[pos[k] + half - 1] < target[k] ? pos[k] + half : pos[k];
      }
      width -= half;
    }
    for (int32_t k = 0; k < len; ++k) {
      out[first + k] = decided(t, pos[k], base[k], target[k], v[k]);
    }
  }
#endif
}

}  // namespace mc

#if !defined(__CUDACC_RTC__)
#include <cstddef>
#include <functional>

namespace mc {

// Builds the table of kind with parameters p (valid, dist_params.h) into out,
// which has room for COUNT_HEADER + 2 COUNT_MAX_ENTRIES doubles, and returns
// its length: 0 when the kind has none or the distribution is a point mass.
// Host only; one evaluation of F per entry and half: Poisson(40), 98
// entries, 0.1 ms; Poisson(1e7), 8192 entries, 0.3 s (the compiler caches
// tables by parameters).
// stop: as build_table's (dist_table.h), asked every 256 counts; a stopped
// build returns static_cast<size_t>(-1).
size_t build_count_table(int32_t kind, const double* p, double* out,
                         const std::function<bool()>& stop = {});

}  // namespace mc
#endif
