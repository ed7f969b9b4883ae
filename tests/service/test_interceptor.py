"""The interceptor turns a handler's bug into INTERNAL, never UNKNOWN.

No real handler fails on purpose, so this test serves a deliberately
broken method through the same interceptor on an in-process server bound
to a free port (port 0).
"""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from mcengine.service.interceptor import CallInterceptor
from mcengine.service.metrics import Metrics

METHOD = "/test.Broken/Fail"


def _fail(request, context):
    raise ZeroDivisionError("a bug in a handler")


def _abort(request, context):
    context.abort(grpc.StatusCode.FAILED_PRECONDITION, "expected failure")


@pytest.fixture
def broken_server():
    """A server whose test.Broken service raises or aborts; its metrics."""
    metrics = Metrics(CollectorRegistry())
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2),
        interceptors=[CallInterceptor(metrics)],
    )
    handlers = {
        "Fail": grpc.unary_unary_rpc_method_handler(_fail),
        "Abort": grpc.unary_unary_rpc_method_handler(_abort),
    }
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("test.Broken", handlers)]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel, metrics
    server.stop(None)


def call(channel, method: str, request_id: str):
    stub = channel.unary_unary(method)
    with pytest.raises(grpc.RpcError) as raised:
        stub(b"", metadata=[("x-request-id", request_id)], timeout=10)
    return raised.value


def test_unexpected_exception_is_internal_with_request_id(broken_server):
    """A raising handler gives INTERNAL quoting the id, and logs the trace."""
    channel, metrics = broken_server
    with capture_logs() as logs:
        error = call(channel, METHOD, "req-123")
    errors = [
        e for e in logs if e["event"] == "unexpected exception in handler"
    ]

    assert error.code() == grpc.StatusCode.INTERNAL
    assert "req-123" in error.details()
    assert len(errors) == 1 and errors[0]["exc_info"] is not None
    labels = {
        "grpc_service": "test.Broken",
        "grpc_method": "Fail",
        "grpc_type": "UNARY",
        "grpc_code": "INTERNAL",
    }
    handled = metrics.registry.get_sample_value(
        "grpc_server_handled_total", labels
    )
    assert handled == 1


def test_deliberate_status_passes_through(broken_server):
    """A handler's own abort keeps its code; nothing is logged as a bug."""
    channel, _ = broken_server
    with capture_logs() as logs:
        error = call(channel, "/test.Broken/Abort", "req-456")

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == "expected failure"
    assert [e["status"] for e in logs if e["event"] == "rpc"] == [
        "FAILED_PRECONDITION"
    ]
    assert not [e for e in logs if e["log_level"] == "error"]
