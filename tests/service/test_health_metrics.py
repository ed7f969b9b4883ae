"""The operational surface: health, readiness, reflection and metrics."""

from __future__ import annotations

import json

from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from mcengine import __version__
from mcengine.v1 import simulator_pb2 as pb
from tests.service.server_process import SERVING, http_get, metric

MODEL = '{"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}'
REQUIRED_METRICS = (
    "grpc_server_started_total",
    "grpc_server_handled_total",
    "grpc_server_handling_seconds_bucket",
    "mcengine_simulation_iterations_total",
    "mcengine_simulation_seconds_bucket",
    "mcengine_inflight_requests",
    "mcengine_build_info",
)


def test_liveness_and_readiness_serve_over_grpc_health(health):
    """ "" (liveness) and mcengine.v1.Simulator (readiness) are SERVING."""
    for service in ("", "mcengine.v1.Simulator"):
        request = health_pb2.HealthCheckRequest(service=service)
        assert health.Check(request, timeout=5).status == SERVING


def test_http_health_is_alive(server):
    """GET /health answers 200 with the version."""
    status, body = http_get(server.http_port, "/health")

    assert status == 200
    assert json.loads(body) == {"status": "alive", "version": __version__}


def test_http_ready_describes_every_check(server):
    """GET /ready is 200 with version, colour, uptime and each check."""
    status, body = http_get(server.http_port, "/ready")
    ready = json.loads(body)

    assert status == 200
    assert ready["status"] == "ready"
    assert (ready["version"], ready["colour"]) == (__version__, "green")
    assert ready["uptime_seconds"] > 0
    assert ready["checks"]["core"] == "ok"
    assert ready["checks"]["warmup"] == "ok"
    assert ready["checks"]["draining"] is False
    assert ready["checks"]["slots"]["limit"] == 4


def test_unknown_http_path_is_404(server):
    """Only the three endpoints exist on the side port."""
    assert http_get(server.http_port, "/nope")[0] == 404


def test_reflection_lists_the_simulator(channel):
    """Server reflection names mcengine.v1.Simulator and grpc health."""
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    replies = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {s.name for s in replies[0].list_services_response.service}

    assert {"mcengine.v1.Simulator", "grpc.health.v1.Health"} <= names


def test_metrics_expose_every_required_family(server, stub):
    """/metrics holds each required metric name, in Prometheus text."""
    # Labelled families show samples once used: one call uses them all.
    stub.Simulate(pb.SimulateRequest(model_json=MODEL, iterations=100))
    status, text = http_get(server.http_port, "/metrics")

    assert status == 200
    for name in REQUIRED_METRICS:
        assert f"\n{name}" in text, name
    assert 'le="2.0"' in text and 'le="5.0"' in text


def test_build_info_names_version_and_colour(server):
    """mcengine_build_info{version, colour} is 1."""
    value = metric(
        server.http_port,
        "mcengine_build_info",
        version=__version__,
        colour="green",
    )

    assert value == 1


def test_a_simulation_is_counted(server, stub):
    """A Simulate call raises handled{OK} by one and iterations by n."""
    labels = {
        "grpc_service": "mcengine.v1.Simulator",
        "grpc_method": "Simulate",
        "grpc_code": "OK",
    }
    handled = metric(server.http_port, "grpc_server_handled_total", **labels)
    iterations = metric(
        server.http_port, "mcengine_simulation_iterations_total"
    )
    stub.Simulate(pb.SimulateRequest(model_json=MODEL, iterations=1234))

    after = metric(server.http_port, "grpc_server_handled_total", **labels)
    assert after == handled + 1
    assert metric(
        server.http_port, "mcengine_simulation_iterations_total"
    ) == (iterations + 1234)
