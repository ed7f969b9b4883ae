// special_normal.h: the standard normal distribution, host and device.
//
// Exports (namespace mc):
//   normal_quantile(u)        Wichura's AS 241 (about 1e-16 relative)
//   normal_quantiles(u, z, n) the same over a block, bit for bit, in a third
//                             of the time on a CPU (1.6 ns a value on Zen 4)
//   normal_cdf(x)             Phi(x) from the incomplete gamma function, so
//                             as accurate as gamma_reg (special_incomplete.h)
//                             in the lower tail; above 0 it returns 1 minus
//                             that tail, exact only in absolute terms
#pragma once

#include "collect.h"
#include "mc_defs.h"
#include "special_elementary.h"
#include "special_incomplete.h"

namespace mc {

namespace normal_detail {

// A quotient whose division is left to the caller, so that normal_quantile
// selects its approximation before dividing (one division per value).
struct Ratio {
  double num, den;
};

// |q| <= 0.425, q = u - 1/2: the central approximation of AS 241 applies.
constexpr double CENTRAL_HALF = 0.425;
MC_INLINE bool is_central(double q) { return fabs(q) <= CENTRAL_HALF; }

MC_INLINE Ratio central_ratio(double q) {
  double r = 0.180625 - q * q;
  double cn = q * poly(r, 3.3871328727963666080e0, 1.3314166789178437745e+2,
                       1.9715909503065514427e+3, 1.3731693765509461125e+4,
                       4.5921953931549871457e+4, 6.7265770927008700853e+4,
                       3.3430575583588128105e+4, 2.5090809287301226727e+3);
  double cd =
      poly(r, 1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
           5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
           2.8729085735721942674e+4, 5.2264952788528545610e+3);
  return {cn, cd};
}

// The two tail approximations, in s = sqrt(-ln min(u, 1 - u)), joined at s = 5
// (m = min(u, 1 - u) = e^-25, about 1.4e-11).
constexpr double TAIL_JOIN = 5.0;

MC_INLINE double tail_s(double u, double q) {
  return sqrt(-vlog(q < 0.0 ? u : 1.0 - u));
}

MC_INLINE Ratio near_tail_ratio(double s) {
  double s1 = s - 1.6;
  double n1 = poly(s1, 1.42343711074968357734e0, 4.63033784615654529590e0,
                   5.76949722146069140550e0, 3.64784832476320460504e0,
                   1.27045825245236838258e0, 2.41780725177450611770e-1,
                   2.27238449892691845833e-2, 7.74545014278341407640e-4);
  double d1 = poly(s1, 1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
                   6.89767334985100004550e-1, 1.48103976427480074590e-1,
                   1.51986665636164571966e-2, 5.47593808499534494600e-4,
                   1.05075007164441684324e-9);
  return {n1, d1};
}

MC_INLINE Ratio far_tail_ratio(double s) {
  double s2 = s - 5.0;
  double n2 = poly(s2, 6.65790464350110377720e0, 5.46378491116411436990e0,
                   1.78482653991729133580e0, 2.96560571828504891230e-1,
                   2.65321895265761230930e-2, 1.24266094738807843860e-3,
                   2.71155556874348757815e-5, 2.01033439929228813265e-7);
  double d2 = poly(s2, 1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
                   1.48753612908506148525e-2, 7.86869131145613259100e-4,
                   1.84631831751005468180e-5, 1.42151175831644588870e-7,
                   2.04426310338993978564e-15);
  return {n2, d2};
}

MC_INLINE Ratio tail_ratio(double u, double q) {
  double s = tail_s(u, q);
  Ratio near = near_tail_ratio(s), far = far_tail_ratio(s);
  double tn = s <= TAIL_JOIN ? near.num : far.num;
  return {q < 0.0 ? -tn : tn, s <= TAIL_JOIN ? near.den : far.den};
}

}  // namespace normal_detail

// Standard normal quantile, Wichura's AS 241 (Applied Statistics 37, 1988):
// three rational approximations, selected before the one division so the
// function has no branches.
MC_INLINE double normal_quantile(double u) {
  using namespace normal_detail;
  double q = u - 0.5;
  Ratio c = central_ratio(q), t = tail_ratio(u, q);
  bool central = is_central(q);
  return (central ? c.num : t.num) / (central ? c.den : t.den);
}

namespace normal_detail {

// Writes to tail[] the indices k in [first, end) whose u[k] needs the tail
// approximation, in order, and returns their count; tail[] has room for
// end - first + 16 entries.
MC_INLINE int32_t collect_tails(const double* u, int32_t first, int32_t end,
                                int32_t* tail) {
  return collect_far(u, first, end, CENTRAL_HALF, tail);
}

// z[k] = the tail approximation at u[k], for values gathered contiguously so
// that the loop vectorises (on Zen 3, normal_quantiles took 6-7 ns a value
// with this loop scalar and branching on each value's side, 3-5 ns now).
// Only the near tail's approximation is computed in the loop; the rare value
// beyond the join (m < 1.4e-11) is then done again with both.
MC_LOOP void tail_quantiles(const double* __restrict__ u, double* __restrict__ z,
                            int32_t n) {
  int32_t far = 0;
  for (int32_t k = 0; k < n; ++k) {
    double q = u[k] - 0.5, s = tail_s(u[k], q);
    Ratio t = near_tail_ratio(s);
    z[k] = (q < 0.0 ? -t.num : t.num) / t.den;
    far += s <= TAIL_JOIN ? 0 : 1;
  }
  for (int32_t k = 0; far > 0 && k < n; ++k) {
    Ratio t = tail_ratio(u[k], u[k] - 0.5);
    z[k] = t.num / t.den;
  }
}

}  // namespace normal_detail

// z[k] = normal_quantile(u[k]) for 0 <= k < n, bit for bit, in about a
// third of the time on a CPU: every value first takes the central
// approximation (85% of them need no other), then the rest are gathered
// and only those pay for the logarithm and the tail approximations. A GPU thread has
// one value and computes it directly.
MC_LOOP void normal_quantiles(const double* __restrict__ u, double* __restrict__ z,
                              int32_t n) {
  using namespace normal_detail;
#if defined(__CUDA_ARCH__)
  for (int32_t k = 0; k < n; ++k) z[k] = normal_quantile(u[k]);
#else
  for (int32_t k = 0; k < n; ++k) {
    Ratio c = central_ratio(u[k] - 0.5);
    z[k] = c.num / c.den;
  }
  constexpr int32_t CHUNK = 512;
  int32_t tail[CHUNK + 16];
  for (int32_t first = 0; first < n; first += CHUNK) {
    int32_t count =
        collect_tails(u, first, n - first < CHUNK ? n : first + CHUNK, tail);
    double tu[CHUNK], tz[CHUNK];
    for (int32_t j = 0; j < count; ++j) tu[j] = u[tail[j]];
    tail_quantiles(tu, tz, count);
    for (int32_t j = 0; j < count; ++j) z[tail[j]] = tz[j];
  }
#endif
}

// Standard normal distribution function, Phi(x) = Q(1/2, x^2/2) / 2 for x < 0.
MC_HD double normal_cdf(double x) {
  double half_tail = 0.5 * gamma_reg(0.5, 0.5 * x * x, true);
  return x < 0.0 ? half_tail : 1.0 - half_tail;
}

}  // namespace mc
