// special.h: special functions behind the quantile functions, host and device.
//
// Exports (namespace mc):
//   madd, poly, is_finite             fused multiply-add, Horner, finiteness
//   vlog, vexp, vlog1p                elementary functions written without
//                                     branches or tables, so that gcc
//                                     vectorises loops calling them (glibc's
//                                     scalar calls would stop it) and host and
//                                     device compute the same values
//   normal_quantile(u)                Wichura's AS 241 (about 1e-16 relative)
//   normal_cdf(x)
//   lgamma_pos(x), lbeta(a, b)        ln Gamma(x) for x > 0, ln B(a, b)
//   gamma_reg(a, x, upper)            regularized incomplete gamma P or Q
//   ibeta(a, b, x, y, lb, upper)      regularized incomplete beta I_x(a, b) or
//                                     its complement, y = 1 - x, lb = ln B(a, b)
//   gamma_solve(a, p, upper, lga)     x with P(a, x) = p (or Q(a, x) = p)
//   beta_solve(a, b, p, lb)           x with I_x(a, b) = p
//
// Accuracy: vlog and vexp are within about 1 ulp. The incomplete functions
// reach about 1e-14 relative in the tail they are asked for (ask for the
// upper tail rather than computing 1 - P). The solvers stop after a Halley
// step of relative size r once r^3 (1 + a + b + x^2) <= 1e-17: Halley's error
// after the step is about r^3 times a constant of that size, so x is then as
// accurate as the function inverted, usually after two evaluations. For beta
// r is relative to min(x, 1 - x): near 1 the scale that matters is 1 - x.
//
// For large shapes the weights x^a e^-x / Gamma(a) and x^a y^b / B(a, b)
// use Stirling's form, so accuracy holds (Gamma(1e4) and Beta(1000, 2000)
// quantiles agree with scipy to 1e-15). Known limit: the series and continued
// fractions need O(sqrt(shape)) terms, so shapes beyond about 1e7 are slow;
// dist.h caps the binomial n and Poisson lambda there, while Gamma and
// BetaGeneral shapes are not capped and just get slower.
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
constexpr double HALF_LN_2PI = 0.91893853320467274178;
constexpr double LN2_HI = 0x1.62e42feep-1;  // ln 2 to 32 bits: k LN2_HI is exact
constexpr double LN2_LO = 0x1.a39ef35793c76p-33;
constexpr double INV_LN2 = 0x1.71547652b82fep+0;

#if defined(__CUDACC__) || defined(__CUDACC_RTC__) || defined(__FMA__)
MC_INLINE double madd(double a, double b, double c) { return fma(a, b, c); }
#else
// Without FMA hardware fma() is a slow library call: round twice instead.
MC_INLINE double madd(double a, double b, double c) { return a * b + c; }
#endif

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

// Standard normal quantile, Wichura's AS 241 (Applied Statistics 37, 1988):
// three rational approximations, selected before the one division so the
// function has no branches.
MC_INLINE double normal_quantile(double u) {
  double q = u - 0.5;
  double r = 0.180625 - q * q;
  double cn = q * poly(r, 3.3871328727963666080e0, 1.3314166789178437745e+2,
                       1.9715909503065514427e+3, 1.3731693765509461125e+4,
                       4.5921953931549871457e+4, 6.7265770927008700853e+4,
                       3.3430575583588128105e+4, 2.5090809287301226727e+3);
  double cd =
      poly(r, 1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
           5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
           2.8729085735721942674e+4, 5.2264952788528545610e+3);
  double s = sqrt(-vlog(q < 0.0 ? u : 1.0 - u));
  double s1 = s - 1.6, s2 = s - 5.0;
  double n1 = poly(s1, 1.42343711074968357734e0, 4.63033784615654529590e0,
                   5.76949722146069140550e0, 3.64784832476320460504e0,
                   1.27045825245236838258e0, 2.41780725177450611770e-1,
                   2.27238449892691845833e-2, 7.74545014278341407640e-4);
  double d1 = poly(s1, 1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
                   6.89767334985100004550e-1, 1.48103976427480074590e-1,
                   1.51986665636164571966e-2, 5.47593808499534494600e-4,
                   1.05075007164441684324e-9);
  double n2 = poly(s2, 6.65790464350110377720e0, 5.46378491116411436990e0,
                   1.78482653991729133580e0, 2.96560571828504891230e-1,
                   2.65321895265761230930e-2, 1.24266094738807843860e-3,
                   2.71155556874348757815e-5, 2.01033439929228813265e-7);
  double d2 = poly(s2, 1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
                   1.48753612908506148525e-2, 7.86869131145613259100e-4,
                   1.84631831751005468180e-5, 1.42151175831644588870e-7,
                   2.04426310338993978564e-15);
  double tn = s <= 5.0 ? n1 : n2;
  double td = s <= 5.0 ? d1 : d2;
  bool central = fabs(q) <= 0.425;
  double num = central ? cn : (q < 0.0 ? -tn : tn);
  return num / (central ? cd : td);
}

// ln Gamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)] for x >= 10, by
// Stirling's series (eight terms: error below 1e-17 there).
MC_HD double stirling_tail(double x) {
  double z = 1.0 / (x * x);
  return poly(z, 1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188,
              -691.0 / 360360, 1.0 / 156, -3617.0 / 122400) /
         x;
}

// ln Gamma(x) for x > 0: Stirling from 10 up, the recurrence below. The
// absolute error is about 2e-15 for x below 1e3 (its uses are exponents).
MC_HD double lgamma_pos(double x) {
  double prod = 1.0;
  for (; x < 10.0; x += 1.0) prod *= x;
  double big = (x - 0.5) * vlog(x) - x + HALF_LN_2PI + stirling_tail(x);
  return big - vlog(prod);
}

// ln B(a, b) without the cancellation of ln Gamma(b) - ln Gamma(a + b) for a
// large b (Stirling's form of that difference, or of the whole for two large
// shapes), which would cost 1e-12 in the incomplete beta for b near 500.
MC_HD double lbeta(double a, double b) {
  double lo = a < b ? a : b, hi = a < b ? b : a, sum = a + b;
  if (hi < 10.0) return lgamma_pos(a) + lgamma_pos(b) - lgamma_pos(sum);
  double tails = stirling_tail(hi) - stirling_tail(sum);
  if (lo < 10.0) {
    return lgamma_pos(lo) - (hi - 0.5) * vlog1p(lo / hi) - lo * vlog(sum) + lo + tails;
  }
  return HALF_LN_2PI + (lo - 0.5) * vlog(lo / sum) + (hi - 0.5) * vlog(hi / sum) -
         0.5 * vlog(sum) + stirling_tail(lo) + tails;
}

namespace special_detail {

constexpr int MAX_TERMS = 100000;
constexpr double EPS = 1e-16;
constexpr double TINY = 1e-300;  // keeps Lentz's denominators away from zero

MC_HD double not_tiny(double v) { return fabs(v) < TINY ? TINY : v; }

// ln(x^a e^-x / Gamma(a)). For a >= 10 the Stirling form
// a (ln(x/a) - (x-a)/a) + ln(a)/2 - ln sqrt(2 pi) - stirling_tail(a) avoids
// subtracting two numbers of size a ln a.
MC_HD double log_gamma_weight(double a, double x) {
  if (a < 10.0) return a * vlog(x) - x - lgamma_pos(a);
  double d = (x - a) / a;
  double l = fabs(d) < 0.5 ? vlog1p(d) : vlog(x / a);
  return a * (l - d) + 0.5 * vlog(a) - HALF_LN_2PI - stirling_tail(a);
}

// Sum of the series of P(a, x) e^x Gamma(a + 1) / x^a (for x < a + 1).
MC_HD double gamma_series(double a, double x) {
  double term = 1.0, sum = 1.0, ap = a;
  for (int i = 0; i < MAX_TERMS && term > sum * EPS; ++i) {
    ap += 1.0;
    term *= x / ap;
    sum += term;
  }
  return sum;
}

// Legendre's continued fraction of Q(a, x) e^x Gamma(a) / x^a (for
// x >= a + 1), by the modified Lentz method.
MC_HD double gamma_fraction(double a, double x) {
  double b = x + 1.0 - a, c = 1.0 / TINY, d = 1.0 / b, h = d;
  for (int i = 1; i < MAX_TERMS; ++i) {
    double an = -i * (i - a);
    b += 2.0;
    d = 1.0 / not_tiny(madd(an, d, b));
    c = not_tiny(b + an / c);
    double delta = d * c;
    h *= delta;
    if (fabs(delta - 1.0) < EPS) break;
  }
  return h;
}

// The continued fraction of I_x(a, b) a B(a, b) / (x^a (1-x)^b),
// 1 / (1 + d1 / (1 + d2 / (1 + ...))); it converges fast for
// x < (a + 1) / (a + b + 2). Evaluated by the forward recurrence of the
// convergents A / B, two terms per pass with one division for the pair of
// coefficients and one for the convergent, instead of Lentz's six: this is
// the inner loop of every beta quantile. Rescaling keeps A and B in range.
MC_HD double beta_fraction(double a, double b, double x) {
  double a_prev = 1.0, a_cur = 1.0;
  double b_prev = 1.0, b_cur = 1.0 - (a + b) * x / (a + 1.0);
  double h = a_cur / not_tiny(b_cur);
  for (int m = 1; m < MAX_TERMS; ++m) {
    double m2 = 2.0 * m;
    double even_num = m * (b - m) * x, even_den = (a + m2 - 1.0) * (a + m2);
    double odd_num = -(a + m) * (a + b + m) * x, odd_den = (a + m2) * (a + m2 + 1.0);
    double inv = 1.0 / (even_den * odd_den);
    double even = even_num * odd_den * inv, odd = odd_num * even_den * inv;
    double a_mid = madd(even, a_prev, a_cur), b_mid = madd(even, b_prev, b_cur);
    a_prev = a_mid;
    b_prev = b_mid;
    a_cur = madd(odd, a_cur, a_mid);
    b_cur = madd(odd, b_cur, b_mid);
    double scale = fabs(b_cur) > 1e100 || fabs(b_cur) < 1e-100 ? 1.0 / b_cur : 1.0;
    a_prev *= scale, b_prev *= scale, a_cur *= scale, b_cur *= scale;
    double next = a_cur / not_tiny(b_cur);
    bool done = fabs(next - h) <= EPS * fabs(next);
    h = next;
    if (done) break;
  }
  return h;
}

}  // namespace special_detail

// P(a, x) = gamma(a, x) / Gamma(a), or Q(a, x) = 1 - P(a, x) when upper; a > 0.
MC_HD double gamma_reg(double a, double x, bool upper) {
  using namespace special_detail;
  if (!(x > 0.0)) return upper ? 1.0 : 0.0;
  if (x == MC_INF) return upper ? 0.0 : 1.0;
  double w = vexp(log_gamma_weight(a, x));
  if (x < a + 1.0) {
    double p = w * gamma_series(a, x) / a;
    return upper ? 1.0 - p : p;
  }
  double q = w * gamma_fraction(a, x);
  return upper ? q : 1.0 - q;
}

// Standard normal distribution function, Phi(x) = Q(1/2, x^2/2) / 2 for x < 0.
MC_HD double normal_cdf(double x) {
  double half_tail = 0.5 * gamma_reg(0.5, 0.5 * x * x, true);
  return x < 0.0 ? half_tail : 1.0 - half_tail;
}

namespace special_detail {

// ln(1 + d) - d, given r = 1 + d unrounded where d is large.
MC_HD double log1pmx(double d, double r) {
  return (fabs(d) < 0.5 ? vlog1p(d) : vlog(r)) - d;
}

// ln(x^a y^b / B(a, b)) with y = 1 - x, lb = ln B(a, b). For a, b >= 10 the
// Stirling form a (ln(x/x0) - d1) + b (ln(y/y0) - d2) + ln(ab/(a+b))/2 - ...
// with x0 = a / (a + b) avoids subtracting numbers of size a ln a, which
// would cost digits for large binomial counts.
MC_HD double log_beta_weight(double a, double b, double x, double y, double lb) {
  if (a < 10.0 || b < 10.0) {
    double lx = x < 0.5 ? vlog(x) : vlog1p(-y);
    double ly = y < 0.5 ? vlog(y) : vlog1p(-x);
    return a * lx + b * ly - lb;
  }
  double x0 = a / (a + b), y0 = b / (a + b);
  double diff = x <= y ? x - x0 : y0 - y;  // x - x0 from the smaller one
  double d1 = diff / x0, d2 = -diff / y0;
  double terms = a * log1pmx(d1, x / x0) + b * log1pmx(d2, y / y0);
  return terms + 0.5 * vlog(a * (b / (a + b))) - HALF_LN_2PI - stirling_tail(a) -
         stirling_tail(b) + stirling_tail(a + b);
}

}  // namespace special_detail

// I_x(a, b), or 1 - I_x(a, b) when upper; y = 1 - x exactly, lb = ln B(a, b).
MC_HD double ibeta(double a, double b, double x, double y, double lb, bool upper) {
  using special_detail::beta_fraction;
  if (!(x > 0.0)) return upper ? 1.0 : 0.0;
  if (!(y > 0.0)) return upper ? 0.0 : 1.0;
  double w = vexp(special_detail::log_beta_weight(a, b, x, y, lb));
  if (x * (a + b + 2.0) < a + 1.0) {
    double lower = w * beta_fraction(a, b, x) / a;
    return upper ? 1.0 - lower : lower;
  }
  double comp = w * beta_fraction(b, a, y) / b;
  return upper ? comp : 1.0 - comp;
}

namespace special_detail {

// One Halley step for F(x) = target: err = F(x) - target, lf = ln F'(x),
// curv = F''(x) / F'(x). The correction factor is kept within [2/3, 2] of
// the Newton step: far from the root an unclamped one would crawl, while a
// Newton step overshoots the bracket and the caller bisects instead.
MC_HD double halley_step(double err, double lf, double curv) {
  double step = err / vexp(lf);
  double c = step * curv;
  c = c < 1.0 ? (c > -1.0 ? c : -1.0) : 1.0;
  return step / (1.0 - 0.5 * c);
}

// Whether a Halley step of relative size r finished the solve: the error
// left after it is about r^3 (1 + size) relative (see the file header).
MC_HD bool converged(double r, double size) {
  r = fabs(r);
  return r * r * r * (1.0 + size) <= 1e-17 || r <= 1e-13;
}

// A point inside the bracket (lo, hi) for when a Halley step leaves it:
// the midpoint, or a step of a factor 8 towards 0 or beyond the last point.
MC_HD double bisect(double x, double lo, double hi) {
  if (hi == MC_INF) return 8.0 * x + 1.0;
  return lo > 0.0 ? 0.5 * (lo + hi) : 0.125 * hi;
}

// Starting point for beta_solve: Abramowitz and Stegun 26.5.22 (a normal
// approximation) when a, b >= 1, else the power laws at each end.
MC_HD double beta_guess(double a, double b, double p) {
  if (a >= 1.0 && b >= 1.0) {
    double yp = -normal_quantile(p);
    double lam = (yp * yp - 3.0) / 6.0;
    double s = 1.0 / (2.0 * a - 1.0), t = 1.0 / (2.0 * b - 1.0);
    double h = 2.0 / (s + t);
    double w = yp * sqrt(h + lam) / h - (t - s) * (lam + 5.0 / 6.0 - 2.0 / (3.0 * h));
    return a / (a + b * vexp(2.0 * w));
  }
  double la = vlog(a / (a + b)), lb = vlog(b / (a + b));
  double t = vexp(a * la) / a, u = vexp(b * lb) / b, w = t + u;
  if (p < t / w) return vexp(vlog(a * w * p) / a);
  return 1.0 - vexp(vlog(b * w * (1.0 - p)) / b);
}

// Starting point for gamma_solve: Wilson-Hilferty for a > 1, else a power
// law below and an exponential tail above.
MC_HD double gamma_guess(double a, double p, bool upper) {
  double z = upper ? -normal_quantile(p) : normal_quantile(p);
  if (a > 1.0) {
    double c = 1.0 - 1.0 / (9.0 * a) + z / (3.0 * sqrt(a));
    return c > 0.05 ? a * c * c * c : 0.0;
  }
  double t = 1.0 - a * (0.253 + 0.12 * a);
  double lower = upper ? 1.0 - p : p;
  if (lower < t) return vexp(vlog(lower / t) / a);
  return 1.0 - vlog(upper ? p / (1.0 - t) : (1.0 - lower) / (1.0 - t));
}

}  // namespace special_detail

// The x in [0, 1] with I_x(a, b) = p, lb = ln B(a, b). Solve for the smaller
// tail (I_{1-x}(b, a) = 1 - p) when p > 1/2 to keep relative accuracy near 1.
MC_HD double beta_solve(double a, double b, double p, double lb) {
  using namespace special_detail;
  if (!(p > 0.0)) return 0.0;
  if (!(p < 1.0)) return 1.0;
  // Leading term of the lower tail, I_x = x^a / (a B(a, b)) (1 + O(x)): exact
  // to double precision wherever x underflows, and a good start when small.
  // With the next term, x = x0 (1 + (b - 1) x0 / (a + 1)); used while that
  // correction is small.
  double lx = (vlog(p) + vlog(a) + lb) / a;
  if (lx < -700.0) return vexp(lx);
  double x0 = vexp(lx), correction = (b - 1.0) * x0 / (a + 1.0);
  double x = fabs(correction) < 0.05 ? x0 * (1.0 + correction) : beta_guess(a, b, p);
  if (!(x > 0.0 && x < 1.0)) x = 0.5;
  double lo = 0.0, hi = 1.0;
  for (int it = 0; it < 100; ++it) {
    double y = 1.0 - x;
    double err = ibeta(a, b, x, y, lb, false) - p;
    if (err == 0.0) return x;
    if (err < 0.0)
      lo = x;
    else
      hi = x;
    double lf = (a - 1.0) * vlog(x) + (b - 1.0) * vlog1p(-x) - lb;
    double t = halley_step(err, lf, (a - 1.0) / x - (b - 1.0) / y);
    double xn = x - t;
    if (converged(t / (x < y ? x : y), a + b)) return xn;  // relative to the nearer end
    if (!(xn > lo && xn < hi)) xn = bisect(x, lo, hi);
    if (hi - lo <= 0x1p-52 * hi) return xn;
    x = xn;
  }
  return x;
}

// The x >= 0 with P(a, x) = p, or Q(a, x) = p when upper; lga = ln Gamma(a).
// Pass the smaller tail for relative accuracy at both ends.
MC_HD double gamma_solve(double a, double p, bool upper, double lga) {
  using namespace special_detail;
  if (!(p > 0.0)) return upper ? MC_INF : 0.0;
  if (!(p < 1.0)) return upper ? 0.0 : MC_INF;
  double x = gamma_guess(a, p, upper);
  if (!upper) {
    // Leading term of the lower tail, P = x^a / Gamma(a + 1) (1 + O(x)), and
    // with the next one x = x0 (1 + x0 / (a + 1)); used while that is small.
    double lx = (vlog(p) + lga + vlog(a)) / a;
    if (lx < -700.0) return vexp(lx);
    double x0 = vexp(lx), correction = x0 / (a + 1.0);
    if (correction < 0.05 || !(x > 0.0)) x = x0 * (1.0 + correction);
  }
  if (!(x > 0.0 && x < MC_INF)) x = a;
  double lo = 0.0, hi = MC_INF;
  for (int it = 0; it < 100; ++it) {
    double v = gamma_reg(a, x, upper);
    double err = upper ? p - v : v - p;
    if (err == 0.0) return x;
    if (err < 0.0)
      lo = x;
    else
      hi = x;
    double lf = (a - 1.0) * vlog(x) - x - lga;
    double t = halley_step(err, lf, (a - 1.0) / x - 1.0);
    double xn = x - t;
    if (converged(t / x, a + x * x)) return xn;
    if (!(xn > lo && xn < hi)) xn = bisect(x, lo, hi);
    if (hi < MC_INF && hi - lo <= 0x1p-52 * hi) return xn;
    x = xn;
  }
  return x;
}

}  // namespace mc
