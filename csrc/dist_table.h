// dist_table.h: fast inversion of the beta and gamma distributions, host and
// device.
//
// Exports (namespace mc):
//   inversion_header(family, a, b, lo, hi, scale, h)   fill a header (below)
//   inversion_exact(h, u)     the exact quantile a header describes (Halley
//                             on the incomplete beta or gamma function)
//   table_quantile(t, u)      the quantile read from a table
//   table_block(t, u, out, n) over a block: vectorised, exact beyond the table
//                             (Pert's table on Zen 3, in one run: 10.6 ns a
//                             value through the tails' grid alone, 5.6 with
//                             the central one)
//   build_table(kind, p, out) (host only, dist_table.cpp) make a table
//
// The idea is UNU.RAN's PINV (Derflinger, Hoermann and Leydold, 2010):
// interpolate the inverse distribution function once, then each sample costs
// a lookup. Here the interpolation works in coordinates where the inverse is
// nearly polynomial all the way into the tails. The variable is
// x = lo + scale S with S standardised (Beta(a, b) on [0, 1], or Gamma(a)),
// and each half u <= 1/2, u > 1/2 is tabulated in
//   m = min(u, 1 - u)          (1 - u is exact for u >= 1/2)
//   v = sqrt(-ln m)            in [sqrt(ln 2), sqrt(64 ln 2)] for m >= 2^-64
//   y = ln S, or ln(1 - S) in a beta interval where S >= 1/2 throughout
//   x = off + fac e^y          with the interval's own off and fac.
// In a power-law tail (S ~ c m^(1/a)) y is exactly quadratic in v, and in an
// exponential tail (S ~ -ln m) it is ln(v^2) plus a slowly varying term, so
// quintics on a uniform v grid suffice; no search is needed, which keeps the
// lookup vectorisable on the CPU and branch-free on a GPU. Holding ln(1 - S)
// where S > 1/2 keeps the distance to max to full relative accuracy, as ln S
// does the distance to min.
//
// The error is measured while building, at five points inside every interval
// of both halves, against the exact inverse, and stored in the table:
//   TABLE_ERR_X   max relative error of min(S, 1 - S) (of S for gamma);
//                 for x this bounds |x_table - x| / min(x - min, max - x)
//   TABLE_ERR_U   max |F(x_table(u)) - u|
//   TABLE_ERR_UR  max |F(x_table(u)) - u| / min(u, 1 - u)
// build_table doubles the intervals per half (32 up to 1024) until
// TABLE_ERR_X <= TABLE_TARGET. Beyond the table (m < 2^-64) table_block
// falls back to the exact inverse, so any u in (0, 1) is served.
//
// Most u fall in the middle, where the quantile is smooth in u itself, so a
// second, central grid covers u in [TABLE_C_FROM, 1 - TABLE_C_FROM] (15/16 of
// the values) with quintics of x in u directly: a lookup there needs no
// logarithm, square root or exponential. It is built when it reaches the
// same TABLE_TARGET (on |x_table - x| / min(x - min, max - x), of x for
// gamma), and 1e-11 relative in u, with at most TABLE_C_MAX intervals;
// otherwise the table has none and the tails' grid serves every u. Its errors
// are measured like the tails' grid's and folded into the same slots.
//
// Layout: TABLE_HEADER doubles (slots below), then TABLE_RECORD doubles per
// interval, for the lower half and then the upper half: the quintic's six
// coefficients in t in [-1, 1] across the interval (constant first), then
// off and fac; then the central grid's intervals, TABLE_RECORD doubles each:
// the quintic's coefficients and two zeros. A header alone (inversion_header)
// describes the distribution for inversion_exact, which solves the lower half
// for S and the upper half for 1 - S (mirrored for beta: 1 - S follows
// Beta(b, a)).
#pragma once

#include "collect.h"
#include "mc_defs.h"
#include "special.h"

// With AVX-512 or AVX2 (not under nvcc) table_block reads the records by
// transposing them rather than gathering (transposed_quintics).
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MC_TABLE_AVX512 0
#define MC_TABLE_AVX2 0
#elif defined(__AVX512F__) && defined(__FMA__)
#define MC_TABLE_AVX512 1
#define MC_TABLE_AVX2 0
#include <immintrin.h>
#elif defined(__AVX2__) && defined(__FMA__)
#define MC_TABLE_AVX512 0
#define MC_TABLE_AVX2 1
#include <immintrin.h>
#else
#define MC_TABLE_AVX512 0
#define MC_TABLE_AVX2 0
#endif

namespace mc {

constexpr double TABLE_TAG = 20261204.0;  // identifies this layout: change with it
constexpr int32_t TABLE_HEADER = 24;
constexpr int32_t TABLE_DEGREE = 5;
constexpr int32_t TABLE_RECORD = TABLE_DEGREE + 3;        // coefficients, off, fac
constexpr double TABLE_V_START = 0.83255461115769775635;  // sqrt(ln 2)
constexpr double TABLE_V_END = 6.6604368892615820508;     // sqrt(64 ln 2)
constexpr double TABLE_M_MIN = 0x1p-64;
constexpr double TABLE_TARGET = 1e-12;
constexpr double TABLE_C_HALF = 0.46875;  // the central grid: |u - 1/2| <= 15/32
constexpr double TABLE_C_FROM = 0.5 - TABLE_C_HALF;
constexpr double TABLE_C_TO = 0.5 + TABLE_C_HALF;
constexpr int32_t TABLE_C_MAX = 1024;
constexpr int32_t FAMILY_BETA = 0;
constexpr int32_t FAMILY_GAMMA = 1;

// The header's slots. OFF_LO, FAC_LO map the exact lower half's solution S
// to x = off + fac S; OFF_HI, FAC_HI map the upper half's (1 - S for beta,
// S for gamma). A bare header has N = 0 and no measured errors.
enum TableSlot : int32_t {
  TABLE_KIND_TAG = 0,  // TABLE_TAG
  TABLE_FAMILY,        // FAMILY_BETA or FAMILY_GAMMA
  TABLE_A,             // shape a
  TABLE_B,             // shape b (beta)
  TABLE_LNORM,         // ln B(a, b) or ln Gamma(a)
  TABLE_OFF_LO,
  TABLE_FAC_LO,
  TABLE_OFF_HI,
  TABLE_FAC_HI,
  TABLE_N,      // intervals per half
  TABLE_V0,     // v at the start of the grid
  TABLE_INV_H,  // intervals per unit of v
  TABLE_ERR_X,  // the measured errors described above
  TABLE_ERR_U,
  TABLE_ERR_UR,
  TABLE_C_N,      // central intervals (0: no central grid)
  TABLE_C_INV_H,  // central intervals per unit of u
};

// Header of x = lo + scale S: S ~ Beta(a, b) on [lo, hi] (scale = hi - lo), or
// S ~ Gamma(a) (lo, hi and b unused).
MC_HD void inversion_header(int32_t family, double a, double b, double lo, double hi,
                            double scale, double* h) {
  bool beta = family == FAMILY_BETA;
  for (int32_t i = 0; i < TABLE_HEADER; ++i) h[i] = 0.0;
  h[TABLE_KIND_TAG] = TABLE_TAG;
  h[TABLE_FAMILY] = family;
  h[TABLE_A] = a;
  h[TABLE_B] = beta ? b : 0.0;
  h[TABLE_LNORM] = beta ? lbeta(a, b) : lgamma_pos(a);
  h[TABLE_OFF_LO] = beta ? lo : 0.0;
  h[TABLE_FAC_LO] = scale;
  h[TABLE_OFF_HI] = beta ? hi : 0.0;
  h[TABLE_FAC_HI] = beta ? -scale : scale;
}

// The exact value of one half at tail probability m (<= 1/2): S with F(S) = m
// in the lower half; in the upper half 1 - S (beta, from the mirrored
// distribution) or S (gamma) with 1 - F(S) = m.
MC_HD double standard_quantile(const double* h, double m, bool upper) {
  double a = h[TABLE_A], b = h[TABLE_B], ln = h[TABLE_LNORM];
  if (static_cast<int32_t>(h[TABLE_FAMILY]) == FAMILY_GAMMA)
    return gamma_solve(a, m, upper, ln);
  return upper ? beta_solve(b, a, m, ln) : beta_solve(a, b, m, ln);
}

// The exact quantile at u in (0, 1) of the distribution header h describes.
// Each half solves its own tail; for beta its value s puts x at distance
// 1 - s from the other end with an absolute error near 1e-16 in s. Where
// 1 - s < 1e-3 (x near the other end) and the density exceeds 1, solving
// for that distance directly, from 1 - m, is the more accurate, and is done.
MC_HD double inversion_exact(const double* h, double u) {
  bool upper = u > 0.5;
  double m = upper ? 1.0 - u : u;
  double s = standard_quantile(h, m, upper);
  bool beta = static_cast<int32_t>(h[TABLE_FAMILY]) == FAMILY_BETA;
  if (beta && 1.0 - s < 1e-3) {
    double a = upper ? h[TABLE_B] : h[TABLE_A], b = upper ? h[TABLE_A] : h[TABLE_B];
    double log_density = (a - 1.0) * vlog(s) + (b - 1.0) * vlog1p(-s) - h[TABLE_LNORM];
    if (log_density > 0.0) {
      double other = beta_solve(b, a, 1.0 - m, h[TABLE_LNORM]);
      return upper ? madd(h[TABLE_FAC_LO], other, h[TABLE_OFF_LO])
                   : madd(h[TABLE_FAC_HI], other, h[TABLE_OFF_HI]);
    }
  }
  return upper ? madd(h[TABLE_FAC_HI], s, h[TABLE_OFF_HI])
               : madd(h[TABLE_FAC_LO], s, h[TABLE_OFF_LO]);
}

// The index in t of the interval record of one half at tail probability m
// (clamped to the table's range [2^-64, 1/2]) and the position t in [-1, 1]
// inside it. The header's grid (n, v0, inv_h) comes in as values so that a
// loop holds them in registers, and the record by index (not pointer) so
// that gcc recognises its loads as vector gathers.
MC_INLINE int32_t table_record(int32_t n, double v0, double inv_h, double m, bool upper,
                               double* tau) {
  double pos = (sqrt(-vlog(m)) - v0) * inv_h;
  pos = pos > 0.0 ? pos : 0.0;  // also maps NaN to 0: the index stays in range
  pos = pos < n ? pos : n;
  int32_t i = static_cast<int32_t>(pos);
  i = i < n - 1 ? i : n - 1;
  *tau = 2.0 * (pos - i) - 1.0;
  return TABLE_HEADER + TABLE_RECORD * (upper ? n + i : i);
}

MC_INLINE double table_lookup(const double* t, int32_t n, double v0, double inv_h,
                              double u) {
  bool upper = u > 0.5;
  double tau;
  int32_t r = table_record(n, v0, inv_h, upper ? 1.0 - u : u, upper, &tau);
  double y = poly(tau, t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5]);
  return madd(t[r + 7], vexp(y), t[r + 6]);
}

// Whether the central grid (when the table has one) serves u: the test
// collect_far makes, so that a block and a single value agree.
MC_INLINE bool in_centre(double u) { return fabs(u - 0.5) <= TABLE_C_HALF; }

// The index in t of the central record for u (clamped into the grid) and the
// position tau in [-1, 1] inside it; the grid's intervals follow the halves'.
MC_INLINE int32_t central_record(int32_t n, int32_t nc, double inv_h, double u,
                                 double* tau) {
  double pos = (u - TABLE_C_FROM) * inv_h;
  pos = pos > 0.0 ? pos : 0.0;  // also maps NaN to 0
  pos = pos < nc ? pos : nc;
  int32_t i = static_cast<int32_t>(pos);
  i = i < nc - 1 ? i : nc - 1;
  *tau = 2.0 * (pos - i) - 1.0;
  return TABLE_HEADER + TABLE_RECORD * (2 * n + i);
}

// The tabulated quantile at u in [2^-64, 1 - 2^-64] (clamped outside).
MC_INLINE double table_quantile(const double* t, double u) {
  int32_t n = static_cast<int32_t>(t[TABLE_N]), nc = static_cast<int32_t>(t[TABLE_C_N]);
  if (nc > 0 && in_centre(u)) {
    double tau;
    int32_t r = central_record(n, nc, t[TABLE_C_INV_H], u, &tau);
    return poly(tau, t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5]);
  }
  return table_lookup(t, n, t[TABLE_V0], t[TABLE_INV_H], u);
}

namespace table_detail {

constexpr int32_t CHUNK = 256;

// Beyond the table (m < 2^-64, or u not inside (0, 1)): the exact inverse, or
// #NUM!.
MC_HD double beyond_table(const double* t, double u) {
  double m = u > 0.5 ? 1.0 - u : u;
  return m > 0.0 ? inversion_exact(t, u) : error_value(ERR_NUM);
}

// The first pass of table_chunk: the record rec[k] and position y[k] of each
// u[k]; returns how many u[k] lie beyond the table.
MC_INLINE int32_t chunk_records(const double* t, const double* u, int32_t n,
                                int32_t* rec, double* y) {
  int32_t intervals = static_cast<int32_t>(t[TABLE_N]), beyond = 0;
  double v0 = t[TABLE_V0], inv_h = t[TABLE_INV_H];
  for (int32_t k = 0; k < n; ++k) {
    bool upper = u[k] > 0.5;
    double m = upper ? 1.0 - u[k] : u[k];
    rec[k] = table_record(intervals, v0, inv_h, m, upper, &y[k]);
    beyond += m >= TABLE_M_MIN ? 0 : 1;
  }
  return beyond;
}

#if MC_TABLE_AVX512 || MC_TABLE_AVX2
// The second pass one record at a time, for k in [first, n): y[k] = the
// quintic of record rec[k] at position y[k], and the record's off and fac.
MC_INLINE void record_quintics(const double* __restrict__ t, const int32_t* rec,
                               int32_t first, int32_t n, double* y, double* off,
                               double* fac) {
  for (int32_t k = first; k < n; ++k) {
    int32_t r = rec[k];
    y[k] = poly(y[k], t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5]);
    off[k] = t[r + 6];
    fac[k] = t[r + 7];
  }
}
#endif

#if MC_TABLE_AVX512
static_assert(TABLE_RECORD == 8, "a record fills one vector of eight doubles");

// Eight records, one vector each, transposed so that s[j] holds slot j of all
// eight: three rounds of shuffles, pairing vectors 1, 2 and 4 apart.
MC_INLINE void transpose_records(const double* t, const int32_t* rec, __m512d* s) {
  const __m512i pick[3][2] = {
      {{0, 8, 2, 10, 4, 12, 6, 14}, {1, 9, 3, 11, 5, 13, 7, 15}},
      {{0, 1, 8, 9, 4, 5, 12, 13}, {2, 3, 10, 11, 6, 7, 14, 15}},
      {{0, 1, 2, 3, 8, 9, 10, 11}, {4, 5, 6, 7, 12, 13, 14, 15}}};
  for (int32_t i = 0; i < 8; ++i) s[i] = _mm512_loadu_pd(t + rec[i]);
  for (int32_t round = 0; round < 3; ++round) {
    int32_t step = 1 << round;
    for (int32_t pair = 0; pair < 4; ++pair) {
      int32_t i = pair / step * 2 * step + pair % step, j = i + step;
      __m512d a = s[i & 7], b = s[j & 7];  // & 7: in range, and gcc can see it
      s[i & 7] = __builtin_shuffle(a, b, pick[round][0]);
      s[j & 7] = __builtin_shuffle(a, b, pick[round][1]);
    }
  }
}

// The second pass with AVX-512: y[k] = the quintic of record rec[k] at
// position y[k], and the record's off and fac, eight records at a time by
// loading and transposing them, which costs half as much as gathering (slow
// on Zen 4); the same fused multiply-adds in the same order give the same
// values as poly.
MC_INLINE void transposed_quintics(const double* __restrict__ t, const int32_t* rec,
                                   int32_t n, double* y, double* off, double* fac) {
  int32_t k = 0;
  for (; k + 8 <= n; k += 8) {
    __m512d s[8];
    transpose_records(t, rec + k, s);
    __m512d x = _mm512_loadu_pd(y + k), p = s[5];
    for (int32_t j = 4; j >= 0; --j) p = _mm512_fmadd_pd(p, x, s[j]);
    _mm512_storeu_pd(y + k, p);
    _mm512_storeu_pd(off + k, s[6]);
    _mm512_storeu_pd(fac + k, s[7]);
  }
  record_quintics(t, rec, k, n, y, off, fac);
}
#elif MC_TABLE_AVX2
static_assert(TABLE_RECORD == 8, "a record fills two vectors of four doubles");

// Rows r[0..3] of four doubles transposed in place: r[j] then holds element j
// of every row (two rounds of shuffles).
MC_INLINE void transpose4(__m256d* r) {
  __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// The second pass with AVX2, as with AVX-512 but four records at a time, each
// read as two halves of four slots: on Zen 3 the whole table_block took 10.0
// ns a value for Pert's table with gathered records, 7.8 transposed.
MC_INLINE void transposed_quintics(const double* __restrict__ t, const int32_t* rec,
                                   int32_t n, double* y, double* off, double* fac) {
  int32_t k = 0;
  for (; k + 4 <= n; k += 4) {
    __m256d low[4], high[4];
    for (int32_t i = 0; i < 4; ++i) {
      low[i] = _mm256_loadu_pd(t + rec[k + i]);
      high[i] = _mm256_loadu_pd(t + rec[k + i] + 4);
    }
    transpose4(low);
    transpose4(high);
    __m256d x = _mm256_loadu_pd(y + k), p = high[1];
    p = _mm256_fmadd_pd(p, x, high[0]);
    for (int32_t j = 3; j >= 0; --j) p = _mm256_fmadd_pd(p, x, low[j]);
    _mm256_storeu_pd(y + k, p);
    _mm256_storeu_pd(off + k, high[2]);
    _mm256_storeu_pd(fac + k, high[3]);
  }
  record_quintics(t, rec, k, n, y, off, fac);
}
#endif

// out[k] = table_lookup at u[k] for k < n <= CHUNK, by the tails' grid alone;
// returns how many u[k] lie beyond the table. In three vectorised passes, the
// records and positions, the quintics, and the exponential: each loop then
// keeps its values in registers, and the three take 5.8 ns a value on Zen 4
// where the one loop took 7.7 (4.3 with the records transposed rather than
// gathered).
MC_INLINE int32_t tails_chunk(const double* __restrict__ t, const double* u,
                              double* out, int32_t n) {
  int32_t rec[CHUNK];
  double y[CHUNK];
  int32_t beyond = chunk_records(t, u, n, rec, y);
#if MC_TABLE_AVX512 || MC_TABLE_AVX2
  double off[CHUNK], fac[CHUNK];
  transposed_quintics(t, rec, n, y, off, fac);
  for (int32_t k = 0; k < n; ++k) out[k] = madd(fac[k], vexp(y[k]), off[k]);
#else
  for (int32_t k = 0; k < n; ++k) {
    int32_t r = rec[k];
    y[k] = poly(y[k], t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5]);
  }
  for (int32_t k = 0; k < n; ++k)
    out[k] = madd(t[rec[k] + 7], vexp(y[k]), t[rec[k] + 6]);
#endif
  return beyond;
}

// out[k] = table_quantile at u[k] for k < n <= CHUNK; returns how many u[k]
// lie beyond the table (a GPU thread, with one value, returns n instead of
// counting). With a central grid, every value first takes its quintic there
// (a record clamped into the grid for the others), then the values outside
// it are gathered and only those go through the tails' grid.
MC_INLINE int32_t table_chunk(const double* __restrict__ t, const double* u,
                              double* out, int32_t n) {
#if defined(__CUDA_ARCH__)
  for (int32_t k = 0; k < n; ++k) out[k] = table_quantile(t, u[k]);
  return n;
#else
  int32_t nc = static_cast<int32_t>(t[TABLE_C_N]);
  if (nc <= 0) return tails_chunk(t, u, out, n);
  int32_t halves = static_cast<int32_t>(t[TABLE_N]), rec[CHUNK], rest[CHUNK + 16];
  double inv_h = t[TABLE_C_INV_H];
  for (int32_t k = 0; k < n; ++k)
    rec[k] = central_record(halves, nc, inv_h, u[k], &out[k]);
#if MC_TABLE_AVX512 || MC_TABLE_AVX2
  double off[CHUNK], fac[CHUNK];
  transposed_quintics(t, rec, n, out, off, fac);
#else
  for (int32_t k = 0; k < n; ++k) {
    int32_t r = rec[k];
    out[k] = poly(out[k], t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5]);
  }
#endif
  int32_t count = collect_far(u, 0, n, TABLE_C_HALF, rest);
  if (count == 0) return 0;
  double ru[CHUNK], rx[CHUNK];
  for (int32_t j = 0; j < count; ++j) ru[j] = u[rest[j]];
  int32_t beyond = tails_chunk(t, ru, rx, count);
  for (int32_t j = 0; j < count; ++j) out[rest[j]] = rx[j];
  return beyond;
#endif
}

}  // namespace table_detail

// out[k] = the quantile at u[k], from the table where it reaches and exactly
// beyond it; #NUM! where u[k] is not inside (0, 1). The table is never
// written while in use, so t is restrict-qualified: gcc then turns the
// record loads into gathers without an overlap check.
MC_LOOP void table_block(const double* __restrict__ t, const double* u, double* out,
                         int32_t n) {
  using namespace table_detail;
  for (int32_t first = 0; first < n; first += CHUNK) {
    int32_t end = n - first < CHUNK ? n : first + CHUNK;
    if (table_chunk(t, u + first, out + first, end - first) == 0) continue;
    for (int32_t k = first; k < end; ++k) {
      double m = u[k] > 0.5 ? 1.0 - u[k] : u[k];
      if (!(m >= TABLE_M_MIN)) out[k] = beyond_table(t, u[k]);
    }
  }
}

}  // namespace mc

#if !defined(__CUDACC_RTC__)
#include <cstddef>
#include <functional>

namespace mc {

constexpr int32_t TABLE_MAX_INTERVALS = 1024;
constexpr size_t TABLE_MAX_SIZE =
    TABLE_HEADER + (2 * TABLE_MAX_INTERVALS + TABLE_C_MAX) * TABLE_RECORD;

// Builds the table of kind (a DistKind) with parameters p into out, which has
// room for TABLE_MAX_SIZE doubles, and returns its length: 0 when the kind has
// no table or p is invalid or degenerate (min == max). For the counting kinds
// (has_count_table) the table is build_count_table's (dist_count_table.h). Host only;
// it runs the exact inverse about 2000 times for 128 intervals per half (milliseconds).
// stop, when given, is asked once an interval (or 256 counts); when it
// answers true the build is abandoned and returns TABLE_STOPPED.
constexpr size_t TABLE_STOPPED = static_cast<size_t>(-1);
size_t build_table(int32_t kind, const double* p, double* out,
                   const std::function<bool()>& stop = {});

}  // namespace mc
#endif
