"""From what went wrong to the gRPC status a client receives.

Each expected failure has one status code, chosen where the client can act
on it: fix the model (INVALID_ARGUMENT, with google.rpc.BadRequest field
violations so a program can point at the cell), ask for less or retry
later (RESOURCE_EXHAUSTED), go to another replica (UNAVAILABLE). Anything
else is a bug and becomes INTERNAL in the interceptor, never UNKNOWN.
"""

from __future__ import annotations

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from mcengine.model.errors import LimitError, ModelError, Violation

MAX_VIOLATIONS = 10
MAX_DESCRIPTION = 300
SHUTTING_DOWN = "the server is shutting down; retry on another replica"


class Busy(Exception):
    """Every simulation slot stayed taken, and the queue was full or the
    request's wait for a slot ran out."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"all {limit} simulation slots are busy; retry later or "
            "on another replica"
        )


class ShuttingDown(Exception):
    """The server is draining and takes no new simulations."""

    def __init__(self, detail: str = SHUTTING_DOWN):
        super().__init__(detail)


class NotReady(Exception):
    """Warm-up has not finished (or failed): no simulation can run yet."""


class Stopped(Exception):
    """A simulation stopped before the end: cancelled or out of time."""

    def __init__(self, code: grpc.StatusCode, detail: str):
        self.code = code
        super().__init__(detail)


def bad_request(violations: list[Violation]) -> grpc.Status:
    """INVALID_ARGUMENT carrying the violations as field violations.

    Status details travel in trailing metadata, which clients cap (8 KiB
    by default in gRPC); a model with thousands of bad cells would make
    the reply unreadable. So at most MAX_VIOLATIONS are sent, each
    description cut to MAX_DESCRIPTION characters, and a last violation
    on "model" says how many were left out.
    """
    shown = [_shortened(v) for v in violations[:MAX_VIOLATIONS]]
    left_out = len(violations) - len(shown)
    if left_out > 0:
        note = f"{left_out} more violations not shown; fix these first"
        shown.append(Violation("model", note))
    message = "; ".join(str(v) for v in shown[:3]) or "invalid request"
    if len(violations) > 3:
        message += f"; and {len(violations) - 3} more"

    return _rich(code_pb2.INVALID_ARGUMENT, message, shown)


def _shortened(violation: Violation) -> Violation:
    text = violation.description
    if len(text) <= MAX_DESCRIPTION:
        return violation

    return Violation(violation.field, text[: MAX_DESCRIPTION - 3] + "...")


def over_limit(error: LimitError) -> grpc.Status:
    """RESOURCE_EXHAUSTED naming the field, the value and the limit."""
    violation = Violation(error.field, error.description)

    return _rich(code_pb2.RESOURCE_EXHAUSTED, str(error), [violation])


def for_exception(error: Exception) -> grpc.Status | None:
    """The status for an expected failure, or None for a bug."""
    if isinstance(error, ModelError):
        return bad_request(error.violations)
    if isinstance(error, LimitError):
        return over_limit(error)
    if isinstance(error, Busy):
        return _plain(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
    if isinstance(error, (ShuttingDown, NotReady)):
        return _plain(grpc.StatusCode.UNAVAILABLE, str(error))
    if isinstance(error, Stopped):
        return _plain(error.code, str(error))

    return None


def _rich(code: int, message: str, violations: list[Violation]):
    detail = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=v.field, description=v.description
            )
            for v in violations
        ]
    )
    status = status_pb2.Status(code=code, message=message)
    status.details.add().Pack(detail)

    return rpc_status.to_status(status)


class _Status(grpc.Status):
    def __init__(self, code: grpc.StatusCode, details: str):
        self.code = code
        self.details = details
        self.trailing_metadata = None


def _plain(code: grpc.StatusCode, details: str) -> grpc.Status:
    return _Status(code, details)
