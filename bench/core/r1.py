"""The R1 reference model and its NumPy baseline, from ../shared/bench.

../shared/bench/r1_numpy.py is what a user would write instead of calling
the engine; it is imported from its file path so that both run in this
process, on the same data, in the same run. A checkout without ../shared
skips the R1 benchmarks with the reason.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
MODEL = SHARED_BENCH / "r1_margin.json"
BASELINE = SHARED_BENCH / "r1_numpy.py"
BASELINE_NAME = "NumPy (../shared/bench/r1_numpy.py)"
SEED = 1
PERCENTILES = [1, 5, 50, 95, 99]


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (the R1 benchmarks need ../shared)")

    return path


def model_text() -> str:
    """The R1 model's JSON text."""
    return _require(MODEL).read_text()


def model() -> dict:
    """The R1 model as a dict."""
    return json.loads(model_text())


def numpy_baseline() -> ModuleType:
    """r1_numpy.py as a module; its simulate(n, seed) is the baseline."""
    path = _require(BASELINE)
    spec = importlib.util.spec_from_file_location("r1_numpy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    return module
