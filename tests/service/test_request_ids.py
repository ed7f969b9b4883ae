"""Request ids: taken from the client or made, echoed, logged, not leaked.

The server logs one JSON line per call on stdout; the fixture collects
them. gRPC runs calls on a pool of max_concurrent + HEADROOM_THREADS
threads, so a run of more sequential calls than that has at least two
calls on one thread: if per-call context leaked, some line would carry
another call's id or fields.
"""

from __future__ import annotations

from mcengine.service.server import HEADROOM_THREADS
from mcengine.v1 import simulator_pb2 as pb

MODEL = '{"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}'
POOL_THREADS = 4 + HEADROOM_THREADS  # the session server: 4 slots


def echoed_id(call) -> str:
    return dict(call.initial_metadata())["x-request-id"]


def rpc_lines(server, request_ids) -> dict[str, dict]:
    """The "rpc" log line of each request id (waits for each to appear)."""
    lines = {}
    for request_id in request_ids:
        lines[request_id] = server.wait_for_event(
            "rpc", timeout=10, request_id=request_id
        )

    return lines


def test_client_request_id_is_echoed_and_logged(server, stub):
    """x-request-id from the client comes back and names the log line."""
    request = pb.SimulateRequest(model_json=MODEL, iterations=500, seed=9)
    _, call = stub.Simulate.with_call(
        request, metadata=[("x-request-id", "client-chosen-17")]
    )
    line = rpc_lines(server, ["client-chosen-17"])["client-chosen-17"]

    assert echoed_id(call) == "client-chosen-17"
    assert line["method"] == "mcengine.v1.Simulator/Simulate"
    assert line["status"] == "OK"
    assert line["iterations"] == 500
    assert line["seed"] == 9
    assert line["duration_seconds"] > 0
    assert line["peer"]


def test_missing_request_id_is_generated(server, stub):
    """Without x-request-id the server makes a uuid4 hex id and echoes it."""
    request = pb.ValidateModelRequest(model_json=MODEL)
    _, call = stub.ValidateModel.with_call(request)
    request_id = echoed_id(call)

    assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert rpc_lines(server, [request_id])[request_id]["status"] == "OK"


def test_context_never_leaks_between_calls(server, stub):
    """Alternating calls each log only their own id and their own fields."""
    simulate = pb.SimulateRequest(model_json=MODEL, iterations=100)
    validate = pb.ValidateModelRequest(model_json=MODEL)
    sent = []
    for index in range(2 * POOL_THREADS):
        if index % 2 == 0:
            metadata = [("x-request-id", f"leak-test-{index}")]
            _, call = stub.Simulate.with_call(simulate, metadata=metadata)
        else:
            _, call = stub.ValidateModel.with_call(validate)
        sent.append(echoed_id(call))
    lines = rpc_lines(server, sent)

    assert len(set(sent)) == len(sent)
    for index, request_id in enumerate(sent):
        line = lines[request_id]
        if index % 2 == 0:
            assert request_id == f"leak-test-{index}"
            assert line["iterations"] == 100
        else:
            # Fields a Simulate binds must not follow its thread onward.
            assert "iterations" not in line and "seed" not in line
            assert line["method"] == "mcengine.v1.Simulator/ValidateModel"
