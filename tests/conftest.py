"""Shared test fixtures: the reference cases and the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "examples"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (a fresh clone has no ../shared)")
    return path


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture
def one_cell():
    """Builds a one-output model from a formula."""

    def build(formula: str, **cells) -> dict:
        return {"cells": {**cells, "x": formula}, "outputs": ["x"]}

    return build


@pytest.fixture(scope="module")
def stats():
    """scipy.stats, the independent oracle (the test skips without it)."""
    return pytest.importorskip("scipy.stats")
