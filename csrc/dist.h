// dist.h: the distributions, sampled by inversion; host and device.
//
// Exports (namespace mc), besides what the pieces below export:
//   sample_block(kind, params, aux, u, out, n)
//                            out[k] = quantile at u[k] with parameters
//                            params[m][k]; the function the evaluator calls
//   quantile(kind, p, aux, u) one value, for tests and GPU threads
//
// The pieces, each of which can also be included alone:
//   dist_params.h       DistKind, ParamRule, check_params and the parameters
//                       of each kind, their limits and degenerate cases
//   dist_continuous.h   quantiles of the continuous kinds, and their accuracy
//   dist_discrete.h     quantiles of the discrete kinds, and their accuracy
//   dist_table.h        the tabulated inverse of Pert, BetaGeneral and Gamma
//   dist_count_table.h  the tabulated distribution function of the counting
//                       kinds (Binomial, Poisson, NegBin, Geomet, HyperGeo)
//
// Invalid parameters give #NUM! (mc::error_value(ERR_NUM)) in sample_block,
// as does u outside (0, 1); nothing here throws or reads out of bounds.
#pragma once

#include "dist_continuous.h"
#include "dist_count_table.h"
#include "dist_discrete.h"
#include "dist_params.h"
#include "dist_table.h"
#include "mc_defs.h"
#include "special_elementary.h"
#include "special_normal.h"

namespace mc {

namespace dist_detail {

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
    case DIST_BETA:
      return q_beta(p[0], p[1], 0.0, 1.0, u);
    case DIST_LOGISTIC:
      return q_logistic(p[0], p[1], u);
    case DIST_LOGLOGISTIC:
      return q_loglogistic(p[0], p[1], p[2], u);
    case DIST_STUDENT:
      return q_student(p[0], u);
    case DIST_CHISQ:
      return q_gamma(0.5 * p[0], 2.0, u);
    case DIST_ERLANG:
      return q_gamma(p[0], p[1], u);
    case DIST_PARETO:
      return q_pareto(p[0], p[1], u);
    case DIST_PARETO2:
      return q_pareto2(p[0], p[1], u);
    case DIST_EXTVALUE:
      return q_extvalue(p[0], p[1], u);
    case DIST_EXTVALUEMIN:
      return q_extvaluemin(p[0], p[1], u);
    case DIST_RAYLEIGH:
      return q_rayleigh(p[0], u);
    case DIST_LAPLACE:
      return q_laplace(p[0], p[1], u);
    case DIST_CAUCHY:
      return q_cauchy(p[0], p[1], u);
    case DIST_GEOMET:
      return q_geomet(p[0], u);
    case DIST_NEGBIN:
      return q_negbin(p[0], p[1], u);
    case DIST_HYPERGEO:
      return q_hypergeo(p[0], p[1], p[2], u);
    case DIST_INVGAUSS:
      return q_invgauss(p[0], p[1], u);
    default:
      return error_value(ERR_NUM);
  }
}

// Whether a kind's quantile iterates (a root-finder or a count search):
// those are not run where the answer is #NUM! anyway, since invalid
// parameters could keep them at their step limits (Gamma(-1, 1): 70 ms a
// value). The closed forms run regardless, which keeps their loops
// branch-free.
MC_HD constexpr bool kind_iterates(int32_t kind) {
  return kind == DIST_PERT || kind == DIST_BETAGENERAL || kind == DIST_BETA ||
         kind == DIST_GAMMA || kind == DIST_CHISQ || kind == DIST_ERLANG ||
         kind == DIST_INVGAUSS || kind == DIST_STUDENT || kind == DIST_BINOMIAL ||
         kind == DIST_POISSON || kind == DIST_NEGBIN || kind == DIST_GEOMET ||
         kind == DIST_HYPERGEO;
}

// guard(code, u, the quantile at u), the quantile computed only where it
// counts for the kinds that iterate.
template <int32_t KIND>
MC_INLINE double checked_value(int32_t code, const double* p, double u) {
  if constexpr (kind_iterates(KIND)) {
    bool inside = code == 0 && u > 0.0 && u < 1.0;
    return inside ? value_of<KIND>(p, u) : error_value(ERR_NUM);
  }
  return guard(code, u, value_of<KIND>(p, u));
}

MC_HD void fill_error(double* out, int32_t n) {
  for (int32_t k = 0; k < n; ++k) out[k] = error_value(ERR_NUM);
}

// The loop of one kind with NP parameters, the kind fixed outside it so that
// the loop can vectorise. FIXED: every parameter is the same for the whole
// block (params[i][0]), so it is read and checked once, not per iteration
// (R1's run, one Zen 4 thread: 253 -> 239 ms).
template <int32_t KIND, int32_t NP, bool FIXED>
MC_LOOP void kind_block(const double* const* params, const double* u, double* out,
                        int32_t n) {
  if constexpr (FIXED) {
    double p[NP];
    for (int32_t i = 0; i < NP; ++i) p[i] = params[i][0];
    if (check_params(KIND, p) != 0) return fill_error(out, n);
    for (int32_t k = 0; k < n; ++k) out[k] = checked_value<KIND>(0, p, u[k]);
    return;
  }
  for (int32_t k = 0; k < n; ++k) {
    double p[NP];
    for (int32_t i = 0; i < NP; ++i) p[i] = params[i][k];
    out[k] = checked_value<KIND>(check_params(KIND, p), p, u[k]);
  }
}

template <int32_t KIND, int32_t NP>
MC_HD void kind_block(bool fixed, const double* const* params, const double* u,
                      double* out, int32_t n) {
  if (fixed) return kind_block<KIND, NP, true>(params, u, out, n);
  kind_block<KIND, NP, false>(params, u, out, n);
}

// The value of a normal-based kind from the standard normal quantile z.
template <int32_t KIND>
MC_INLINE double value_from_z(const double* p, double z) {
  switch (KIND) {
    case DIST_NORMAL:
      return z_normal(p[0], p[1], z);
    case DIST_LOGNORM2:
      return z_lognorm2(p[0], p[1], z);
    default:
      return z_lognorm(p[0], p[1], z);
  }
}

// kind_block for Normal, Lognorm2 and Lognorm, the same values: on a CPU the
// standard normal quantiles of a chunk come first from normal_quantiles,
// which serves most of them without the tail's logarithm.
template <int32_t KIND, bool FIXED>
MC_LOOP void normal_block(const double* const* params, const double* u, double* out,
                          int32_t n) {
#if defined(__CUDA_ARCH__)
  kind_block<KIND, 2, FIXED>(params, u, out, n);
#else
  constexpr int32_t CHUNK = 512;
  double z[CHUNK];
  const double fixed[2] = {params[0][0], params[1][0]};
  if (FIXED && check_params(KIND, fixed) != 0) return fill_error(out, n);
  for (int32_t first = 0; first < n; first += CHUNK) {
    int32_t len = n - first < CHUNK ? n - first : CHUNK;
    normal_quantiles(u + first, z, len);
    if constexpr (FIXED && KIND == DIST_LOGNORM) {
      // The shape outside the loop: inside, gcc 12 leaves it unvectorised.
      const LognormShape shape = lognorm_shape(fixed[0], fixed[1]);
      for (int32_t j = 0; j < len; ++j) {
        out[first + j] =
            guard(0, u[first + j], z_lognorm_shaped(fixed[0], shape, z[j]));
      }
      continue;
    } else if constexpr (FIXED) {
      for (int32_t j = 0; j < len; ++j) {
        out[first + j] = guard(0, u[first + j], value_from_z<KIND>(fixed, z[j]));
      }
      continue;
    }
    for (int32_t j = 0; j < len; ++j) {
      int32_t k = first + j;
      double p[2] = {params[0][k], params[1][k]};
      out[k] = guard(check_params(KIND, p), u[k], value_from_z<KIND>(p, z[j]));
    }
  }
#endif
}

template <int32_t KIND>
MC_HD void normal_block(bool fixed, const double* const* params, const double* u,
                        double* out, int32_t n) {
  if (fixed) return normal_block<KIND, true>(params, u, out, n);
  normal_block<KIND, false>(params, u, out, n);
}

// A counting kind from its table (dist_count_table.h), the values it leaves
// undecided by the exact quantile with the parameters stored in it.
template <int32_t KIND>
MC_HD void count_block(const double* t, const double* u, double* out, int32_t n) {
  count_search(t, u, out, n);
  for (int32_t k = 0; k < n; ++k) {
    if (out[k] == COUNT_UNDECIDED) out[k] = checked_value<KIND>(0, t + COUNT_P0, u[k]);
  }
}

template <int32_t KIND, int32_t NP>
MC_HD void counted_block(bool fixed, const double* const* params, const double* aux,
                         const double* u, double* out, int32_t n) {
  if (is_count_table(aux)) return count_block<KIND>(aux, u, out, n);
  kind_block<KIND, NP>(fixed, params, u, out, n);
}

MC_HD void discrete_block(const double* aux, const double* u, double* out, int32_t n) {
  if (aux == nullptr) return fill_error(out, n);
  for (int32_t k = 0; k < n; ++k) out[k] = guard(0, u[k], q_discrete(aux, u[k]));
}

MC_HD void piecewise_block(const double* aux, const double* u, double* out, int32_t n) {
  if (aux == nullptr || !(aux[0] >= 2.0)) return fill_error(out, n);
  for (int32_t k = 0; k < n; ++k) out[k] = guard(0, u[k], q_piecewise(aux, u[k]));
}

}  // namespace dist_detail

// out[k] = the quantile of kind at u[k] with parameters params[m][k], for
// 0 <= k < n: #NUM! where they are invalid or u[k] is not inside (0, 1).
// fixed: the parameters are the same for every k (params[m][0] is read).
// aux: for DIST_DISCRETE the packed values and cumulative weights, for
// DIST_PIECEWISE the knots and densities (required);
// for Pert, BetaGeneral, Gamma, Beta, ChiSq and Erlang optionally a table
// from build_table, and for Binomial, Poisson, NegBin, Geomet and HyperGeo
// one from build_count_table, which then replaces params (it was built from
// the same constant parameters); otherwise ignored.
MC_HD void sample_block(int32_t kind, const double* const* params, const double* aux,
                        const double* u, double* out, int32_t n, bool fixed = false) {
  using namespace dist_detail;
  bool table = aux != nullptr;
  switch (kind) {
    case DIST_NORMAL:
      return normal_block<DIST_NORMAL>(fixed, params, u, out, n);
    case DIST_LOGNORM:
      return normal_block<DIST_LOGNORM>(fixed, params, u, out, n);
    case DIST_LOGNORM2:
      return normal_block<DIST_LOGNORM2>(fixed, params, u, out, n);
    case DIST_UNIFORM:
      return kind_block<DIST_UNIFORM, 2>(fixed, params, u, out, n);
    case DIST_TRIANG:
      return kind_block<DIST_TRIANG, 3>(fixed, params, u, out, n);
    case DIST_EXPON:
      return kind_block<DIST_EXPON, 1>(fixed, params, u, out, n);
    case DIST_WEIBULL:
      return kind_block<DIST_WEIBULL, 2>(fixed, params, u, out, n);
    case DIST_BERNOULLI:
      return kind_block<DIST_BERNOULLI, 1>(fixed, params, u, out, n);
    case DIST_BINOMIAL:
      return counted_block<DIST_BINOMIAL, 2>(fixed, params, aux, u, out, n);
    case DIST_POISSON:
      return counted_block<DIST_POISSON, 1>(fixed, params, aux, u, out, n);
    case DIST_INTUNIFORM:
      return kind_block<DIST_INTUNIFORM, 2>(fixed, params, u, out, n);
    case DIST_DISCRETE:
      return discrete_block(aux, u, out, n);
    case DIST_PIECEWISE:
      return piecewise_block(aux, u, out, n);
    case DIST_HYPERGEO:
      return counted_block<DIST_HYPERGEO, 3>(fixed, params, aux, u, out, n);
    case DIST_INVGAUSS:
      return kind_block<DIST_INVGAUSS, 2>(fixed, params, u, out, n);
    case DIST_PERT:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_PERT, 3>(fixed, params, u, out, n);
    case DIST_BETAGENERAL:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_BETAGENERAL, 4>(fixed, params, u, out, n);
    case DIST_GAMMA:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_GAMMA, 2>(fixed, params, u, out, n);
    case DIST_BETA:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_BETA, 2>(fixed, params, u, out, n);
    case DIST_CHISQ:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_CHISQ, 1>(fixed, params, u, out, n);
    case DIST_ERLANG:
      if (table) return table_block(aux, u, out, n);
      return kind_block<DIST_ERLANG, 2>(fixed, params, u, out, n);
    case DIST_LOGISTIC:
      return kind_block<DIST_LOGISTIC, 2>(fixed, params, u, out, n);
    case DIST_LOGLOGISTIC:
      return kind_block<DIST_LOGLOGISTIC, 3>(fixed, params, u, out, n);
    case DIST_STUDENT:
      return kind_block<DIST_STUDENT, 1>(fixed, params, u, out, n);
    case DIST_PARETO:
      return kind_block<DIST_PARETO, 2>(fixed, params, u, out, n);
    case DIST_PARETO2:
      return kind_block<DIST_PARETO2, 2>(fixed, params, u, out, n);
    case DIST_EXTVALUE:
      return kind_block<DIST_EXTVALUE, 2>(fixed, params, u, out, n);
    case DIST_EXTVALUEMIN:
      return kind_block<DIST_EXTVALUEMIN, 2>(fixed, params, u, out, n);
    case DIST_RAYLEIGH:
      return kind_block<DIST_RAYLEIGH, 1>(fixed, params, u, out, n);
    case DIST_LAPLACE:
      return kind_block<DIST_LAPLACE, 2>(fixed, params, u, out, n);
    case DIST_CAUCHY:
      return kind_block<DIST_CAUCHY, 2>(fixed, params, u, out, n);
    case DIST_GEOMET:
      return counted_block<DIST_GEOMET, 1>(fixed, params, aux, u, out, n);
    case DIST_NEGBIN:
      return counted_block<DIST_NEGBIN, 2>(fixed, params, aux, u, out, n);
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
