// special_normal.h: the standard normal distribution, host and device.
//
// Exports (namespace mc):
//   normal_quantile(u)        Wichura's AS 241 (about 1e-16 relative)
//   normal_cdf(x)             Phi(x) from the incomplete gamma function, so
//                             as accurate as gamma_reg (special_incomplete.h)
//                             in the lower tail; above 0 it returns 1 minus
//                             that tail, exact only in absolute terms
#pragma once

#include "mc_defs.h"
#include "special_elementary.h"
#include "special_incomplete.h"

namespace mc {

// Standard normal quantile, Wichura's AS 241 (Applied Statistics 37, 1988):
// three rational approximations, selected before the one division so the
// function has no branches.
MC_INLINE double normal_quantile(double u) {
  double q = u - 0.5;
  double r = 0.180625 - q * q;
  double cn = q * poly(r, 3.3871328727963666080e0, 1.3314166789178437745e+2,
                       1.9715909503065514427e+3, 1.3731693765509461125e+4,
                       4.5921953931549871457e+4, 6.7265770927008700853e+4,
                       3.3430575583588128105e+4, 2.5090809287301226727e+3);
  double cd =
      poly(r, 1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
           5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
           2.8729085735721942674e+4, 5.2264952788528545610e+3);
  double s = sqrt(-vlog(q < 0.0 ? u : 1.0 - u));
  double s1 = s - 1.6, s2 = s - 5.0;
  double n1 = poly(s1, 1.42343711074968357734e0, 4.63033784615654529590e0,
                   5.76949722146069140550e0, 3.64784832476320460504e0,
                   1.27045825245236838258e0, 2.41780725177450611770e-1,
                   2.27238449892691845833e-2, 7.74545014278341407640e-4);
  double d1 = poly(s1, 1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
                   6.89767334985100004550e-1, 1.48103976427480074590e-1,
                   1.51986665636164571966e-2, 5.47593808499534494600e-4,
                   1.05075007164441684324e-9);
  double n2 = poly(s2, 6.65790464350110377720e0, 5.46378491116411436990e0,
                   1.78482653991729133580e0, 2.96560571828504891230e-1,
                   2.65321895265761230930e-2, 1.24266094738807843860e-3,
                   2.71155556874348757815e-5, 2.01033439929228813265e-7);
  double d2 = poly(s2, 1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
                   1.48753612908506148525e-2, 7.86869131145613259100e-4,
                   1.84631831751005468180e-5, 1.42151175831644588870e-7,
                   2.04426310338993978564e-15);
  double tn = s <= 5.0 ? n1 : n2;
  double td = s <= 5.0 ? d1 : d2;
  bool central = fabs(q) <= 0.425;
  double num = central ? cn : (q < 0.0 ? -tn : tn);
  return num / (central ? cd : td);
}

// Standard normal distribution function, Phi(x) = Q(1/2, x^2/2) / 2 for x < 0.
MC_HD double normal_cdf(double x) {
  double half_tail = 0.5 * gamma_reg(0.5, 0.5 * x * x, true);
  return x < 0.0 ? half_tail : 1.0 - half_tail;
}

}  // namespace mc
