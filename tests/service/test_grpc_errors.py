"""Bad requests end with a status a client can act on, never UNKNOWN."""

from __future__ import annotations

import json
import os

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from mcengine.v1 import simulator_pb2 as pb
from tests.service.conftest import (
    EXAMPLES,
    MAX_ITERATIONS,
    MAX_MESSAGE_BYTES,
)

BAD_MODELS = {
    "unknown function": (
        {"cells": {"z": "=RiskNormal(0, 1)", "y": "=NOSUCHFN(z)"}},
        "y",
    ),
    "cycle": ({"cells": {"a": "=b + 1", "b": "=a * 2"}}, "a"),
    "name that reads as a cell reference": (
        {"cells": {"A1": 5, "y": "=RiskNormal(0, 1) + 1"}},
        "A1",
    ),
    "syntax error": ({"cells": {"y": "=1 + * RiskNormal(0, 1)"}}, "y"),
}


def call(stub_method, request):
    """The RpcError a call ends with (the test fails if it succeeds)."""
    with pytest.raises(grpc.RpcError) as raised:
        stub_method(request, timeout=30)
    return raised.value


def violations(error) -> dict[str, str]:
    """Field violations of the BadRequest detail, field -> description."""
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    found = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found |= {v.field: v.description for v in bad.field_violations}

    return found


def simulate_request(document, iterations=1_000, **fields):
    return pb.SimulateRequest(
        model_json=json.dumps(document), iterations=iterations, **fields
    )


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_bad_model_is_invalid_argument_naming_the_cell(stub, case):
    """A bad model gives INVALID_ARGUMENT with a violation on its cell."""
    cells, cell = BAD_MODELS[case]
    document = {**cells, "outputs": [list(cells["cells"])[-1]]}
    error = call(stub.Simulate, simulate_request(document))
    fields = violations(error)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert any(cell in field for field in fields), fields


def test_request_field_problems_are_reported_together(stub):
    """Zero iterations and a bad percentile come back in one reply."""
    document = {"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}
    request = simulate_request(document, iterations=0, percentiles=[50, 101])
    error = call(stub.Simulate, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(error)) == {"iterations", "percentiles[1]"}


def test_unknown_sampling_method_is_invalid_argument(stub):
    """A Sampling number this server does not know names the field."""
    document = {"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}
    error = call(stub.Simulate, simulate_request(document, sampling=7))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown method 7" in violations(error)["sampling"]


def test_missing_model_is_invalid_argument(stub):
    """A request with neither model nor model_json names the model field."""
    error = call(stub.Simulate, pb.SimulateRequest(iterations=10))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "model" in violations(error)


def test_model_json_is_never_read_as_a_path(stub):
    """Text that is not JSON is refused as such, not opened as a file."""
    request = pb.SimulateRequest(model_json="/etc/hostname", iterations=10)
    error = call(stub.Simulate, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not valid JSON" in violations(error)["model_json"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ('{"cells": {"x": 1, "x": 2}, "outputs": ["x"]}', "appears twice"),
        ("[" * 100_000, "nested too deeply"),
        ('{"cells": {"x": 1' + "0" * 5000 + '}, "outputs": ["x"]}', "4,300"),
    ],
    ids=["repeated key", "deep", "long integer"],
)
def test_model_json_is_read_as_in_process_models_are(stub, text, reason):
    """The text rules of JSON models hold over gRPC too: a key given twice
    is refused (json would keep the last), and text that Python's json
    cannot take is INVALID_ARGUMENT, never INTERNAL."""
    request = pb.SimulateRequest(model_json=text, iterations=10)
    error = call(stub.Simulate, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason in violations(error)["model_json"]


def test_iterations_over_the_limit_are_resource_exhausted(stub):
    """One iteration more than MCENGINE_MAX_ITERATIONS is refused."""
    document = json.loads((EXAMPLES / "npv_normal_cashflows.json").read_text())
    request = simulate_request(document, iterations=MAX_ITERATIONS + 1)
    error = call(stub.Simulate, request)

    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert str(MAX_ITERATIONS) in violations(error)["iterations"]


def test_threads_over_the_core_count_are_resource_exhausted(stub):
    """Asking for more threads than the server has cores is refused."""
    document = {"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}
    threads = (os.cpu_count() or 1) + 1
    error = call(stub.Simulate, simulate_request(document, threads=threads))

    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "threads" in violations(error)


def test_oversized_message_is_resource_exhausted(stub):
    """A request larger than MCENGINE_MAX_MESSAGE_BYTES is refused."""
    document = {
        "name": "x" * MAX_MESSAGE_BYTES,
        "cells": {"x": "=RiskNormal(0, 1)"},
        "outputs": ["x"],
    }
    error = call(stub.Simulate, simulate_request(document))

    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_validate_reports_a_good_model(stub):
    """ValidateModel names inputs and outputs and estimates the cost."""
    text = (EXAMPLES / "npv_normal_cashflows.json").read_text()
    reply = stub.ValidateModel(
        pb.ValidateModelRequest(model_json=text, iterations=1_000_000)
    )

    assert reply.valid and not reply.errors
    assert list(reply.inputs) == ["year1", "year2", "year3", "year4"]
    assert list(reply.outputs) == ["npv", "positive"]
    assert reply.cell_count == 8 and reply.instruction_count > 0
    assert reply.iterations == 1_000_000 and reply.estimated_seconds > 0


def test_validate_reports_a_bad_model_in_the_reply(stub):
    """An invalid model is valid=false with violations, not an error."""
    cells, cell = BAD_MODELS["unknown function"]
    document = {**cells, "outputs": ["y"]}
    request = pb.ValidateModelRequest(model_json=json.dumps(document))
    reply = stub.ValidateModel(request)

    assert not reply.valid
    assert any(cell in e.field for e in reply.errors)
    assert reply.iterations == 10_000 and reply.estimated_seconds == 0


def test_validate_flags_iterations_over_the_limit(stub):
    """ValidateModel reports over-limit iterations as a violation."""
    text = (EXAMPLES / "npv_normal_cashflows.json").read_text()
    request = pb.ValidateModelRequest(
        model_json=text, iterations=MAX_ITERATIONS + 1
    )
    reply = stub.ValidateModel(request)

    assert not reply.valid
    assert [e.field for e in reply.errors] == ["iterations"]


def test_thousands_of_violations_still_fit_in_one_reply(stub):
    """3,000 bad cells: INVALID_ARGUMENT with the first ten and a count."""
    cells = {f"cell_{i}x": f"=NOPE{i}(1)" for i in range(3000)}
    document = {"cells": cells, "outputs": ["cell_1x"]}
    error = call(stub.Simulate, simulate_request(document))
    found = violations(error)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(found) == 11
    assert found["model"] == "2990 more violations not shown; fix these first"


def test_model_over_the_cell_limit_is_resource_exhausted(stub):
    """A model with more cells than the server allows is refused."""
    cells = {f"k_{i}": i for i in range(20_001)}
    cells["out"] = "=RiskNormal(0, 1)"
    document = {"cells": cells, "outputs": ["out"]}
    error = call(stub.Simulate, simulate_request(document))

    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "20000" in violations(error)["cells"]
