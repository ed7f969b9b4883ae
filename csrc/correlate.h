// correlate.h: rank correlation among stochastic inputs, by reordering the
// uniforms of each chunk of iterations (Iman and Conover's method); host only.
//
// Exports (namespace mc):
//   CORRELATION_CHUNK        iterations reordered together: chunk c is
//                            iterations [c C, (c + 1) C) of the run, the
//                            last one ending with the run
//   CorrelationGroup         the streams of one group and the lower Cholesky
//                            factor of its correlation in normal scores
//   check_group(g, streams)  throws std::invalid_argument naming what is
//                            wrong with a group
//   Correlator               per-thread scratch; reorder(g, u, m) reorders
//                            u[j][0 .. m) of each stream j of g in place
//
// The method, per chunk of m iterations and group of d inputs: the normal
// scores s_j = Phi^-1(u_j) of the uniforms, their sample covariance S = F
// F^T (skipped when m <= d or S is singular: F = I), the target factor L,
// and T = L F^-1. The scores T s have sample correlation exactly L L^T, and
// each u_j is permuted so that its ranks follow those of (T s)_j. T is lower
// triangular with T_00 > 0, so the first input keeps its order. Because only
// the order changes, each input's uniforms, and so its values, are a
// permutation of its uncorrelated ones, ties and LHS strata included.
#pragma once

#include <cstdint>
#include <vector>

namespace mc {

constexpr int32_t CORRELATION_CHUNK = 4096;

struct CorrelationGroup {
  std::vector<int32_t> streams;  // d distinct streams
  std::vector<double> factor;    // d x d, row-major, lower triangular
};

void check_group(const CorrelationGroup& g, int32_t streams);

class Correlator {
 public:
  void reorder(const CorrelationGroup& g, double* const* u, int32_t m);

 private:
  // The transform T = L F^-1 of this chunk's scores (d x d, row-major).
  void transform(const CorrelationGroup& g, int32_t m);
  // order[r]: the index of the r-th value in bucket order (bucket[i] in
  // [0, m)), by index within a bucket; for a short chunk, by x exactly.
  void rank_order(const double* x, const int32_t* bucket, int32_t m, int32_t* order);

  std::vector<double> scores_;  // d * m normal scores
  std::vector<double> target_;  // m transformed scores of one input
  std::vector<double> copy_;    // m uniforms of one input
  std::vector<double> t_;       // d * d
  std::vector<double> mean_, cov_, inv_;
  std::vector<int32_t> by_score_, by_value_, by_bucket_, counts_;
};

}  // namespace mc
