// special.h: special functions behind the quantile functions, host and device.
//
// Includes the four pieces, each of which can also be included alone:
//   special_elementary.h   MC_INLINE, MC_LOOP, madd, poly, is_finite, vlog,
//                          vexp, vlog1p
//   special_incomplete.h   lgamma_pos, lbeta, gamma_reg, ibeta
//   special_normal.h       normal_quantile, normal_cdf
//   special_inverse.h      gamma_solve, beta_solve
// Each piece states its accuracy and limits.
#pragma once

#include "special_elementary.h"
#include "special_incomplete.h"
#include "special_inverse.h"
#include "special_normal.h"
