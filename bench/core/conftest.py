"""Records the machine and build with every benchmark result."""

from __future__ import annotations

from bench.core.scale import SCALE
from bench.machine import describe_machine


def pytest_benchmark_update_machine_info(config, machine_info):
    """Adds mcengine's description (CPU, build flags, versions)."""
    machine_info["mcengine"] = describe_machine()
    machine_info["mcengine"]["scale"] = SCALE.name
