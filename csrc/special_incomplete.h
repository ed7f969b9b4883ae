// special_incomplete.h: the incomplete gamma and beta functions, host and
// device.
//
// Exports (namespace mc):
//   HALF_LN_2PI, stirling_tail(x)
//   lgamma_pos(x), lbeta(a, b)        ln Gamma(x) for x > 0, ln B(a, b)
//   gamma_reg(a, x, upper)            regularized incomplete gamma P or Q
//   ibeta(a, b, x, y, lb, upper)      regularized incomplete beta I_x(a, b) or
//                                     its complement, y = 1 - x, lb = ln B(a, b)
//
// Accuracy: the incomplete functions reach about 1e-14 relative in the tail
// they are asked for (ask for the upper tail rather than computing 1 - P).
// For large shapes the weights x^a e^-x / Gamma(a) and x^a y^b / B(a, b)
// use Stirling's form, so accuracy holds (Gamma(1e4) and Beta(1000, 2000)
// quantiles agree with scipy to 1e-15).
//
// Known limit: the series and continued fractions need O(sqrt(shape)) terms,
// so shapes beyond about 1e7 are slow; dist_params.h caps the binomial n and
// Poisson lambda there, while Gamma and BetaGeneral shapes are not capped and
// just get slower.
#pragma once

#include "mc_defs.h"
#include "special_elementary.h"

namespace mc {

constexpr double HALF_LN_2PI = 0.91893853320467274178;

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

}  // namespace mc
