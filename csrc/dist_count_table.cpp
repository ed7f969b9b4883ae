// dist_count_table.cpp: building the tables of dist_count_table.h (host only).
//
// The counts tabulated run from one below the exact quantile at COUNT_TAIL to
// the exact quantile at 1 - COUNT_TAIL, so that every u between is decided;
// a wider range (a standard deviation above about 500) keeps the
// COUNT_MAX_ENTRIES counts around the median, and the rest of u takes the
// exact quantile. Each entry is the very evaluation of F the exact search
// compares u with (the same functor), so the two agree.
#include "dist_count_table.h"

#include <algorithm>

#include "dist.h"
#include "dist_table.h"

namespace mc {
namespace {

constexpr int32_t STOP_EVERY = 256;

template <typename Cdf>
size_t fill(const Cdf& cdf, int32_t kind, const double* p, double offset, double* out,
            const std::function<bool()>& stop) {
  auto count = [&](double u) { return quantile(kind, p, nullptr, u) - offset; };
  double lo = std::max(count(COUNT_TAIL) - 1.0, 0.0), hi = count(1.0 - COUNT_TAIL);
  if (!(hi - lo + 1.0 <= COUNT_MAX_ENTRIES)) {
    double median = count(0.5);
    lo = std::max(lo, median - COUNT_MAX_ENTRIES / 2);
    hi = std::min(hi, lo + (COUNT_MAX_ENTRIES - 1));
  }
  if (!(hi > lo)) return 0;
  auto m = static_cast<int32_t>(hi - lo + 1.0);
  for (int32_t i = 0; i < COUNT_HEADER; ++i) out[i] = 0.0;
  out[COUNT_KIND_TAG] = COUNT_TAG;
  out[COUNT_KIND] = kind;
  for (int32_t i = 0; i < param_count(kind); ++i) out[COUNT_P0 + i] = p[i];
  out[COUNT_FIRST] = offset + lo;
  out[COUNT_ENTRIES] = m;
  double *below = out + COUNT_HEADER, *above = below + m;
  for (int32_t i = 0; i < m; ++i) {
    if (i % STOP_EVERY == STOP_EVERY - 1 && stop && stop()) return TABLE_STOPPED;
    below[i] = cdf(lo + i, false);
    above[i] = -cdf(lo + i, true);
  }
  return COUNT_HEADER + 2 * static_cast<size_t>(m);
}

}  // namespace

size_t build_count_table(int32_t kind, const double* p, double* out,
                         const std::function<bool()>& stop) {
  if (!has_count_table(kind) || check_params(kind, p) != 0) return 0;
  size_t size = 0;
  dist_detail::with_count_cdf(kind, p, [&](const auto& cdf, double offset, double) {
    size = fill(cdf, kind, p, offset, out, stop);
  });
  return size;
}

}  // namespace mc
