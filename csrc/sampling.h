// sampling.h: the uniforms each sampling method feeds the quantile functions,
// host and device.
//
// Exports (namespace mc):
//   Sampling                 SAMPLING_MC, SAMPLING_ANTITHETIC, SAMPLING_LHS,
//                            SAMPLING_SOBOL
//   Design                   a run's method, seed and strata
//   design_uniforms(d, stream, first, n, out, spare)
//                            the uniforms of iterations first .. first + n - 1
//   lhs_stratum(d, stream, i) the stratum of iteration i (a permutation of
//                            [0, strata) per stream)
//
// The methods, each a pure function of (seed, stream, iteration), so thread
// count and block size never change a value:
//   mc           U(seed, stream, i), the Philox uniform of philox.h.
//   antithetic   iterations 2k and 2k + 1 take U(seed, stream, k) and 1 - U
//                of it: the pair goes through the quantile function, so its
//                values are Q(U) and Q(1 - U), not reflections of each other.
//                Prefix-stable; an odd count ends with the first of a pair.
//   lhs          (pi(i) + U(seed, stream, i)) / strata, with pi a random
//                permutation of [0, strata) keyed by (seed, stream): over the
//                iterations 0 .. strata - 1 each stream takes each stratum
//                [s / strata, (s + 1) / strata) exactly once, at a uniform
//                point inside it. pi is Black and Rogaway's generalised
//                Feistel network on Z_a x Z_b (a = ceil(sqrt(strata)),
//                b = ceil(strata / a), so a b - strata < a), four rounds
//                in 32-bit arithmetic,
//                walked again in the rare case that it lands in
//                [strata, a b) (probability below 1 / b). Not prefix-stable:
//                a design of other strata is another design.
//   sobol        coordinate `stream` of point i of the Sobol sequence (Joe and
//                Kuo's direction numbers, dimensions 1 to 303), scrambled per
//                seed by a random linear matrix and a digital shift
//                (Matousek), which keep its net structure: the first 2^m
//                points put one point in each of 2^m equal intervals of every
//                coordinate. Prefix-stable; best at powers of two.
// Every uniform lies in [2^-54, 1 - 2^-53], strictly inside (0, 1).
#pragma once

#include "mc_defs.h"
#include "philox.h"

namespace mc {

enum Sampling : int32_t {
  SAMPLING_MC = 0,
  SAMPLING_ANTITHETIC,
  SAMPLING_LHS,
  SAMPLING_SOBOL,
  SAMPLING_COUNT
};

// The most strata a design may have: the network's sides are then at most
// 46341 (below 2^16) and its values below 2^32.
constexpr uint64_t MAX_STRATA = 0x80000000ull;

struct Design {
  int32_t method;  // a Sampling
  uint64_t seed;
  uint64_t strata;  // lhs: the iterations of the design (1 .. MAX_STRATA)
  // sobol: 65 words per stream, its scrambled direction numbers and digital
  // shift (sobol.h's sobol_scrambled); null for the other methods.
  const uint64_t* sobol = nullptr;
};

namespace sampling_detail {

constexpr int32_t ROUNDS = 4;

// The round function of round r: v (below 2^16) mixed with the round's key
// by a multiply and xor-shifts, in 32-bit lanes (sixteen to an AVX-512
// vector), its top 16 bits reduced to [0, m) (m <= 2^16) by a
// multiply-shift.
MC_HD uint32_t round_value(const uint32_t* keys, int32_t r, uint32_t v, uint32_t m) {
  uint32_t h = (v ^ keys[r]) * 0x9E3779B1u;
  h ^= h >> 15;
  h *= 0x85EBCA77u;
  h ^= h >> 13;
  return ((h >> 16) * m) >> 16;
}

// The lhs permutation of one stream: its round keys and the network's shape.
struct Shuffle {
  uint32_t keys[ROUNDS];
  uint32_t a, b;
  uint64_t strata;
  float inv_a;  // 1 / a, for the split without an integer division
};

MC_HD Shuffle make_shuffle(uint64_t seed, uint32_t stream, uint64_t strata) {
  uint32_t ctr[4] = {0u, 0u, stream, 0x4C485321u};  // "LHS!"
  uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  Shuffle f;
  philox4x32_10(ctr, key, f.keys);
  uint64_t a = static_cast<uint64_t>(sqrt(static_cast<double>(strata)));
  while (a * a < strata) ++a;
  while (a > 1 && (a - 1) * (a - 1) >= strata) --a;
  f.a = static_cast<uint32_t>(a);
  f.b = static_cast<uint32_t>((strata + a - 1) / a);
  f.strata = strata;
  f.inv_a = 1.0f / static_cast<float>(a);
  return f;
}

// One pass of the network on x in [0, a b) (below 2^32): x splits into
// x mod a and x div a through a float quotient, off by at most one (x is
// exact in a float below 2^24, and beyond it a > 4096 divides its rounding)
// and corrected; then four rounds, each adding the round value modulo the
// size of its side.
MC_HD uint32_t feistel(const Shuffle& f, uint32_t x) {
  auto q = static_cast<int32_t>(static_cast<float>(x) * f.inv_a);
  auto a = static_cast<int32_t>(f.a);
  int32_t rem = static_cast<int32_t>(x - static_cast<uint32_t>(q) * f.a);
  q = rem < 0 ? q - 1 : (rem >= a ? q + 1 : q);
  rem = rem < 0 ? rem + a : (rem >= a ? rem - a : rem);
  uint32_t left = static_cast<uint32_t>(rem), right = static_cast<uint32_t>(q);
  for (int32_t r = 0; r < ROUNDS; ++r) {
    uint32_t m = (r & 1) ? f.b : f.a;  // left is in Z_m
    uint32_t t = left + round_value(f.keys, r, right, m);
    t = t >= m ? t - m : t;
    left = right;
    right = t;
  }
  return f.a * right + left;  // ROUNDS is even: left in Z_a, right in Z_b
}

}  // namespace sampling_detail

// pi(i) for i < strata: the network's value, walked again while outside.
MC_HD uint32_t lhs_stratum(const sampling_detail::Shuffle& f, uint32_t i) {
  uint32_t x = sampling_detail::feistel(f, i);
  while (x >= f.strata) x = sampling_detail::feistel(f, x);
  return x;
}

// Points first .. first + n - 1 of one scrambled Sobol coordinate, in the
// Gray-code order of Antonov and Saleev: point i is the XOR of the direction
// numbers at the set bits of g(i) = i ^ (i >> 1). For a block that starts at
// a multiple of 4096 and holds at most 4096 points, g(first + k) = g(first)
// ^ g(k), and the XOR over g(k)'s twelve bits is read from two tables of 64
// (its low and high six bits), so the points are independent of one another;
// any other block steps from point to point, each differing from the last by
// the direction number of its index's lowest set bit. The 64-bit fraction,
// shifted, becomes a uniform as Philox's words do.
MC_HD void sobol_uniforms(const uint64_t* v, uint64_t first, int32_t n, double* out) {
  uint64_t gray = first ^ (first >> 1), x = 0;
  for (int32_t b = 0; b < 64; ++b) x ^= ((gray >> b) & 1u) ? v[b] : 0u;
  x ^= v[64];  // the digital shift, once
#if !defined(__CUDA_ARCH__)
  if ((first & 4095u) == 0 && n <= 4096) {
    uint64_t low[64], high[64];
    low[0] = high[0] = 0;
    for (int32_t t = 1; t < 64; ++t) {
      int32_t bit = 0;
      while (((t >> bit) & 1) == 0) ++bit;
      low[t] = low[t & (t - 1)] ^ v[bit];
      high[t] = high[t & (t - 1)] ^ v[bit + 6];
    }
    for (int32_t k = 0; k < n; ++k) {
      auto g = static_cast<uint32_t>(k ^ (k >> 1));
      out[k] = philox_detail::word_to_uniform(x ^ low[g & 63u] ^ high[g >> 6]);
    }
    return;
  }
#endif
  for (int32_t k = 0; k < n; ++k) {
    uint64_t i = first + static_cast<uint64_t>(k);
    if (k > 0) {
      int32_t bit = 0;
      while (((i >> bit) & 1u) == 0) ++bit;  // i > 0 here
      x ^= v[bit];
    }
    out[k] = philox_detail::word_to_uniform(x);
  }
}

// out[k] = the design's uniform of stream at iteration first + k, k < n.
// spare: room for n values. On a
// CPU the lhs strata of a block come first in a loop that vectorises, and
// the few that land outside [0, strata) are walked again one by one.
MC_HD void design_uniforms(const Design& d, uint32_t stream, uint64_t first, int32_t n,
                           double* out, double* spare) {
  using philox_detail::UNIFORM_MAX;
  if (d.method == SAMPLING_ANTITHETIC) {
    uint64_t pair0 = first >> 1;
    auto pairs =
        static_cast<int32_t>(((first + static_cast<uint64_t>(n) + 1) >> 1) - pair0);
    uniforms(d.seed, stream, pair0, pairs, spare);
    for (int32_t k = 0; k < n; ++k) {
      uint64_t i = first + static_cast<uint64_t>(k);
      double u = spare[(i >> 1) - pair0];
      double w = 1.0 - u;  // 1 - 2^-54 rounds to 1: kept inside
      out[k] = (i & 1u) ? (w < UNIFORM_MAX ? w : UNIFORM_MAX) : u;
    }
    return;
  }
  if (d.method == SAMPLING_SOBOL) {
    return sobol_uniforms(d.sobol + 65 * static_cast<uint64_t>(stream), first, n, out);
  }
  uniforms(d.seed, stream, first, n, out);
  if (d.method != SAMPLING_LHS) return;
  sampling_detail::Shuffle f = sampling_detail::make_shuffle(d.seed, stream, d.strata);
  double width = 1.0 / static_cast<double>(d.strata);
  uint64_t base = first % d.strata;
  if (base + static_cast<uint64_t>(n) <= d.strata) {
    auto i0 = static_cast<uint32_t>(base);
    for (int32_t k = 0; k < n; ++k) {
      spare[k] = sampling_detail::feistel(f, i0 + static_cast<uint32_t>(k));
    }
  } else {  // the block wraps past the design's end (more iterations than strata)
    for (int32_t k = 0; k < n; ++k) {
      auto i = static_cast<uint32_t>((first + static_cast<uint64_t>(k)) % d.strata);
      spare[k] = sampling_detail::feistel(f, i);
    }
  }
  auto top = static_cast<double>(d.strata);
  int32_t outside = 0;
  for (int32_t k = 0; k < n; ++k) outside += spare[k] >= top ? 1 : 0;
  for (int32_t k = 0; outside > 0 && k < n; ++k) {
    if (spare[k] < top) continue;
    spare[k] = lhs_stratum(f, static_cast<uint32_t>(spare[k]));
    --outside;
  }
  for (int32_t k = 0; k < n; ++k) {
    double u = (spare[k] + out[k]) * width;
    out[k] = u < UNIFORM_MAX ? u : UNIFORM_MAX;
  }
}

}  // namespace mc
