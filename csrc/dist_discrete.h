// dist_discrete.h: quantile functions of the discrete distributions, host and
// device.
//
// Exports (namespace mc::dist_detail):
//   q_bernoulli, q_intuniform, q_discrete, q_binomial, q_poisson,
//   q_negbin, q_geomet, q_hypergeo one value each, for sample_block (dist.h)
//   BinomialCdf, PoissonCdf, NegBinCdf, GeometCdf, HyperGeoCdf, count_quantile
//                                  the search behind the counting kinds
//   with_count_cdf(kind, p, f)     a counting kind's functor, for tables
//
// Each assumes valid parameters (dist_params.h) and 0 < u < 1; sample_block
// turns anything else into #NUM!.
//
// Each returns the smallest support point q with F(q) >= u, as scipy's ppf
// does; above u = 1/2 the test is P(X > q) <= 1 - u, the same condition
// without the cancellation. Bernoulli, IntUniform and Discrete decide
// exactly. Known limit: Binomial and Poisson evaluate F through the
// incomplete beta and gamma functions, so they can round the other way for u
// within about 1e-14 (relative) of a step, and each step of their search is
// one such evaluation (microseconds near MAX_COUNT). HyperGeo sums its
// probabilities from the step outwards, each from the last by their ratio,
// with the same order of rounding and a cost that grows with its standard
// deviation (tens of microseconds near MAX_COUNT). Geomet's F is a closed
// form. NegBin with p below about 1e-6 (a mean near MAX_COUNT) is less
// exact: 1 - p rounds, and the incomplete beta's continued fraction amplifies
// that near its switch point (for s = 1, before Geomet had its closed form:
// 1e-10 of the tail probability at p = 3e-7, 6e-9 at 1.1e-7, against scipy
// and mpmath). With constant parameters sample_block reads
// the answers of the search from a table of the same evaluations instead
// (dist_count_table.h): 5 ns a value for Poisson(40), against 350.
#pragma once

#include "dist_params.h"
#include "mc_defs.h"
#include "special_elementary.h"
#include "special_incomplete.h"
#include "special_normal.h"

namespace mc {

namespace dist_detail {

// 0 when u <= F(0) = 1 - p, decided exactly: of 1 - p and 1 - u, the one
// whose argument is at least 1/2 is computed without rounding (Sterbenz),
// and when both are below 1/2, u < 1/2 < 1 - p.
MC_INLINE double q_bernoulli(double p, double u) {
  bool zero = u >= 0.5 ? p <= 1.0 - u : (p <= 0.5 || u <= 1.0 - p);
  return zero ? 0.0 : 1.0;
}

// min + j with j the smallest integer with (j + 1) / N >= u, N = max - min + 1.
// The estimate from u N is corrected by the sign of u N - (j + 1), which a
// fused multiply-add computes exactly (a portable build without FMA rounds).
MC_INLINE double q_intuniform(double lo, double hi, double u) {
  double count = hi - lo + 1.0;
  double j = ceil(u * count) - 1.0;
  j = j > 0.0 ? (j < count - 1.0 ? j : count - 1.0) : 0.0;
  j = exact_madd(u, count, -(j + 1.0)) > 0.0 ? j + 1.0 : j;
  j = j > 0.0 && exact_madd(u, count, -j) <= 0.0 ? j - 1.0 : j;
  return lo + j;
}

// The first x_i with cumulative weight c_i >= u: a branch-free binary search
// over aux = [m, x_0 .. x_m-1, c_0 .. c_m-1] (c_m-1 = 1, so one exists).
// The quantile of a density linear between knots (aux as in dist_params.h):
// the first segment whose upper F reaches u (a branch-free binary search),
// then within it the distance from the nearer end in probability: from the
// left end the root t of a t + (b - a) t^2 / (2 h) = A (A = u - c_i), as
// 2 A / (a + sqrt(a^2 + 2 (b - a) A / h)), and from the right end the same
// with a and b swapped and A the area still to come. Each form loses digits
// only where its end's density vanishes at the other end, which the choice
// avoids.
MC_HD double q_piecewise(const double* aux, double u) {
  int32_t m = static_cast<int32_t>(aux[0]);
  const double *x = aux + 1, *c = x + m, *left = c + m, *right = left + (m - 1);
  int32_t i = 0;
  for (int32_t len = m - 1; len > 1;) {
    int32_t half = len / 2;
    i = c[i + half] < u ? i + half : i;
    len -= half;
  }
  double h = x[i + 1] - x[i], area = u - c[i], rest = c[i + 1] - u;
  bool from_left = area <= rest;
  double near = from_left ? left[i] : right[i], far = from_left ? right[i] : left[i];
  double a = from_left ? area : rest;
  double disc = madd(near, near, 2.0 * (far - near) * a / h);
  double t = a > 0.0 ? 2.0 * a / (near + sqrt(disc > 0.0 ? disc : 0.0)) : 0.0;
  t = t < h ? (t > 0.0 ? t : 0.0) : h;
  return from_left ? x[i] + t : x[i + 1] - t;
}

MC_HD double q_discrete(const double* aux, double u) {
  int32_t m = static_cast<int32_t>(aux[0]);
  const double* c = aux + 1 + m;
  int32_t lo = 0;
  for (int32_t len = m; len > 1;) {
    int32_t half = len / 2;
    lo = c[lo + half - 1] < u ? lo + half : lo;
    len -= half;
  }
  return aux[1 + lo];
}

// Distribution functions of the counting distributions, P(X <= k) or, when
// upper, P(X > k), each computed directly for accuracy in its own tail.
struct BinomialCdf {
  double n, p;
  MC_HD double operator()(double k, bool upper) const {
    if (k >= n) return upper ? 0.0 : 1.0;
    double a = k + 1.0, b = n - k;  // P(X > k) = I_p(k + 1, n - k)
    return ibeta(a, b, p, 1.0 - p, lbeta(a, b), !upper);
  }
};

// NegBin(s, p), failures before the s-th success: P(X <= k) = I_p(s, k + 1),
// P(X > k) = I_(1-p)(k + 1, s).
struct NegBinCdf {
  double s, p;
  MC_HD double operator()(double k, bool upper) const {
    double a = s, b = k + 1.0;
    return ibeta(a, b, p, 1.0 - p, lbeta(a, b), upper);
  }
};

// Geomet(p) = NegBin(1, p) in closed form, P(X > k) = (1 - p)^(k + 1): through
// ln(1 - p) from p itself, where the incomplete beta needs 1 - p rounded
// (which cost up to 6e-9 of the tail for p near 1e-7).
struct GeometCdf {
  double log_q;  // ln(1 - p)
  MC_HD double operator()(double k, bool upper) const {
    double e = (k + 1.0) * log_q;
    return upper ? vexp(e) : -vexpm1(e);
  }
};

struct PoissonCdf {
  double lambda;
  MC_HD double operator()(double k, bool upper) const {
    return gamma_reg(k + 1.0, lambda, !upper);  // P(X <= k) = Q(k + 1, lambda)
  }
};

// HyperGeo(n, D, M): P(X = k) = C(D, k) C(M - D, n - k) / C(M, n) on
// [lo, hi] = [max(0, n + D - M), min(n, D)], and the distribution function
// of X - lo (the count the search steps through). Each tail is summed from
// its end next to the step outwards, each term the last times the ratio of
// neighbours, until the terms no longer change the sum or the support ends.
struct HyperGeoCdf {
  static constexpr double EXACT_POPULATION = 50.0;
  double n, D, M, lo, hi;

  // ln C(a, b) = -ln(a + 1) - ln B(b + 1, a - b + 1).
  MC_HD static double log_choose(double a, double b) {
    return -vlog1p(a) - lbeta(b + 1.0, a - b + 1.0);
  }

  MC_HD double pmf(double k) const {
    return vexp(log_choose(D, k) + log_choose(M - D, n - k) - log_choose(M, n));
  }

  // C(a, b) exactly while it stays below 2^53: each partial product is
  // i C(a - b + i, i), a whole number.
  MC_HD static double choose(double a, double b) {
    double r = 1.0;
    for (double i = 1.0; i <= b; i += 1.0) r = r * (a - b + i) / i;
    return r;
  }

  // P(X - lo <= k), or P(X - lo > k) when upper.
  MC_HD double operator()(double k, bool upper) const {
    double j = k + lo;
    if (j >= hi) return upper ? 0.0 : 1.0;
    if (M <= EXACT_POPULATION) {
      // Whole numbers throughout (C(M, n) <= C(50, 25) < 2^53), so the one
      // division rounds F exactly once: steps such as 1/2 are met exactly.
      double count = 0.0;
      for (double i = upper ? j + 1.0 : lo; i <= (upper ? hi : j); i += 1.0) {
        count += choose(D, i) * choose(M - D, n - i);
      }
      return count / choose(M, n);
    }
    if (upper) j += 1.0;
    double term = pmf(j), sum = term;
    for (;;) {
      // P(j + 1) / P(j) = (D - j)(n - j) / ((j + 1)(M - D - n + j + 1)).
      if (upper) {
        if (j >= hi) break;
        term *= (D - j) * (n - j) / ((j + 1.0) * (M - D - n + j + 1.0));
        j += 1.0;
      } else {
        if (j <= lo) break;
        term *= j * (M - D - n + j) / ((D - j + 1.0) * (n - j + 1.0));
        j -= 1.0;
      }
      double next = sum + term;
      if (next == sum) break;
      sum = next;
    }
    return sum < 1.0 ? sum : 1.0;
  }
};

// Calls f(cdf, offset, top) with the functor a counting kind's quantile
// searches with, the support's lowest point (HyperGeo's max(0, n + D - M),
// else 0) and its largest count less that point (MC_INF when unbounded);
// false for another kind or a point mass. The count tables and truncation
// read F through it, so that they agree with the search.
template <typename F>
MC_HD bool with_count_cdf(int32_t kind, const double* p, F&& f) {
  switch (kind) {
    case DIST_BINOMIAL:
      if (!(p[0] > 0.0 && p[1] > 0.0 && p[1] < 1.0)) return false;
      f(BinomialCdf{p[0], p[1]}, 0.0, p[0]);
      return true;
    case DIST_POISSON:
      if (!(p[0] > 0.0)) return false;
      f(PoissonCdf{p[0]}, 0.0, MC_INF);
      return true;
    case DIST_NEGBIN:
      if (!(p[1] < 1.0)) return false;
      f(NegBinCdf{p[0], p[1]}, 0.0, MC_INF);
      return true;
    case DIST_GEOMET:
      if (!(p[0] < 1.0)) return false;
      f(GeometCdf{vlog1p(-p[0])}, 0.0, MC_INF);
      return true;
    case DIST_HYPERGEO: {
      double lo = p[0] + p[1] - p[2] > 0.0 ? p[0] + p[1] - p[2] : 0.0;
      double hi = p[0] < p[1] ? p[0] : p[1];
      if (!(lo < hi)) return false;
      f(HyperGeoCdf{p[0], p[1], p[2], lo, hi}, lo, hi - lo);
      return true;
    }
    default:
      return false;
  }
}

// Whether F(k) >= u, asked of the smaller tail: target = min(u, 1 - u).
template <typename Cdf>
MC_HD bool reached(const Cdf& cdf, double k, bool upper, double target) {
  return upper ? cdf(k, true) <= target : cdf(k, false) >= target;
}

// The smallest k in [0, kmax] with F(k) >= u: start from the Cornish-Fisher
// approximation, step away from it by 1, 2, 4, ... until the answer is
// bracketed, then halve the bracket. Usually two or three evaluations of F;
// where the approximation is far off (the tails of a skewed distribution:
// Geomet(1e-5) at u = 1e-6 starts 2e5 too high) the steps stay logarithmic
// in the distance, where stepping by one took 10^5 evaluations. kmax bounds
// the climb (Binomial's n); an unbounded one stops past 2^52, where counts
// are still whole in a double (no valid parameters come near it).
template <typename Cdf>
MC_HD double count_quantile(const Cdf& cdf, double mean, double sd, double skew,
                            double kmax, double u) {
  if (!(u > 0.0 && u < 1.0)) return 0.0;  // sample_block answers #NUM!
  bool upper = u > 0.5;
  double target = upper ? 1.0 - u : u;
  double z = normal_quantile(u);
  double k = floor(mean + sd * (z + skew * (z * z - 1.0) / 6.0) + 0.5);
  k = k > 0.0 ? (k < kmax ? k : kmax) : 0.0;
  // Invariant: F(hi) reaches u, F(lo) does not (lo = -1: below the support).
  double lo = k, hi = k, step = 1.0;
  if (reached(cdf, k, upper, target)) {
    for (lo = -1.0; hi > 0.0; step *= 2.0) {
      double probe = hi - step > 0.0 ? hi - step : 0.0;
      if (!reached(cdf, probe, upper, target)) {
        lo = probe;
        break;
      }
      hi = probe;
    }
  } else {
    for (;; step *= 2.0) {
      double probe = lo + step < kmax ? lo + step : kmax;
      if (reached(cdf, probe, upper, target)) {
        hi = probe;
        break;
      }
      if (probe >= kmax || probe >= 0x1p52) return probe;  // none reaches u
      lo = probe;
    }
  }
  while (hi - lo > 1.0) {
    double mid = floor(0.5 * (lo + hi));
    if (!(mid > lo && mid < hi)) break;  // not whole any more: beyond 2^53
    if (reached(cdf, mid, upper, target)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

MC_HD double q_binomial(double n, double p, double u) {
  if (n == 0.0 || p == 0.0) return 0.0;
  if (p == 1.0) return n;
  double sd = sqrt(n * p * (1.0 - p));
  return count_quantile(BinomialCdf{n, p}, n * p, sd, (1.0 - 2.0 * p) / sd, n, u);
}

MC_HD double q_negbin(double s, double p, double u) {
  if (p == 1.0) return 0.0;
  double q = 1.0 - p, sd = sqrt(s * q) / p;
  return count_quantile(NegBinCdf{s, p}, s * q / p, sd, (2.0 - p) / sqrt(s * q), MC_INF,
                        u);
}

MC_HD double q_geomet(double p, double u) {
  if (p == 1.0) return 0.0;
  double q = 1.0 - p, sd = sqrt(q) / p;
  return count_quantile(GeometCdf{vlog1p(-p)}, q / p, sd, (2.0 - p) / sqrt(q), MC_INF,
                        u);
}

MC_HD double q_hypergeo(double n, double D, double M, double u) {
  double lo = n + D - M > 0.0 ? n + D - M : 0.0, hi = n < D ? n : D;
  if (lo == hi) return lo;
  double p = D / M, mean = n * p;
  double sd = sqrt(mean * (1.0 - p) * (M - n) / (M - 1.0));
  HyperGeoCdf cdf{n, D, M, lo, hi};
  return lo + count_quantile(cdf, mean - lo, sd > 0.0 ? sd : 1.0, 0.0, hi - lo, u);
}

MC_HD double q_poisson(double lambda, double u) {
  if (lambda == 0.0) return 0.0;
  double sd = sqrt(lambda);
  return count_quantile(PoissonCdf{lambda}, lambda, sd, 1.0 / sd, MC_INF, u);
}

}  // namespace dist_detail

}  // namespace mc
