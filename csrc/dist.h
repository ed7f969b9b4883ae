// dist.h: the distributions, sampled by inversion; host and device.
//
// Exports (namespace mc):
//   DistKind                 the @RISK distributions (values fixed: Python
//                            reads them through _core.dist_kinds())
//   ParamRule, PARAM_INDEX_STRIDE, param_count, param_limit
//   check_params(kind, p)    0 when p is valid, else rule + STRIDE * index of
//                            the first broken rule and the parameter it names
//   sample_block(kind, params, aux, u, out, n)
//                            out[k] = quantile at u[k] with parameters
//                            params[m][k]; the function the evaluator calls
//   quantile(kind, p, aux, u) one value, for tests and GPU threads
//
// Parameters, in @RISK order: Normal(mean, sd); Lognorm(mean, sd) of the
// variable itself; Lognorm2(mu, sigma) of its logarithm; Uniform(min, max);
// Triang(min, mode, max); Pert(min, mode, max) = min + (max - min)
// Beta(1 + 4 (mode - min) / (max - min), 1 + 4 (max - mode) / (max - min));
// BetaGeneral(alpha1, alpha2, min, max); Gamma(alpha shape, beta scale);
// Expon(beta mean); Weibull(alpha shape, beta scale); Bernoulli(p);
// Binomial(n, p); Poisson(lambda); IntUniform(min, max) (inclusive);
// Discrete({x}, {w}): check_params takes [m, x_0..x_m-1, w_0..w_m-1] and
// sample_block takes aux = [m, x sorted ascending, cumulative weights c with
// c_m-1 = 1], which mcengine.model.distributions.discrete_aux packs.
//
// Degenerate parameters are valid and give the limiting distribution: min ==
// max (a point mass), a mode at either end, p = 0 or 1, n = 0, lambda = 0.
// Invalid ones give #NUM! (mc::error_value(ERR_NUM)) in sample_block, as does
// u outside (0, 1); nothing here throws or reads out of bounds.
//
// Discrete quantiles return the smallest support point q with F(q) >= u, as
// scipy's ppf does; above u = 1/2 the test is P(X > q) <= 1 - u, the same
// condition without the cancellation. Bernoulli, IntUniform and Discrete
// decide exactly; Binomial and Poisson evaluate F through the incomplete
// beta and gamma functions, so they can round the other way only for u
// within about 1e-14 (relative) of a step. Continuous quantiles are within
// 4e-13 relative of scipy's over u in [1e-12, 1 - 1e-12] (the normal within
// 1e-15; tests/core/test_quantiles.py holds the measured bounds). Pert,
// BetaGeneral and Gamma solve F(x) = u by Halley's method per value (about
// half a microsecond); for constant parameters pass a table from build_table
// (dist_table.h) as aux for a lookup instead.
//
// Limits: Binomial n and Poisson lambda at most MAX_COUNT, where evaluating
// F exactly still takes microseconds (its series need O(sqrt(n)) terms);
// IntUniform bounds at most 2^51 in magnitude, so every count is exact.
#pragma once

#include "dist_table.h"
#include "mc_defs.h"
#include "special.h"

namespace mc {

enum DistKind : int32_t {
  DIST_NORMAL = 0,
  DIST_LOGNORM,
  DIST_LOGNORM2,
  DIST_UNIFORM,
  DIST_TRIANG,
  DIST_PERT,
  DIST_BETAGENERAL,
  DIST_GAMMA,
  DIST_EXPON,
  DIST_WEIBULL,
  DIST_BERNOULLI,
  DIST_BINOMIAL,
  DIST_POISSON,
  DIST_DISCRETE,
  DIST_INTUNIFORM,
  DIST_COUNT
};

// Why a parameter vector is invalid; check_params adds PARAM_INDEX_STRIDE
// times the index of the parameter the rule names (for ORDER: min; for
// MODE_RANGE: mode; for NO_WEIGHT: the first weight).
enum ParamRule : int32_t {
  RULE_OK = 0,
  RULE_NOT_FINITE = 1,  // NaN or infinite
  RULE_NOT_POSITIVE,    // must be > 0
  RULE_NEGATIVE,        // must be >= 0
  RULE_ORDER,           // min > max
  RULE_MODE_RANGE,      // mode outside [min, max]
  RULE_PROBABILITY,     // outside [0, 1]
  RULE_NOT_INTEGER,     // must be a whole number
  RULE_TOO_LARGE,       // beyond param_limit
  RULE_NO_WEIGHT,       // every weight is 0
  RULE_EMPTY,           // no values at all (or a count that is not whole)
  RULE_COUNT
};

constexpr int32_t PARAM_INDEX_STRIDE = 256;
constexpr double MAX_COUNT = 1e7;
constexpr double MAX_INT_BOUND = 0x1p51;

// Parameters of a kind; -1 for DIST_DISCRETE (1 + 2 m) and unknown kinds.
MC_HD int32_t param_count(int32_t kind) {
  switch (kind) {
    case DIST_EXPON:
    case DIST_BERNOULLI:
    case DIST_POISSON:
      return 1;
    case DIST_TRIANG:
    case DIST_PERT:
      return 3;
    case DIST_BETAGENERAL:
      return 4;
    case DIST_DISCRETE:
      return -1;
    default:
      return kind >= 0 && kind < DIST_COUNT ? 2 : -1;
  }
}

// The bound RULE_TOO_LARGE refers to (in magnitude), or 0 when none.
MC_HD double param_limit(int32_t kind, int32_t index) {
  if (kind == DIST_BINOMIAL && index == 0) return MAX_COUNT;
  if (kind == DIST_POISSON && index == 0) return MAX_COUNT;
  if (kind == DIST_INTUNIFORM) return MAX_INT_BOUND;
  return 0.0;
}

namespace dist_detail {

// Keeps the first broken rule: apply the rules in order of priority.
MC_INLINE int32_t flag(int32_t code, bool broken, int32_t rule, int32_t index) {
  return code != 0 ? code : (broken ? rule + PARAM_INDEX_STRIDE * index : 0);
}

MC_INLINE int32_t finite(const double* p, int32_t n) {
  int32_t code = 0;
  for (int32_t i = 0; i < n; ++i)
    code = flag(code, !is_finite(p[i]), RULE_NOT_FINITE, i);
  return code;
}

MC_INLINE int32_t positive(int32_t code, const double* p, int32_t i) {
  return flag(code, !(p[i] > 0.0), RULE_NOT_POSITIVE, i);
}

MC_INLINE int32_t whole(int32_t code, const double* p, int32_t i) {
  return flag(code, floor(p[i]) != p[i], RULE_NOT_INTEGER, i);
}

// A scale or spread: Normal(mean, sd), Lognorm2(mu, sigma).
MC_INLINE int32_t check_spread(const double* p) { return positive(finite(p, 2), p, 1); }

// Both positive: Lognorm(mean, sd), Gamma and Weibull (shape, scale).
MC_INLINE int32_t check_two_positive(const double* p) {
  return positive(positive(finite(p, 2), p, 0), p, 1);
}

MC_INLINE int32_t check_uniform(const double* p) {
  return flag(finite(p, 2), p[0] > p[1], RULE_ORDER, 0);
}

// Triang and Pert (min, mode, max).
MC_INLINE int32_t check_mode(const double* p) {
  int32_t code = flag(finite(p, 3), p[0] > p[2], RULE_ORDER, 0);
  return flag(code, p[1] < p[0] || p[1] > p[2], RULE_MODE_RANGE, 1);
}

MC_INLINE int32_t check_betageneral(const double* p) {
  int32_t code = positive(positive(finite(p, 4), p, 0), p, 1);
  return flag(code, p[2] > p[3], RULE_ORDER, 2);
}

MC_INLINE int32_t check_bernoulli(const double* p) {
  return flag(finite(p, 1), p[0] < 0.0 || p[0] > 1.0, RULE_PROBABILITY, 0);
}

MC_INLINE int32_t check_binomial(const double* p) {
  int32_t code = flag(finite(p, 2), p[0] < 0.0, RULE_NEGATIVE, 0);
  code = flag(whole(code, p, 0), p[0] > MAX_COUNT, RULE_TOO_LARGE, 0);
  return flag(code, p[1] < 0.0 || p[1] > 1.0, RULE_PROBABILITY, 1);
}

MC_INLINE int32_t check_poisson(const double* p) {
  int32_t code = flag(finite(p, 1), p[0] < 0.0, RULE_NEGATIVE, 0);
  return flag(code, p[0] > MAX_COUNT, RULE_TOO_LARGE, 0);
}

MC_INLINE int32_t check_intuniform(const double* p) {
  int32_t code = whole(whole(finite(p, 2), p, 0), p, 1);
  code = flag(code, fabs(p[0]) > MAX_INT_BOUND, RULE_TOO_LARGE, 0);
  code = flag(code, fabs(p[1]) > MAX_INT_BOUND, RULE_TOO_LARGE, 1);
  return flag(code, p[0] > p[1], RULE_ORDER, 0);
}

// p = [m, x_0 .. x_m-1, w_0 .. w_m-1]; indices in codes are offsets into p.
MC_HD int32_t check_discrete(const double* p) {
  if (!(p[0] >= 1.0 && floor(p[0]) == p[0] && p[0] <= 0x1p30)) return RULE_EMPTY;
  int32_t m = static_cast<int32_t>(p[0]);
  int32_t code = 0;
  bool any_weight = false;
  for (int32_t i = 1; i <= 2 * m; ++i)
    code = flag(code, !is_finite(p[i]), RULE_NOT_FINITE, i);
  for (int32_t i = m + 1; i <= 2 * m; ++i) {
    code = flag(code, p[i] < 0.0, RULE_NEGATIVE, i);
    any_weight = any_weight || p[i] > 0.0;
  }
  return flag(code, !any_weight, RULE_NO_WEIGHT, m + 1);
}

}  // namespace dist_detail

// 0 when the parameters p of kind are valid, else the first broken rule plus
// PARAM_INDEX_STRIDE times the index of the parameter it names. An unknown
// kind gives RULE_EMPTY.
MC_INLINE int32_t check_params(int32_t kind, const double* p) {
  using namespace dist_detail;
  switch (kind) {
    case DIST_NORMAL:
    case DIST_LOGNORM2:
      return check_spread(p);
    case DIST_LOGNORM:
    case DIST_GAMMA:
    case DIST_WEIBULL:
      return check_two_positive(p);
    case DIST_UNIFORM:
      return check_uniform(p);
    case DIST_TRIANG:
    case DIST_PERT:
      return check_mode(p);
    case DIST_BETAGENERAL:
      return check_betageneral(p);
    case DIST_EXPON:
      return positive(finite(p, 1), p, 0);
    case DIST_BERNOULLI:
      return check_bernoulli(p);
    case DIST_BINOMIAL:
      return check_binomial(p);
    case DIST_POISSON:
      return check_poisson(p);
    case DIST_DISCRETE:
      return check_discrete(p);
    case DIST_INTUNIFORM:
      return check_intuniform(p);
    default:
      return RULE_EMPTY;
  }
}

// The inversion header (dist_table.h) of Pert(lo, mode, hi), lo < hi: @RISK's
// Pert is min + (max - min) Beta(1 + 4 (mode - min) / (max - min),
// 1 + 4 (max - mode) / (max - min)), whose mean is (min + 4 mode + max) / 6.
MC_HD void pert_header(double lo, double mode, double hi, double* h) {
  double range = hi - lo;
  double a = 1.0 + 4.0 * (mode - lo) / range, b = 1.0 + 4.0 * (hi - mode) / range;
  inversion_header(FAMILY_BETA, a, b, lo, hi, range, h);
}

namespace dist_detail {

// Quantile functions of one value. They assume valid parameters and
// 0 < u < 1; the block loops below replace the result by #NUM! otherwise.

MC_INLINE double q_normal(double mean, double sd, double u) {
  return madd(sd, normal_quantile(u), mean);
}

MC_INLINE double q_lognorm2(double mu, double sigma, double u) {
  return vexp(madd(sigma, normal_quantile(u), mu));
}

// sigma^2 = ln(1 + sd^2 / mean^2), mu = ln(mean) - sigma^2 / 2, so that
// e^(mu + sigma z) = mean e^(sigma z - sigma^2 / 2).
MC_INLINE double q_lognorm(double mean, double sd, double u) {
  double ratio = sd / mean;
  double s2 = vlog1p(ratio * ratio);
  return mean * vexp(madd(sqrt(s2), normal_quantile(u), -0.5 * s2));
}

MC_INLINE double q_uniform(double lo, double hi, double u) {
  return madd(hi - lo, u, lo);
}

// Left of the mode F(x) = (x - lo)^2 / ((hi - lo) (mode - lo)); right of it
// 1 - F(x) = (hi - x)^2 / ((hi - lo) (hi - mode)).
MC_INLINE double q_triang(double lo, double mode, double hi, double u) {
  double range = hi - lo;
  double left = lo + sqrt(u * range * (mode - lo));
  double right = hi - sqrt((1.0 - u) * range * (hi - mode));
  return u * range < mode - lo ? left : right;
}

MC_INLINE double q_expon(double mean, double u) { return -mean * vlog1p(-u); }

MC_INLINE double q_weibull(double shape, double scale, double u) {
  return scale * vexp(vlog(-vlog1p(-u)) / shape);
}

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
  j = madd(u, count, -(j + 1.0)) > 0.0 ? j + 1.0 : j;
  j = j > 0.0 && madd(u, count, -j) <= 0.0 ? j - 1.0 : j;
  return lo + j;
}

// The first x_i with cumulative weight c_i >= u: a branch-free binary search
// over aux = [m, x_0 .. x_m-1, c_0 .. c_m-1] (c_m-1 = 1, so one exists).
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

struct PoissonCdf {
  double lambda;
  MC_HD double operator()(double k, bool upper) const {
    return gamma_reg(k + 1.0, lambda, !upper);  // P(X <= k) = Q(k + 1, lambda)
  }
};

// Whether F(k) >= u, asked of the smaller tail: target = min(u, 1 - u).
template <typename Cdf>
MC_HD bool reached(const Cdf& cdf, double k, bool upper, double target) {
  return upper ? cdf(k, true) <= target : cdf(k, false) >= target;
}

// The smallest k in [0, kmax] with F(k) >= u: start from the Cornish-Fisher
// approximation and step; a few steps, each one evaluation of F.
template <typename Cdf>
MC_HD double count_quantile(const Cdf& cdf, double mean, double sd, double skew,
                            double kmax, double u) {
  bool upper = u > 0.5;
  double target = upper ? 1.0 - u : u;
  double z = normal_quantile(u);
  double k = floor(mean + sd * (z + skew * (z * z - 1.0) / 6.0) + 0.5);
  k = k > 0.0 ? (k < kmax ? k : kmax) : 0.0;
  if (reached(cdf, k, upper, target)) {
    while (k > 0.0 && reached(cdf, k - 1.0, upper, target)) k -= 1.0;
    return k;
  }
  for (int32_t steps = 0; k < kmax && steps < 1000000; ++steps) {
    k += 1.0;
    if (reached(cdf, k, upper, target)) break;
  }
  return k;
}

MC_HD double q_binomial(double n, double p, double u) {
  if (n == 0.0 || p == 0.0) return 0.0;
  if (p == 1.0) return n;
  double sd = sqrt(n * p * (1.0 - p));
  return count_quantile(BinomialCdf{n, p}, n * p, sd, (1.0 - 2.0 * p) / sd, n, u);
}

MC_HD double q_poisson(double lambda, double u) {
  if (lambda == 0.0) return 0.0;
  double sd = sqrt(lambda);
  return count_quantile(PoissonCdf{lambda}, lambda, sd, 1.0 / sd, MC_INF, u);
}

// The value when the parameters are valid and u is inside (0, 1), else #NUM!.
MC_INLINE double guard(int32_t code, double u, double value) {
  return code == 0 && u > 0.0 && u < 1.0 ? value : error_value(ERR_NUM);
}

// The quantile of kind KIND with parameters p at u; the switch on a template
// argument folds away, leaving one small function per kind to inline.
template <int32_t KIND>
MC_INLINE double value_of(const double* p, double u) {
  switch (KIND) {
    case DIST_NORMAL:
      return q_normal(p[0], p[1], u);
    case DIST_LOGNORM:
      return q_lognorm(p[0], p[1], u);
    case DIST_LOGNORM2:
      return q_lognorm2(p[0], p[1], u);
    case DIST_UNIFORM:
      return q_uniform(p[0], p[1], u);
    case DIST_TRIANG:
      return q_triang(p[0], p[1], p[2], u);
    case DIST_PERT:
      return q_pert(p[0], p[1], p[2], u);
    case DIST_BETAGENERAL:
      return q_beta(p[0], p[1], p[2], p[3], u);
    case DIST_GAMMA:
      return q_gamma(p[0], p[1], u);
    case DIST_EXPON:
      return q_expon(p[0], u);
    case DIST_WEIBULL:
      return q_weibull(p[0], p[1], u);
    case DIST_BERNOULLI:
      return q_bernoulli(p[0], u);
    case DIST_BINOMIAL:
      return q_binomial(p[0], p[1], u);
    case DIST_POISSON:
      return q_poisson(p[0], u);
    case DIST_INTUNIFORM:
      return q_intuniform(p[0], p[1], u);
    default:
      return error_value(ERR_NUM);
  }
}

// The loop of one kind with NP parameters, the kind fixed outside it so that
// the loop can vectorise.
template <int32_t KIND, int32_t NP>
MC_LOOP void kind_block(const double* const* params, const double* u, double* out,
                        int32_t n) {
  for (int32_t k = 0; k < n; ++k) {
    double p[NP];
    for (int32_t i = 0; i < NP; ++i) p[i] = params[i][k];
    out[k] = guard(check_params(KIND, p), u[k], value_of<KIND>(p, u[k]));
  }
}

MC_HD void fill_error(double* out, int32_t n) {
  for (int32_t k = 0; k < n; ++k) out[k] = error_value(ERR_NUM);
}

MC_HD void discrete_block(const double* aux, const double* u, double* out, int32_t n) {
  if (aux == nullptr) return fill_error(out, n);
  for (int32_t k = 0; k < n; ++k) out[k] = guard(0, u[k], q_discrete(aux, u[k]));
}

}  // namespace dist_detail

// out[k] = the quantile of kind at u[k] with parameters params[m][k], for
// 0 <= k < n: #NUM! where they are invalid or u[k] is not inside (0, 1).
// aux: for DIST_DISCRETE the packed values and cumulative weights (required);
// for Pert, BetaGeneral and Gamma optionally a table from build_table, which
// then replaces params (it was built from the same constant parameters);
// otherwise ignored.
MC_HD void sample_block(int32_t kind, const double* const* params, const double* aux,
                        const double* u, double* out, int32_t n) {
  using namespace dist_detail;
  bool table = aux != nullptr;
  switch (kind) {
    case DIST_NORMAL:
      return kind_block<DIST_NORMAL, 2>(params, u, out, n);
    case DIST_LOGNORM:
      return kind_block<DIST_LOGNORM, 2>(params, u, out, n);
    case DIST_LOGNORM2:
      return kind_block<DIST_LOGNORM2, 2>(params, u, out, n);
    case DIST_UNIFORM:
      return kind_block<DIST_UNIFORM, 2>(params, u, out, n);
    case DIST_TRIANG:
      return kind_block<DIST_TRIANG, 3>(params, u, out, n);
    case DIST_EXPON:
      return kind_block<DIST_EXPON, 1>(params, u, out, n);
    case DIST_WEIBULL:
      return kind_block<DIST_WEIBULL, 2>(params, u, out, n);
    case DIST_BERNOULLI:
      return kind_block<DIST_BERNOULLI, 1>(params, u, out, n);
    case DIST_BINOMIAL:
      return kind_block<DIST_BINOMIAL, 2>(params, u, out, n);
    case DIST_POISSON:
      return kind_block<DIST_POISSON, 1>(params, u, out, n);
    case DIST_INTUNIFORM:
      return kind_block<DIST_INTUNIFORM, 2>(params, u, out, n);
    case DIST_DISCRETE:
      return discrete_block(aux, u, out, n);
    case DIST_PERT:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_PERT, 3>(params, u, out, n);
    case DIST_BETAGENERAL:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_BETAGENERAL, 4>(params, u, out, n);
    case DIST_GAMMA:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_GAMMA, 2>(params, u, out, n);
    default:
      return fill_error(out, n);
  }
}

// The quantile of kind at u for one parameter vector p (param_count(kind)
// values; none for DIST_DISCRETE, which reads aux).
MC_HD double quantile(int32_t kind, const double* p, const double* aux, double u) {
  double q[4] = {0.0, 0.0, 0.0, 0.0};
  for (int32_t i = 0; i < param_count(kind); ++i) q[i] = p[i];
  const double* params[4] = {q, q + 1, q + 2, q + 3};
  double out;
  sample_block(kind, params, aux, &u, &out, 1);
  return out;
}

}  // namespace mc
