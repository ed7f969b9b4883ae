// dist_params.h: the distributions' kinds and the checks of their parameters,
// host and device.
//
// Exports (namespace mc):
//   DistKind                 the @RISK distributions (values fixed: Python
//                            reads them through _core.dist_kinds())
//   ParamRule, PARAM_INDEX_STRIDE, MAX_COUNT, MAX_INT_BOUND
//   param_count(kind), param_limit(kind, index), has_table(kind)
//   check_params(kind, p)    0 when p is valid, else rule + STRIDE * index of
//                            the first broken rule and the parameter it names
//
// Parameters, in @RISK order: Normal(mean, sd); Lognorm(mean, sd) of the
// variable itself; Lognorm2(mu, sigma) of its logarithm; Uniform(min, max);
// Triang(min, mode, max); Pert(min, mode, max) = min + (max - min)
// Beta(1 + 4 (mode - min) / (max - min), 1 + 4 (max - mode) / (max - min));
// BetaGeneral(alpha1, alpha2, min, max); Gamma(alpha shape, beta scale);
// Expon(beta mean); Weibull(alpha shape, beta scale); Bernoulli(p);
// Binomial(n, p); Poisson(lambda); IntUniform(min, max) (inclusive);
// Beta(alpha1, alpha2) on [0, 1]; Logistic(alpha location, beta scale);
// LogLogistic(gamma location, beta scale, alpha shape); Student(nu degrees
// of freedom); ChiSq(nu); Erlang(m whole shape, beta scale); Pareto(theta
// shape, alpha minimum); Pareto2(b scale, q shape) (Lomax); ExtValue(alpha
// mode, beta scale) (Gumbel, largest values); ExtValueMin(alpha, beta)
// (smallest values); Rayleigh(beta scale); Laplace(mu, sigma) with sigma its
// standard deviation; Cauchy(gamma location, beta scale); Geomet(p) and
// NegBin(s whole successes, p), counting the failures before the first or
// the s-th success.
// HyperGeo(n draws, D successes, M population), counting the successes drawn.
// InvGauss(mu mean, lambda shape), the inverse Gaussian (Wald).
// Discrete({x}, {w}): check_params takes [m, x_0..x_m-1, w_0..w_m-1] and
// sample_block (dist.h) takes aux = [m, x sorted ascending, cumulative
// weights c with c_m-1 = 1], which mcengine.model.distributions.discrete_aux
// packs. Piecewise, a density linear between knots (Cumul, Histogrm and
// General compile to it): aux = [m >= 2, x_0 < .. < x_m-1, F at each knot
// (c_0 = 0, c_m-1 = 1), then per segment the density at its left end and at
// its right end], packed by mcengine.model.distributions; it takes no
// parameters.
//
// Degenerate parameters are valid and give the limiting distribution: min ==
// max (a point mass), a mode at either end, p = 0 or 1, n = 0, lambda = 0.
//
// Limits: gamma and beta shapes (Beta's, Erlang's m, Student's and ChiSq's
// nu) at most MAX_SHAPE (1e8); Binomial n, NegBin s and Poisson lambda at
// most MAX_COUNT, where evaluating
// F exactly still takes microseconds (its series need O(sqrt(n)) terms);
// IntUniform bounds at most 2^51 in magnitude, so every count is exact.
#pragma once

#include "mc_defs.h"
#include "special_elementary.h"

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
  DIST_BETA,
  DIST_LOGISTIC,
  DIST_LOGLOGISTIC,
  DIST_STUDENT,
  DIST_CHISQ,
  DIST_ERLANG,
  DIST_PARETO,
  DIST_PARETO2,
  DIST_EXTVALUE,
  DIST_EXTVALUEMIN,
  DIST_RAYLEIGH,
  DIST_LAPLACE,
  DIST_CAUCHY,
  DIST_GEOMET,
  DIST_NEGBIN,
  DIST_PIECEWISE,
  DIST_HYPERGEO,
  DIST_INVGAUSS,
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
  RULE_MEAN_TOO_LARGE,  // Geomet, NegBin: mean failures s (1 - p) / p over MAX_COUNT
  RULE_TOO_WIDE,        // max - min overflows (Uniform, Triang, Pert)
  RULE_COUNT
};

constexpr int32_t PARAM_INDEX_STRIDE = 256;
constexpr double MAX_COUNT = 1e7;
constexpr double MAX_INT_BOUND = 0x1p51;
// Gamma and beta shapes beyond this make an exact quantile take over 50 us
// and an inversion table seconds to build (its intervals shrink with the
// shape); such a distribution is a normal to within its own rounding anyway.
constexpr double MAX_SHAPE = 1e8;

// Parameters of a kind; -1 for DIST_DISCRETE (1 + 2 m), DIST_PIECEWISE (all
// in aux) and unknown kinds.
MC_HD int32_t param_count(int32_t kind) {
  switch (kind) {
    case DIST_EXPON:
    case DIST_BERNOULLI:
    case DIST_POISSON:
    case DIST_STUDENT:
    case DIST_CHISQ:
    case DIST_RAYLEIGH:
    case DIST_GEOMET:
      return 1;
    case DIST_TRIANG:
    case DIST_PERT:
    case DIST_LOGLOGISTIC:
      return 3;
    case DIST_BETAGENERAL:
      return 4;
    case DIST_HYPERGEO:
      return 3;
    case DIST_DISCRETE:
    case DIST_PIECEWISE:
      return -1;
    default:
      return kind >= 0 && kind < DIST_COUNT ? 2 : -1;
  }
}

// Whether kind may be sampled from an inversion table (dist_table.h).
MC_HD bool has_table(int32_t kind) {
  return kind == DIST_PERT || kind == DIST_BETAGENERAL || kind == DIST_GAMMA ||
         kind == DIST_BETA || kind == DIST_CHISQ || kind == DIST_ERLANG;
}

// The bound RULE_TOO_LARGE refers to (in magnitude), or 0 when none.
MC_HD double param_limit(int32_t kind, int32_t index) {
  if (kind == DIST_BINOMIAL && index == 0) return MAX_COUNT;
  if (kind == DIST_POISSON && index == 0) return MAX_COUNT;
  if (kind == DIST_INTUNIFORM) return MAX_INT_BOUND;
  if (kind == DIST_GAMMA && index == 0) return MAX_SHAPE;
  if (kind == DIST_BETAGENERAL && index < 2) return MAX_SHAPE;
  if (kind == DIST_BETA || kind == DIST_STUDENT || kind == DIST_CHISQ) return MAX_SHAPE;
  if (kind == DIST_ERLANG && index == 0) return MAX_SHAPE;
  if (kind == DIST_NEGBIN && index == 0) return MAX_COUNT;
  if (kind == DIST_HYPERGEO) return MAX_COUNT;
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

// The largest max - min of a kind with a range (0: none): Uniform's must stay
// finite; Triang's square must (u (max - min)^2 under the root); and Pert and
// BetaGeneral overflow in their tables near the largest doubles (their
// compile hung on Pert(0, 1e307, 1e308)).
MC_HD double width_limit(int32_t kind) {
  switch (kind) {
    case DIST_UNIFORM:
      return 1.7976931348623157e308;
    case DIST_TRIANG:
      return 1e150;
    case DIST_PERT:
    case DIST_BETAGENERAL:
      return 1e300;
    default:
      return 0.0;
  }
}

MC_INLINE int32_t check_width(int32_t code, int32_t kind, double lo, double hi,
                              int32_t i) {
  return flag(code, !(hi - lo <= width_limit(kind)), RULE_TOO_WIDE, i);
}

MC_INLINE int32_t check_uniform(const double* p) {
  int32_t code = flag(finite(p, 2), p[0] > p[1], RULE_ORDER, 0);
  return check_width(code, DIST_UNIFORM, p[0], p[1], 1);
}

// Triang and Pert (min, mode, max).
MC_INLINE int32_t check_mode(int32_t kind, const double* p) {
  int32_t code = flag(finite(p, 3), p[0] > p[2], RULE_ORDER, 0);
  code = flag(code, p[1] < p[0] || p[1] > p[2], RULE_MODE_RANGE, 1);
  return check_width(code, kind, p[0], p[2], 2);
}

MC_INLINE int32_t check_betageneral(const double* p) {
  int32_t code = positive(positive(finite(p, 4), p, 0), p, 1);
  code = flag(code, p[0] > MAX_SHAPE, RULE_TOO_LARGE, 0);
  code = flag(code, p[1] > MAX_SHAPE, RULE_TOO_LARGE, 1);
  code = flag(code, p[2] > p[3], RULE_ORDER, 2);
  return check_width(code, DIST_BETAGENERAL, p[2], p[3], 3);
}

MC_INLINE int32_t check_gamma(const double* p) {
  return flag(check_two_positive(p), p[0] > MAX_SHAPE, RULE_TOO_LARGE, 0);
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

// Beta(alpha1, alpha2): both shapes positive and within MAX_SHAPE.
MC_INLINE int32_t check_beta(const double* p) {
  int32_t code = positive(positive(finite(p, 2), p, 0), p, 1);
  code = flag(code, p[0] > MAX_SHAPE, RULE_TOO_LARGE, 0);
  return flag(code, p[1] > MAX_SHAPE, RULE_TOO_LARGE, 1);
}

// Student(nu) and ChiSq(nu).
MC_INLINE int32_t check_degrees(const double* p) {
  return flag(positive(finite(p, 1), p, 0), p[0] > MAX_SHAPE, RULE_TOO_LARGE, 0);
}

MC_INLINE int32_t check_erlang(const double* p) {
  int32_t code = whole(check_two_positive(p), p, 0);
  return flag(code, p[0] > MAX_SHAPE, RULE_TOO_LARGE, 0);
}

// LogLogistic(gamma, beta, alpha): scale and shape positive.
MC_INLINE int32_t check_loglogistic(const double* p) {
  return positive(positive(finite(p, 3), p, 1), p, 2);
}

// A success probability in (0, 1], at index i.
MC_INLINE int32_t success(int32_t code, const double* p, int32_t i) {
  return flag(positive(code, p, i), p[i] > 1.0, RULE_PROBABILITY, i);
}

// The mean number of failures s (1 - p) / p, which bounds the quantile's
// search, at most MAX_COUNT (flagged on p, at index i).
MC_INLINE int32_t mean_failures(int32_t code, double s, const double* p, int32_t i) {
  return flag(code, s * (1.0 - p[i]) > MAX_COUNT * p[i], RULE_MEAN_TOO_LARGE, i);
}

MC_INLINE int32_t check_negbin(const double* p) {
  int32_t code = whole(positive(finite(p, 2), p, 0), p, 0);
  code = flag(code, p[0] > MAX_COUNT, RULE_TOO_LARGE, 0);
  return mean_failures(success(code, p, 1), p[0], p, 1);
}

MC_INLINE int32_t check_intuniform(const double* p) {
  int32_t code = whole(whole(finite(p, 2), p, 0), p, 1);
  code = flag(code, fabs(p[0]) > MAX_INT_BOUND, RULE_TOO_LARGE, 0);
  code = flag(code, fabs(p[1]) > MAX_INT_BOUND, RULE_TOO_LARGE, 1);
  return flag(code, p[0] > p[1], RULE_ORDER, 0);
}

// HyperGeo(n, D, M): whole, not negative, M at most MAX_COUNT, and n and D
// at most M (flagged as TOO_LARGE on n or D, whose limit is then M).
MC_INLINE int32_t check_hypergeo(const double* p) {
  int32_t code = finite(p, 3);
  for (int32_t i = 0; i < 3; ++i)
    code = whole(flag(code, p[i] < 0.0, RULE_NEGATIVE, i), p, i);
  code = flag(code, p[2] > MAX_COUNT, RULE_TOO_LARGE, 2);
  code = flag(code, p[0] > p[2], RULE_TOO_LARGE, 0);
  return flag(code, p[1] > p[2], RULE_TOO_LARGE, 1);
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
    case DIST_LOGISTIC:
    case DIST_EXTVALUE:
    case DIST_EXTVALUEMIN:
    case DIST_LAPLACE:
    case DIST_CAUCHY:
      return check_spread(p);
    case DIST_PARETO:
    case DIST_PARETO2:
    case DIST_INVGAUSS:
      return check_two_positive(p);
    case DIST_BETA:
      return check_beta(p);
    case DIST_STUDENT:
    case DIST_CHISQ:
      return check_degrees(p);
    case DIST_ERLANG:
      return check_erlang(p);
    case DIST_LOGLOGISTIC:
      return check_loglogistic(p);
    case DIST_RAYLEIGH:
      return positive(finite(p, 1), p, 0);
    case DIST_GEOMET:
      return mean_failures(success(finite(p, 1), p, 0), 1.0, p, 0);
    case DIST_NEGBIN:
      return check_negbin(p);
    case DIST_LOGNORM:
    case DIST_GAMMA:
      return check_gamma(p);
    case DIST_WEIBULL:
      return check_two_positive(p);
    case DIST_UNIFORM:
      return check_uniform(p);
    case DIST_TRIANG:
    case DIST_PERT:
      return check_mode(kind, p);
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
    case DIST_HYPERGEO:
      return check_hypergeo(p);
    case DIST_PIECEWISE:
      return 0;  // everything is in aux, checked where it is packed
    case DIST_INTUNIFORM:
      return check_intuniform(p);
    default:
      return RULE_EMPTY;
  }
}

}  // namespace mc
