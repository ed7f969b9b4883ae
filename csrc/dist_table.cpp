// dist_table.cpp: building the inversion tables of dist_table.h (host only).
//
// Each interval of a half holds the quintic in t in [-1, 1] through six
// Chebyshev-Lobatto points of y (the interval ends included, so neighbouring
// pieces join), y = ln S or, for beta where S >= 1/2 at every node,
// y = ln(1 - S). The exact inverse comes from the Halley solvers the
// per-iteration path uses; both S and 1 - S are taken to full relative
// accuracy (a second solve where the first leaves the complement short). A
// build measures its error at five points inside every interval and doubles
// the intervals until the error is within TABLE_TARGET or there are
// TABLE_MAX_INTERVALS; the error is stored either way, for the caller to judge.
// The central grid is fitted the same way, in u and x directly, and kept only
// when it reaches TABLE_TARGET.
#include "dist_table.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "dist.h"

namespace mc {
namespace {

// The build's stop (build_table), asked once an interval: each interval runs
// the exact inverse a dozen times, milliseconds for extreme shapes, whose
// tables took a minute (Beta(0.5, 1e8)).
struct BuildStopped {};
thread_local const std::function<bool()>* build_stop = nullptr;

void ask_stop() {
  if (build_stop != nullptr && *build_stop && (*build_stop)()) throw BuildStopped{};
}

constexpr int32_t NODES = TABLE_DEGREE + 1;
constexpr int32_t FIRST_INTERVALS = 32;
constexpr double PI = 3.14159265358979323846;
constexpr double LN_HALF = -0.69314718055994530942;
// A peaked distribution turns x's relative error into a larger one in u
// (Gamma(10000): 1e-12 in x, 2e-10 in u), so the central grid must also meet
// this in u, where the tails' grid typically stays below 1e-11 by itself.
constexpr double CENTRE_TARGET_U = 1e-11;
// Where an interval's error peaks: between the nodes the error of the
// interpolant is about f^(6)(t) / 6! w(t), w the product of (t - node), and
// these are the extremes of w (|w| = 0.022, 0.051, 0.0625). Points at
// +-0.25 and +-0.75 saw |w| near 0.019 alone and so missed the largest
// errors by a factor of about three.
constexpr double CHECK_POINTS[] = {-0.92024804897, -0.56551763533, 0.0, 0.56551763533,
                                   0.92024804897};

// The node positions in t, ascending: -cos(pi j / DEGREE).
double node_t(int32_t j) { return -std::cos(PI * j / TABLE_DEGREE); }

// inverse[k][j]: the weight of value j in coefficient k of the interpolant,
// from the Vandermonde matrix of the nodes, inverted by Gauss-Jordan in long
// double (it is well conditioned on Chebyshev points).
struct NodeInverse {
  double inverse[NODES][NODES];

  NodeInverse() {
    long double a[NODES][2 * NODES] = {};
    for (int32_t j = 0; j < NODES; ++j) {
      for (int32_t k = 0; k < NODES; ++k) a[j][k] = std::pow((long double)node_t(j), k);
      a[j][NODES + j] = 1.0L;
    }
    for (int32_t c = 0; c < NODES; ++c) eliminate(a, c);
    for (int32_t k = 0; k < NODES; ++k) {
      for (int32_t j = 0; j < NODES; ++j)
        inverse[k][j] = static_cast<double>(a[k][NODES + j]);
    }
  }

  static void eliminate(long double (&a)[NODES][2 * NODES], int32_t c) {
    int32_t pivot = c;
    for (int32_t r = c + 1; r < NODES; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
    }
    for (int32_t k = 0; k < 2 * NODES; ++k) std::swap(a[c][k], a[pivot][k]);
    long double d = a[c][c];
    for (int32_t k = 0; k < 2 * NODES; ++k) a[c][k] /= d;
    for (int32_t r = 0; r < NODES; ++r) {
      if (r == c) continue;
      long double f = a[r][c];
      for (int32_t k = 0; k < 2 * NODES; ++k) a[r][k] -= f * a[c][k];
    }
  }
};

// The header of kind's distribution; false when it has no table.
bool header_for(int32_t kind, const double* p, double* h) {
  if (check_params(kind, p) != 0) return false;
  if (kind == DIST_PERT && p[2] > p[0]) {
    pert_header(p[0], p[1], p[2], h);
  } else if (kind == DIST_BETAGENERAL && p[3] > p[2]) {
    inversion_header(FAMILY_BETA, p[0], p[1], p[2], p[3], p[3] - p[2], h);
  } else if (kind == DIST_GAMMA || kind == DIST_ERLANG) {
    inversion_header(FAMILY_GAMMA, p[0], 0.0, 0.0, 0.0, p[1], h);
  } else if (kind == DIST_CHISQ) {
    inversion_header(FAMILY_GAMMA, 0.5 * p[0], 0.0, 0.0, 0.0, 2.0, h);
  } else if (kind == DIST_BETA) {
    inversion_header(FAMILY_BETA, p[0], p[1], 0.0, 1.0, 1.0, h);
  } else {
    return false;
  }
  return true;
}

bool is_gamma(const double* h) {
  return static_cast<int32_t>(h[TABLE_FAMILY]) == FAMILY_GAMMA;
}

// The standardised value at tail probability m of one half, as ln S and
// ln(1 - S) (beta), each to full relative accuracy.
struct Point {
  double log_s, log_t;
};

// The exact Point. The half's own solve gives S (lower) or 1 - S (upper) in
// full; its complement by subtraction has an absolute error near 1e-16,
// which a direct solve of the complement (from 1 - m) divides by the
// density, so that solve replaces it where the complement is below 1/2 and
// the density above 1. Where a solve would underflow, the leading term of
// the lower tail, F(s) = s^a / (a B(a, b)) or s^a / Gamma(a + 1), gives ln s
// exactly.
Point exact_point(const double* h, double m, bool upper) {
  double a = h[TABLE_A], b = h[TABLE_B], ln = h[TABLE_LNORM];
  double shape = upper && !is_gamma(h) ? b : a;
  double asymptote = (std::log(m) + std::log(shape) + ln) / shape;
  bool tiny = !(upper && is_gamma(h)) && asymptote < -600.0;
  double own = tiny ? 0.0 : standard_quantile(h, m, upper);
  double log_own = tiny ? asymptote : std::log(own);
  if (is_gamma(h)) return {log_own, 0.0};
  double other = 1.0 - own;
  double log_density = (a - 1.0) * std::log(upper ? other : own) +
                       (b - 1.0) * std::log(upper ? own : other) - ln;
  if (other < 0.5 && log_density > 0.0) {
    other = upper ? beta_solve(a, b, 1.0 - m, ln) : beta_solve(b, a, 1.0 - m, ln);
  }
  double log_other = std::log(other);
  return upper ? Point{log_other, log_own} : Point{log_own, log_other};
}

// The tail probability of one half at the point (the inverse of
// exact_point), from the complement pair so that both ends keep precision.
double half_tail(const double* h, Point p, bool upper) {
  double a = h[TABLE_A], b = h[TABLE_B], ln = h[TABLE_LNORM];
  double s = std::exp(p.log_s);
  if (is_gamma(h)) return gamma_reg(a, s, upper);
  return ibeta(a, b, s, std::exp(p.log_t), ln, upper);
}

// The tail probability at position tau in [-1, 1] of interval i.
double interval_m(const double* t, int32_t i, double tau) {
  double v = t[TABLE_V0] + (i + 0.5 * (tau + 1.0)) / t[TABLE_INV_H];
  return std::exp(-v * v);
}

// Fits interval i of one half: y = ln(1 - S) when S >= 1/2 at every node.
void fit_interval(const NodeInverse& fit, double* t, int32_t i, bool upper) {
  ask_stop();
  int32_t n = static_cast<int32_t>(t[TABLE_N]);
  double* r = t + TABLE_HEADER + TABLE_RECORD * (upper ? n + i : i);
  Point nodes[NODES];
  bool mirror = !is_gamma(t);
  for (int32_t j = 0; j < NODES; ++j) {
    nodes[j] = exact_point(t, interval_m(t, i, node_t(j)), upper);
    mirror = mirror && nodes[j].log_s >= LN_HALF;
  }
  for (int32_t k = 0; k < NODES; ++k) {
    double c = 0.0;
    for (int32_t j = 0; j < NODES; ++j) {
      c += fit.inverse[k][j] * (mirror ? nodes[j].log_t : nodes[j].log_s);
    }
    r[k] = c;
  }
  double lo = t[TABLE_OFF_LO], scale = t[TABLE_FAC_LO];
  r[NODES] = mirror ? lo + scale : lo;  // for beta lo + scale is max
  r[NODES + 1] = mirror ? -scale : scale;
}

// The Point the table gives at tail probability m of one half.
Point table_point(const double* t, double m, bool upper) {
  double tau;
  int32_t n = static_cast<int32_t>(t[TABLE_N]);
  const double* r = t + table_record(n, t[TABLE_V0], t[TABLE_INV_H], m, upper, &tau);
  double y = poly(tau, r[0], r[1], r[2], r[3], r[4], r[5]);
  if (is_gamma(t)) return {y, 0.0};
  bool mirror = r[NODES + 1] < 0.0;
  double other = std::log1p(-std::exp(y));
  return mirror ? Point{other, y} : Point{y, other};
}

// Raises the error slots to the errors of one half at the check points.
void measure_half(double* t, bool upper) {
  int32_t n = static_cast<int32_t>(t[TABLE_N]);
  for (int32_t i = 0; i < n; ++i) {
    ask_stop();
    for (double tau : CHECK_POINTS) {
      double m = interval_m(t, i, tau);
      Point exact = exact_point(t, m, upper), table = table_point(t, m, upper);
      bool by_s = is_gamma(t) || exact.log_s < LN_HALF;
      double err = by_s ? table.log_s - exact.log_s : table.log_t - exact.log_t;
      t[TABLE_ERR_X] = std::max(t[TABLE_ERR_X], std::fabs(std::expm1(err)));
      if (!(table.log_s > -690.0 && table.log_t > -690.0)) continue;  // beyond doubles
      double u_err = std::fabs(half_tail(t, table, upper) - m);
      t[TABLE_ERR_U] = std::max(t[TABLE_ERR_U], u_err);
      t[TABLE_ERR_UR] = std::max(t[TABLE_ERR_UR], u_err / m);
    }
  }
}

void build_with(const NodeInverse& fit, int32_t n, double* t) {
  t[TABLE_N] = n;
  t[TABLE_V0] = TABLE_V_START;
  t[TABLE_INV_H] = n / (TABLE_V_END - TABLE_V_START);
  t[TABLE_ERR_X] = t[TABLE_ERR_U] = t[TABLE_ERR_UR] = 0.0;
  for (int32_t half = 0; half < 2; ++half) {
    for (int32_t i = 0; i < n; ++i) fit_interval(fit, t, i, half == 1);
  }
  measure_half(t, false);
  measure_half(t, true);
}

// The room x has to the nearer end of a beta's support, or x itself for
// gamma (x = scale S): what an error in x is relative to.
double room(const double* t, double x) {
  if (is_gamma(t)) return x;
  return std::min(x - t[TABLE_OFF_LO], t[TABLE_OFF_HI] - x);
}

// u at position tau in [-1, 1] of central interval i.
double central_u(const double* t, int32_t i, double tau) {
  return TABLE_C_FROM + (i + 0.5 * (tau + 1.0)) / t[TABLE_C_INV_H];
}

// The errors of the central grid at its check points, as the slots hold them.
struct Errors {
  double x = 0.0, u = 0.0, ur = 0.0;
};

Errors measure_centre(const double* t, int32_t nc) {
  Errors e;
  for (int32_t i = 0; i < nc; ++i) {
    for (double tau : CHECK_POINTS) {
      double u = central_u(t, i, tau), exact = inversion_exact(t, u);
      double table = table_quantile(t, u);
      e.x = std::max(e.x, std::fabs(table - exact) / room(t, exact));
      bool upper = u > 0.5;
      double m = upper ? 1.0 - u : u, fac = t[TABLE_FAC_LO];
      Point p = is_gamma(t) ? Point{std::log(table / fac), 0.0}
                            : Point{std::log((table - t[TABLE_OFF_LO]) / fac),
                                    std::log((t[TABLE_OFF_HI] - table) / fac)};
      double u_err = std::fabs(half_tail(t, p, upper) - m);
      e.u = std::max(e.u, u_err);
      e.ur = std::max(e.ur, u_err / m);
    }
  }
  return e;
}

// Fits nc central intervals into t (whose halves have n intervals each) and
// measures them; NaN errors count as failures.
Errors build_centre_with(const NodeInverse& fit, int32_t n, int32_t nc, double* t) {
  t[TABLE_C_N] = nc;
  t[TABLE_C_INV_H] = nc / (TABLE_C_TO - TABLE_C_FROM);
  double* records = t + TABLE_HEADER + 2 * static_cast<size_t>(n) * TABLE_RECORD;
  for (int32_t i = 0; i < nc; ++i) {
    ask_stop();
    double x[NODES];
    for (int32_t j = 0; j < NODES; ++j)
      x[j] = inversion_exact(t, central_u(t, i, node_t(j)));
    double* r = records + static_cast<size_t>(i) * TABLE_RECORD;
    for (int32_t k = 0; k < NODES; ++k) {
      double c = 0.0;
      for (int32_t j = 0; j < NODES; ++j) c += fit.inverse[k][j] * x[j];
      r[k] = c;
    }
    r[NODES] = r[NODES + 1] = 0.0;
  }
  return measure_centre(t, nc);
}

// The central grid: intervals doubled from FIRST_INTERVALS until its error in
// x is within TABLE_TARGET and in u within CENTRE_TARGET_U (relative), or
// none (TABLE_C_N = 0) when TABLE_C_MAX do not reach both. Returns its
// intervals.
int32_t build_centre(const NodeInverse& fit, double* t) {
  auto n = static_cast<int32_t>(t[TABLE_N]);
  for (int32_t nc = FIRST_INTERVALS; nc <= TABLE_C_MAX; nc *= 2) {
    Errors e = build_centre_with(fit, n, nc, t);
    if (!(e.x <= TABLE_TARGET && e.ur <= CENTRE_TARGET_U)) continue;
    t[TABLE_ERR_X] = std::max(t[TABLE_ERR_X], e.x);
    t[TABLE_ERR_U] = std::max(t[TABLE_ERR_U], e.u);
    t[TABLE_ERR_UR] = std::max(t[TABLE_ERR_UR], e.ur);
    return nc;
  }
  t[TABLE_C_N] = t[TABLE_C_INV_H] = 0.0;
  return 0;
}

}  // namespace

static_assert(TABLE_MAX_SIZE >= COUNT_HEADER + 2 * COUNT_MAX_ENTRIES,
              "build_table's buffer holds a count table too");

size_t build_table(int32_t kind, const double* p, double* out,
                   const std::function<bool()>& stop) {
  if (has_count_table(kind)) return build_count_table(kind, p, out, stop);
  static const NodeInverse fit;
  if (!header_for(kind, p, out)) return 0;
  build_stop = &stop;
  try {
    int32_t n = FIRST_INTERVALS;
    build_with(fit, n, out);
    while (!(out[TABLE_ERR_X] <= TABLE_TARGET) && n < TABLE_MAX_INTERVALS) {
      n *= 2;
      build_with(fit, n, out);
    }
    int32_t nc = out[TABLE_ERR_X] <= TABLE_TARGET ? build_centre(fit, out) : 0;
    build_stop = nullptr;
    return TABLE_HEADER +
           (2 * static_cast<size_t>(n) + static_cast<size_t>(nc)) * TABLE_RECORD;
  } catch (const BuildStopped&) {
    build_stop = nullptr;
    return TABLE_STOPPED;
  }
}

}  // namespace mc
