// excel_stats.h: Excel's statistical worksheet functions that need the
// special functions (GAMMA.DIST, GAMMA.INV, BETA.DIST, BETA.INV, T.INV), and
// the error tests behind IFERROR and IFNA; host and device.
//
// As in excel_ops.h, an error operand passes through (the leftmost wins) and
// arguments outside a function's domain give #NUM!, as Excel does. BETA.DIST
// and BETA.INV work on [0, 1] here; the compiler scales to [A, B].
#pragma once

#include "dist_continuous.h"
#include "excel_ops.h"
#include "mc_defs.h"
#include "special.h"

namespace mc {

// ISERROR and ISNA: 1 or 0, never an error themselves.
MC_HD double op_iserror(double x) { return is_err(x) ? 1.0 : 0.0; }
MC_HD double op_isna(double x) {
  return error_code(x) == ERR_NA && is_err(x) ? 1.0 : 0.0;
}

MC_HD double op_gamma_dist(double x, double a, double b, double cumulative) {
  if (is_err(x) || is_err(a) || is_err(b) || is_err(cumulative))
    return x + a + b + cumulative;
  if (x < 0.0 || a <= 0.0 || b <= 0.0) return error_value(ERR_NUM);
  double s = x / b;
  if (cumulative != 0.0) return gamma_reg(a, s, false);
  if (x == 0.0) return a < 1.0 ? error_value(ERR_NUM) : (a == 1.0 ? 1.0 / b : 0.0);
  return finite_or_num(exp((a - 1.0) * log(s) - s - lgamma_pos(a)) / b);
}

MC_HD double op_gamma_inv(double p, double a, double b) {
  if (is_err(p) || is_err(a) || is_err(b)) return p + a + b;
  if (p < 0.0 || p >= 1.0 || a <= 0.0 || b <= 0.0) return error_value(ERR_NUM);
  if (p == 0.0) return 0.0;
  return dist_detail::q_gamma(a, b, p);
}

// Beta(a, b) on [0, 1] at t.
MC_HD double op_beta_dist(double t, double a, double b, double cumulative) {
  if (is_err(t) || is_err(a) || is_err(b) || is_err(cumulative))
    return t + a + b + cumulative;
  if (t < 0.0 || t > 1.0 || a <= 0.0 || b <= 0.0) return error_value(ERR_NUM);
  double lb = lbeta(a, b);
  if (cumulative != 0.0) {
    if (t == 0.0 || t == 1.0) return t;
    return ibeta(a, b, t, 1.0 - t, lb, false);
  }
  if ((t == 0.0 && a < 1.0) || (t == 1.0 && b < 1.0)) return error_value(ERR_NUM);
  if (t == 0.0) return a == 1.0 ? exp(-lb) : 0.0;
  if (t == 1.0) return b == 1.0 ? exp(-lb) : 0.0;
  return finite_or_num(exp((a - 1.0) * log(t) + (b - 1.0) * log1p(-t) - lb));
}

MC_HD double op_beta_inv(double p, double a, double b) {
  if (is_err(p) || is_err(a) || is_err(b)) return p + a + b;
  if (p <= 0.0 || p > 1.0 || a <= 0.0 || b <= 0.0) return error_value(ERR_NUM);
  if (p == 1.0) return 1.0;
  return dist_detail::q_beta(a, b, 0.0, 1.0, p);
}

// A lookup in a constant table, aux = [n, mode, keys ascending (n), results
// (n)]: mode 0 the result of the key equal to x, 1 of the largest key <= x,
// -1 of the smallest key >= x; #N/A when there is none. Binary search.
MC_HD double op_lookup(const double* aux, double x) {
  if (is_err(x)) return x;
  auto n = static_cast<int32_t>(aux[0]);
  auto mode = static_cast<int32_t>(aux[1]);
  const double* keys = aux + 2;
  const double* results = keys + n;
  int32_t lo = 0, hi = n;  // first key > x lies in [lo, hi]
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (keys[mid] <= x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  // lo: the number of keys <= x.
  if (mode == 1) return lo > 0 ? results[lo - 1] : error_value(ERR_NA);
  if (mode == 0) {
    return lo > 0 && keys[lo - 1] == x ? results[lo - 1] : error_value(ERR_NA);
  }
  if (lo > 0 && keys[lo - 1] == x) return results[lo - 1];
  return lo < n ? results[lo] : error_value(ERR_NA);
}

MC_HD double op_t_inv(double p, double nu) {
  if (is_err(p) || is_err(nu)) return p + nu;
  if (p <= 0.0 || p >= 1.0 || nu < 1.0) return error_value(ERR_NUM);
  return dist_detail::q_student(nu, p);
}

}  // namespace mc
