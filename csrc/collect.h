// collect.h: the positions of the values far from 1/2 in a block, host and
// device (on a GPU, and without AVX2, by the portable loop).
//
// Exports (namespace mc):
//   collect_far(u, first, end, half, out)
//       writes to out, in order, every k in [first, end) whose u[k] is not
//       within `half` of 1/2 (|u[k] - 1/2| <= half fails, NaN included), and
//       returns their count; out has room for end - first + 16 entries.
//
// The normal's tails and the inversion tables' outer grid serve a few per
// cent of a block's values: those are gathered first, so that the loop over
// them vectorises. Gathering branch-free matters on its own: a scalar loop
// that stores every index and advances past the far ones took about two
// cycles a value on Zen 3, as much as the central quintic it sorts for.
#pragma once

#include "mc_defs.h"
#include "special_elementary.h"  // MC_INLINE

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MC_COLLECT 0
#elif defined(__AVX512F__)
#define MC_COLLECT 512
#include <immintrin.h>
#elif defined(__AVX2__)
#define MC_COLLECT 256
#include <immintrin.h>
#else
#define MC_COLLECT 0
#endif

namespace mc {

namespace collect_detail {

#if MC_COLLECT == 256
// For each mask of four lanes, the byte shuffle that moves the 32-bit lanes
// it marks to the front, in order: AVX2 has no compress instruction.
struct LeftPack {
  uint8_t bytes[16][16];
  constexpr LeftPack() : bytes() {
    for (int mask = 0; mask < 16; ++mask) {
      int to = 0;
      for (int lane = 0; lane < 4; ++lane) {
        if (!(mask >> lane & 1)) continue;
        for (int b = 0; b < 4; ++b)
          bytes[mask][4 * to + b] = static_cast<uint8_t>(4 * lane + b);
        ++to;
      }
      for (int b = 4 * to; b < 16; ++b) bytes[mask][b] = 0x80;  // zero the rest
    }
  }
};
inline constexpr LeftPack LEFT_PACK{};
#endif

}  // namespace collect_detail

MC_INLINE int32_t collect_far(const double* u, int32_t first, int32_t end, double half,
                              int32_t* out) {
  int32_t count = 0, k = first;
#if MC_COLLECT == 512
  // Sixteen at a time, compressing the indices in a register (storing
  // compressed is slow on AMD's Zen 4).
  const __m512i lanes =
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512d centre = _mm512_set1_pd(0.5), limit = _mm512_set1_pd(half);
  for (; k + 16 <= end; k += 16) {
    __m512d q0 = _mm512_abs_pd(_mm512_sub_pd(_mm512_loadu_pd(u + k), centre));
    __m512d q1 = _mm512_abs_pd(_mm512_sub_pd(_mm512_loadu_pd(u + k + 8), centre));
    uint32_t low = _mm512_cmp_pd_mask(q0, limit, _CMP_NLE_UQ);
    uint32_t high = _mm512_cmp_pd_mask(q1, limit, _CMP_NLE_UQ);
    __mmask16 mask = static_cast<__mmask16>(low | high << 8);
    __m512i index = _mm512_add_epi32(lanes, _mm512_set1_epi32(k));
    _mm512_storeu_si512(out + count, _mm512_maskz_compress_epi32(mask, index));
    count += __builtin_popcount(mask);
  }
#elif MC_COLLECT == 256
  // Four at a time: the far lanes' indices packed to the front by a byte
  // shuffle from a table, stored whole, and the count advanced past them.
  const __m256d centre = _mm256_set1_pd(0.5), limit = _mm256_set1_pd(half);
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m128i lanes = _mm_setr_epi32(0, 1, 2, 3);
  for (; k + 4 <= end; k += 4) {
    __m256d q = _mm256_andnot_pd(sign, _mm256_sub_pd(_mm256_loadu_pd(u + k), centre));
    int mask = _mm256_movemask_pd(_mm256_cmp_pd(q, limit, _CMP_NLE_UQ));
    __m128i index = _mm_add_epi32(lanes, _mm_set1_epi32(k));
    __m128i pick = _mm_loadu_si128(
        reinterpret_cast<const __m128i*>(collect_detail::LEFT_PACK.bytes[mask]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + count),
                     _mm_shuffle_epi8(index, pick));
    count += __builtin_popcount(static_cast<unsigned>(mask));
  }
#endif
  for (; k < end; ++k) {
    out[count] = k;
    count += fabs(u[k] - 0.5) <= half ? 0 : 1;
  }
  return count;
}

}  // namespace mc
