// sobol.h (host only): the per-stream table behind sampling.h's sobol method.
//
// Exports (namespace mc):
//   SOBOL_DIMENSIONS, SOBOL_WORDS
//   sobol_scrambled(seed, dim, out)   out[0 .. 63]: dimension dim's direction
//                                     numbers after a random linear scramble,
//                                     out[64]: its random digital shift
#pragma once

#include <cstdint>

namespace mc {

constexpr std::uint32_t SOBOL_DIMENSIONS = 303;  // Joe and Kuo's first 303
constexpr std::uint32_t SOBOL_WORDS = 65;        // per stream

void sobol_scrambled(std::uint64_t seed, std::uint32_t dim, std::uint64_t* out);

}  // namespace mc
