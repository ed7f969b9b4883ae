// special_elementary.h: elementary functions for the kernels, host and device.
//
// Exports (namespace mc):
//   MC_INLINE, MC_LOOP        inlining macros for kernel functions (below)
//   MC_INF, LN2_HI, LN2_LO, INV_LN2
//   madd, poly, is_finite     fused multiply-add, Horner, finiteness
//   exact_madd                a b + c rounded once even without FMA hardware
//   u53_to_double, pow2i      integer to double, 2^j, both vectorisable
//   vlog, vexp, vlog1p, vexpm1
//                             elementary functions written without branches
//                             or tables, so that gcc vectorises loops calling
//                             them (glibc's scalar calls would stop it) and
//                             host and device compute the same values
//
// Accuracy: vlog and vexp are within about 1 ulp.
#pragma once

#include "mc_defs.h"

// MC_INLINE is MC_HD, and always inlined on the host as well: gcc vectorises
// a loop only when every call in it is inlined, and its heuristics leave
// larger functions such as normal_quantile out once they have several
// callers. (Under CUDA MC_HD already forces inlining.)
//
// MC_LOOP marks a function holding a loop meant to vectorise: on the host it
// stays out of line, because inlined into a large caller the loop's
// if-conversion can fail (seen with gcc 12) and the loop then runs scalar.
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MC_INLINE MC_HD
#define MC_LOOP MC_HD
#else
#define MC_INLINE inline __attribute__((always_inline))
#define MC_LOOP inline __attribute__((noinline))
#endif

namespace mc {

constexpr double MC_INF = __builtin_huge_val();
constexpr double LN2_HI = 0x1.62e42feep-1;  // ln 2 to 32 bits: k LN2_HI is exact
constexpr double LN2_LO = 0x1.a39ef35793c76p-33;
constexpr double INV_LN2 = 0x1.71547652b82fep+0;

#if defined(__CUDACC__) || defined(__CUDACC_RTC__) || defined(__FMA__)
MC_INLINE double madd(double a, double b, double c) { return fma(a, b, c); }
#else
// Without FMA hardware fma() is a slow library call: round twice instead.
MC_INLINE double madd(double a, double b, double c) { return a * b + c; }
#endif

// a b + c rounded once on every build, for the few decisions that depend on
// it being exact (IntUniform's step test); a library call without FMA.
MC_INLINE double exact_madd(double a, double b, double c) { return fma(a, b, c); }

// poly(x, c0, c1, ..., cn) = c0 + c1 x + ... + cn x^n by Horner's rule.
MC_INLINE double poly(double, double c0) { return c0; }
template <typename... Rest>
MC_INLINE double poly(double x, double c0, double c1, Rest... rest) {
  return madd(poly(x, c1, rest...), x, c0);
}

// False for NaN and infinities; compiles to one subtraction and compare.
MC_INLINE bool is_finite(double x) { return x - x == 0.0; }

// k < 2^53 as a double, exactly, from two 32-bit halves each placed in the
// mantissa of 2^52: AVX2 has no vector conversion of 64-bit integers, and
// with this the loops using it vectorise there too.
MC_INLINE double u53_to_double(uint64_t k) {
  double hi = double_of(0x4330000000000000ull | (k >> 32)) - 0x1p52;
  double lo = double_of(0x4330000000000000ull | (k & 0xFFFFFFFFull)) - 0x1p52;
  return madd(hi, 0x1p32, lo);
}

// 2^j for an integer-valued j with -1022 <= j <= 1023: j + 1023 lands in the
// low mantissa bits of the sum, which the shift moves into the exponent.
MC_INLINE double pow2i(double j) {
  return double_of(bits_of(j + (0x1p52 + 1023.0)) << 52);
}

// ln x for x >= 0 (subnormals included; 0 gives -inf, +inf gives +inf).
// x = 2^e m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = f / (2 + f),
// f = m - 1, written as f - s (f - R(s^2)) so the series only corrects f.
MC_INLINE double vlog(double x) {
  bool tiny = x < 0x1p-1022;
  uint64_t bits = bits_of(tiny ? x * 0x1p54 : x);
  double e = u53_to_double(bits >> 52) - (tiny ? 1077.0 : 1023.0);
  double m = double_of((bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  bool big = m > 1.4142135623730951;
  m = big ? 0.5 * m : m;
  e = big ? e + 1.0 : e;
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double z = s * s;
  double r = z * poly(z, 2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13,
                      2.0 / 15, 2.0 / 17, 2.0 / 19, 2.0 / 21, 2.0 / 23);
  double log_m = f - s * (f - r);
  double res = madd(e, LN2_HI, madd(e, LN2_LO, log_m));
  res = x == 0.0 ? -MC_INF : res;
  res = x == MC_INF ? x : res;
  return x >= 0.0 ? res : (x == x ? error_value(ERR_NUM) : x);
}

// e^x for any x: overflows to +inf above 709.78, underflows to 0 below -745.
// x = k ln 2 + r, |r| <= ln(2) / 2, e^r by its Taylor series to degree 13.
MC_INLINE double vexp(double x) {
  double xc = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);
  double k = xc * INV_LN2 + 0x1.8p52 - 0x1.8p52;  // round to nearest integer
  double r = madd(-k, LN2_LO, madd(-k, LN2_HI, xc));
  double p = poly(r, 1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
                  1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
                  1.0 / 479001600, 1.0 / 6227020800);
  double k1 = floor(0.5 * k);  // two factors keep each power of two in range
  double res = p * pow2i(k1) * pow2i(k - k1);
  return x == x ? res : x;
}

// ln(1 + x) for x > -1, accurate for small x: with w = 1 + x rounded,
// ln(w) x / (w - 1) cancels the rounding of w (Goldberg, 1991).
MC_INLINE double vlog1p(double x) {
  double w = 1.0 + x;
  double d = w - 1.0;
  double res = vlog(w) * (x / (d == 0.0 ? 1.0 : d));
  return d == 0.0 ? x : res;
}

// e^x - 1, accurate for small x: with w = e^x rounded, (w - 1) x / ln(w)
// cancels the rounding of w (Kahan); w - 1 itself where x is large.
MC_INLINE double vexpm1(double x) {
  double w = vexp(x);
  double d = w - 1.0;
  double res = d == 0.0 ? x : d * (x / vlog(w));
  res = w == MC_INF ? w : res;
  return fabs(x) < 1.0 ? res : d;
}

}  // namespace mc
