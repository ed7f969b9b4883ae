// register_dist.cpp: the random number generator and the distributions, for
// mcengine.model.distributions and the tests (private API).
//
// Every argument is checked here and refused with ValueError (pybind11 maps
// std::invalid_argument to it); invalid parameter *values* are not refused by
// quantile, which returns #NUM! NaNs exactly as the evaluator would.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "dist.h"
#include "dist_table.h"
#include "dist_truncate.h"
#include "philox.h"

namespace py = pybind11;

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

constexpr int32_t CHUNK = 4096;

const char* const KIND_NAMES[mc::DIST_COUNT] = {
    "NORMAL",      "LOGNORM",  "LOGNORM2",   "UNIFORM", "TRIANG",    "PERT",
    "BETAGENERAL", "GAMMA",    "EXPON",      "WEIBULL", "BERNOULLI", "BINOMIAL",
    "POISSON",     "DISCRETE", "INTUNIFORM", "BETA",    "LOGISTIC",  "LOGLOGISTIC",
    "STUDENT",     "CHISQ",    "ERLANG",     "PARETO",  "PARETO2",   "EXTVALUE",
    "EXTVALUEMIN", "RAYLEIGH", "LAPLACE",    "CAUCHY",  "GEOMET",    "NEGBIN",
    "PIECEWISE",   "HYPERGEO", "INVGAUSS"};

const char* const RULE_NAMES[mc::RULE_COUNT] = {
    "OK",         "NOT_FINITE",     "NOT_POSITIVE", "NEGATIVE",  "ORDER",
    "MODE_RANGE", "PROBABILITY",    "NOT_INTEGER",  "TOO_LARGE", "NO_WEIGHT",
    "EMPTY",      "MEAN_TOO_LARGE", "TOO_WIDE"};

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

uint64_t to_u64(const py::int_& value, const char* name, uint64_t max) {
  bool ok = py::int_(0) <= value && value <= py::int_(max);
  require(ok, std::string(name) + " must be an integer in [0, " + std::to_string(max) +
                  "]");
  return value.cast<uint64_t>();
}

void check_kind(int32_t kind) {
  require(kind >= 0 && kind < mc::DIST_COUNT,
          "unknown distribution kind " + std::to_string(kind));
}

// The parameters of kind, their count checked: param_count, or 1 + 2 m with
// m = params[0] for DIST_DISCRETE.
std::vector<double> kind_params(int32_t kind, const std::vector<double>& params) {
  check_kind(kind);
  size_t expected = static_cast<size_t>(mc::param_count(kind));
  if (kind == mc::DIST_DISCRETE) {
    bool counted = !params.empty() && params[0] >= 0.0 &&
                   params[0] == static_cast<double>(params.size() / 2);
    require(counted && params.size() % 2 == 1,
            "DISCRETE parameters are [m, x_1..x_m, w_1..w_m]");
    return params;
  }
  require(params.size() == expected,
          std::string(KIND_NAMES[kind]) + " takes " + std::to_string(expected) +
              " parameters, got " + std::to_string(params.size()));
  return params;
}

// A table from build_table for kind, or the packed array of DIST_DISCRETE.
void check_aux(int32_t kind, const Array& aux) {
  const double* a = aux.data();
  size_t size = static_cast<size_t>(aux.size());
  if (kind == mc::DIST_DISCRETE) {
    bool ok = size >= 3 && a[0] >= 1.0 && size == 1 + 2 * static_cast<size_t>(a[0]);
    for (size_t i = 1; ok && i + 1 < size; ++i) ok = i == size / 2 || a[i] <= a[i + 1];
    require(ok && a[size - 1] == 1.0,
            "DISCRETE aux must be [m, x ascending, cumulative weights ending in 1]");
    return;
  }
  if (kind == mc::DIST_PIECEWISE) {
    bool ok = size >= 7 && a[0] >= 2.0 && a[0] == std::floor(a[0]) &&
              size == 4 * static_cast<size_t>(a[0]) - 1;
    auto m = ok ? static_cast<size_t>(a[0]) : 0;
    for (size_t i = 1; ok && i < m; ++i)
      ok = a[i] < a[i + 1] && a[m + i] <= a[m + i + 1];
    for (size_t i = 2 * m + 1; ok && i < size; ++i) ok = a[i] >= 0.0;
    require(ok && m > 0 && a[m + 1] == 0.0 && a[2 * m] == 1.0,
            "PIECEWISE aux must be [m, x ascending, F from 0 to 1, left and right "
            "densities]");
    return;
  }
  if (mc::has_count_table(kind)) {
    // The search reads only inside the table, and what it leaves undecided
    // takes the exact quantile with the stored parameters: those must be valid.
    double m = size > mc::COUNT_HEADER ? a[mc::COUNT_ENTRIES] : 0.0;
    bool ok = m >= 2.0 && m <= mc::COUNT_MAX_ENTRIES && m == std::floor(m) &&
              a[mc::COUNT_KIND_TAG] == mc::COUNT_TAG && a[mc::COUNT_KIND] == kind &&
              size == mc::COUNT_HEADER + 2 * static_cast<size_t>(m) &&
              mc::check_params(kind, a + mc::COUNT_P0) == 0;
    require(ok,
            "aux is not a table from build_table for " + std::string(KIND_NAMES[kind]));
    return;
  }
  require(mc::has_table(kind), std::string(KIND_NAMES[kind]) + " takes no aux array");
  double n = size > mc::TABLE_HEADER ? a[mc::TABLE_N] : 0.0;
  double nc = size > mc::TABLE_HEADER ? a[mc::TABLE_C_N] : 0.0;
  bool ok = n >= 1.0 && n <= mc::TABLE_MAX_INTERVALS && nc >= 0.0 &&
            nc <= mc::TABLE_C_MAX && nc == std::floor(nc) &&
            a[mc::TABLE_KIND_TAG] == mc::TABLE_TAG &&
            size == mc::TABLE_HEADER +
                        (2 * static_cast<size_t>(n) + static_cast<size_t>(nc)) *
                            mc::TABLE_RECORD;
  require(ok, "aux is not a table from build_table");
}

py::tuple philox(const std::vector<py::int_>& ctr, const std::vector<py::int_>& key) {
  require(ctr.size() == 4 && key.size() == 2,
          "philox4x32_10 takes 4 counter and 2 key words");
  uint32_t c[4], k[2], out[4];
  for (int i = 0; i < 4; ++i)
    c[i] = static_cast<uint32_t>(to_u64(ctr[i], "a counter word", 0xFFFFFFFFu));
  for (int i = 0; i < 2; ++i)
    k[i] = static_cast<uint32_t>(to_u64(key[i], "a key word", 0xFFFFFFFFu));
  mc::philox4x32_10(c, k, out);
  return py::make_tuple(out[0], out[1], out[2], out[3]);
}

Array uniforms(const py::int_& seed, const py::int_& stream, const py::int_& first,
               py::ssize_t n) {
  uint64_t s = to_u64(seed, "seed", UINT64_MAX);
  uint32_t j = static_cast<uint32_t>(to_u64(stream, "stream", 0xFFFFFFFFu));
  uint64_t i0 = to_u64(first, "first", UINT64_MAX);
  require(n >= 0, "n must not be negative");
  Array out(n);
  double* o = out.mutable_data();
  {
    // Safe without the GIL: only the C++ loop runs, writing into out's buffer.
    py::gil_scoped_release release;
    for (py::ssize_t k = 0; k < n; k += CHUNK) {
      int32_t len = static_cast<int32_t>(std::min<py::ssize_t>(CHUNK, n - k));
      mc::uniforms(s, j, i0 + static_cast<uint64_t>(k), len, o + k);
    }
  }
  return out;
}

Array quantile(int32_t kind, const std::vector<double>& params, const Array& u,
               const std::optional<Array>& aux,
               const std::optional<std::tuple<int32_t, double, double>>& truncation) {
  // DISCRETE reads everything from aux; its params are ignored.
  check_kind(kind);
  bool discrete = kind == mc::DIST_DISCRETE || kind == mc::DIST_PIECEWISE;
  std::vector<double> p = discrete ? params : kind_params(kind, params);
  require(!discrete || aux, std::string(KIND_NAMES[kind]) + " needs its aux array");
  if (aux) check_aux(kind, *aux);
  const double* a = aux ? aux->data() : nullptr;
  int32_t mode = mc::TRUNC_NONE;
  double lo = 0.0, hi = 0.0;
  if (truncation) {
    std::tie(mode, lo, hi) = *truncation;
    require(mode == mc::TRUNC_VALUES || mode == mc::TRUNC_PROBS,
            "truncation mode must be 1 (values) or 2 (probabilities)");
  }
  Array out(u.request().shape);
  const double* in = u.data();
  double* o = out.mutable_data();
  py::ssize_t n = u.size();
  {
    // Safe without the GIL: the loop reads u, aux and p and writes out, all
    // buffers this call holds references to; no Python object is touched.
    py::gil_scoped_release release;
    int32_t count = discrete ? 0 : mc::param_count(kind);
    std::vector<std::vector<double>> columns(static_cast<size_t>(count));
    std::vector<const double*> pointers(4, nullptr);
    for (int32_t m = 0; m < count; ++m) {
      columns[m].assign(CHUNK, p[m]);
      pointers[m] = columns[m].data();
    }
    for (py::ssize_t k = 0; k < n; k += CHUNK) {
      int32_t len = static_cast<int32_t>(std::min<py::ssize_t>(CHUNK, n - k));
      if (mode == mc::TRUNC_NONE) {
        mc::sample_block(kind, pointers.data(), a, in + k, o + k, len);
      } else {
        mc::sample_truncated_block(kind, pointers.data(), a, in + k, o + k, len, true,
                                   mode, &lo, &hi);
      }
    }
  }
  return out;
}

py::object build_table(int32_t kind, const std::vector<double>& params,
                       const py::object& stop) {
  std::vector<double> p = kind_params(kind, params);
  std::vector<double> table(mc::TABLE_MAX_SIZE);
  size_t size = 0;
  std::function<bool()> asked;
  if (!stop.is_none()) {
    asked = [&stop] {
      py::gil_scoped_acquire gil;
      return stop().cast<bool>();
    };
  }
  {
    // Only the two local vectors are touched, so other threads may run
    // Python meanwhile: a slow table must not stall health checks.
    py::gil_scoped_release release;
    size = mc::build_table(kind, p.data(), table.data(), asked);
  }
  if (size == mc::TABLE_STOPPED) return py::none();
  Array out(static_cast<py::ssize_t>(size));
  std::copy(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(size),
            out.mutable_data());
  return out;
}

py::dict names(const char* const* list, int32_t count) {
  py::dict d;
  for (int32_t i = 0; i < count; ++i) d[list[i]] = i;
  return d;
}

}  // namespace

void register_dist(py::module_& m) {
  m.def("philox4x32_10", &philox, py::arg("ctr"), py::arg("key"),
        "One Philox4x32-10 block: 4 output words from 4 counter and 2 key words.");
  m.def("uniforms", &uniforms, py::arg("seed"), py::arg("stream"), py::arg("first"),
        py::arg("n"), "Uniforms of one stream at iterations first .. first + n - 1.");
  m.def("quantile", &quantile, py::arg("kind"), py::arg("params"), py::arg("u"),
        py::arg("aux") = py::none(), py::arg("truncation") = py::none(),
        "Quantiles at u with constant parameters (#NUM! NaNs where invalid); "
        "truncation: (mode, lower, upper), mode 1 for values, 2 for probabilities.");
  m.def(
      "check_params",
      [](int32_t kind, const std::vector<double>& params) {
        return mc::check_params(kind, kind_params(kind, params).data());
      },
      py::arg("kind"), py::arg("params"),
      "0 when valid, else rule + PARAM_INDEX_STRIDE * index of the parameter.");
  m.def(
      "truncation_interval",
      [](int32_t kind, const std::vector<double>& params, int32_t mode, double lo,
         double hi) {
        check_kind(kind);
        require(mode == mc::TRUNC_VALUES || mode == mc::TRUNC_PROBS,
                "truncation mode must be 1 (values) or 2 (probabilities)");
        std::vector<double> p = kind_params(kind, params);
        mc::Truncation t = mc::truncation_of(kind, p.data(), nullptr, mode, lo, hi);
        py::dict d;
        d["ok"] = t.ok != 0;
        d["normal"] = t.normal != 0;
        d["a"] = t.a;
        d["b"] = t.b;
        return d;
      },
      py::arg("kind"), py::arg("params"), py::arg("mode"), py::arg("lower"),
      py::arg("upper"),
      "The interval a truncated kind samples (dist_truncate.h): u in (a, b],\n"
      "or z in [a, b] for the normal kinds; ok false when it holds nothing.");
  m.def("build_table", &build_table, py::arg("kind"), py::arg("params"),
        py::arg("stop") = py::none(),
        "The inversion table for constant parameters (empty when none);\n"
        "stop(), when given, is asked now and then: None when it said True.");
  m.def(
      "table_error",
      [](const Array& table) {
        const double* t = table.data();
        py::dict d;
        if (table.size() > mc::COUNT_HEADER && mc::is_count_table(t)) {
          // The entries are the exact quantile's own evaluations of F.
          d["entries"] = static_cast<int32_t>(t[mc::COUNT_ENTRIES]);
          d["first"] = t[mc::COUNT_FIRST];
          for (const char* key : {"x_relative", "u_absolute", "u_relative"})
            d[key] = 0.0;
          return d;
        }
        require(
            table.size() > mc::TABLE_HEADER && t[mc::TABLE_KIND_TAG] == mc::TABLE_TAG,
            "not a table from build_table");
        d["intervals"] = static_cast<int32_t>(t[mc::TABLE_N]);
        d["central_intervals"] = static_cast<int32_t>(t[mc::TABLE_C_N]);
        d["x_relative"] = t[mc::TABLE_ERR_X];
        d["u_absolute"] = t[mc::TABLE_ERR_U];
        d["u_relative"] = t[mc::TABLE_ERR_UR];
        return d;
      },
      py::arg("table"),
      "Measured errors of a table (see dist_table.h): relative in x (of the "
      "smaller of S and 1 - S, S standardised), absolute and relative (to "
      "min(u, 1 - u)) in u; its intervals per half, and its central grid's "
      "intervals (0: none). A counting kind's table (dist_count_table.h) has "
      "no error, its entries and its first count instead.");
  m.def(
      "dist_kinds", [] { return names(KIND_NAMES, mc::DIST_COUNT); },
      "Distribution kind ids by name.");
  m.def(
      "param_rules", [] { return names(RULE_NAMES, mc::RULE_COUNT); },
      "Parameter rule ids by name (check_params codes modulo the stride).");
  m.def(
      "param_count",
      [](int32_t kind) {
        check_kind(kind);
        return mc::param_count(kind);
      },
      py::arg("kind"), "Parameters a kind takes (-1: DISCRETE, 1 + 2 m).");
  m.def("param_limit", &mc::param_limit, py::arg("kind"), py::arg("index"),
        "The magnitude bound of RULE TOO_LARGE for a parameter (0: none).");
  m.def("width_limit", &mc::dist_detail::width_limit, py::arg("kind"),
        "The largest max - min a kind with a range takes (0: no such limit).");
  m.def("has_table", &mc::has_table, py::arg("kind"),
        "Whether the kind may be sampled from an inversion table.");
  m.def("has_count_table", &mc::has_count_table, py::arg("kind"),
        "Whether the kind may be sampled from a table of its distribution "
        "function (build_table makes one for constant parameters).");
  m.attr("PARAM_INDEX_STRIDE") = mc::PARAM_INDEX_STRIDE;
  m.attr("MAX_COUNT") = mc::MAX_COUNT;
}
