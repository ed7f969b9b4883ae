// register_engine.cpp: placeholder until the concept lands.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_engine(py::module_& m) { (void)m; }
