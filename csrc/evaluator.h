// evaluator.h: runs a compiled Program over a block of iterations.
//
// A Program is straight-line code over registers. Register r holds one value
// per iteration of the block, at regs[r * stride + k] for k < n. Each
// instruction is applied to the whole block before the next one starts, so
// the opcode dispatch is paid once per block and every inner loop is a plain
// element-wise loop that the compiler vectorises. The same function serves a
// CUDA thread (stride 1, n 1) and the host's blocks (stride = block size).
//
// Instructions are rows of INSTR_WIDTH int32: opcode, destination register,
// then up to eleven operands (registers, or immediates for SAMPLE and ROUND).
// SAMPLE's: kind, stream, aux array, four parameter registers, whether they
// are constant, then its truncation's mode and the registers of its bounds.
// The host validates every Program before it reaches this code (register
// indices in range, known opcodes), since device code cannot throw.
#pragma once

#include "dist.h"
#include "dist_truncate.h"
#include "excel_ops.h"
#include "excel_stats.h"
#include "mc_defs.h"
#include "philox.h"
#include "sampling.h"

namespace mc {

constexpr int32_t INSTR_WIDTH = 13;
// The slot of a SAMPLE row (after the four parameter registers) that is 1
// when every parameter is a constant register: the host's Program sets it
// (Program::mark_fixed_samples), whatever the row carried.
constexpr int32_t SAMPLE_FIXED_SLOT = 9;
// A SAMPLE row's truncation: its TruncMode (dist_truncate.h), then the
// registers of its lower and upper bounds (read when the mode is not
// TRUNC_NONE).
constexpr int32_t SAMPLE_TRUNC_SLOT = 10;

enum Opcode : int32_t {
  OP_NEG = 0,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_POW,
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_LE,
  OP_IF,
  OP_AND,
  OP_OR,
  OP_XOR,
  OP_NOT,
  OP_MIN,
  OP_MAX,
  OP_ABS,
  OP_INT,
  OP_TRUNC,
  OP_SIGN,
  OP_SQRT,
  OP_EXP,
  OP_LN,
  OP_LOG10,
  OP_LOG,
  OP_MOD,
  OP_ROUND,  // a2 = RoundMode
  OP_PMT,
  OP_PV,
  OP_FV,
  OP_NORM_S_INV,
  OP_NORM_INV,
  OP_NORM_DIST,  // a3 = cumulative flag register
  OP_SAMPLE,     // a0 kind, a1 stream, a2 aux index or -1, a3..a6 parameters
  OP_ISERROR,
  OP_ISNA,
  OP_GAMMA_DIST,  // x, alpha, beta, cumulative
  OP_GAMMA_INV,   // p, alpha, beta
  OP_BETA_DIST,   // t in [0, 1], alpha, beta, cumulative
  OP_BETA_INV,    // p, alpha, beta
  OP_T_INV,       // p, degrees of freedom
  OP_LOOKUP,      // a0 key, a1 aux index of the table (excel_stats.h)
  OP_COUNT
};

// Everything a block evaluation needs, as plain pointers.
struct ProgramView {
  const int32_t* code;  // n_instr rows of INSTR_WIDTH
  int32_t n_instr;
  const double* aux;       // concatenated auxiliary arrays (tables, discrete)
  const int64_t* aux_off;  // start of auxiliary array i within aux
  Design design;           // the sampling method, seed and strata (sampling.h)
  // Per stream: its row among a block's correlated uniforms, or -1; null
  // when the Program correlates no inputs.
  const int32_t* corr_slot = nullptr;
};

// Scratch per evaluating thread: uniforms of one block, and room for the
// sampling method's own use.
struct BlockScratch {
  double* u;      // at least n values
  double* spare;  // at least n values
  // The correlated streams' uniforms of this block, reordered by the host
  // (correlate.h) before the block runs: row corr_slot[stream], stride apart.
  const double* corr = nullptr;
  // The host's question whether to stop (cancelled, or past the deadline):
  // asked between slices of a slow sample (eval_sample), so that a block of
  // values at milliseconds each does not outlast its call by minutes.
  bool (*stop)(const void*) = nullptr;
  const void* stop_arg = nullptr;
};

// Values of a slow sample (a kind that iterates, without an inversion table,
// or any kind under truncation with varying parameters) between two
// questions to BlockScratch::stop. A count table cut to its 8,192 central
// counts counts as slow: what it leaves undecided (most of NegBin(1, 1e-7))
// takes the exact search at up to 0.2 ms a value.
constexpr int32_t SLOW_SLICE = 64;

MC_HD bool slow_sample(int32_t kind, const double* aux, bool fixed, int32_t mode) {
  if (mode != TRUNC_NONE && !fixed) return true;
  if (!dist_detail::kind_iterates(kind)) return false;
  if (aux == nullptr) return true;
  return is_count_table(aux) && aux[COUNT_ENTRIES] >= COUNT_MAX_ENTRIES;
}

#define MC_UNARY(OPNAME, FN)                         \
  case OPNAME: {                                     \
    const double* a = regs + in[0] * stride;         \
    for (int32_t k = 0; k < n; ++k) d[k] = FN(a[k]); \
    break;                                           \
  }
#define MC_BINARY(OPNAME, FN)                              \
  case OPNAME: {                                           \
    const double* a = regs + in[0] * stride;               \
    const double* b = regs + in[1] * stride;               \
    for (int32_t k = 0; k < n; ++k) d[k] = FN(a[k], b[k]); \
    break;                                                 \
  }

MC_HD void eval_sample(const ProgramView& p, const int32_t* in, double* regs,
                       int64_t stride, uint64_t first, int32_t n, double* d,
                       const BlockScratch& scratch) {
  const double* params[4];
  for (int32_t m = 0; m < 4; ++m) {
    params[m] = in[3 + m] >= 0 ? regs + in[3 + m] * stride : regs;
  }
  const double* aux = in[2] >= 0 ? p.aux + p.aux_off[in[2]] : nullptr;
  int32_t slot = p.corr_slot != nullptr ? p.corr_slot[in[1]] : -1;
  const double* u = scratch.u;
  if (slot >= 0 && scratch.corr != nullptr) {
    u = scratch.corr + slot * stride;
  } else {
    design_uniforms(p.design, static_cast<uint32_t>(in[1]), first, n, scratch.u,
                    scratch.spare);
  }
  const bool fixed = in[SAMPLE_FIXED_SLOT - 2] == 1;
  const int32_t mode = in[SAMPLE_TRUNC_SLOT - 2];
  const double* lo = regs + in[SAMPLE_TRUNC_SLOT - 1] * stride;
  const double* hi = regs + in[SAMPLE_TRUNC_SLOT] * stride;
  bool sliced = scratch.stop != nullptr && slow_sample(in[0], aux, fixed, mode);
  const int32_t slice = sliced ? SLOW_SLICE : n;
  for (int32_t s = 0; s < n; s += slice) {
    if (s > 0 && scratch.stop(scratch.stop_arg)) {
      // The run is over and this block will not count: leave the rest.
      for (int32_t k = s; k < n; ++k) d[k] = error_value(ERR_NUM);
      return;
    }
    const int32_t len = n - s < slice ? n - s : slice;
    const double* part[4] = {params[0] + s, params[1] + s, params[2] + s,
                             params[3] + s};
    if (mode == TRUNC_NONE) {
      sample_block(in[0], part, aux, u + s, d + s, len, fixed);
    } else {
      sample_truncated_block(in[0], part, aux, u + s, d + s, len, fixed, mode, lo + s,
                             hi + s);
    }
  }
}

MC_HD void eval_wide(int32_t op, const int32_t* in, double* regs, int64_t stride,
                     int32_t n, double* d) {
  const double* a = regs + in[0] * stride;
  const double* b = regs + in[1] * stride;
  const double* c = regs + in[2] * stride;
  switch (op) {
    case OP_IF:
      for (int32_t k = 0; k < n; ++k) d[k] = op_if(a[k], b[k], c[k]);
      return;
    case OP_NORM_INV:
      for (int32_t k = 0; k < n; ++k) d[k] = op_norm_inv(a[k], b[k], c[k]);
      return;
    case OP_GAMMA_INV:
      for (int32_t k = 0; k < n; ++k) d[k] = op_gamma_inv(a[k], b[k], c[k]);
      return;
    case OP_BETA_INV:
      for (int32_t k = 0; k < n; ++k) d[k] = op_beta_inv(a[k], b[k], c[k]);
      return;
    case OP_T_INV:
      for (int32_t k = 0; k < n; ++k) d[k] = op_t_inv(a[k], b[k]);
      return;
    default:
      break;
  }
  const double* e = regs + in[3] * stride;
  if (op == OP_NORM_DIST) {
    for (int32_t k = 0; k < n; ++k) d[k] = op_norm_dist(a[k], b[k], c[k], e[k]);
    return;
  }
  if (op == OP_GAMMA_DIST) {
    for (int32_t k = 0; k < n; ++k) d[k] = op_gamma_dist(a[k], b[k], c[k], e[k]);
    return;
  }
  if (op == OP_BETA_DIST) {
    for (int32_t k = 0; k < n; ++k) d[k] = op_beta_dist(a[k], b[k], c[k], e[k]);
    return;
  }
  const double* f = regs + in[4] * stride;
  for (int32_t k = 0; k < n; ++k) {
    if (op == OP_PMT) d[k] = op_pmt(a[k], b[k], c[k], e[k], f[k]);
    if (op == OP_PV) d[k] = op_pv(a[k], b[k], c[k], e[k], f[k]);
    if (op == OP_FV) d[k] = op_fv(a[k], b[k], c[k], e[k], f[k]);
  }
}

// Evaluates every instruction of p over iterations first .. first + n - 1.
MC_HD void eval_block(const ProgramView& p, double* regs, int64_t stride,
                      uint64_t first, int32_t n, BlockScratch scratch) {
  for (int32_t i = 0; i < p.n_instr; ++i) {
    const int32_t* row = p.code + static_cast<int64_t>(i) * INSTR_WIDTH;
    const int32_t op = row[0];
    const int32_t* in = row + 2;
    double* d = regs + row[1] * stride;
    switch (op) {
      MC_UNARY(OP_NEG, op_neg)
      MC_BINARY(OP_ADD, op_add)
      MC_BINARY(OP_SUB, op_sub)
      MC_BINARY(OP_MUL, op_mul)
      MC_BINARY(OP_DIV, op_div)
      MC_BINARY(OP_POW, op_pow)
      MC_BINARY(OP_EQ, op_eq)
      MC_BINARY(OP_NE, op_ne)
      MC_BINARY(OP_LT, op_lt)
      MC_BINARY(OP_LE, op_le)
      MC_BINARY(OP_AND, op_and)
      MC_BINARY(OP_OR, op_or)
      MC_BINARY(OP_XOR, op_xor)
      MC_UNARY(OP_NOT, op_not)
      MC_BINARY(OP_MIN, op_min)
      MC_BINARY(OP_MAX, op_max)
      MC_UNARY(OP_ABS, op_abs)
      MC_UNARY(OP_INT, op_int)
      MC_UNARY(OP_TRUNC, op_trunc)
      MC_UNARY(OP_SIGN, op_sign)
      MC_UNARY(OP_SQRT, op_sqrt)
      MC_UNARY(OP_EXP, op_exp)
      MC_UNARY(OP_LN, op_ln)
      MC_UNARY(OP_LOG10, op_log10)
      MC_BINARY(OP_LOG, op_log)
      MC_BINARY(OP_MOD, op_mod)
      MC_UNARY(OP_NORM_S_INV, op_norm_s_inv)
      MC_UNARY(OP_ISERROR, op_iserror)
      MC_UNARY(OP_ISNA, op_isna)
      case OP_LOOKUP: {
        const double* a = regs + in[0] * stride;
        const double* table = p.aux + p.aux_off[in[1]];
        for (int32_t k = 0; k < n; ++k) d[k] = op_lookup(table, a[k]);
        break;
      }
      case OP_ROUND: {
        const double* a = regs + in[0] * stride;
        const double* b = regs + in[1] * stride;
        for (int32_t k = 0; k < n; ++k) d[k] = op_round(a[k], b[k], in[2]);
        break;
      }
      case OP_SAMPLE:
        eval_sample(p, in, regs, stride, first, n, d, scratch);
        break;
      default:
        eval_wide(op, in, regs, stride, n, d);
        break;
    }
  }
}

#undef MC_UNARY
#undef MC_BINARY

}  // namespace mc
