"""Fixtures for the load generator's tests: a real server, mix files.

The server is the one the service tests use (tests/service/
server_process.py), started on free ports at 127.0.0.1 and awaited with
a health watch. It admits 8 simulations at once so that brief open-loop
bursts of the smoke mix are not refused on a small machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.server_process import ROOT, serving

MIXES = ROOT / "bench" / "mixes"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def bench_server():
    with serving("--max-concurrent", "8") as process:
        yield process


@pytest.fixture
def write_mix(tmp_path):
    """Writes a mix file of the given entries; returns its path."""

    def write(entries, name: str = "mix.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(entries))
        return path

    return write
