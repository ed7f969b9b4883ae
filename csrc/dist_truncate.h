// dist_truncate.h: truncated distributions (RiskTruncate, RiskTruncateP) of
// every kind, by inversion on the truncated part of (0, 1); host and device.
//
// Exports (namespace mc):
//   TruncMode                TRUNC_NONE, TRUNC_VALUES (bounds in the
//                            variable's own units), TRUNC_PROBS (bounds as
//                            probabilities of the untruncated variable)
//   Truncation, truncation_of(kind, p, aux, mode, lo, hi)
//                            the interval to sample, found once per
//                            parameter vector
//   truncated_value(kind, p, aux, t, u)
//                            the value at u in (0, 1)
//   sample_truncated_block(...) the block loop the evaluator calls
//   log_normal_cdf(z), normal_quantile_of_log(lp)
//                            ln Phi(z) and its inverse, for any z <= 0 and
//                            any lp < 0 (no underflow)
//
// The method. With F the distribution function, a truncated variable is
// Q(F(lo-) + u (F(hi) - F(lo-))). Generic kinds get F(lo-), F(hi) by
// bisection of their own quantile function over the bits of u: the largest
// u with Q(u) < lo and the largest with Q(u) <= hi, so every sample lies in
// [lo, hi] (discrete kinds included) and the truncation is exact relative to
// Q. The counting kinds (Binomial, Poisson, NegBin, Geomet, HyperGeo) find
// the same two u from F at the bounds, which their Q tests u against. Precision:
// probabilities down to 2^-1022 in the lower tail, and to 2^-53 in the upper tail,
// where u itself is that coarse. The normal kinds (Normal, Lognorm, Lognorm2) work on z
// instead, in log space, so any bounds work: the interval is mirrored to lie mostly
// below 0, and u maps to ln Phi(z) = ln(Phi(a) + u (Phi(b) - Phi(a))), inverted by
// Newton's method on ln Phi; Normal(0, 1) truncated to [38, inf) gives values just
// above 38. An interval without probability, or bounds not in order, is #NUM!; equal
// bounds are a point, which holds probability only for a discrete kind.
#pragma once

#include "dist.h"
#include "mc_defs.h"
#include "special_elementary.h"
#include "special_normal.h"

namespace mc {

enum TruncMode : int32_t { TRUNC_NONE = 0, TRUNC_VALUES = 1, TRUNC_PROBS = 2 };

struct Truncation {
  int32_t ok;      // 0: sample #NUM!
  int32_t normal;  // 1: a and b are bounds of z, else of u
  double a, b;     // z or u interval
  double lo, hi;   // values are clamped to [lo, hi] (rounding only)
};

namespace trunc_detail {

constexpr double LOG_SQRT_2PI = 0.91893853320467274178;
constexpr double INF = __builtin_huge_val();
// The uniforms bisection looks at: [2^-1022, 1 - 2^-53].
constexpr uint64_t U_MIN_BITS = 0x0010000000000000ull;
constexpr uint64_t U_MAX_BITS = 0x3FEFFFFFFFFFFFFFull;

MC_HD double from_bits(uint64_t b) { return double_of(b); }
MC_HD uint64_t to_bits(double d) { return bits_of(d); }

// prob_below for a counting kind, from F itself rather than by bisection:
// Q(u) <= k exactly when the quantile's own test holds at k, F(k) >= u for
// u <= 1/2 and P(X > k) <= 1 - u above, so the largest such u is F(k) or
// the largest double within 1 - P(X > k). The same answer as the bisection
// (its ~60 evaluations of Q become two of F: RiskPoisson(40) truncated with
// a varying parameter, 48 us -> ~1 us a value). false: not such a kind.
MC_HD bool count_prob_below(int32_t kind, const double* p, double x, bool inclusive,
                            double* result) {
  bool decided = false;
  auto from_f = [&](const auto& cdf, double offset, double top) {
    double k = (inclusive ? floor(x) : ceil(x) - 1.0) - offset;
    if (k < 0.0 || k >= top) {
      *result = k < 0.0 ? 0.0 : 1.0;
      decided = true;
      return;
    }
    double below = cdf(k, false), above = cdf(k, true), u;
    if (above < 0.5) {
      u = 1.0 - above;  // above 1/2: 1 - u is exact, the test U <= 1 - u
      if (1.0 - u < above) u = from_bits(to_bits(u) - 1);
      if (!(u > 0.5)) return;  // at 1/2 the other test decides
    } else {
      u = below < 0.5 ? below : 0.5;
    }
    const double least = from_bits(U_MIN_BITS), most = from_bits(U_MAX_BITS);
    *result = u >= most ? 1.0 : (u >= least ? u : 0.0);
    decided = true;
  };
  return dist_detail::with_count_cdf(kind, p, from_f) && decided;
}

// The largest u in [2^-1022, 1 - 2^-53] with Q(u) < x (inclusive: <= x); 0
// when there is none and 1 when every u qualifies.
MC_HD double prob_below(int32_t kind, const double* p, const double* aux, double x,
                        bool inclusive) {
  double counted;
  if (x > -INF && x < INF && count_prob_below(kind, p, x, inclusive, &counted)) {
    return counted;
  }
  auto below = [&](uint64_t bits) {
    double v = quantile(kind, p, aux, from_bits(bits));
    return inclusive ? v <= x : v < x;  // false for NaN
  };
  if (x == -INF || !below(U_MIN_BITS)) return 0.0;
  if (x == INF || below(U_MAX_BITS)) return 1.0;
  uint64_t yes = U_MIN_BITS, no = U_MAX_BITS;
  while (no - yes > 1) {
    uint64_t mid = yes + (no - yes) / 2;
    if (below(mid)) {
      yes = mid;
    } else {
      no = mid;
    }
  }
  return from_bits(yes);
}

MC_HD bool normal_kind(int32_t kind) {
  return kind == DIST_NORMAL || kind == DIST_LOGNORM || kind == DIST_LOGNORM2;
}

// z of the value x for a normal kind: (x - mu) / sigma on the normal's or
// the logarithm's scale; -inf for x <= 0 on a logarithmic one.
MC_HD double z_of(int32_t kind, const double* p, double x) {
  if (kind == DIST_NORMAL) return (x - p[0]) / p[1];
  if (x <= 0.0) return -INF;
  if (kind == DIST_LOGNORM2) return (log(x) - p[0]) / p[1];
  double ratio = p[1] / p[0];
  double s2 = log1p(ratio * ratio);
  return (log(x) - (log(p[0]) - 0.5 * s2)) / sqrt(s2);
}

MC_HD double value_of_z(int32_t kind, const double* p, double z) {
  if (kind == DIST_NORMAL) return dist_detail::z_normal(p[0], p[1], z);
  if (kind == DIST_LOGNORM2) return dist_detail::z_lognorm2(p[0], p[1], z);
  return dist_detail::z_lognorm(p[0], p[1], z);
}

// Mills's ratio R(t) = Phi(-t) / phi(t) for t >= 20, by Laplace's continued
// fraction 1 / (t + 1 / (t + 2 / (t + 3 / ...))), 40 terms from the back
// (its error there is far below 1e-17).
MC_HD double mills_ratio(double t) {
  double f = t;
  for (int32_t k = 40; k >= 1; --k) f = t + k / f;
  return 1.0 / f;
}

}  // namespace trunc_detail

// ln Phi(z) for z <= 0, without underflow: from Phi itself down to -20,
// where Phi is still far above the smallest double, and from Mills's ratio
// below.
MC_HD double log_normal_cdf(double z) {
  using namespace trunc_detail;
  if (z == -INF) return -INF;
  if (z > -20.0) return log(normal_cdf(z));
  return -0.5 * z * z - LOG_SQRT_2PI + log(mills_ratio(-z));
}

// The z <= 0 with ln Phi(z) = lp, for lp < ln(1/2). Above e^-700 the normal
// quantile itself (accurate to the subnormal range); below, Newton's method
// on ln Phi from the tail's asymptote t^2 = -2 lp - ln(2 pi) - 2 ln t.
MC_HD double normal_quantile_of_log(double lp) {
  using namespace trunc_detail;
  if (lp > -700.0) return normal_quantile(exp(lp));
  if (lp == -INF) return -INF;
  double t = sqrt(-2.0 * lp);
  for (int32_t i = 0; i < 2; ++i)
    t = sqrt(-2.0 * lp - 2.0 * LOG_SQRT_2PI - 2.0 * log(t));
  for (int32_t i = 0; i < 4; ++i) {
    double r = mills_ratio(t);
    double f = -0.5 * t * t - LOG_SQRT_2PI + log(r) - lp;
    t += f * r;  // d/dt ln Phi(-t) = -1 / R(t)
  }
  return -t;
}

// The standard normal truncated to [a, b] (a < b) at u: the interval is
// mirrored to lie mostly below 0; one straddling 0 then has ordinary
// probabilities at both ends, and one below 0 is sampled in log space.
MC_HD double truncated_std_normal(double a, double b, double u) {
  bool flip = a + b > 0.0;
  if (flip) {
    double t = a;
    a = -b;
    b = -t;
    u = 1.0 - u;
  }
  double z;
  if (b > 0.0) {
    double pa = a == -trunc_detail::INF ? 0.0 : normal_cdf(a);
    double pb = normal_cdf(b);
    z = normal_quantile(pa + u * (pb - pa));
  } else {
    double la = log_normal_cdf(a), lb = log_normal_cdf(b);
    double r = exp(la - lb);  // Phi(a) / Phi(b), 0 for a = -inf
    z = normal_quantile_of_log(lb + log(r + u * (1.0 - r)));
  }
  z = z < a ? a : (z > b ? b : z);
  return flip ? -z : z;
}

// The interval to sample for parameters p (and aux) truncated by mode to
// [lo, hi]: not ok when the parameters are invalid, the bounds are not in
// order (or, as probabilities, not within [0, 1]), or the interval holds
// no probability.
MC_HD Truncation truncation_of(int32_t kind, const double* p, const double* aux,
                               int32_t mode, double lo, double hi) {
  using namespace trunc_detail;
  Truncation t{0, 0, 0.0, 0.0, -INF, INF};
  double probe = quantile(kind, p, aux, 0.5);
  if (probe != probe || !(lo <= hi)) return t;  // NaN: invalid parameters
  if (mode == TRUNC_PROBS) {
    if (!(lo >= 0.0 && hi <= 1.0 && lo < hi)) return t;
    t.a = lo;
    t.b = hi;
  } else if (normal_kind(kind)) {
    t.normal = 1;
    t.a = z_of(kind, p, lo);
    t.b = z_of(kind, p, hi);
    t.lo = lo;
    t.hi = hi;
    t.ok = t.a < t.b ? 1 : 0;
    return t;
  } else {
    t.a = prob_below(kind, p, aux, lo, false);
    t.b = prob_below(kind, p, aux, hi, true);
    t.lo = lo;
    t.hi = hi;
  }
  // u in (a, b], inside the uniforms the quantiles take.
  double top = from_bits(U_MAX_BITS);
  t.b = t.b < top ? t.b : top;
  t.ok = t.b > t.a ? 1 : 0;
  return t;
}

MC_HD double truncated_value(int32_t kind, const double* p, const double* aux,
                             const Truncation& t, double u) {
  if (!t.ok || !(u > 0.0 && u < 1.0)) return error_value(ERR_NUM);
  double x;
  if (t.normal) {
    x = trunc_detail::value_of_z(kind, p, truncated_std_normal(t.a, t.b, u));
  } else {
    double v = t.a + u * (t.b - t.a);
    double least = trunc_detail::from_bits(trunc_detail::to_bits(t.a) + 1);
    v = v < least ? least : (v > t.b ? t.b : v);
    x = quantile(kind, p, aux, v);
  }
  return x < t.lo ? t.lo : (x > t.hi ? t.hi : x);
}

// out[k] = the truncated quantile at u[k] with parameters params[m][k] and
// bounds lo[k], hi[k] (fixed: all read at k = 0, and the interval found
// once for the block).
MC_HD void sample_truncated_block(int32_t kind, const double* const* params,
                                  const double* aux, const double* u, double* out,
                                  int32_t n, bool fixed, int32_t mode, const double* lo,
                                  const double* hi) {
  const int32_t np = param_count(kind);
  double p[4] = {0.0, 0.0, 0.0, 0.0};
  if (fixed) {
    for (int32_t i = 0; i < np; ++i) p[i] = params[i][0];
    Truncation t = truncation_of(kind, p, aux, mode, lo[0], hi[0]);
    for (int32_t k = 0; k < n; ++k) out[k] = truncated_value(kind, p, aux, t, u[k]);
    return;
  }
  for (int32_t k = 0; k < n; ++k) {
    for (int32_t i = 0; i < np; ++i) p[i] = params[i][k];
    Truncation t = truncation_of(kind, p, aux, mode, lo[k], hi[k]);
    out[k] = truncated_value(kind, p, aux, t, u[k]);
  }
}

}  // namespace mc
