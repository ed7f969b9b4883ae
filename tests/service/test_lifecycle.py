"""Slots, deadlines, cancellation and shutdown, against real processes.

A "long" simulation is the heavy model (thousands of cells per iteration)
run for LONG_ITERATIONS: far longer than any of these tests waits, so it
is always still running when the test acts on it. Every wait is bounded;
the bounds say what the service promises: a refusal or a health answer
within a second, the core stopping within a block (well under STOP_BOUND
seconds), and a drained server exiting within grace + EXIT_MARGIN.
"""

from __future__ import annotations

import json
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from mcengine.v1 import simulator_pb2 as pb
from mcengine.v1 import simulator_pb2_grpc
from tests.service.conftest import EXIT_MARGIN_SECONDS, heavy_model
from tests.service.server_process import (
    NOT_SERVING,
    SERVING,
    http_get,
    metric,
    serving,
    wait_for_status,
    wait_until,
)

pytestmark = pytest.mark.slow

LONG_ITERATIONS = 5_000_000
# The core checks cancellation between blocks of a few thousand
# iterations; a block of the heavy model takes well under a second.
STOP_BOUND = 5.0
LONG = pb.SimulateRequest(
    model_json=json.dumps(heavy_model()), iterations=LONG_ITERATIONS, seed=1
)
QUICK = pb.SimulateRequest(
    model_json='{"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}',
    iterations=1_000,
)


def one_slot_queue(seconds: float) -> tuple[str, ...]:
    """Flags for one simulation slot and a queue of one request."""
    return (
        "--max-concurrent",
        "1",
        "--max-queued",
        "1",
        "--queue-seconds",
        str(seconds),
    )


@pytest.fixture(scope="module")
def one_slot():
    """A server with a single simulation slot and a short queue (one
    request, 0.3 s), shared by this module."""
    with serving(*one_slot_queue(0.3)) as process:
        yield process


def running(server) -> float:
    return metric(server.http_port, "mcengine_inflight_requests")


def outcome_count(server, outcome: str) -> float:
    name = "mcengine_simulation_seconds_count"
    return metric(server.http_port, name, outcome=outcome)


def start_long(stub, server, slots_taken: int = 1, **call):
    """Start a long simulation and wait until it holds its slot."""
    future = stub.Simulate.future(LONG, **call)
    wait_until(lambda: running(server) >= slots_taken, timeout=30)
    return future


def stop_long(future, server) -> None:
    future.cancel()
    wait_until(lambda: running(server) == 0, timeout=STOP_BOUND)


def test_busy_server_refuses_once_the_queue_wait_ends(one_slot):
    """With every slot taken, a Simulate waits its 0.3 s in the queue, then
    is refused RESOURCE_EXHAUSTED (well within a second)."""
    with grpc.insecure_channel(one_slot.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        future = start_long(stub, one_slot)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as refused:
            stub.Simulate(QUICK, timeout=10)
        waited = time.monotonic() - started
        stop_long(future, one_slot)

    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "slots are busy" in refused.value.details()
    assert waited < 1.0


@pytest.fixture(scope="module")
def patient_slot():
    """One slot and a queue of one request that may wait a minute."""
    with serving(*one_slot_queue(60)) as process:
        yield process


def queued(server) -> float:
    return metric(server.http_port, "mcengine_queued_requests")


def test_a_queued_call_runs_when_a_slot_frees(patient_slot):
    """A call waiting in the queue runs once the slot's holder ends; a
    call arriving while the queue is full is refused at once."""
    with grpc.insecure_channel(patient_slot.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        long = start_long(stub, patient_slot)
        waiting = stub.Simulate.future(QUICK, timeout=60)
        wait_until(lambda: queued(patient_slot) == 1, timeout=30)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Simulate(QUICK, timeout=10)
        long.cancel()
        reply = waiting.result(timeout=30)

    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reply.iterations == 1_000
    assert queued(patient_slot) == 0


def test_probes_answer_within_a_second_while_slots_are_busy(one_slot):
    """Health, /ready and /metrics answer in < 1 s with every slot busy."""
    with grpc.insecure_channel(one_slot.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        future = start_long(stub, one_slot)
        check = health_pb2.HealthCheckRequest(service="mcengine.v1.Simulator")
        readiness = health.Check(check, timeout=1.0).status
        ready = http_get(one_slot.http_port, "/ready", timeout=1.0)
        metrics = http_get(one_slot.http_port, "/metrics", timeout=1.0)
        stop_long(future, one_slot)

    assert readiness == SERVING
    assert ready[0] == 200 and json.loads(ready[1])["checks"]["slots"] == {
        "running": 1,
        "limit": 1,
    }
    assert metrics[0] == 200


def test_deadline_stops_the_simulation_promptly(one_slot):
    """A 1 s deadline gives DEADLINE_EXCEEDED and frees the slot quickly."""
    before = outcome_count(one_slot, "deadline_exceeded")
    with grpc.insecure_channel(one_slot.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as late:
            stub.Simulate(LONG, timeout=1.0)
        waited = time.monotonic() - started
    wait_until(lambda: running(one_slot) == 0, timeout=STOP_BOUND)

    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert waited < 1.0 + STOP_BOUND
    # The server saw its own deadline pass: the core stopped, not just
    # the client giving up.
    wait_until(
        lambda: outcome_count(one_slot, "deadline_exceeded") == before + 1,
        timeout=STOP_BOUND,
    )


def test_client_cancellation_stops_the_simulation(one_slot):
    """Cancelling the call stops the core and frees the slot."""
    before = outcome_count(one_slot, "cancelled")
    with grpc.insecure_channel(one_slot.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        future = start_long(stub, one_slot)
        stop_long(future, one_slot)

    assert future.cancelled()
    wait_until(
        lambda: outcome_count(one_slot, "cancelled") == before + 1,
        timeout=STOP_BOUND,
    )


def test_sigterm_drains_then_cancels_and_exits_zero(start_server):
    """SIGTERM: not ready at once, new calls UNAVAILABLE, the running one
    answered UNAVAILABLE (shutting down) after the grace, exit 0."""
    grace = 2.0
    server = start_server("--grace-seconds", str(grace))
    with grpc.insecure_channel(server.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        future = start_long(stub, server)
        signalled = time.monotonic()
        server.terminate()
        wait_for_status(server.target, NOT_SERVING, timeout=grace)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Simulate(QUICK, timeout=5)
        error = future.exception(timeout=grace + STOP_BOUND + 5)
        status = server.wait_exit(timeout=grace + EXIT_MARGIN_SECONDS)
    took = time.monotonic() - signalled

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE
    assert "shutting down" in error.details()
    assert status == 0
    assert took < grace + EXIT_MARGIN_SECONDS


def test_sigterm_lets_running_work_finish_within_grace(start_server):
    """A simulation that ends within the grace period is answered OK."""
    server = start_server("--grace-seconds", "60")
    request = pb.SimulateRequest()
    request.CopyFrom(LONG)
    # About a second of work: enough to be running at SIGTERM, far less
    # than the grace period.
    request.iterations = LONG_ITERATIONS // 50
    with grpc.insecure_channel(server.target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        future = stub.Simulate.future(request)
        wait_until(lambda: running(server) == 1, timeout=30)
        server.terminate()
        reply = future.result(timeout=60)
    status = server.wait_exit(timeout=EXIT_MARGIN_SECONDS + 60)

    assert reply.iterations == request.iterations
    assert status == 0


def test_idle_server_exits_zero_on_sigterm(start_server):
    """With nothing running, SIGTERM ends the process at once with 0."""
    server = start_server("--grace-seconds", "30")
    signalled = time.monotonic()
    server.terminate()
    status = server.wait_exit(timeout=EXIT_MARGIN_SECONDS)

    assert status == 0
    assert time.monotonic() - signalled < EXIT_MARGIN_SECONDS
    assert server.wait_for_event("stopped", timeout=5)
