// stats_spearman.cpp: spearman() of stats.h, the rank correlation of inputs
// with an output.
//
// Each output is ranked once, and so is each input row (a radix sort on the top
// half of each value's bits, linear in the iterations, then the rare equal
// halves ordered by whole values), whatever the number of outputs; rows and pairs are
// shared out among the threads. Only when an output or a row has errors are both sides
// re-ranked over the iterations they share.
//
// Known limit: the correlations use doubled midranks, which are integers, so
// their sums of products are exact up to about 300,000 iterations and rounded
// beyond (relative error near 1e-16 per term, so far below any meaningful
// digit of a correlation).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "stats.h"
#include "stats_detail.h"

namespace mc::stats {
namespace {

using detail::finite;
using detail::kNaN;

// The order-preserving image of a finite x: flip the sign bit of a positive
// value, every bit of a negative one. Adding +0.0 first turns -0.0 into +0.0,
// so that equal values, and only they, have equal keys.
std::uint64_t sort_key(double x) {
  std::uint64_t bits;
  x += 0.0;
  std::memcpy(&bits, &x, sizeof bits);
  return bits >> 63 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Ranking sorts 64-bit words: the top half of a value's key above its index
// (rows are fewer than 2^32; spearman() checks). The radix sort orders them by
// that top half alone, least significant 11-bit digit first, one stable
// scatter per digit (three, skipping any that all words share); the few runs
// whose top halves are equal are then ordered by their whole keys. Half the
// bytes and half the scatters of sorting whole keys beside their indices.
constexpr int kDigitBits = 11, kDigits = 3, kKeyShift = 32;
constexpr std::uint64_t kDigitMask = (std::uint64_t{1} << kDigitBits) - 1;
constexpr std::uint64_t kIndexMask = 0xFFFFFFFFu;

int digit_shift(int d) { return kKeyShift + kDigitBits * d; }

void radix_sort(std::vector<std::uint64_t>& words, std::vector<std::uint64_t>& spare,
                std::vector<std::uint32_t>& counts) {
  std::size_t n = words.size();
  counts.assign(std::size_t{kDigits} << kDigitBits, 0);
  for (std::uint64_t w : words) {
    for (int d = 0; d < kDigits; ++d) {
      ++counts[(std::size_t{static_cast<std::uint32_t>(d)} << kDigitBits) +
               ((w >> digit_shift(d)) & kDigitMask)];
    }
  }
  spare.resize(n);
  for (int d = 0; d < kDigits; ++d) {
    std::uint32_t* slot =
        counts.data() + (std::size_t{static_cast<std::uint32_t>(d)} << kDigitBits);
    int shift = digit_shift(d);
    if (n == 0 || slot[(words[0] >> shift) & kDigitMask] == n) continue;
    std::uint32_t start = 0;
    for (std::uint64_t b = 0; b <= kDigitMask; ++b) {
      std::uint32_t size = slot[b];
      slot[b] = start;
      start += size;
    }
    for (std::uint64_t w : words) spare[slot[(w >> shift) & kDigitMask]++] = w;
    words.swap(spare);
  }
}

// One worker's buffers, reused across the rows it takes.
struct Scratch {
  std::vector<double> x, rx, y, ry;
  std::vector<std::uint64_t> words, spare;
  std::vector<std::uint32_t> counts;
};

// Doubled midranks centred on zero, 2 rank - (n + 1), of v[0, n) into out:
// integers, so that the sums of their products are exact while they stay
// below 2^53, and Pearson's correlation of them is that of the midranks.
void centred_ranks(const double* v, std::size_t n, double* out, Scratch& s) {
  std::vector<std::uint64_t>& sorted = s.words;
  sorted.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    sorted[i] = (sort_key(v[i]) & ~kIndexMask) | static_cast<std::uint64_t>(i);
  }
  radix_sort(sorted, s.spare, s.counts);
  auto key = [v](std::uint64_t w) { return sort_key(v[w & kIndexMask]); };
  auto rank = [&](std::size_t i, std::size_t j) {
    // Positions i..j-1 hold ranks i+1..j, whose mean doubled is i + j + 1.
    double r = static_cast<double>(i + j) - static_cast<double>(n);
    for (std::size_t t = i; t < j; ++t) out[sorted[t] & kIndexMask] = r;
  };
  for (std::size_t i = 0, j; i < n; i = j) {
    std::uint64_t top = sorted[i] >> kKeyShift;
    for (j = i + 1; j < n && (sorted[j] >> kKeyShift) == top;) ++j;
    if (j - i == 1) {  // the common case: a top half of its own, no tie
      rank(i, j);
      continue;
    }
    // Equal top halves: one tie when the whole keys are equal too (a discrete
    // input's value shared by many iterations), else order by whole keys,
    // then rank each run of ties.
    std::uint64_t whole = key(sorted[i]);
    std::size_t same = i + 1;
    while (same < j && key(sorted[same]) == whole) ++same;
    if (same == j) {
      rank(i, j);
      continue;
    }
    auto begin = sorted.begin() + static_cast<std::ptrdiff_t>(i);
    std::sort(begin, begin + static_cast<std::ptrdiff_t>(j - i),
              [&key](std::uint64_t a, std::uint64_t b) { return key(a) < key(b); });
    for (std::size_t a = i, b; a < j; a = b) {
      std::uint64_t first = key(sorted[a]);
      for (b = a + 1; b < j && key(sorted[b]) == first;) ++b;
      rank(a, b);
    }
  }
}

// Pearson's correlation of centred values: NaN when either is constant. The
// sums run in eight interleaved lanes, two vectors of four (a GCC and Clang
// extension), which do not wait on each other's additions; for centred ranks
// every sum is exact (see the top), so the order of addition cannot change it.
using Quad = double __attribute__((vector_size(4 * sizeof(double))));

double centred_correlation(const double* x, const double* y, std::size_t n) {
  if (n < 2) return kNaN;
  Quad xy[2] = {}, xx[2] = {}, yy[2] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t h = 0; h < 2; ++h) {
      Quad a, b;
      std::memcpy(&a, x + i + 4 * h, sizeof a);
      std::memcpy(&b, y + i + 4 * h, sizeof b);
      xy[h] += a * b;
      xx[h] += a * a;
      yy[h] += b * b;
    }
  }
  double sxy = 0, sxx = 0, syy = 0;
  for (; i < n; ++i) {
    sxy += x[i] * y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
  }
  for (std::size_t j = 0; j < 4; ++j) {
    sxy += xy[0][j] + xy[1][j];
    sxx += xx[0][j] + xx[1][j];
    syy += yy[0][j] + yy[1][j];
  }
  return sxy / std::sqrt(sxx * syy);  // exactly 1 when x == y: sqrt(fl(s * s)) == s
}

// An output's centred ranks over its finite values; when some are not
// finite, also the rows of those that are and their values (rows stays empty
// when every row is finite: the ranks are then those of the output itself).
struct Ranked {
  const double* output = nullptr;
  std::size_t count = 0;  // finite values
  std::vector<std::size_t> rows;
  std::vector<double> values, ranks;

  std::size_t row(std::size_t i) const { return rows.empty() ? i : rows[i]; }
  double value(std::size_t i) const { return rows.empty() ? output[i] : values[i]; }
};

double row_correlation(const double* input, const Ranked& out, Scratch& s) {
  std::size_t n = out.count, kept = 0;
  s.x.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    s.x[i] = input[out.row(i)];
    kept += finite(s.x[i]);
  }
  s.rx.resize(n);
  if (kept == n) {  // the common case: the output's ranks serve as they are
    centred_ranks(s.x.data(), n, s.rx.data(), s);
    return centred_correlation(s.rx.data(), out.ranks.data(), n);
  }
  s.y.resize(kept);
  s.ry.resize(kept);
  for (std::size_t i = 0, w = 0; i < n; ++i) {
    if (!finite(s.x[i])) continue;
    s.x[w] = s.x[i];
    s.y[w++] = out.value(i);
  }
  centred_ranks(s.x.data(), kept, s.rx.data(), s);
  centred_ranks(s.y.data(), kept, s.ry.data(), s);
  return centred_correlation(s.rx.data(), s.ry.data(), kept);
}

void rank_output(const double* output, std::size_t m, Ranked& out, Scratch& s) {
  out.output = output;
  out.count = 0;
  while (out.count < m && finite(output[out.count])) ++out.count;
  if (out.count < m) {  // errors: set the finite values apart, with their rows
    for (std::size_t i = 0; i < m; ++i) {
      if (!finite(output[i])) continue;
      out.rows.push_back(i);
      out.values.push_back(output[i]);
    }
    out.count = out.rows.size();
  }
  out.ranks.resize(out.count);
  centred_ranks(out.rows.empty() ? output : out.values.data(), out.count,
                out.ranks.data(), s);
}

// Centred ranks of an input row over all m iterations, ranked once for every
// output; left empty for a row with errors (it is ranked per output, over the
// iterations it shares with that output).
void rank_input(const double* row, std::size_t m, std::vector<double>& ranks,
                Scratch& s) {
  for (std::size_t i = 0; i < m; ++i) {
    if (!finite(row[i])) return;
  }
  ranks.resize(m);
  centred_ranks(row, m, ranks.data(), s);
}

// The mean of y within each of `bins` equal-count bins of an input, from its
// doubled centred ranks rx over n values (0-based position (r + n - 1) / 2;
// tied values share their midrank's bin); NaN for an empty bin.
template <typename Y>
void bin_means(const double* rx, std::size_t n, const Y& y, std::size_t bins,
               double* out) {
  std::vector<double> sum(bins, 0.0), count(bins, 0.0);
  auto scale = static_cast<double>(bins) / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    double position = (rx[i] + static_cast<double>(n) - 1.0) * 0.5;
    auto b = std::min(bins - 1, static_cast<std::size_t>(position * scale));
    sum[b] += y(i);
    count[b] += 1.0;
  }
  for (std::size_t b = 0; b < bins; ++b)
    out[b] = count[b] > 0 ? sum[b] / count[b] : kNaN;
}

// Spearman of two input rows over the iterations where both are finite.
double pair_correlation(const double* a, const double* b, std::size_t m, Scratch& s) {
  s.x.clear();
  s.y.clear();
  for (std::size_t i = 0; i < m; ++i) {
    if (!finite(a[i]) || !finite(b[i])) continue;
    s.x.push_back(a[i]);
    s.y.push_back(b[i]);
  }
  std::size_t n = s.x.size();
  s.rx.resize(n);
  s.ry.resize(n);
  centred_ranks(s.x.data(), n, s.rx.data(), s);
  centred_ranks(s.y.data(), n, s.ry.data(), s);
  return centred_correlation(s.rx.data(), s.ry.data(), n);
}

struct Ranking {
  std::vector<Ranked> outs;
  std::vector<std::vector<double>> in_ranks;
  std::vector<Scratch> scratch;
};

// Outputs and input rows ranked together, one row per item.
Ranking rank_all(const double* inputs, std::size_t k, std::size_t m,
                 const double* outputs, std::size_t o, std::int32_t threads) {
  if (m > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("spearman: more than 2^32 - 1 iterations");
  }
  Ranking r{std::vector<Ranked>(o), std::vector<std::vector<double>>(k), {}};
  std::size_t workers = detail::worker_count(o + k, threads);
  r.scratch.resize(workers);
  detail::parallel_for(o + k, workers, [&](std::size_t c, std::size_t w) {
    if (c < o) {
      rank_output(outputs + c * m, m, r.outs[c], r.scratch[w]);
    } else {
      rank_input(inputs + (c - o) * m, m, r.in_ranks[c - o], r.scratch[w]);
    }
  });
  return r;
}

// One (output, input) pair: its correlation, and its bin means when bins > 0.
double pair_sensitivity(const double* input, std::size_t m, const Ranked& out,
                        const std::vector<double>& input_ranks, Scratch& s,
                        std::size_t bins, double* means) {
  if (out.count == m && !input_ranks.empty()) {
    if (bins)
      bin_means(
          input_ranks.data(), m, [&](std::size_t i) { return out.output[i]; }, bins,
          means);
    return centred_correlation(input_ranks.data(), out.ranks.data(), m);
  }
  double rho = row_correlation(input, out, s);
  if (!bins) return rho;
  // row_correlation left the input's ranks in s.rx: over the output's finite
  // rows when the input has no errors there, else over the shared ones,
  // whose output values it left in s.y.
  std::size_t n = out.count, kept = 0;
  for (std::size_t i = 0; i < n; ++i) kept += finite(input[out.row(i)]);
  if (kept == n) {
    bin_means(s.rx.data(), n, [&](std::size_t i) { return out.value(i); }, bins, means);
  } else {
    bin_means(s.rx.data(), kept, [&](std::size_t i) { return s.y[i]; }, bins, means);
  }
  return rho;
}

}  // namespace

std::vector<double> spearman(const double* inputs, std::size_t k, std::size_t m,
                             const double* outputs, std::size_t o,
                             std::int32_t threads) {
  return sensitivity(inputs, k, m, outputs, o, threads, 0).rho;
}

Sensitivity sensitivity(const double* inputs, std::size_t k, std::size_t m,
                        const double* outputs, std::size_t o, std::int32_t threads,
                        std::size_t bins, bool pairs) {
  Ranking r = rank_all(inputs, k, m, outputs, o, threads);
  Sensitivity result;
  result.rho.assign(o * k, kNaN);
  result.bin_means.assign(o * k * bins, kNaN);
  // Tasks may be more than rows: the scratch must serve either pass's workers.
  std::size_t tasks = o * k + (bins && pairs ? k * k : 0);
  r.scratch.resize(std::max(r.scratch.size(), detail::worker_count(tasks, threads)));
  if (bins && pairs) result.inputs.assign(k * k, kNaN);
  detail::parallel_for(
      tasks, detail::worker_count(tasks, threads), [&](std::size_t c, std::size_t w) {
        if (c < o * k) {
          std::size_t j = c / k, i = c % k;
          double* means = bins ? result.bin_means.data() + c * bins : nullptr;
          result.rho[c] = pair_sensitivity(inputs + i * m, m, r.outs[j], r.in_ranks[i],
                                           r.scratch[w], bins, means);
          return;
        }
        std::size_t a = (c - o * k) / k, b = (c - o * k) % k;
        if (a > b) return;  // the lower triangle mirrors the upper
        double rho;
        if (!r.in_ranks[a].empty() && !r.in_ranks[b].empty()) {
          rho = centred_correlation(r.in_ranks[a].data(), r.in_ranks[b].data(), m);
        } else {
          rho = pair_correlation(inputs + a * m, inputs + b * m, m, r.scratch[w]);
        }
        result.inputs[a * k + b] = result.inputs[b * k + a] = rho;
      });
  return result;
}

}  // namespace mc::stats
