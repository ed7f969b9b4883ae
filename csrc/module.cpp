// module.cpp: the pybind11 module mcengine._core.
//
// A thin, private binding: each concept registers its own functions from a
// register_*.cpp file; the public API is the Python package around it.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_build(py::module_& m);
void register_dist(py::module_& m);
void register_stats(py::module_& m);
void register_engine(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "mcengine's C++ core (private: use the mcengine package)";
  register_build(m);
  register_dist(m);
  register_stats(m);
  register_engine(m);
}
