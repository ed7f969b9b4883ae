"""What every call gets, whatever its method: id, metrics, log, a status.

For each unary call the interceptor
- takes the request id from the "x-request-id" metadata (or makes one),
  binds it in structlog's context for the call's duration and echoes it
  in the initial metadata;
- counts the call in grpc_server_started_total / _handled_total and times
  it in grpc_server_handling_seconds;
- writes one log line when the call ends: request_id, method, status,
  duration_seconds, peer, and whatever the handler bound (iterations);
- turns an exception no handler expected into INTERNAL with the request
  id (logged with its traceback), so no client ever sees UNKNOWN.

gRPC runs handlers on pooled threads, and structlog's context lives in a
contextvar of the thread: the context is cleared before and after each
call so that no id or field leaks into the next call on that thread.

Streaming methods (health Watch, reflection) pass through untouched: they
are not part of the service's objectives and have no single end status.
"""

from __future__ import annotations

import time
import uuid

import grpc
import structlog

REQUEST_ID_KEY = "x-request-id"
_MAX_REQUEST_ID = 128
# Health checks arrive every few seconds from each prober; they are
# logged at debug so that the info stream stays one line per real request.
_QUIET_SERVICES = ("grpc.health.v1.Health",)

_log = structlog.get_logger("mcengine.service")


class CallInterceptor(grpc.ServerInterceptor):
    """Request id, metrics, one log line and a status for every unary call."""

    def __init__(self, metrics):
        self._metrics = metrics

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        service, method = _split(handler_call_details.method)
        behaviour = handler.unary_unary

        def observed(request, context):
            return self._observe(behaviour, request, context, service, method)

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _observe(self, behaviour, request, context, service, method):
        request_id = request_id_of(context.invocation_metadata())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, method=f"{service}/{method}"
        )
        self._metrics.rpc_started(service, method)
        started = time.perf_counter()
        try:
            context.send_initial_metadata(((REQUEST_ID_KEY, request_id),))
            return behaviour(request, context)
        except Exception as error:
            _internal_if_unexpected(error, context, request_id)
            raise
        finally:
            seconds = time.perf_counter() - started
            self._finish(service, method, context, seconds)
            structlog.contextvars.clear_contextvars()

    def _finish(self, service, method, context, seconds) -> None:
        code = _code_name(context)
        self._metrics.rpc_handled(service, method, code, seconds)
        level = "debug" if service in _QUIET_SERVICES else "info"
        if code == "INTERNAL":
            level = "error"
        getattr(_log, level)(
            "rpc",
            status=code,
            duration_seconds=round(seconds, 6),
            peer=context.peer(),
        )


def request_id_of(metadata) -> str:
    """The client's x-request-id if usable, else a new uuid4 hex."""
    for key, value in metadata or ():
        if key == REQUEST_ID_KEY and _usable(value):
            return value

    return uuid.uuid4().hex


def _usable(value) -> bool:
    # Printable ASCII without spaces, short: safe in a log line and a
    # metadata value, and no way to forge extra JSON fields.
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_REQUEST_ID:
        return False

    return all("!" <= c <= "~" for c in value)


def _internal_if_unexpected(error, context, request_id) -> None:
    # An aborted call already has its code; an RpcError means the client
    # went away (gRPC itself ends the call). Anything else is a bug.
    if context.code() is not None or isinstance(error, grpc.RpcError):
        return
    _log.error("unexpected exception in handler", exc_info=error)
    context.abort(
        grpc.StatusCode.INTERNAL,
        f"internal error; quote request id {request_id} to support",
    )


def _code_name(context) -> str:
    code = context.code()
    if code is None:
        return "OK"

    return code.name


def _split(full_method: str) -> tuple[str, str]:
    """Service and method of "/pkg.Service/Method"."""
    service, _, method = full_method.lstrip("/").rpartition("/")

    return service or "unknown", method
