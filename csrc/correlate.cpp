// correlate.cpp: Iman and Conover's reordering of a chunk's uniforms.
#include "correlate.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "special_normal.h"

namespace mc {

namespace {

// Chunks up to this many iterations are ranked exactly.
constexpr int32_t EXACT_BELOW = 1024;

// Lower Cholesky factor of the d x d matrix a, in place; false when a pivot
// is not clearly positive (relative to its diagonal entry).
bool cholesky(std::vector<double>& a, int32_t d) {
  for (int32_t j = 0; j < d; ++j) {
    double diag = a[j * d + j];
    for (int32_t k = 0; k < j; ++k) diag -= a[j * d + k] * a[j * d + k];
    if (!(diag > 1e-10 * a[j * d + j])) return false;
    double root = std::sqrt(diag);
    a[j * d + j] = root;
    for (int32_t i = j + 1; i < d; ++i) {
      double v = a[i * d + j];
      for (int32_t k = 0; k < j; ++k) v -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = v / root;
    }
    for (int32_t k = j + 1; k < d; ++k) a[j * d + k] = 0.0;
  }
  return true;
}

// The inverse of the lower-triangular f (d x d), by forward substitution.
void lower_inverse(const std::vector<double>& f, int32_t d, std::vector<double>& inv) {
  inv.assign(static_cast<size_t>(d * d), 0.0);
  for (int32_t c = 0; c < d; ++c) {
    for (int32_t i = c; i < d; ++i) {
      double v = i == c ? 1.0 : 0.0;
      for (int32_t k = c; k < i; ++k) v -= f[i * d + k] * inv[k * d + c];
      inv[i * d + c] = v / f[i * d + i];
    }
  }
}

}  // namespace

void check_group(const CorrelationGroup& g, int32_t streams) {
  auto d = static_cast<int32_t>(g.streams.size());
  if (d < 2) throw std::invalid_argument("a correlation group needs two inputs");
  if (g.factor.size() != static_cast<size_t>(d) * static_cast<size_t>(d)) {
    throw std::invalid_argument("a correlation factor must be d x d");
  }
  for (int32_t i = 0; i < d; ++i) {
    if (g.streams[i] < 0 || g.streams[i] >= streams) {
      throw std::invalid_argument("correlated stream " + std::to_string(g.streams[i]) +
                                  " is not an input");
    }
    if (!(g.factor[i * d + i] >= 0.0) || (i == 0 && g.factor[0] != 1.0)) {
      throw std::invalid_argument("a correlation factor needs L_00 = 1, L_ii >= 0");
    }
    double norm = 0.0;
    for (int32_t k = 0; k < d; ++k) {
      double v = g.factor[i * d + k];
      if (!std::isfinite(v) || (k > i && v != 0.0)) {
        throw std::invalid_argument("a correlation factor must be finite and lower");
      }
      norm += v * v;
    }
    if (std::fabs(norm - 1.0) > 1e-9) {
      throw std::invalid_argument("a correlation factor's rows must have unit length");
    }
  }
}

void Correlator::transform(const CorrelationGroup& g, int32_t m) {
  auto d = static_cast<int32_t>(g.streams.size());
  t_ = g.factor;
  if (m <= d) return;  // the sample covariance is singular: F = I
  mean_.assign(static_cast<size_t>(d), 0.0);
  std::vector<double>& mean = mean_;
  for (int32_t j = 0; j < d; ++j) {
    const double* s = scores_.data() + static_cast<size_t>(j) * m;
    double sum = 0.0;
    for (int32_t i = 0; i < m; ++i) sum += s[i];
    mean[j] = sum / static_cast<double>(m);
  }
  cov_.assign(static_cast<size_t>(d * d), 0.0);
  std::vector<double>& cov = cov_;
  for (int32_t a = 0; a < d; ++a) {
    const double* sa = scores_.data() + static_cast<size_t>(a) * m;
    for (int32_t b = 0; b <= a; ++b) {
      const double* sb = scores_.data() + static_cast<size_t>(b) * m;
      double sum = 0.0;
      for (int32_t i = 0; i < m; ++i) sum += (sa[i] - mean[a]) * (sb[i] - mean[b]);
      cov[a * d + b] = cov[b * d + a] = sum / static_cast<double>(m - 1);
    }
  }
  if (!cholesky(cov, d)) return;
  lower_inverse(cov, d, inv_);
  const std::vector<double>& inv = inv_;
  for (int32_t i = 0; i < d; ++i) {
    for (int32_t c = 0; c <= i; ++c) {
      double v = 0.0;
      for (int32_t k = c; k <= i; ++k) v += g.factor[i * d + k] * inv[k * d + c];
      t_[i * d + c] = v;
    }
  }
}

// A counting sort on the bucket of each value: order lists the indices
// bucket by bucket, and by index within a bucket. Buckets hold about one
// value each, so the order is the exact ranking up to swaps of values less
// than a bucket's width apart: that moves a rank correlation by under 1e-5
// and leaves the reordering a permutation all the same (an exact sort within
// each bucket cost more than the rest of the reordering together).
void Correlator::rank_order(const double* x, const int32_t* bucket, int32_t m,
                            int32_t* order) {
  if (m <= EXACT_BELOW) {
    // A short chunk (a small run, or a run's last piece): buckets would be
    // too coarse to rank it, and an exact sort costs little.
    for (int32_t i = 0; i < m; ++i) order[i] = i;
    std::stable_sort(order, order + m,
                     [x](int32_t a, int32_t b) { return x[a] < x[b]; });
    return;
  }
  counts_.assign(static_cast<size_t>(m) + 1, 0);
  int32_t* counts = counts_.data();
  for (int32_t i = 0; i < m; ++i) ++counts[bucket[i] + 1];
  for (int32_t b = 0; b < m; ++b) counts[b + 1] += counts[b];
  for (int32_t i = 0; i < m; ++i) order[counts[bucket[i]]++] = i;
}

void Correlator::reorder(const CorrelationGroup& g, double* const* u, int32_t m) {
  auto d = static_cast<int32_t>(g.streams.size());
  if (d < 2 || m < 2) return;
  scores_.resize(static_cast<size_t>(d) * m);
  for (int32_t j = 0; j < d; ++j) {
    normal_quantiles(u[j], scores_.data() + static_cast<size_t>(j) * m, m);
  }
  transform(g, m);
  target_.resize(static_cast<size_t>(m));
  copy_.resize(static_cast<size_t>(m));
  by_score_.resize(static_cast<size_t>(m));
  by_value_.resize(static_cast<size_t>(m));
  by_bucket_.resize(static_cast<size_t>(m));
  double* target = target_.data();
  int32_t* bucket = by_bucket_.data();
  for (int32_t j = 1; j < d; ++j) {
    for (int32_t i = 0; i < m; ++i) target[i] = 0.0;
    for (int32_t k = 0; k <= j; ++k) {
      const double c = t_[j * d + k];
      const double* s = scores_.data() + static_cast<size_t>(k) * m;
      for (int32_t i = 0; i < m; ++i) target[i] += c * s[i];
    }
    // A score's bucket: m g(z), g = (1 + t / sqrt(1 + t^2)) / 2 with t =
    // 0.8 z, a cheap increasing stand-in for Phi that fills the buckets
    // about evenly (at most 1.0 per bucket on average, fewer in the tails).
    const double top = static_cast<double>(m) - 0.5;
    for (int32_t i = 0; i < m; ++i) {
      double t = 0.8 * target[i];
      double b = 0.5 * static_cast<double>(m) * (1.0 + t / std::sqrt(1.0 + t * t));
      bucket[i] = static_cast<int32_t>(b < top ? b : top);
    }
    rank_order(target, bucket, m, by_score_.data());
    const double* uj = u[j];
    for (int32_t i = 0; i < m; ++i) {
      double b = uj[i] * static_cast<double>(m);
      bucket[i] = static_cast<int32_t>(b < top ? b : top);
    }
    rank_order(uj, bucket, m, by_value_.data());
    for (int32_t i = 0; i < m; ++i) copy_[i] = u[j][i];
    for (int32_t r = 0; r < m; ++r) u[j][by_score_[r]] = copy_[by_value_[r]];
  }
}

}  // namespace mc
