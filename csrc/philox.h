// philox.h: the counter-based random number generator, host and device.
//
// Exports (namespace mc):
//   philox4x32_10(ctr, key, out)   one block of Philox4x32-10 (Salmon et al.,
//                                  SC'11; the Random123 known-answer vectors
//                                  are in tests/core/test_philox.py)
//   uniform_at(seed, stream, i)    the uniform of one stream at iteration i
//   uniforms(seed, stream, first, n, out)
//                                  iterations first .. first + n - 1, written
//                                  so that gcc -O3 vectorises the bulk of it
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

}  // namespace philox_detail

// out[k] = uniform_at(seed, stream, first + k) for 0 <= k < n.
MC_HD void uniforms(uint64_t seed, uint32_t stream, uint64_t first, int32_t n,
                    double* out) {
  if (n <= 0) return;
  int32_t k = (first & 1u) ? 1 : 0;
  if (k) out[0] = uniform_at(seed, stream, first);
  int32_t count = (n - k) / 2;
  philox_detail::uniform_pairs(seed, stream, (first + static_cast<uint64_t>(k)) >> 1,
                               count, out + k);
  k += 2 * count;
  if (k < n) out[k] = uniform_at(seed, stream, first + static_cast<uint64_t>(k));
}

}  // namespace mc
