// engine.h: the host driver that runs a Program over many iterations.
//
// Exports Program (an owned, validated copy of a compiled model) and Run (a
// simulation executing on its own threads). Work is split into blocks of
// iterations; any thread may take any block, and each iteration's values
// depend only on (seed, stream, iteration), so results are bit-identical for
// every thread count and block size, and a run of k iterations is exactly
// the first k iterations of a longer run. Threads check for cancellation
// and the deadline between blocks, and within a block between slices of 64
// values of a slow sample (evaluator.h), so a stop takes at most one block's
// time of the fast instructions: RiskStudent(1e8) with a varying parameter
// (0.8 ms a value) stopped 2.8 s after a 0.3 s deadline, now 0.34 s.
// A Program with correlated inputs runs in blocks of CORRELATION_CHUNK
// aligned on the run's first iteration (which must be a multiple of it), so
// its prefix stability holds at multiples of the chunk.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "correlate.h"
#include "evaluator.h"

namespace mc {

struct Program {
  std::vector<int32_t> code;  // n_instr * INSTR_WIDTH
  int32_t n_regs = 0;
  std::vector<int32_t> const_regs;
  std::vector<double> const_values;
  std::vector<double> aux;
  std::vector<int64_t> aux_off;
  std::vector<int32_t> output_regs;
  std::vector<int32_t> input_regs;  // destination register of each stream
  // Groups of correlated streams (correlate.h), each stream in one at most,
  // and each stream's row among a block's correlated uniforms (-1: none).
  std::vector<CorrelationGroup> correlations;
  std::vector<int32_t> corr_slot;

  // Throws std::invalid_argument naming the first inconsistency.
  void validate() const;
  // Sets each SAMPLE row's SAMPLE_FIXED_SLOT: 1 when all its parameters are
  // constant registers that no instruction writes, else 0.
  void mark_fixed_samples();
  // Sets the correlation groups; throws std::invalid_argument naming a bad
  // group or a stream in two groups.
  void set_correlations(std::vector<CorrelationGroup> groups);
  int32_t correlated_streams() const;
  int32_t n_instr() const { return static_cast<int32_t>(code.size() / INSTR_WIDTH); }
  ProgramView view(const Design& design) const;
  // A register file of n_regs * stride values with the constants filled in.
  std::vector<double> register_file(int64_t stride) const;
};

enum class RunStatus { running, completed, cancelled, deadline, failed };

struct RunSpec {
  uint64_t seed = 0;
  int32_t sampling = SAMPLING_MC;  // a Sampling (sampling.h)
  uint64_t strata = 1;             // lhs: the iterations of the design
  uint64_t first_iteration = 0;
  int64_t iterations = 0;
  int32_t threads = 1;
  int32_t block = 1024;
  int64_t kept_inputs = 0;        // iterations whose input values are kept
  double deadline_seconds = 0.0;  // from start; <= 0 means none
};

class Run {
 public:
  // outputs: n_outputs * iterations values; inputs: n_streams * kept_inputs.
  Run(const Program& program, RunSpec spec, double* outputs, double* inputs);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  void start();
  // Waits up to timeout seconds; true when every thread has finished.
  bool wait(double timeout_seconds);
  void cancel() { cancel_.store(true); }
  int64_t done() const { return done_.load(); }
  RunStatus status() const;
  const std::string& failure() const { return failure_; }

 private:
  void work();
  bool should_stop() const;
  void finish_thread();
  // The correlated streams' uniforms of iterations first .. first + count - 1,
  // reordered group by group, into rows (one per correlated slot; a group's
  // slots are consecutive).
  void correlate_block(const Design& design, Correlator& correlator,
                       double* const* rows, uint64_t first, int32_t count,
                       double* spare) const;
  void store_block(const std::vector<double>& regs, int64_t start, int32_t count);

  const Program& program_;
  RunSpec spec_;
  double* outputs_;
  double* inputs_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> next_block_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<bool> cancel_{false};
  std::atomic<bool> past_deadline_{false};
  std::chrono::steady_clock::time_point deadline_;
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  int32_t running_ = 0;
  bool started_ = false;
  std::string failure_;
  std::vector<uint64_t> sobol_;  // sobol: SOBOL_WORDS per stream
};

}  // namespace mc
