// excel_ops.h: Excel's scalar semantics, one inline function per operation.
//
// Every function takes and returns doubles; an Excel error travels as the
// NaN of mc_defs.h, so each function first lets an error operand through
// (operand order decides which error wins, as in Excel: the leftmost) and
// then applies Excel's own rules: division by zero is #DIV/0!, a result too
// large for a double is #NUM!, SQRT of a negative is #NUM!, and so on.
// Branch-free where it matters so that the block loops of evaluator.h
// vectorise; the rarer financial functions simply branch.
#pragma once

#include "mc_defs.h"
#include "special.h"

namespace mc {

MC_HD bool is_err(double x) { return x != x; }

// Excel has no infinities: an overflow is #NUM!.
MC_HD double finite_or_num(double x) {
  return (x - x == 0.0 || x != x) ? x : error_value(ERR_NUM);
}

// The first error among the operands, or 0.0 when there is none.
MC_HD double first_err(double a, double b) { return is_err(a) ? a : b; }

MC_HD double op_add(double a, double b) { return finite_or_num(a + b); }
MC_HD double op_sub(double a, double b) { return finite_or_num(a - b); }
MC_HD double op_mul(double a, double b) { return finite_or_num(a * b); }

MC_HD double op_div(double a, double b) {
  double q = finite_or_num(a / b);
  double div0 = is_err(a) ? a : error_value(ERR_DIV0);
  return b == 0.0 ? div0 : q;
}

MC_HD double op_neg(double a) { return -a; }

// Comparisons give 1.0 (TRUE) or 0.0 (FALSE); an error operand wins.
MC_HD double op_eq(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (a == b ? 1.0 : 0.0);
}
MC_HD double op_ne(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (a != b ? 1.0 : 0.0);
}
MC_HD double op_lt(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (a < b ? 1.0 : 0.0);
}
MC_HD double op_le(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (a <= b ? 1.0 : 0.0);
}

MC_HD double op_if(double c, double a, double b) {
  return is_err(c) ? c : (c != 0.0 ? a : b);
}

MC_HD double op_and(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : ((a != 0.0 && b != 0.0) ? 1.0 : 0.0);
}
MC_HD double op_or(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : ((a != 0.0 || b != 0.0) ? 1.0 : 0.0);
}
MC_HD double op_xor(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (((a != 0.0) != (b != 0.0)) ? 1.0 : 0.0);
}
MC_HD double op_not(double a) { return is_err(a) ? a : (a == 0.0 ? 1.0 : 0.0); }

MC_HD double op_min(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (b < a ? b : a);
}
MC_HD double op_max(double a, double b) {
  return (is_err(a) || is_err(b)) ? a + b : (b > a ? b : a);
}

MC_HD double op_abs(double a) { return fabs(a); }
MC_HD double op_int(double a) { return floor(a); }
MC_HD double op_trunc(double a) { return trunc(a); }

MC_HD double op_sign(double a) {
  return is_err(a) ? a : (a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0));
}

MC_HD double op_sqrt(double a) { return a < 0.0 ? error_value(ERR_NUM) : sqrt(a); }

MC_HD double op_exp(double a) { return finite_or_num(exp(a)); }

MC_HD double op_ln(double a) { return a <= 0.0 ? error_value(ERR_NUM) : log(a); }

MC_HD double op_log10(double a) { return a <= 0.0 ? error_value(ERR_NUM) : log10(a); }

MC_HD double op_log(double x, double base) {
  if (is_err(x) || is_err(base)) return x + base;
  if (x <= 0.0 || base <= 0.0) return error_value(ERR_NUM);
  if (base == 1.0) return error_value(ERR_DIV0);
  return log(x) / log(base);
}

MC_HD bool is_integer(double y) { return y == floor(y); }

// POWER(0, 0) is #NUM! in Excel; 0 to a negative power is #DIV/0!.
MC_HD double op_pow(double x, double y) {
  if (is_err(x) || is_err(y)) return x + y;
  if (x == 0.0 && y == 0.0) return error_value(ERR_NUM);
  if (x == 0.0 && y < 0.0) return error_value(ERR_DIV0);
  if (x < 0.0 && !is_integer(y)) return error_value(ERR_NUM);
  return finite_or_num(pow(x, y));
}

// MOD takes the divisor's sign: MOD(-3, 2) = 1, MOD(3, -2) = -1.
MC_HD double op_mod(double n, double d) {
  if (is_err(n) || is_err(d)) return n + d;
  if (d == 0.0) return error_value(ERR_DIV0);
  double r = fmod(n, d);
  return (r != 0.0 && ((r < 0.0) != (d < 0.0))) ? r + d : r;
}

// x rounded to 15 significant digits: Excel works at that precision, so
// ROUND(1.005, 2) sees 100.5, not the 100.49999999999999 of binary floats.
MC_HD double snap15(double y) {
  double ay = fabs(y);
  if (ay == 0.0 || ay >= 1e15) return y;
  double e = floor(log10(ay));
  double scale = pow(10.0, 14.0 - e);
  double snapped = round(y * scale) / scale;
  return (snapped - snapped == 0.0) ? snapped : y;
}

enum RoundMode : int32_t { ROUND_NEAREST = 0, ROUND_UP = 1, ROUND_DOWN = 2 };

// ROUND (half away from zero), ROUNDUP (away from zero), ROUNDDOWN.
MC_HD double op_round(double x, double digits, int32_t mode) {
  if (is_err(x) || is_err(digits)) return x + digits;
  double d = trunc(digits);
  if (d > 300.0 || d < -300.0) return d > 0.0 ? x : 0.0;
  double p = pow(10.0, fabs(d));
  double y = snap15(d >= 0.0 ? x * p : x / p);
  double r;
  if (mode == ROUND_NEAREST) {
    r = round(y);
  } else if (mode == ROUND_UP) {
    r = y < 0.0 ? floor(y) : ceil(y);
  } else {
    r = trunc(y);
  }
  return finite_or_num(d >= 0.0 ? r / p : r * p);
}

// Growth factor (1 + rate)^nper of the annuity functions.
MC_HD double growth(double rate, double nper) { return pow(1.0 + rate, nper); }

MC_HD bool any_err5(double a, double b, double c, double d, double e) {
  return is_err(a) || is_err(b) || is_err(c) || is_err(d) || is_err(e);
}

// PMT(rate, nper, pv, fv, type): the payment per period of an annuity.
MC_HD double op_pmt(double rate, double nper, double pv, double fv, double type) {
  if (any_err5(rate, nper, pv, fv, type)) return rate + nper + pv + fv + type;
  if (nper == 0.0) return error_value(ERR_NUM);
  if (rate == 0.0) return finite_or_num(-(pv + fv) / nper);
  double g = growth(rate, nper);
  double t = type != 0.0 ? 1.0 : 0.0;
  double denom = (1.0 + rate * t) * (g - 1.0);
  if (denom == 0.0) return error_value(ERR_DIV0);
  return finite_or_num(-(rate * (fv + pv * g)) / denom);
}

// PV(rate, nper, pmt, fv, type): present value of an annuity.
MC_HD double op_pv(double rate, double nper, double pmt, double fv, double type) {
  if (any_err5(rate, nper, pmt, fv, type)) return rate + nper + pmt + fv + type;
  if (rate == 0.0) return finite_or_num(-(fv + pmt * nper));
  double g = growth(rate, nper);
  if (g == 0.0) return error_value(ERR_DIV0);
  double t = type != 0.0 ? 1.0 : 0.0;
  return finite_or_num(-(fv + pmt * (1.0 + rate * t) * (g - 1.0) / rate) / g);
}

// FV(rate, nper, pmt, pv, type): future value of an annuity.
MC_HD double op_fv(double rate, double nper, double pmt, double pv, double type) {
  if (any_err5(rate, nper, pmt, pv, type)) return rate + nper + pmt + pv + type;
  if (rate == 0.0) return finite_or_num(-(pv + pmt * nper));
  double g = growth(rate, nper);
  double t = type != 0.0 ? 1.0 : 0.0;
  return finite_or_num(-(pv * g + pmt * (1.0 + rate * t) * (g - 1.0) / rate));
}

MC_HD double std_normal_pdf(double z) {
  return 0.39894228040143267794 * exp(-0.5 * z * z);
}

MC_HD double std_normal_cdf(double z) {
  return 0.5 * erfc(-z * 0.70710678118654752440);
}

MC_HD double op_norm_s_inv(double p) {
  if (is_err(p)) return p;
  return (p <= 0.0 || p >= 1.0) ? error_value(ERR_NUM) : normal_quantile(p);
}

MC_HD double op_norm_inv(double p, double mean, double sd) {
  if (is_err(p) || is_err(mean) || is_err(sd)) return p + mean + sd;
  if (p <= 0.0 || p >= 1.0 || sd <= 0.0) return error_value(ERR_NUM);
  return mean + sd * normal_quantile(p);
}

MC_HD double op_norm_dist(double x, double mean, double sd, double cumulative) {
  if (is_err(x) || is_err(mean) || is_err(sd) || is_err(cumulative))
    return x + mean + sd + cumulative;
  if (sd <= 0.0) return error_value(ERR_NUM);
  double z = (x - mean) / sd;
  return cumulative != 0.0 ? std_normal_cdf(z) : std_normal_pdf(z) / sd;
}

}  // namespace mc
