// register_build.cpp: what this build of the core is (flags, compiler).
#include <pybind11/pybind11.h>

#include <thread>

namespace py = pybind11;

void register_build(py::module_& m) {
  m.def(
      "build_info",
      [] {
        py::dict info;
        info["flags"] = MC_BUILD_FLAGS;
        info["compiler"] = MC_COMPILER;
        info["hardware_threads"] = std::thread::hardware_concurrency();
        return info;
      },
      "Compiler, optimisation and instruction-set flags of this build.");
}
