// special_inverse.h: the inverses of the incomplete gamma and beta functions,
// host and device.
//
// Exports (namespace mc):
//   gamma_solve(a, p, upper, lga)     x with P(a, x) = p (or Q(a, x) = p)
//   beta_solve(a, b, p, lb)           x with I_x(a, b) = p
//
// Accuracy: the solvers stop after a Halley step of relative size r once
// r^3 (1 + a + b + x^2) <= 1e-17: Halley's error after the step is about r^3
// times a constant of that size, so x is then as accurate as the function
// inverted (special_incomplete.h), usually after two evaluations. For beta
// r is relative to min(x, 1 - x): near 1 the scale that matters is 1 - x.
//
// Known limits: each step evaluates the incomplete function once, so a solve
// costs a few of those (and grows slow with them for shapes beyond about 1e7;
// for constant parameters dist_table.h tabulates the inverse instead). A solve
// stops after 100 steps and returns its last point.
#pragma once

#include "mc_defs.h"
#include "special_elementary.h"
#include "special_incomplete.h"
#include "special_normal.h"

namespace mc {

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
