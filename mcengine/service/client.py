"""A small client of the Simulator service, answering in plain dicts.

The CLI uses it for --target: the model file's text travels unchanged as
model_json, and the reply comes back in the shapes the in-process path
produces (Result.to_dict() for Simulate), so that output does not depend
on where the simulation ran. A failed call raises RemoteError with the
status code, the message and any BadRequest field violations.
"""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from mcengine.model.errors import Violation
from mcengine.service import convert
from mcengine.v1 import simulator_pb2 as pb
from mcengine.v1 import simulator_pb2_grpc


class RemoteError(Exception):
    """A call that ended with a non-OK status, with the server's facts."""

    def __init__(self, code: str, details: str, violations: list[Violation]):
        self.code = code
        self.details = details
        self.violations = violations
        super().__init__(f"{code}: {details}")


def simulate(
    target: str,
    model_json: str | bytes,
    iterations: int,
    seed: int | None = None,
    threads: int = 0,
    percentiles: list[float] | None = None,
    timeout: float | None = None,
    sampling: str = "mc",
    targets: list[float] | None = None,
    risk_levels: list[float] | None = None,
    confidence: float = 0.0,
    convergence: dict | None = None,
    output_cells: tuple[str, ...] = (),
) -> dict:
    """Run a simulation on the server at target ("host:port"). The model
    is JSON text, or a workbook's bytes (then output_cells may name its
    outputs)."""
    request = pb.SimulateRequest(
        **_source(model_json),
        output_cells=list(output_cells),
        iterations=iterations,
        threads=threads,
        percentiles=percentiles or [],
        sampling=convert.SAMPLING_NUMBERS[sampling],
        targets=targets or [],
        risk_levels=risk_levels or [],
        confidence=confidence,
    )
    if seed is not None:
        request.seed = seed
    if convergence is not None:
        request.convergence.CopyFrom(
            pb.Convergence(
                statistics=convergence.get("statistics", ["mean"]),
                tolerance=convergence.get("tolerance", 0.01),
                absolute=not convergence.get("relative", True),
                confidence=convergence.get("confidence", 0.95),
                every=convergence.get("every", 10_000),
                outputs=convergence.get("outputs", []),
            )
        )
    reply = _call(target, "Simulate", request, timeout)

    return convert.response_dict(reply)


def validate(
    target: str,
    model_json: str | bytes,
    iterations: int = 0,
    timeout: float | None = None,
    output_cells: tuple[str, ...] = (),
) -> dict:
    """Check a model (JSON text or a workbook's bytes) on the server at
    target; the validation document."""
    request = pb.ValidateModelRequest(
        **_source(model_json),
        iterations=iterations,
        output_cells=list(output_cells),
    )
    reply = _call(target, "ValidateModel", request, timeout)

    return convert.validation_dict(reply)


def _source(model) -> dict:
    if isinstance(model, (bytes, bytearray)):
        return {"workbook": bytes(model)}
    return {"model_json": model}


def _call(target: str, method: str, request, timeout: float | None):
    with grpc.insecure_channel(target) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        try:
            return getattr(stub, method)(request, timeout=timeout)
        except grpc.RpcError as error:
            raise _remote_error(error) from None


def _remote_error(error: grpc.RpcError) -> RemoteError:
    violations = []
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else ():
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            violations += [
                Violation(v.field, v.description) for v in bad.field_violations
            ]

    return RemoteError(error.code().name, error.details(), violations)
