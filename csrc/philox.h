// philox.h: the counter-based random number generator, host and device.
//
// Exports (namespace mc):
//   philox4x32_10(ctr, key, out)   one block of Philox4x32-10 (Salmon et al.,
//                                  SC'11; the Random123 known-answer vectors
//                                  are in tests/core/test_philox.py)
//   uniform_at(seed, stream, i)    the uniform of one stream at iteration i
//   uniforms(seed, stream, first, n, out)
//                                  iterations first .. first + n - 1, written
//                                  so that gcc -O3 vectorises the bulk of it,
//                                  or in explicit AVX-512 or AVX2 vectors
//
// The mapping from (seed, stream j, iteration i) to a uniform is the contract
// that makes runs reproducible whatever the block size or thread count:
//   block  = philox4x32_10(ctr = (p lo, p hi, j, 0), key = (seed lo, seed hi))
//            with p = i / 2 (integer division);
//   word   = block[0] + 2^32 block[1] for even i, block[2] + 2^32 block[3]
//            for odd i;
//   u      = (floor(word / 2^11) + 1/2) * 2^-53, rounded to double.
// So u depends on (seed, j, i) alone. Below 1/2 every value is an odd multiple
// of 2^-54 (53-bit resolution); above 1/2 doubles are multiples of 2^-53 and
// the rounding to even keeps the mean exact. The one word that would round to
// 1 is clamped to 1 - 2^-53, so 2^-54 <= u <= 1 - 2^-53: strictly inside (0, 1).
#pragma once

#include "mc_defs.h"
#include "special_elementary.h"  // MC_LOOP, u53_to_double

// With AVX-512 (and its DQ conversions) or AVX2, and not under nvcc, the bulk
// of uniforms runs in explicit vectors of 64-bit lanes, several blocks of
// lanes in flight: gcc's own vectorisation of the portable loop shuffles
// 32-bit words between the products. R1's run on Zen 3 (AVX2), one thread:
// about 95 ns an iteration with the portable loop, 60 with the vectors.
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MC_PHILOX_VECTOR 0
#elif defined(__AVX512F__) && defined(__AVX512DQ__)
#define MC_PHILOX_VECTOR 512
#include <immintrin.h>
#elif defined(__AVX2__) && defined(__FMA__)
#define MC_PHILOX_VECTOR 256
#include <immintrin.h>
#else
#define MC_PHILOX_VECTOR 0
#endif

namespace mc {

namespace philox_detail {

constexpr uint32_t MUL0 = 0xD2511F53u;
constexpr uint32_t MUL1 = 0xCD9E8D57u;
constexpr uint32_t WEYL0 = 0x9E3779B9u;
constexpr uint32_t WEYL1 = 0xBB67AE85u;
constexpr double UNIFORM_MAX = 0x1.fffffffffffffp-1;  // 1 - 2^-53

MC_HD double word_to_uniform(uint64_t word) {
  double u = (u53_to_double(word >> 11) + 0.5) * 0x1p-53;
  return u < UNIFORM_MAX ? u : UNIFORM_MAX;
}

}  // namespace philox_detail

// One Philox4x32-10 block: ten rounds of two 32x32->64 multiplications, with
// the key bumped by the Weyl constants between rounds.
MC_HD void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                         uint32_t out[4]) {
  using namespace philox_detail;
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = static_cast<uint64_t>(MUL0) * c0;
    uint64_t p1 = static_cast<uint64_t>(MUL1) * c2;
    c0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    c2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    k0 += WEYL0;
    k1 += WEYL1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// The uniform of stream `stream` at iteration i (see the mapping above).
MC_HD double uniform_at(uint64_t seed, uint32_t stream, uint64_t i) {
  uint64_t pair = i >> 1;
  uint32_t ctr[4] = {static_cast<uint32_t>(pair), static_cast<uint32_t>(pair >> 32),
                     stream, 0u};
  uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  uint32_t block[4];
  philox4x32_10(ctr, key, block);
  uint32_t lo = (i & 1u) ? block[2] : block[0];
  uint32_t hi = (i & 1u) ? block[3] : block[1];
  return philox_detail::word_to_uniform(static_cast<uint64_t>(hi) << 32 | lo);
}

namespace philox_detail {

// Iterations 2 pair .. 2 (pair + count) - 1 into out[0 .. 2 count - 1]. Each
// pass of the loop is one whole generator block with no dependency on the
// others, so gcc vectorises the loop across pairs: every 32x32->64 product
// becomes one vector multiply of 64-bit lanes (vpmuludq).
MC_LOOP void uniform_pairs(uint64_t seed, uint32_t stream, uint64_t pair, int32_t count,
                           double* out) {
  const uint32_t key[2] = {static_cast<uint32_t>(seed),
                           static_cast<uint32_t>(seed >> 32)};
  for (int32_t l = 0; l < count; ++l) {
    uint64_t p = pair + static_cast<uint64_t>(l);
    uint32_t ctr[4] = {static_cast<uint32_t>(p), static_cast<uint32_t>(p >> 32), stream,
                       0u};
    uint32_t block[4];
    philox4x32_10(ctr, key, block);
    out[2 * l] = word_to_uniform(static_cast<uint64_t>(block[1]) << 32 | block[0]);
    out[2 * l + 1] = word_to_uniform(static_cast<uint64_t>(block[3]) << 32 | block[2]);
  }
}

#if MC_PHILOX_VECTOR
// Lanes of 64 bits in gcc's vector extension, one block per lane with a word
// in each lane's low half: the high halves are left as they fall, as the
// 32x32->64 multiply (vpmuludq) reads only the low ones. Intrinsics only
// where the extension has no operator (in zero-masking forms on AVX-512,
// where gcc 12 warns about the undefined pass-through of the plain ones).
constexpr uint64_t LOW32 = 0xFFFFFFFFull;
#if MC_PHILOX_VECTOR == 512
constexpr int32_t WIDTH = 8;
typedef uint64_t Lanes __attribute__((vector_size(64)));
typedef int64_t SignedLanes __attribute__((vector_size(64)));
typedef double Doubles __attribute__((vector_size(64)));
constexpr SignedLanes FIRST_HALF = {0, 8, 1, 9, 2, 10, 3, 11};
constexpr SignedLanes SECOND_HALF = {4, 12, 5, 13, 6, 14, 7, 15};

MC_INLINE Lanes mul_low32(Lanes a, Lanes b) {
  return reinterpret_cast<Lanes>(_mm512_maskz_mul_epu32(
      0xFF, reinterpret_cast<__m512i>(a), reinterpret_cast<__m512i>(b)));
}

// k < 2^53 to double, exactly (vcvtqq2pd).
MC_INLINE Doubles to_double(Lanes k) {
  return __builtin_convertvector(reinterpret_cast<SignedLanes>(k), Doubles);
}

MC_INLINE Doubles clamp_below(Doubles u, double most) {
  return reinterpret_cast<Doubles>(
      _mm512_maskz_min_pd(0xFF, reinterpret_cast<__m512d>(u), _mm512_set1_pd(most)));
}
#else
constexpr int32_t WIDTH = 4;
typedef uint64_t Lanes __attribute__((vector_size(32)));
typedef int64_t SignedLanes __attribute__((vector_size(32)));
typedef double Doubles __attribute__((vector_size(32)));
constexpr SignedLanes FIRST_HALF = {0, 4, 1, 5};
constexpr SignedLanes SECOND_HALF = {2, 6, 3, 7};

MC_INLINE Lanes mul_low32(Lanes a, Lanes b) {
  return reinterpret_cast<Lanes>(
      _mm256_mul_epu32(reinterpret_cast<__m256i>(a), reinterpret_cast<__m256i>(b)));
}

// k < 2^53 to double, exactly, without AVX-512's conversion: the high 21 and
// low 32 bits become the mantissas of 2^84 + hi 2^32 and 2^52 + lo, and
// (2^84 + hi 2^32 - 2^84 - 2^52) + (2^52 + lo) is exact at every step.
MC_INLINE Doubles to_double(Lanes k) {
  const Lanes hi = (k >> 32) | 0x4530000000000000ull;
  const Lanes lo = (k & LOW32) | 0x4330000000000000ull;
  const Doubles bias = Doubles{} + (0x1p84 + 0x1p52);
  return (reinterpret_cast<Doubles>(hi) - bias) + reinterpret_cast<Doubles>(lo);
}

MC_INLINE Doubles clamp_below(Doubles u, double most) {
  return reinterpret_cast<Doubles>(
      _mm256_min_pd(reinterpret_cast<__m256d>(u), _mm256_set1_pd(most)));
}
#endif
// Blocks of WIDTH lanes in flight, to hide the multiplies' latency: 16 state
// vectors fit AVX-512's 32 registers; AVX2 has 16, and on Zen 3 three groups
// (1.46 ns a value) beat two (1.64) and four (1.61, spilling).
constexpr int32_t GROUPS = WIDTH == 8 ? 4 : 3;
constexpr int32_t STEP = WIDTH * GROUPS;  // pairs per step of the vector loop

// word_to_uniform in lanes: (k + 1/2) 2^-53 is k 2^-53 + 2^-54 rounded once,
// which one fused multiply-add gives, and the clamp is a minimum.
MC_INLINE Doubles lanes_to_uniform(Lanes lo, Lanes hi) {
  Doubles d = to_double(((hi << 32) | (lo & LOW32)) >> 11);
  return clamp_below(d * 0x1p-53 + 0x1p-54, UNIFORM_MAX);
}

// uniform_pairs for count a multiple of STEP, STEP pairs per step, with the
// same lane layout as the portable loop; the two words' uniforms are
// interleaved into iteration order before they are stored.
MC_LOOP void uniform_pairs_vector(uint64_t seed, uint32_t stream, uint64_t pair,
                                  int32_t count, double* out) {
  Lanes k0[10], k1[10];
  for (uint32_t r = 0; r < 10; ++r) {
    k0[r] = Lanes{} + static_cast<uint32_t>(static_cast<uint32_t>(seed) + r * WEYL0);
    k1[r] =
        Lanes{} + static_cast<uint32_t>(static_cast<uint32_t>(seed >> 32) + r * WEYL1);
  }
  const Lanes m0 = Lanes{} + MUL0, m1 = Lanes{} + MUL1;
  Lanes lanes;
  for (int32_t w = 0; w < WIDTH; ++w) lanes[w] = static_cast<uint64_t>(w);
  for (int32_t l = 0; l < count; l += STEP) {
    Lanes c0[GROUPS], c1[GROUPS], c2[GROUPS], c3[GROUPS];
    for (int32_t g = 0; g < GROUPS; ++g) {
      c0[g] = lanes + (pair + static_cast<uint64_t>(l + WIDTH * g));
      c1[g] = c0[g] >> 32;
      c2[g] = Lanes{} + stream;
      c3[g] = Lanes{};
    }
    for (int32_t r = 0; r < 10; ++r) {
      for (int32_t g = 0; g < GROUPS; ++g) {
        Lanes p0 = mul_low32(c0[g], m0), p1 = mul_low32(c2[g], m1);
        c0[g] = (p1 >> 32) ^ c1[g] ^ k0[r];
        c2[g] = (p0 >> 32) ^ c3[g] ^ k1[r];
        c1[g] = p1;
        c3[g] = p0;
      }
    }
    for (int32_t g = 0; g < GROUPS; ++g) {
      Doubles even = lanes_to_uniform(c0[g], c1[g]),
              odd = lanes_to_uniform(c2[g], c3[g]);
      Doubles a = __builtin_shuffle(even, odd, FIRST_HALF);
      Doubles b = __builtin_shuffle(even, odd, SECOND_HALF);
      __builtin_memcpy(out + 2 * (l + WIDTH * g), &a, sizeof a);
      __builtin_memcpy(out + 2 * (l + WIDTH * g) + WIDTH, &b, sizeof b);
    }
  }
}
#endif

}  // namespace philox_detail

// out[k] = uniform_at(seed, stream, first + k) for 0 <= k < n: an odd first
// iteration alone, then whole pairs (with vectors the multiples of STEP
// pairs in them, the rest by the portable loop), then an odd last one.
MC_HD void uniforms(uint64_t seed, uint32_t stream, uint64_t first, int32_t n,
                    double* out) {
  using namespace philox_detail;
  if (n <= 0) return;
  int32_t k = (first & 1u) ? 1 : 0;
  if (k) out[0] = uniform_at(seed, stream, first);
  int32_t count = (n - k) / 2;
#if MC_PHILOX_VECTOR
  int32_t bulk = count - count % STEP;
  uniform_pairs_vector(seed, stream, (first + static_cast<uint64_t>(k)) >> 1, bulk,
                       out + k);
  k += 2 * bulk;
  count -= bulk;
#endif
  uniform_pairs(seed, stream, (first + static_cast<uint64_t>(k)) >> 1, count, out + k);
  k += 2 * count;
  if (k < n) out[k] = uniform_at(seed, stream, first + static_cast<uint64_t>(k));
}

}  // namespace mc
