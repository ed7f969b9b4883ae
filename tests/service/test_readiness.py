"""Readiness follows warm-up and drain, in-process on free ports."""

from __future__ import annotations

import json

import grpc
import pytest
from grpc_health.v1 import health_pb2

from mcengine.config import Config
from mcengine.service import create_server, warmup
from mcengine.service.readiness import NOT_SERVING, SERVING, Readiness
from mcengine.v1 import simulator_pb2 as pb
from mcengine.v1 import simulator_pb2_grpc
from tests.service.server_process import http_get

SERVICE = "mcengine.v1.Simulator"


def status_of(readiness: Readiness, service: str = SERVICE):
    # Both services are always registered, so Check needs no context.
    request = health_pb2.HealthCheckRequest(service=service)
    return readiness.health.Check(request, None).status


def test_ready_only_after_core_and_warmup():
    """Readiness is NOT_SERVING until both checks pass; liveness at once."""
    readiness = Readiness("1.0", "blue")
    assert status_of(readiness, "") == SERVING
    assert status_of(readiness) == NOT_SERVING

    readiness.core_loaded()
    assert status_of(readiness) == NOT_SERVING

    readiness.warmup_done()
    assert status_of(readiness) == SERVING
    assert readiness.problem is None


def test_drain_turns_readiness_off_for_good():
    """After begin_drain a late warm-up result cannot make it ready."""
    readiness = Readiness("1.0", "blue")
    readiness.core_loaded()
    readiness.begin_drain()
    readiness.warmup_done()

    assert status_of(readiness) == NOT_SERVING
    assert readiness.snapshot()["checks"]["draining"] is True
    assert readiness.problem == "the server is shutting down"


@pytest.fixture
def failing_server(monkeypatch):
    """A server whose self-test fails, as a broken build's would."""

    def broken(engine):
        raise warmup.SelfTestFailed("mean 12.0 is outside 10.0 +- 0.0253")

    monkeypatch.setattr(warmup, "self_test", broken)
    config = Config(host="127.0.0.1", port=0, http_port=0)
    server = create_server(config)
    server.start()
    assert server.wait_warm(30)
    yield server
    server.stop()


def test_failed_self_test_keeps_the_server_unready(failing_server):
    """/ready is 503 naming the failure; Simulate answers UNAVAILABLE."""
    status, body = http_get(failing_server.http_port, "/ready")
    target = f"127.0.0.1:{failing_server.grpc_port}"
    with grpc.insecure_channel(target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        request = pb.SimulateRequest(
            model_json='{"cells": {"x": 1}, "outputs": ["x"]}', iterations=1
        )
        with pytest.raises(grpc.RpcError) as refused:
            stub.Simulate(request, timeout=10)

    assert status == 503
    assert json.loads(body)["checks"]["warmup"].startswith("failed: ")
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "outside" in refused.value.details()
