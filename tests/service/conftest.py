"""Fixtures for the service tests: a real server process and its clients.

Most tests share one server (session scope), started with limits small
enough to test against: at most 20,000,000 iterations and 1 MiB messages.
Tests that fill every slot, or stop the server, start their own.
"""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2_grpc

from mcengine.v1 import simulator_pb2_grpc
from tests.service.server_process import ROOT, ServerProcess, serving

SHARED_MODELS = ROOT.parent / "shared" / "cases" / "models"
EXAMPLES = ROOT / "examples"
MAX_ITERATIONS = 20_000_000
MAX_MESSAGE_BYTES = 1 << 20
# A drained server exits within grace + this (server.shutdown_bound adds
# 10 s for cancellation and final replies; this adds start-up noise).
EXIT_MARGIN_SECONDS = 15.0


def shared_models() -> list[Path]:
    """The reference models, or a skip when ../shared is absent."""
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"{SHARED_MODELS} is absent (no ../shared checkout)")

    return sorted(SHARED_MODELS.glob("*.json"))


def heavy_model(terms: int = 2000, group: int = 50) -> dict:
    """One input, thousands of EXP and LN cells: slow per iteration.

    Sums are built in groups so that no formula is long and the cell
    graph stays shallow (depth 3), whatever the number of terms.
    """
    cells: dict[str, float | str] = {"z": "=RiskNormal(0, 1)"}
    for i in range(terms):
        cells[f"term_{i}"] = f"=EXP(z / {i + 1}) + LN(ABS(z) + {i + 1})"
    groups = []
    for start in range(0, terms, group):
        name = f"group_{start // group}"
        members = [
            f"term_{i}" for i in range(start, min(start + group, terms))
        ]
        cells[name] = "=" + " + ".join(members)
        groups.append(name)
    cells["total"] = "=" + " + ".join(groups)

    return {"name": "heavy", "cells": cells, "outputs": ["total"]}


@pytest.fixture(scope="session")
def server():
    """A server shared by the tests that leave it as they found it."""
    env = {
        "MCENGINE_MAX_ITERATIONS": str(MAX_ITERATIONS),
        "MCENGINE_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES),
    }
    with serving("--max-concurrent", "4", "--colour", "green", env=env) as p:
        yield p


@pytest.fixture
def start_server():
    """Start dedicated servers (args as for `mcengine serve`); all closed."""
    started = []

    def start(*args: str, env: dict | None = None) -> ServerProcess:
        process = ServerProcess(*args, env=env)
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.close()


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(server.target) as channel:
        yield channel


@pytest.fixture
def stub(channel):
    return simulator_pb2_grpc.SimulatorStub(channel)


@pytest.fixture
def health(channel):
    return health_pb2_grpc.HealthStub(channel)
