// register_engine.cpp: bindings for Programs and Runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <stdexcept>

#include "engine.h"
#include "sobol.h"

namespace py = pybind11;

namespace {

template <typename T>
std::vector<T> to_vector(
    const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

using I32 = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
using I64 = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::shared_ptr<mc::Program> make_program(const I32& code, int32_t n_regs,
                                          const I32& const_regs,
                                          const F64& const_values, const F64& aux,
                                          const I64& aux_off, const I32& output_regs,
                                          const I32& input_regs) {
  auto p = std::make_shared<mc::Program>();
  p->code = to_vector(code);
  p->n_regs = n_regs;
  p->const_regs = to_vector(const_regs);
  p->const_values = to_vector(const_values);
  p->aux = to_vector(aux);
  p->aux_off = to_vector(aux_off);
  p->output_regs = to_vector(output_regs);
  p->input_regs = to_vector(input_regs);
  p->validate();
  p->mark_fixed_samples();
  return p;
}

// A copy of p whose streams are correlated group by group: each group a pair
// (streams, factor), the factor d x d lower triangular with L L^T the
// group's correlation in normal scores (correlate.h).
std::shared_ptr<mc::Program> with_correlations(const mc::Program& p,
                                               const py::list& groups) {
  std::vector<mc::CorrelationGroup> found;
  for (const py::handle& item : groups) {
    auto pair = item.cast<py::tuple>();
    if (pair.size() != 2) throw std::invalid_argument("a group is (streams, factor)");
    mc::CorrelationGroup g;
    g.streams = to_vector(pair[0].cast<I32>());
    g.factor = to_vector(pair[1].cast<F64>());
    found.push_back(std::move(g));
  }
  auto copy = std::make_shared<mc::Program>(p);
  copy->set_correlations(std::move(found));
  return copy;
}

// Values of every register after one evaluation at iteration 0 (stride 1):
// how the compiler folds the parts of a model that do not vary.
py::array_t<double> eval_once(const mc::Program& p) {
  std::vector<double> regs = p.register_file(1);
  double u = 0.5, spare = 0.0;
  mc::eval_block(p.view(mc::Design{mc::SAMPLING_MC, 0, 1}), regs.data(), 1, 0, 1,
                 mc::BlockScratch{&u, &spare});
  return py::array_t<double>(static_cast<py::ssize_t>(regs.size()), regs.data());
}

// A Run with the Program and the result buffers kept alive beside it.
struct PyRun {
  std::shared_ptr<mc::Program> program;
  py::array_t<double> outputs;
  py::array_t<double> inputs;
  std::unique_ptr<mc::Run> run;
};

double* writable(py::array_t<double>& a, py::ssize_t expected, const char* what) {
  if (a.size() != expected) {
    throw std::invalid_argument(std::string(what) + " has the wrong size");
  }
  if (!(a.flags() & py::array::c_style) || !a.writeable()) {
    throw std::invalid_argument(std::string(what) + " must be writable and contiguous");
  }
  return a.mutable_data();
}

std::unique_ptr<PyRun> make_run(std::shared_ptr<mc::Program> program,
                                py::array_t<double> outputs, py::array_t<double> inputs,
                                uint64_t seed, uint64_t first_iteration,
                                int64_t iterations, int32_t threads, int32_t block,
                                int64_t kept_inputs, double deadline_seconds,
                                int32_t sampling, uint64_t strata) {
  if (iterations < 0 || kept_inputs < 0 || kept_inputs > iterations) {
    throw std::invalid_argument(
        "iterations and kept_inputs must satisfy 0 <= kept <= n");
  }
  if (sampling < 0 || sampling >= mc::SAMPLING_COUNT) {
    throw std::invalid_argument("unknown sampling method");
  }
  if (strata < 1 || strata > mc::MAX_STRATA) {
    throw std::invalid_argument("strata must be in [1, 2^31]");
  }
  auto r = std::make_unique<PyRun>();
  r->program = std::move(program);
  r->outputs = std::move(outputs);
  r->inputs = std::move(inputs);
  auto n_out = static_cast<py::ssize_t>(r->program->output_regs.size());
  auto n_in = static_cast<py::ssize_t>(r->program->input_regs.size());
  double* out = writable(r->outputs, n_out * iterations, "outputs");
  double* in = writable(r->inputs, n_in * kept_inputs, "inputs");
  mc::RunSpec spec;
  spec.seed = seed;
  spec.sampling = sampling;
  spec.strata = strata;
  spec.first_iteration = first_iteration;
  spec.iterations = iterations;
  spec.threads = threads;
  spec.block = block;
  spec.kept_inputs = kept_inputs;
  spec.deadline_seconds = deadline_seconds;
  r->run = std::make_unique<mc::Run>(*r->program, spec, out, in);
  return r;
}

const char* status_name(mc::RunStatus s) {
  switch (s) {
    case mc::RunStatus::completed:
      return "completed";
    case mc::RunStatus::cancelled:
      return "cancelled";
    case mc::RunStatus::deadline:
      return "deadline";
    case mc::RunStatus::failed:
      return "failed";
    default:
      return "running";
  }
}

py::dict opcodes() {
  py::dict d;
  const char* names[] = {
      "NEG",     "ADD",  "SUB",        "MUL",        "DIV",       "POW",       "EQ",
      "NE",      "LT",   "LE",         "IF",         "AND",       "OR",        "XOR",
      "NOT",     "MIN",  "MAX",        "ABS",        "INT",       "TRUNC",     "SIGN",
      "SQRT",    "EXP",  "LN",         "LOG10",      "LOG",       "MOD",       "ROUND",
      "PMT",     "PV",   "FV",         "NORM_S_INV", "NORM_INV",  "NORM_DIST", "SAMPLE",
      "ISERROR", "ISNA", "GAMMA_DIST", "GAMMA_INV",  "BETA_DIST", "BETA_INV",  "T_INV",
      "LOOKUP"};
  static_assert(sizeof(names) / sizeof(names[0]) == mc::OP_COUNT, "opcode names");
  for (int32_t i = 0; i < mc::OP_COUNT; ++i) d[names[i]] = i;
  return d;
}

}  // namespace

void register_engine(py::module_& m) {
  m.attr("INSTR_WIDTH") = mc::INSTR_WIDTH;
  m.def("opcodes", &opcodes, "Opcode numbers by name.");
  m.attr("SAMPLING") =
      py::dict(py::arg("mc") = static_cast<int32_t>(mc::SAMPLING_MC),
               py::arg("antithetic") = static_cast<int32_t>(mc::SAMPLING_ANTITHETIC),
               py::arg("lhs") = static_cast<int32_t>(mc::SAMPLING_LHS),
               py::arg("sobol") = static_cast<int32_t>(mc::SAMPLING_SOBOL));
  m.attr("SOBOL_DIMENSIONS") = mc::SOBOL_DIMENSIONS;
  m.attr("MAX_STRATA") = mc::MAX_STRATA;
  m.attr("CORRELATION_CHUNK") = mc::CORRELATION_CHUNK;

  py::class_<mc::Program, std::shared_ptr<mc::Program>>(m, "Program")
      .def(py::init(&make_program), py::arg("code"), py::arg("n_regs"),
           py::arg("const_regs"), py::arg("const_values"), py::arg("aux"),
           py::arg("aux_offsets"), py::arg("output_regs"), py::arg("input_regs"))
      .def("with_correlations", &with_correlations, py::arg("groups"))
      .def_property_readonly("n_instr", &mc::Program::n_instr)
      .def_readonly("n_regs", &mc::Program::n_regs);

  m.def("eval_once", &eval_once, py::arg("program"));

  py::class_<PyRun>(m, "Run")
      .def(py::init(&make_run), py::arg("program"), py::arg("outputs"),
           py::arg("inputs"), py::arg("seed"), py::arg("first_iteration"),
           py::arg("iterations"), py::arg("threads"), py::arg("block"),
           py::arg("kept_inputs"), py::arg("deadline_seconds"), py::arg("sampling") = 0,
           py::arg("strata") = 1)
      .def("start", [](PyRun& r) { r.run->start(); })
      // The wait touches no Python object, so other Python threads may run.
      .def(
          "wait",
          [](PyRun& r, double timeout) {
            py::gil_scoped_release release;
            return r.run->wait(timeout);
          },
          py::arg("timeout"))
      .def("cancel", [](PyRun& r) { r.run->cancel(); })
      .def_property_readonly("done", [](const PyRun& r) { return r.run->done(); })
      .def_property_readonly(
          "status", [](const PyRun& r) { return status_name(r.run->status()); })
      .def_property_readonly("failure",
                             [](const PyRun& r) { return r.run->failure(); });
}
