// register_stats.cpp: _core.describe and _core.spearman over stats.h.
//
// Arguments are checked here, before any work, and refused with ValueError
// naming the value; the C++ functions below trust what they are given.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "stats.h"

namespace py = pybind11;

namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Contiguous = py::array_t<double, py::array::c_style>;

void check_float64(const py::array& a, const char* name, py::ssize_t ndim) {
  if (a.dtype().kind() != 'f' || a.itemsize() != 8) {
    std::string dtype = py::str(a.dtype());
    throw py::value_error(std::string(name) + " must be float64, not " + dtype);
  }
  if (a.ndim() != ndim) {
    std::string msg = std::string(name) + " must have " + std::to_string(ndim) +
                      " dimension(s), not " + std::to_string(a.ndim());
    throw py::value_error(msg);
  }
}

void check_percentiles(const std::vector<double>& pcts) {
  for (double p : pcts) {
    if (p >= 0 && p <= 100) continue;
    std::string text = py::repr(py::float_(p));
    throw py::value_error("percentile " + text + " is outside [0, 100]");
  }
}

std::int32_t checked_threads(std::int64_t threads) {
  if (threads < 0) {
    std::string msg = "threads must be >= 0 (0: all cores), not ";
    throw py::value_error(msg + std::to_string(threads));
  }
  return static_cast<std::int32_t>(std::min<std::int64_t>(threads, 1 << 16));
}

std::int32_t checked_bins(std::int64_t bins) {
  if (bins < 1 || bins > mc::stats::kMaxBins) {
    std::string msg = "bins must be in [1, " + std::to_string(mc::stats::kMaxBins) +
                      "], not " + std::to_string(bins);
    throw py::value_error(msg);
  }
  return static_cast<std::int32_t>(bins);
}

py::dict to_dict(const mc::stats::Summary& s) {
  py::dict d;
  d["valid"] = s.valid;
  d["errors"] = s.errors;
  d["mean"] = s.mean;
  d["std"] = s.std;
  d["min"] = s.min;
  d["max"] = s.max;
  d["skewness"] = s.skewness;
  d["kurtosis"] = s.kurtosis;
  d["sem"] = s.sem;
  d["percentiles"] = py::cast(s.percentiles);
  d["edges"] = py::array_t<double>(s.edges.size(), s.edges.data());
  d["counts"] = py::array_t<std::int64_t>(s.counts.size(), s.counts.data());
  return d;
}

// The caller's own array, for describe() to reorder in place.
double* caller_buffer(const py::array& values) {
  if (!Contiguous::check_(values) || !values.writeable()) {
    throw py::value_error("in_place=True needs a writable C-contiguous array");
  }
  return static_cast<double*>(py::array(values).mutable_data());
}

py::dict describe(const py::array& values, const std::vector<double>& pcts,
                  std::int64_t bins, std::int64_t threads, bool in_place) {
  check_float64(values, "values", 1);
  check_percentiles(pcts);
  std::int32_t nbins = checked_bins(bins), nthreads = checked_threads(threads);
  auto n = static_cast<std::size_t>(values.size());
  double* target = in_place ? caller_buffer(values) : nullptr;
  Doubles source = in_place ? Doubles() : Doubles::ensure(values);
  if (!source) throw py::error_already_set();
  const double* from = source.data();
  mc::stats::Summary s;
  {
    // Safe: the work touches only plain buffers that this frame keeps alive.
    py::gil_scoped_release release;
    std::size_t k = pcts.size();
    s = target ? mc::stats::describe(target, n, pcts.data(), k, nbins, nthreads)
               : mc::stats::describe_readonly(from, n, pcts.data(), k, nbins, nthreads);
  }
  return to_dict(s);
}

py::array_t<double> spearman(const py::array& inputs, const py::array& output,
                             std::int64_t threads) {
  check_float64(inputs, "inputs", 2);
  bool many = output.ndim() == 2;
  check_float64(output, "output", many ? 2 : 1);
  auto m_out = output.shape(many ? 1 : 0);
  if (m_out != inputs.shape(1)) {
    std::string msg = "output has " + std::to_string(m_out) +
                      " values but inputs have " + std::to_string(inputs.shape(1));
    throw py::value_error(msg);
  }
  std::int32_t nthreads = checked_threads(threads);
  Doubles x = Doubles::ensure(inputs), y = Doubles::ensure(output);
  auto k = static_cast<std::size_t>(x.shape(0));
  auto m = static_cast<std::size_t>(x.shape(1));
  auto o = many ? static_cast<std::size_t>(y.shape(0)) : std::size_t{1};
  std::vector<double> r;
  {
    // Safe: the work reads only buffers that x and y keep alive.
    py::gil_scoped_release release;
    r = mc::stats::spearman(x.data(), k, m, y.data(), o, nthreads);
  }
  py::array_t<double> result(static_cast<py::ssize_t>(r.size()), r.data());
  if (many) result.resize({static_cast<py::ssize_t>(o), static_cast<py::ssize_t>(k)});
  return result;
}

py::dict sensitivity(const py::array& inputs, const py::array& outputs,
                     std::int64_t threads, std::int64_t bins, bool pairs) {
  check_float64(inputs, "inputs", 2);
  check_float64(outputs, "outputs", 2);
  if (outputs.shape(1) != inputs.shape(1)) {
    throw py::value_error("outputs and inputs must have the same iterations");
  }
  if (bins < 1 || bins > 1000) throw py::value_error("bins must be in [1, 1000]");
  std::int32_t nthreads = checked_threads(threads);
  Doubles x = Doubles::ensure(inputs), y = Doubles::ensure(outputs);
  if (!x || !y) throw py::error_already_set();
  auto k = static_cast<std::size_t>(x.shape(0)),
       m = static_cast<std::size_t>(x.shape(1));
  auto o = static_cast<std::size_t>(y.shape(0));
  auto b = static_cast<std::size_t>(bins);
  mc::stats::Sensitivity r;
  {
    py::gil_scoped_release release;
    r = mc::stats::sensitivity(x.data(), k, m, y.data(), o, nthreads, b, pairs);
  }
  auto array = [](const std::vector<double>& v, std::vector<py::ssize_t> shape) {
    py::array_t<double> a(static_cast<py::ssize_t>(v.size()), v.data());
    a.resize(shape);
    return a;
  };
  auto sk = static_cast<py::ssize_t>(k), so = static_cast<py::ssize_t>(o);
  py::dict d;
  d["rho"] = array(r.rho, {so, sk});
  py::ssize_t side = r.inputs.empty() ? 0 : sk;
  d["inputs"] = array(r.inputs, {side, side});
  d["bin_means"] = array(r.bin_means, {so, sk, static_cast<py::ssize_t>(b)});
  return d;
}

py::dict threshold_stats(const py::array& values, const std::vector<double>& cuts,
                         std::int64_t threads) {
  check_float64(values, "values", 1);
  for (double t : cuts) {
    if (!std::isfinite(t)) throw py::value_error("thresholds must be finite numbers");
  }
  std::int32_t nthreads = checked_threads(threads);
  Doubles x = Doubles::ensure(values);
  if (!x) throw py::error_already_set();
  std::vector<mc::stats::ThresholdStats> r;
  {
    py::gil_scoped_release release;
    r = mc::stats::threshold_stats(x.data(), static_cast<std::size_t>(x.size()),
                                   cuts.data(), cuts.size(), nthreads);
  }
  std::vector<std::int64_t> below, at_most;
  std::vector<double> sum_below, sum_above;
  for (const auto& t : r) {
    below.push_back(t.below);
    at_most.push_back(t.at_most);
    sum_below.push_back(t.sum_below);
    sum_above.push_back(t.sum_above);
  }
  py::dict d;
  d["below"] = below;
  d["at_most"] = at_most;
  d["sum_below"] = sum_below;
  d["sum_above"] = sum_above;
  return d;
}

py::object discrete_mode(const py::array& values, std::int64_t max_distinct) {
  check_float64(values, "values", 1);
  if (max_distinct < 1 || max_distinct > (1 << 24)) {
    throw py::value_error("max_distinct must be in [1, 2^24]");
  }
  Doubles x = Doubles::ensure(values);
  if (!x) throw py::error_already_set();
  mc::stats::ModeResult r;
  {
    py::gil_scoped_release release;
    r = mc::stats::discrete_mode(x.data(), static_cast<std::size_t>(x.size()),
                                 static_cast<std::size_t>(max_distinct));
  }
  if (!r.found) return py::none();
  py::dict d;
  d["value"] = r.value;
  d["count"] = r.count;
  d["distinct"] = r.distinct;
  return d;
}

}  // namespace

void register_stats(py::module_& m) {
  m.def("describe", &describe, py::arg("values"), py::arg("percentiles"),
        py::arg("bins") = 50, py::arg("threads") = 0, py::arg("in_place") = false,
        "Statistics of one output's float64 values over its finite ones (NaN and\n"
        "infinities count as errors): a dict with valid, errors, mean, std\n"
        "(n - 1), min, max, skewness, kurtosis (population; 3 for a normal),\n"
        "sem, percentiles (PERCENTILE.INC, in the order given), edges and\n"
        "counts of an equal-width histogram. Bit-identical for any threads.\n"
        "in_place=False leaves values untouched (copying only when it must);\n"
        "in_place=True may reorder them instead (writable C-contiguous array).");
  m.def("sensitivity", &sensitivity, py::arg("inputs"), py::arg("outputs"),
        py::arg("threads") = 0, py::arg("bins") = 10, py::arg("pairs") = true,
        "spearman() of inputs (k, m) with outputs (o, m), and also: inputs,\n"
        "the inputs' rank correlations (k, k; (0, 0) without pairs); bin_means,\n"
        "each output's mean within `bins` equal-count bins of each input\n"
        "(o, k, bins).");
  m.def("threshold_stats", &threshold_stats, py::arg("values"), py::arg("thresholds"),
        py::arg("threads") = 0,
        "Per threshold t, over the finite values: below (count < t), at_most\n"
        "(count <= t), sum_below (sum of those < t), sum_above (of those > t).");
  m.def("discrete_mode", &discrete_mode, py::arg("values"), py::arg("max_distinct"),
        "The most frequent finite value (smallest on ties) with its count and\n"
        "the number of distinct values, or None when there are more than\n"
        "max_distinct distinct values (or none).");
  m.def("spearman", &spearman, py::arg("inputs"), py::arg("output"),
        py::arg("threads") = 0,
        "Spearman rank correlation (midranks for ties) of each row of inputs\n"
        "(k, m) with output (m), over the iterations where both are finite;\n"
        "NaN where either side is constant. With outputs (o, m), an (o, k)\n"
        "array, each input ranked once for all outputs.");
}
