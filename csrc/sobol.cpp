// sobol.cpp: the scrambled direction numbers of sampling.h's sobol method
// (host only; the table is sobol_table.h).
#include "sobol.h"

#include <stdexcept>

#include "philox.h"
#include "sobol_table.h"

namespace mc {

namespace {

// The unscrambled direction numbers of dimension dim (from 0) as 64-bit
// binary fractions, v[k] for bit k of the point's index: dimension 0 is the
// van der Corput sequence, the others follow their primitive polynomial's
// recurrence from the table's initial numbers (Bratley and Fox).
void directions(std::uint32_t dim, std::uint64_t* v) {
  if (dim == 0) {
    for (int k = 0; k < 64; ++k) v[k] = std::uint64_t{1} << (63 - k);
    return;
  }
  const SobolRow& row = SOBOL_ROWS[dim - 1];
  int s = row.degree;
  for (int k = 0; k < s && k < 64; ++k) {
    v[k] = static_cast<std::uint64_t>(row.m[k]) << (63 - k);
  }
  for (int k = s; k < 64; ++k) {
    std::uint64_t next = v[k - s] ^ (v[k - s] >> s);
    for (int j = 1; j < s; ++j) {
      if ((row.poly >> (s - 1 - j)) & 1u) next ^= v[k - j];
    }
    v[k] = next;
  }
}

// 64 random bits, the j-th of a stream's scrambling, from the seed.
std::uint64_t scramble_bits(std::uint64_t seed, std::uint32_t dim, std::uint32_t j) {
  std::uint32_t ctr[4] = {j, 0u, dim, 0x534F424Cu};  // "SOBL"
  std::uint32_t key[2] = {static_cast<std::uint32_t>(seed),
                          static_cast<std::uint32_t>(seed >> 32)};
  std::uint32_t out[4];
  philox4x32_10(ctr, key, out);
  return static_cast<std::uint64_t>(out[1]) << 32 | out[0];
}

}  // namespace

void sobol_scrambled(std::uint64_t seed, std::uint32_t dim, std::uint64_t* out) {
  if (dim >= SOBOL_DIMENSIONS)
    throw std::invalid_argument("sobol: dimension out of range");
  std::uint64_t v[64];
  directions(dim, v);
  // Matousek's linear scramble: output bit p is the parity of the input's
  // bits under mask[p], which holds bit p and random bits among the more
  // significant ones (a random nonsingular lower-triangular matrix), so
  // every elementary interval keeps its count of points.
  std::uint64_t mask[64];
  for (int p = 0; p < 64; ++p) {
    std::uint64_t above = p == 63 ? 0 : ~std::uint64_t{0} << (p + 1);
    mask[p] = (scramble_bits(seed, dim, static_cast<std::uint32_t>(p)) & above) |
              (std::uint64_t{1} << p);
  }
  for (int k = 0; k < 64; ++k) {
    std::uint64_t scrambled = 0;
    for (int p = 0; p < 64; ++p) {
      std::uint64_t bit =
          static_cast<std::uint64_t>(__builtin_parityll(v[k] & mask[p]));
      scrambled |= bit << p;
    }
    out[k] = scrambled;
  }
  out[64] = scramble_bits(seed, dim, 64);  // the digital shift
}

}  // namespace mc
