# The two commands of the README: `make run` and `make test`.
# Both create .venv when it is missing and (re)install when sources changed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mcengine-installed
SOURCES := $(wildcard setup.py pyproject.toml CMakeLists.txt csrc/* proto/mcengine/v1/*.proto)

.PHONY: install run test bench clean

install: $(STAMP)

$(STAMP): $(SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "setuptools>=68" wheel "pybind11>=2.12" "grpcio-tools>=1.62"
	$(PY) -m pip install --quiet --no-build-isolation -e '.[dev]'
	touch $(STAMP)

run: install
	$(VENV)/bin/mcengine serve

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m bench.run

clean:
	rm -rf build $(VENV) mcengine/v1 mcengine/_core*.so
