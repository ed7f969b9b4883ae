// dist_continuous.h: quantile functions of the continuous distributions, host
// and device.
//
// Exports (namespace mc):
//   pert_header(lo, mode, hi, h)   the inversion header (dist_table.h) of Pert
//   dist_detail::q_normal, q_lognorm2, q_lognorm, q_uniform, q_triang,
//   q_expon, q_weibull, q_beta, q_pert, q_gamma, q_invgauss, ...
//                                  one value each, for sample_block (dist.h)
//   dist_detail::z_normal, z_lognorm2, z_lognorm
//                                  the first three from the standard normal
//                                  quantile z instead of u
//
// Each assumes valid parameters (dist_params.h) and 0 < u < 1; sample_block
// turns anything else into #NUM!. The parameters are described in
// dist_params.h.
//
// Accuracy: within 4e-13 relative of scipy's quantiles over u in
// [1e-12, 1 - 1e-12] (the normal within 1e-15; tests/core/test_quantiles.py
// holds the measured bounds). Pert, BetaGeneral and Gamma solve F(x) = u by
// Halley's method per value (about half a microsecond); for constant
// parameters pass a table from build_table (dist_table.h) as aux for a lookup
// instead.
#pragma once

#include "dist_table.h"
#include "mc_defs.h"
#include "special_elementary.h"
#include "special_normal.h"

namespace mc {

// The inversion header (dist_table.h) of Pert(lo, mode, hi), lo < hi: @RISK's
// Pert is min + (max - min) Beta(1 + 4 (mode - min) / (max - min),
// 1 + 4 (max - mode) / (max - min)), whose mean is (min + 4 mode + max) / 6.
MC_HD void pert_header(double lo, double mode, double hi, double* h) {
  double range = hi - lo;
  double a = 1.0 + 4.0 * (mode - lo) / range, b = 1.0 + 4.0 * (hi - mode) / range;
  inversion_header(FAMILY_BETA, a, b, lo, hi, range, h);
}

namespace dist_detail {

// Normal, Lognorm2 and Lognorm from the standard normal quantile z at u, so
// that sample_block can take z for a whole block from normal_quantiles.
MC_INLINE double z_normal(double mean, double sd, double z) {
  return madd(sd, z, mean);
}

MC_INLINE double z_lognorm2(double mu, double sigma, double z) {
  return vexp(madd(sigma, z, mu));
}

// sigma^2 = ln(1 + sd^2 / mean^2), mu = ln(mean) - sigma^2 / 2, so that
// e^(mu + sigma z) = mean e^(sigma z - sigma^2 / 2): lognorm_shape gives
// sigma and -sigma^2 / 2, once for constant parameters.
struct LognormShape {
  double sigma, shift;
};

MC_INLINE LognormShape lognorm_shape(double mean, double sd) {
  double ratio = sd / mean;
  double s2 = vlog1p(ratio * ratio);
  return {sqrt(s2), -0.5 * s2};
}

MC_INLINE double z_lognorm_shaped(double mean, LognormShape s, double z) {
  return mean * vexp(madd(s.sigma, z, s.shift));
}

MC_INLINE double z_lognorm(double mean, double sd, double z) {
  return z_lognorm_shaped(mean, lognorm_shape(mean, sd), z);
}

MC_INLINE double q_normal(double mean, double sd, double u) {
  return z_normal(mean, sd, normal_quantile(u));
}

MC_INLINE double q_lognorm2(double mu, double sigma, double u) {
  return z_lognorm2(mu, sigma, normal_quantile(u));
}

MC_INLINE double q_lognorm(double mean, double sd, double u) {
  return z_lognorm(mean, sd, normal_quantile(u));
}

MC_INLINE double q_uniform(double lo, double hi, double u) {
  return madd(hi - lo, u, lo);
}

// Left of the mode F(x) = (x - lo)^2 / ((hi - lo) (mode - lo)); right of it
// 1 - F(x) = (hi - x)^2 / ((hi - lo) (hi - mode)).
// The side is chosen before the one square root (the values are those of
// taking both roots and then choosing).
MC_INLINE double q_triang(double lo, double mode, double hi, double u) {
  double range = hi - lo;
  bool left = u * range < mode - lo;
  double root = sqrt(left ? u * range * (mode - lo) : (1.0 - u) * range * (hi - mode));
  return left ? lo + root : hi - root;
}

MC_INLINE double q_expon(double mean, double u) { return -mean * vlog1p(-u); }

MC_INLINE double q_weibull(double shape, double scale, double u) {
  return scale * vexp(vlog(-vlog1p(-u)) / shape);
}

// Pert and BetaGeneral: min + (max - min) Beta(a, b), solved exactly.
MC_HD double q_beta(double a, double b, double lo, double hi, double u) {
  if (!(hi > lo)) return lo;
  double h[TABLE_HEADER];
  inversion_header(FAMILY_BETA, a, b, lo, hi, hi - lo, h);
  return inversion_exact(h, u);
}

MC_HD double q_pert(double lo, double mode, double hi, double u) {
  if (!(hi > lo)) return lo;
  double h[TABLE_HEADER];
  pert_header(lo, mode, hi, h);
  return inversion_exact(h, u);
}

MC_HD double q_gamma(double shape, double scale, double u) {
  double h[TABLE_HEADER];
  inversion_header(FAMILY_GAMMA, shape, 0.0, 0.0, 0.0, scale, h);
  return inversion_exact(h, u);
}

// ln(u / (1 - u)), each logarithm taken where its argument is exact (1 - u
// for u >= 1/2, u - 1 for u > 1/2 in log1p).
MC_INLINE double logit(double u) {
  return u < 0.5 ? vlog(u) - vlog1p(-u) : vlog1p(u - 1.0) - vlog(1.0 - u);
}

MC_INLINE double q_logistic(double alpha, double beta, double u) {
  return madd(beta, logit(u), alpha);
}

// gamma + beta (u / (1 - u))^(1 / alpha).
MC_INLINE double q_loglogistic(double gamma, double beta, double alpha, double u) {
  return madd(beta, vexp(logit(u) / alpha), gamma);
}

// Pareto(theta, alpha): F(x) = 1 - (alpha / x)^theta for x >= alpha.
MC_INLINE double q_pareto(double theta, double alpha, double u) {
  return alpha * vexp(-vlog1p(-u) / theta);
}

// Pareto2(b, q): F(x) = 1 - (b / (x + b))^q for x >= 0.
MC_INLINE double q_pareto2(double b, double q, double u) {
  return b * vexpm1(-vlog1p(-u) / q);
}

// ExtValue(alpha, beta): F(x) = exp(-exp(-(x - alpha) / beta)); vlog(u) is
// accurate near u = 1 as well (its reduction keeps u - 1 exact).
MC_INLINE double q_extvalue(double alpha, double beta, double u) {
  return alpha - beta * vlog(-vlog(u));
}

// ExtValueMin(alpha, beta): F(x) = 1 - exp(-exp((x - alpha) / beta)).
MC_INLINE double q_extvaluemin(double alpha, double beta, double u) {
  return madd(beta, vlog(-vlog1p(-u)), alpha);
}

MC_INLINE double q_rayleigh(double beta, double u) {
  return beta * sqrt(-2.0 * vlog1p(-u));
}

// Laplace(mu, sigma), sigma the standard deviation: scale sigma / sqrt(2).
MC_INLINE double q_laplace(double mu, double sigma, double u) {
  double b = sigma * 0.70710678118654752440;
  return u < 0.5 ? madd(b, vlog(2.0 * u), mu) : madd(-b, vlog(2.0 * (1.0 - u)), mu);
}

// InvGauss(mu, lambda), by safeguarded Newton steps in ln x on whichever of
// F and 1 - F is the smaller at u. With r = sqrt(lambda / x),
// z1 = r (x / mu - 1) and z2 = r (x / mu + 1):
//   F(x)     = Phi(z1) + T,   1 - F(x) = Phi(-z1) - T,
//   T        = e^(2 lambda / mu) Phi(-z2) = erfcx(z2 / sqrt 2) e^(-z1^2 / 2) / 2,
// the second form (erfcx by its asymptotic series) where the first would
// overflow: e^(2 lambda / mu) Phi(-z2) is computed directly only while
// z2 < 36, which bounds 2 lambda / mu <= z2^2 / 2 by 648.
struct InvGaussCdf {
  double mu, lambda;

  // erfcx(t) = e^(t^2) erfc(t) for t >= 25: 1 / (t sqrt(pi)) times
  // 1 - 1/(2t^2) + 3/(2t^2)^2 - 15/(2t^2)^3 + ..., six terms (the next is
  // below 1e-17 of the sum at t = 25).
  MC_HD static double erfcx_far(double t) {
    double s = 0.5 / (t * t);
    double series =
        1.0 -
        s * (1.0 -
             3.0 * s *
                 (1.0 -
                  5.0 * s * (1.0 - 7.0 * s * (1.0 - 9.0 * s * (1.0 - 11.0 * s)))));
    return series / (t * 1.77245385090551602730);
  }

  MC_HD double term(double z1, double z2) const {
    if (z2 < 36.0) return vexp(2.0 * lambda / mu) * normal_cdf(-z2);
    return 0.5 * erfcx_far(z2 * 0.70710678118654752440) * vexp(-0.5 * z1 * z1);
  }

  // F(x), or 1 - F(x) when upper.
  MC_HD double operator()(double x, bool upper) const {
    double r = sqrt(lambda / x), z1 = r * (x / mu - 1.0), z2 = r * (x / mu + 1.0);
    double t = term(z1, z2);
    return upper ? normal_cdf(-z1) - t : normal_cdf(z1) + t;
  }

  // x f(x) = r e^(-z1^2 / 2) / sqrt(2 pi), the slope of F in ln x.
  MC_HD double log_slope(double x) const {
    double r = sqrt(lambda / x), z1 = r * (x / mu - 1.0);
    return r * vexp(-0.5 * z1 * z1) * 0.39894228040143267794;
  }
};

// InvGauss(mu, lambda) = mu InvGauss(1, lambda / mu): solved standardised,
// where nothing overflows (the bracket's 4 x, x / mu) for scales up to the
// largest double; directly, mu >= 1e155 gave inf.
MC_HD double invgauss_standard(double lambda, double u) {
  constexpr double mu = 1.0;
  InvGaussCdf cdf{mu, lambda};
  bool upper = u > 0.5;
  double target = upper ? 1.0 - u : u;
  // Start from the lognormal of the same mean and variance (mu^3 / lambda).
  double s2 = vlog1p(mu / lambda);
  double x = mu * vexp(madd(sqrt(s2), normal_quantile(u), -0.5 * s2));
  double lo = 0.0, hi = MC_INF;  // a bracket in x, F(lo) < u < F(hi)
  for (int32_t step = 0; step < 200; ++step) {
    double err = cdf(x, upper) - target;         // F - u, or (1 - F) - (1 - u)
    bool below = upper ? err > 0.0 : err < 0.0;  // x below the quantile
    if (err == 0.0) return x;
    if (below)
      lo = x;
    else
      hi = x;
    double slope = cdf.log_slope(x);
    double dy = slope > 0.0 ? (upper ? err : -err) / slope : 0.0;
    double next = x * vexp(dy);
    if (!(next > lo && next < hi) || slope == 0.0) {
      next = hi == MC_INF ? 4.0 * x : (lo > 0.0 ? sqrt(lo * hi) : 0.25 * hi);
    }
    if (fabs(next - x) <= 2e-16 * x) return next;
    x = next;
  }
  return x;
}

MC_HD double q_invgauss(double mu, double lambda, double u) {
  return mu * invgauss_standard(lambda / mu, u);
}

// Cauchy(gamma, beta): gamma + beta tan(pi (u - 1/2)), as -cot(pi u) or
// cot(pi (1 - u)) in the outer quarters so that the angle keeps its relative
// accuracy where the tangent is steep.
MC_HD double q_cauchy(double gamma, double beta, double u) {
  constexpr double PI = 3.14159265358979323846;
  double t;
  if (u < 0.25) {
    t = -1.0 / tan(PI * u);
  } else if (u > 0.75) {
    t = 1.0 / tan(PI * (1.0 - u));
  } else {
    t = tan(PI * (u - 0.5));
  }
  return madd(beta, t, gamma);
}

// Student(nu): P(|T| > t) = I_y(nu / 2, 1 / 2) with y = nu / (nu + t^2). In
// the tails (2 m <= 1/2, m = min(u, 1 - u)) y is solved from 2 m; near the
// centre its complement z = 1 - y, which follows Beta(1/2, nu / 2), is solved
// from 1 - 2 m (exact there), so t keeps its relative accuracy near 0.
MC_HD double q_student(double nu, double u) {
  double m = u < 0.5 ? u : 1.0 - u;
  double a = 0.5 * nu, ln = lbeta(a, 0.5), t2;
  if (m < 0.25) {
    double y = beta_solve(a, 0.5, 2.0 * m, ln);
    t2 = nu * ((1.0 - y) / y);
  } else {
    double z = beta_solve(0.5, a, u < 0.5 ? 1.0 - 2.0 * u : 2.0 * u - 1.0, ln);
    t2 = nu * (z / (1.0 - z));
  }
  double t = sqrt(t2);
  return u < 0.5 ? -t : t;
}

}  // namespace dist_detail

}  // namespace mc
