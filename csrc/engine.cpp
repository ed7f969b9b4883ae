// engine.cpp: validation of Programs and the threaded block driver.
#include "engine.h"

#include <algorithm>
#include <stdexcept>

#include "sobol.h"

namespace mc {

namespace {

int32_t operand_count(int32_t op) {
  switch (op) {
    case OP_NEG:
    case OP_NOT:
    case OP_ABS:
    case OP_INT:
    case OP_TRUNC:
    case OP_SIGN:
    case OP_SQRT:
    case OP_EXP:
    case OP_LN:
    case OP_LOG10:
    case OP_NORM_S_INV:
    case OP_ISERROR:
    case OP_ISNA:
    case OP_LOOKUP:
      return 1;
    case OP_IF:
    case OP_NORM_INV:
    case OP_GAMMA_INV:
    case OP_BETA_INV:
      return 3;
    case OP_NORM_DIST:
    case OP_GAMMA_DIST:
    case OP_BETA_DIST:
      return 4;
    case OP_PMT:
    case OP_PV:
    case OP_FV:
      return 5;
    case OP_SAMPLE:
      return 0;  // checked separately: immediates and optional registers
    default:
      return 2;  // binary operations, ROUND's value and digits
  }
}

void fail(int32_t instr, const std::string& why) {
  throw std::invalid_argument("instruction " + std::to_string(instr) + ": " + why);
}

}  // namespace

void Program::validate() const {
  if (n_regs <= 0) throw std::invalid_argument("a program needs registers");
  if (code.size() % INSTR_WIDTH != 0) {
    throw std::invalid_argument("code size is not a multiple of INSTR_WIDTH");
  }
  auto is_reg = [this](int32_t r) { return r >= 0 && r < n_regs; };
  for (int32_t i = 0; i < n_instr(); ++i) {
    const int32_t* row = code.data() + static_cast<size_t>(i) * INSTR_WIDTH;
    if (row[0] < 0 || row[0] >= OP_COUNT) fail(i, "unknown opcode");
    if (!is_reg(row[1])) fail(i, "destination register out of range");
    for (int32_t k = 0; k < operand_count(row[0]); ++k) {
      if (!is_reg(row[2 + k])) fail(i, "operand register out of range");
    }
    if (row[0] == OP_LOOKUP) {
      int32_t table = row[3];
      if (table < 0 || table >= static_cast<int32_t>(aux_off.size())) {
        fail(i, "lookup table out of range");
      }
      int64_t off = aux_off[table];
      int64_t size = static_cast<int64_t>(aux.size()) - off;
      double n = size >= 2 ? aux[off] : -1.0;
      double mode = size >= 2 ? aux[off + 1] : 9.0;
      if (!(n >= 1.0 && 2.0 + 2.0 * n <= static_cast<double>(size)) ||
          !(mode == 0.0 || mode == 1.0 || mode == -1.0)) {
        fail(i, "malformed lookup table");
      }
    }
    if (row[0] == OP_ROUND && (row[4] < ROUND_NEAREST || row[4] > ROUND_DOWN)) {
      fail(i, "unknown rounding mode");
    }
    if (row[0] != OP_SAMPLE) continue;
    if (row[2] < 0 || row[2] >= DIST_COUNT) fail(i, "unknown distribution");
    if (row[3] < 0) fail(i, "negative stream");
    if (row[4] < -1 || row[4] >= static_cast<int32_t>(aux_off.size())) {
      fail(i, "auxiliary array out of range");
    }
    for (int32_t k = 5; k < 9; ++k) {
      if (row[k] != -1 && !is_reg(row[k])) fail(i, "parameter register out of range");
    }
    int32_t mode = row[SAMPLE_TRUNC_SLOT];
    if (mode < TRUNC_NONE || mode > TRUNC_PROBS) fail(i, "unknown truncation mode");
    if (mode != TRUNC_NONE &&
        !(is_reg(row[SAMPLE_TRUNC_SLOT + 1]) && is_reg(row[SAMPLE_TRUNC_SLOT + 2]))) {
      fail(i, "truncation bound register out of range");
    }
  }
  for (int64_t off : aux_off) {
    if (off < 0 || off > static_cast<int64_t>(aux.size())) {
      throw std::invalid_argument("auxiliary offset out of range");
    }
  }
  if (const_regs.size() != const_values.size()) {
    throw std::invalid_argument("constant registers and values differ in length");
  }
  auto all_regs = [&](const std::vector<int32_t>& regs, const char* what) {
    for (int32_t r : regs) {
      if (!is_reg(r)) throw std::invalid_argument(std::string(what) + " out of range");
    }
  };
  all_regs(const_regs, "constant register");
  all_regs(output_regs, "output register");
  all_regs(input_regs, "input register");
}

void Program::mark_fixed_samples() {
  std::vector<bool> fixed(static_cast<size_t>(n_regs), false);
  for (int32_t r : const_regs) fixed[r] = true;
  for (int32_t i = 0; i < n_instr(); ++i) fixed[code[i * INSTR_WIDTH + 1]] = false;
  for (int32_t i = 0; i < n_instr(); ++i) {
    int32_t* row = code.data() + static_cast<size_t>(i) * INSTR_WIDTH;
    if (row[0] != OP_SAMPLE) continue;
    bool all = true;
    for (int32_t k = 5; k < 9; ++k) all = all && (row[k] == -1 || fixed[row[k]]);
    if (row[SAMPLE_TRUNC_SLOT] != TRUNC_NONE) {
      all =
          all && fixed[row[SAMPLE_TRUNC_SLOT + 1]] && fixed[row[SAMPLE_TRUNC_SLOT + 2]];
    }
    row[SAMPLE_FIXED_SLOT] = all ? 1 : 0;
  }
}

ProgramView Program::view(const Design& design) const {
  return ProgramView{code.data(), n_instr(),
                     aux.data(),  aux_off.data(),
                     design,      correlations.empty() ? nullptr : corr_slot.data()};
}

void Program::set_correlations(std::vector<CorrelationGroup> groups) {
  auto streams = static_cast<int32_t>(input_regs.size());
  std::vector<int32_t> slot(static_cast<size_t>(streams), -1);
  int32_t next = 0;
  for (const CorrelationGroup& g : groups) {
    check_group(g, streams);
    for (int32_t s : g.streams) {
      if (slot[s] >= 0) {
        throw std::invalid_argument("stream " + std::to_string(s) +
                                    " is in two correlation groups");
      }
      slot[s] = next++;
    }
  }
  correlations = std::move(groups);
  corr_slot = std::move(slot);
}

int32_t Program::correlated_streams() const {
  int32_t count = 0;
  for (const CorrelationGroup& g : correlations) {
    count += static_cast<int32_t>(g.streams.size());
  }
  return count;
}

std::vector<double> Program::register_file(int64_t stride) const {
  std::vector<double> regs(static_cast<size_t>(n_regs * stride), 0.0);
  for (size_t c = 0; c < const_regs.size(); ++c) {
    double* r = regs.data() + const_regs[c] * stride;
    std::fill(r, r + stride, const_values[c]);
  }
  return regs;
}

Run::Run(const Program& program, RunSpec spec, double* outputs, double* inputs)
    : program_(program), spec_(spec), outputs_(outputs), inputs_(inputs) {
  spec_.threads = std::max(1, spec_.threads);
  spec_.block = std::max(1, spec_.block);
  if (!program_.correlations.empty()) {
    if (spec_.first_iteration % CORRELATION_CHUNK != 0) {
      throw std::invalid_argument(
          "with correlated inputs a run must start at a multiple of " +
          std::to_string(CORRELATION_CHUNK) + " iterations");
    }
    spec_.block = CORRELATION_CHUNK;
  }
  if (spec_.sampling == SAMPLING_SOBOL) {
    auto streams = static_cast<std::uint32_t>(program_.input_regs.size());
    if (streams > SOBOL_DIMENSIONS) {
      throw std::invalid_argument("sobol sampling takes at most " +
                                  std::to_string(SOBOL_DIMENSIONS) + " inputs");
    }
    sobol_.resize(static_cast<size_t>(streams) * SOBOL_WORDS);
    for (std::uint32_t j = 0; j < streams; ++j) {
      sobol_scrambled(spec_.seed, j,
                      sobol_.data() + static_cast<size_t>(j) * SOBOL_WORDS);
    }
  }
}

Run::~Run() {
  cancel();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Run::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  auto now = std::chrono::steady_clock::now();
  auto budget = std::chrono::duration<double>(spec_.deadline_seconds);
  deadline_ =
      now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(budget);
  int64_t blocks = (spec_.iterations + spec_.block - 1) / spec_.block;
  int64_t count = std::min<int64_t>(spec_.threads, std::max<int64_t>(blocks, 1));
  running_ = static_cast<int32_t>(count);
  for (int64_t t = 0; t < count; ++t) threads_.emplace_back([this] { work(); });
}

bool Run::should_stop() const {
  if (cancel_.load(std::memory_order_relaxed)) return true;
  return spec_.deadline_seconds > 0 && std::chrono::steady_clock::now() > deadline_;
}

void Run::store_block(const std::vector<double>& regs, int64_t start, int32_t count) {
  const int64_t stride = spec_.block;
  for (size_t o = 0; o < program_.output_regs.size(); ++o) {
    const double* src = regs.data() + program_.output_regs[o] * stride;
    std::copy(src, src + count, outputs_ + o * spec_.iterations + start);
  }
  int64_t kept = std::min<int64_t>(count, spec_.kept_inputs - start);
  for (size_t j = 0; kept > 0 && j < program_.input_regs.size(); ++j) {
    const double* src = regs.data() + program_.input_regs[j] * stride;
    std::copy(src, src + kept, inputs_ + j * spec_.kept_inputs + start);
  }
}

void Run::correlate_block(const Design& design, Correlator& correlator,
                          double* const* rows, uint64_t first, int32_t count,
                          double* spare) const {
  for (const CorrelationGroup& g : program_.correlations) {
    double* const* group = rows + program_.corr_slot[g.streams[0]];
    for (size_t j = 0; j < g.streams.size(); ++j) {
      design_uniforms(design, static_cast<uint32_t>(g.streams[j]), first, count,
                      group[j], spare);
    }
    correlator.reorder(g, group, count);
  }
}

void Run::work() {
  try {
    std::vector<double> regs = program_.register_file(spec_.block);
    std::vector<double> u(static_cast<size_t>(spec_.block));
    std::vector<double> spare(static_cast<size_t>(spec_.block));
    ProgramView view =
        program_.view(Design{spec_.sampling, spec_.seed, spec_.strata, sobol_.data()});
    std::vector<double> corr(
        static_cast<size_t>(program_.correlated_streams() * spec_.block));
    std::vector<double*> rows;  // each correlated slot's row of corr
    for (int32_t slot = 0; slot < program_.correlated_streams(); ++slot) {
      rows.push_back(corr.data() + slot * spec_.block);
    }
    Correlator correlator;
    while (!should_stop()) {
      int64_t b = next_block_.fetch_add(1);
      int64_t start = b * spec_.block;
      if (start >= spec_.iterations) break;
      auto count = static_cast<int32_t>(
          std::min<int64_t>(spec_.block, spec_.iterations - start));
      uint64_t first = spec_.first_iteration + start;
      correlate_block(view.design, correlator, rows.data(), first, count, spare.data());
      BlockScratch scratch{u.data(), spare.data(), corr.data()};
      scratch.stop = [](const void* run) {
        return static_cast<const Run*>(run)->should_stop();
      };
      scratch.stop_arg = this;
      eval_block(view, regs.data(), spec_.block, first, count, scratch);
      store_block(regs, start, count);
      done_.fetch_add(count);
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = e.what();
    cancel_.store(true);
  }
  if (spec_.deadline_seconds > 0 && std::chrono::steady_clock::now() > deadline_) {
    past_deadline_.store(true);
  }
  finish_thread();
}

void Run::finish_thread() {
  std::lock_guard<std::mutex> lock(mutex_);
  --running_;
  if (running_ == 0) finished_cv_.notify_all();
}

bool Run::wait(double timeout_seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto budget = std::chrono::duration<double>(std::max(0.0, timeout_seconds));
  return finished_cv_.wait_for(lock, budget,
                               [this] { return started_ && running_ == 0; });
}

RunStatus Run::status() const {
  if (!failure_.empty()) return RunStatus::failed;
  if (done_.load() == spec_.iterations) return RunStatus::completed;
  if (cancel_.load()) return RunStatus::cancelled;
  if (past_deadline_.load()) return RunStatus::deadline;
  return RunStatus::running;
}

}  // namespace mc
