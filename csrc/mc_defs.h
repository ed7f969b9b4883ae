// mc_defs.h: definitions shared by every kernel header, host and device.
//
// Exports the qualifier macro MC_HD, fixed-width integer types, and the
// encoding of Excel error values. An error value is a quiet NaN whose low
// payload bits carry the error's code; arithmetic propagates NaN payloads on
// x86 and most CPUs, so errors flow through a block of iterations without
// branches. A GPU may return a canonical NaN instead: the iteration is still
// counted as an error there, only the error's kind may be lost.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MC_HD __host__ __device__ __forceinline__
#else
#define MC_HD inline
#endif

#if defined(__CUDACC_RTC__)
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;
typedef long long int64_t;
#else
#include <cmath>
#include <cstdint>
#include <cstring>
#endif

namespace mc {

// Excel error codes, as stored in a NaN's payload.
enum ErrorCode : uint32_t {
  ERR_NONE = 0,
  ERR_NULL = 1,   // #NULL!
  ERR_DIV0 = 2,   // #DIV/0!
  ERR_VALUE = 3,  // #VALUE!
  ERR_REF = 4,    // #REF!
  ERR_NAME = 5,   // #NAME?
  ERR_NUM = 6,    // #NUM!
  ERR_NA = 7,     // #N/A
};

MC_HD uint64_t bits_of(double x) {
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
#endif
}

MC_HD double double_of(uint64_t b) {
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
#endif
}

// The NaN that stands for an Excel error.
MC_HD double error_value(uint32_t code) {
  return double_of(0x7FF8000000000000ULL | static_cast<uint64_t>(code));
}

// The error code carried by x: ERR_NONE for a number, ERR_NUM for a NaN
// without a recognised payload (0/0 and friends become #NUM!).
MC_HD uint32_t error_code(double x) {
  if (x == x) return ERR_NONE;
  uint64_t payload = bits_of(x) & 0x7ULL;
  return payload ? static_cast<uint32_t>(payload) : ERR_NUM;
}

}  // namespace mc
