"""Simulate over a real socket: the reference models, examples, the reply.

Tolerance for a simulated mean: 4 standard errors, 4 * sd / sqrt(n), with
sd the output's known standard deviation (../shared/cases/README.md).
"""

from __future__ import annotations

import json
import math

import pytest

from mcengine import __version__
from mcengine.v1 import simulator_pb2 as pb
from tests.service.conftest import EXAMPLES, shared_models

N = 200_000
SEED = 20_261_203

# Known answers of ../shared/cases/models: (file, output, mean, sd).
KNOWN_MEANS = [
    ("npv_normal_cashflows.json", "npv", 501.5432, 2442.9622),
    ("newsvendor_discrete.json", "profit", 200.0, 326.9174),
    ("black_scholes_call.json", "call", 4.759422, 4.9637),
]


def simulate_file(stub, path, iterations=N, **fields):
    request = pb.SimulateRequest(
        model_json=path.read_text(), iterations=iterations, **fields
    )
    return stub.Simulate(request, timeout=120)


def test_every_reference_model_simulates(stub):
    """Each shared model runs and reports every output with n iterations."""
    for path in shared_models():
        model = json.loads(path.read_text())
        reply = simulate_file(stub, path, iterations=20_000, seed=SEED)

        assert [o.name for o in reply.outputs] == model["outputs"], path
        for output in reply.outputs:
            assert output.valid + output.errors == 20_000, output.name


@pytest.mark.parametrize("file, output, mean, sd", KNOWN_MEANS)
def test_known_means_within_four_standard_errors(stub, file, output, mean, sd):
    """Means of the reference outputs lie within 4 * sd / sqrt(n)."""
    path = next(p for p in shared_models() if p.name == file)
    reply = simulate_file(stub, path, seed=SEED)
    stats = {o.name: o for o in reply.outputs}[output]

    assert abs(stats.mean - mean) <= 4 * sd / math.sqrt(N)


def test_every_example_simulates(stub):
    """Each file in examples/ runs and reports its outputs in order."""
    examples = sorted(EXAMPLES.glob("*.json"))
    if not examples:
        pytest.skip("examples/ holds no models")
    for path in examples:
        model = json.loads(path.read_text())
        reply = simulate_file(stub, path, iterations=10_000, seed=SEED)

        assert [o.name for o in reply.outputs] == model["outputs"], path


def test_example_npv_mean_within_four_standard_errors(stub):
    """examples/npv_normal_cashflows.json: mean within 4 * sd / sqrt(n)."""
    path = EXAMPLES / "npv_normal_cashflows.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    reply = simulate_file(stub, path, seed=SEED)
    npv = reply.outputs[0]

    assert npv.name == "npv"
    assert abs(npv.mean - 501.5432) <= 4 * 2442.9622 / math.sqrt(N)


def test_reply_carries_run_facts_and_statistics(stub):
    """The reply reports seed, iterations, version and full statistics."""
    path = EXAMPLES / "npv_normal_cashflows.json"
    reply = simulate_file(
        stub, path, iterations=50_000, seed=7, percentiles=[5, 50, 95]
    )
    npv = reply.outputs[0]

    assert (reply.iterations, reply.seed) == (50_000, 7)
    assert reply.server_version == __version__
    assert reply.threads >= 1 and reply.elapsed_seconds > 0
    assert 0 < reply.sensitivity_iterations <= 50_000
    assert [p.percentile for p in npv.percentiles] == [5, 50, 95]
    assert npv.min <= npv.percentiles[0].value <= npv.max
    assert len(npv.histogram.edges) == len(npv.histogram.counts) + 1
    assert sum(npv.histogram.counts) == npv.valid
    assert {s.input for s in npv.sensitivity} == {
        "year1",
        "year2",
        "year3",
        "year4",
    }


def test_server_picks_and_reports_a_seed_that_reproduces(stub):
    """Without a seed the reply names one; sending it back repeats the run."""
    path = EXAMPLES / "npv_normal_cashflows.json"
    first = simulate_file(stub, path, iterations=10_000)
    again = simulate_file(stub, path, iterations=10_000, seed=first.seed)

    assert again.outputs[0].mean == first.outputs[0].mean


def test_structured_model_equals_its_json_form(stub):
    """The same model as messages and as JSON gives identical statistics."""
    path = EXAMPLES / "npv_normal_cashflows.json"
    document = json.loads(path.read_text())
    model = pb.Model(name=document["name"], outputs=document["outputs"])
    for name, value in document["cells"].items():
        if isinstance(value, str):
            model.cells.add(name=name, formula=value.lstrip("="))
        else:
            model.cells.add(name=name, number=value)
    structured = stub.Simulate(
        pb.SimulateRequest(model=model, iterations=10_000, seed=3)
    )
    from_json = simulate_file(stub, path, iterations=10_000, seed=3)

    # Everything but the wall-clock time is a function of the request.
    from_json.elapsed_seconds = structured.elapsed_seconds

    assert structured == from_json


def test_latin_hypercube_over_grpc(stub):
    """SAMPLING_LHS is honoured and reported: the mean of a stratified
    uniform is within 4 of its standard deviations, 1 / (sqrt(12) n^1.5),
    of 1/2 (Monte Carlo's would be 1 / sqrt(12 n), 300 times wider here)."""
    n = 90_000
    document = {"cells": {"u": "=RiskUniform(0, 1)"}, "outputs": ["u"]}
    request = pb.SimulateRequest(
        model_json=json.dumps(document),
        iterations=n,
        seed=SEED,
        sampling=pb.SAMPLING_LHS,
    )
    reply = stub.Simulate(request, timeout=60)

    assert reply.sampling == pb.SAMPLING_LHS
    assert abs(reply.outputs[0].mean - 0.5) <= 4 / (math.sqrt(12) * n**1.5)


def test_risk_measures_over_grpc(stub):
    """Targets, VaR and CVaR, intervals and the mode travel in the reply
    and equal the in-process result for the same seed (exactly)."""
    from mcengine.engine import simulate

    document = {
        "cells": {"k": "=RiskPoisson(4)", "x": "=RiskNormal(10, 2)"},
        "outputs": ["k", "x"],
    }
    options = {"targets": [3.0, 12.0], "risk_levels": [5.0, 99.0]}
    request = pb.SimulateRequest(
        model_json=json.dumps(document),
        iterations=20_000,
        seed=SEED,
        confidence=0.9,
        percentiles=[50],
        threads=1,
        **options,
    )
    reply = stub.Simulate(request, timeout=60)
    local = simulate(
        document,
        iterations=20_000,
        seed=SEED,
        confidence=0.9,
        percentiles=[50],
        threads=1,
        **options,
    )
    k, x = reply.outputs

    assert reply.confidence == 0.9
    assert k.HasField("mode") and k.mode == local.outputs["k"].mode
    assert not x.HasField("mode")
    assert (x.mean_ci_lower, x.mean_ci_upper) == local.outputs["x"].mean_ci
    assert [(t.target, t.p_at_most) for t in x.targets] == [
        (t, p[0]) for t, p in local.outputs["x"].targets.items()
    ]
    assert [(r.level, r.var, r.cvar) for r in k.tail_risks] == [
        (level, *v) for level, v in local.outputs["k"].tail_risks.items()
    ]
    ci = local.outputs["x"].percentile_cis[50]
    assert (x.percentiles[0].ci_lower, x.percentiles[0].ci_upper) == ci


def test_bad_risk_measures_are_field_violations(stub):
    import grpc
    from grpc_status import rpc_status
    from google.rpc import error_details_pb2

    document = {"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}
    request = pb.SimulateRequest(
        model_json=json.dumps(document),
        iterations=100,
        risk_levels=[50, 100],
        targets=[math.inf],
        confidence=1.5,
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.Simulate(request, timeout=30)
    error = raised.value
    bad = error_details_pb2.BadRequest()
    rpc_status.from_call(error).details[0].Unpack(bad)
    fields = {v.field for v in bad.field_violations}

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fields == {"targets[0]", "risk_levels[1]", "confidence"}


def test_convergence_over_grpc(stub):
    """A Convergence rule stops the run early and the reply says so; an
    impossible rule runs to the maximum and names what is outside."""
    path = EXAMPLES / "r1_margin.json"
    rule = pb.Convergence(statistics=["mean"], tolerance=0.01, every=5_000)
    reply = simulate_file(
        stub, path, iterations=1_000_000, seed=SEED, convergence=rule
    )
    assert reply.convergence.converged
    assert reply.iterations == reply.convergence.iterations < 1_000_000
    assert reply.convergence.checks == reply.iterations // 5_000

    strict = pb.Convergence(statistics=["p99"], tolerance=1e-9, every=5_000)
    reply = simulate_file(
        stub, path, iterations=10_000, seed=SEED, convergence=strict
    )
    assert not reply.convergence.converged
    assert "margin.p99" in reply.convergence.reason
    assert reply.iterations == 10_000


def test_plain_runs_carry_no_convergence_report(stub):
    reply = simulate_file(
        stub, EXAMPLES / "r1_margin.json", iterations=1_000, seed=SEED
    )
    assert not reply.HasField("convergence")


def test_simtable_simulations_over_grpc(stub):
    """One Simulation per RiskSimtable value, in order, each as in
    process for the same seed."""
    from mcengine.engine import simulate

    document = {
        "cells": {
            "rate": "=RiskSimtable({0.05, 0.1})",
            "cash": "=RiskNormal(100, 10)",
            "value": "=cash / (1 + rate)",
        },
        "outputs": ["value"],
    }
    request = pb.SimulateRequest(
        model_json=json.dumps(document), iterations=5_000, seed=SEED
    )
    reply = stub.Simulate(request, timeout=60)
    local = simulate(document, iterations=5_000, seed=SEED)

    assert [s.simulation for s in reply.simulations] == [1, 2]
    assert [s.outputs[0].mean for s in reply.simulations] == [
        r.outputs["value"].mean for r in local.simulations
    ]
    assert reply.outputs[0].mean == reply.simulations[0].outputs[0].mean


def _correlated_model() -> dict:
    return {
        "cells": {
            "a": "=RiskNormal(0, 1)",
            "b": "=RiskTriang(0, 1, 10)",
            "s": "=a + b",
        },
        "outputs": ["s"],
        "correlations": [
            {"inputs": ["a", "b"], "matrix": [[1, 0.6], [0.6, 1]]}
        ],
    }


def test_correlations_over_grpc_structured_equals_json(stub):
    """A Correlation message and the JSON form give the same reply, which
    reports target and achieved rank correlations (within 0.02 of the
    target at n = 20,000: over 6 standard errors of a Spearman coefficient
    there, (1 - r^2) / sqrt(n) = 0.0045)."""
    document = _correlated_model()
    model = pb.Model(outputs=document["outputs"])
    for name, formula in document["cells"].items():
        model.cells.add(name=name, formula=formula)
    model.correlations.add(inputs=["a", "b"], matrix=[1, 0.6, 0.6, 1])
    structured = stub.Simulate(
        pb.SimulateRequest(model=model, iterations=20_000, seed=5), timeout=60
    )
    from_json = stub.Simulate(
        pb.SimulateRequest(
            model_json=json.dumps(document), iterations=20_000, seed=5
        ),
        timeout=60,
    )
    from_json.elapsed_seconds = structured.elapsed_seconds

    assert structured == from_json
    (group,) = structured.correlations
    assert list(group.inputs) == ["a", "b"]
    assert list(group.target) == [1, 0.6, 0.6, 1]
    assert group.achieved_iterations == 20_000
    assert abs(group.achieved[1] - 0.6) <= 0.02


def test_bad_correlations_are_field_violations(stub):
    import grpc
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    document = _correlated_model()
    model = pb.Model(outputs=document["outputs"])
    for name, formula in document["cells"].items():
        model.cells.add(name=name, formula=formula)
    model.correlations.add(inputs=["a", "b"], matrix=[1, 0.6, 0.6])
    model.correlations.add(inputs=["s", "a"], matrix=[1, 0, 0, 1])
    for request in (
        pb.SimulateRequest(model=model, iterations=100),
        pb.SimulateRequest(
            model_json=json.dumps(
                dict(
                    document,
                    correlations=[
                        {"inputs": ["a", "s"], "matrix": [[1, 0], [0, 1]]}
                    ],
                )  # fmt: skip
            ),
            iterations=100,
        ),
    ):
        with pytest.raises(grpc.RpcError) as raised:
            stub.Simulate(request, timeout=30)
        bad = error_details_pb2.BadRequest()
        rpc_status.from_call(raised.value).details[0].Unpack(bad)
        fields = {v.field: v.description for v in bad.field_violations}

        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert any(f.startswith("correlations[") for f in fields), fields


def _workbook_bytes() -> bytes:
    from tests.model.xlsx_files import formula, make_xlsx, number

    return make_xlsx(
        {
            "Plan": {
                "A1": formula("RiskNormal(100, 10)"),
                "A2": formula("RiskNormal(50, 5)"),
                "A3": number(25),
                "B1": formula('RiskOutput("total") + SUM(A1:A3)'),
                "B2": formula("A1 - A2"),
            }
        }
    )


def test_workbook_over_grpc(stub):
    """A workbook travels as bytes; RiskOutput cells are the outputs
    unless output_cells names others. Mean within 4 standard errors."""
    data = _workbook_bytes()
    reply = stub.Simulate(
        pb.SimulateRequest(workbook=data, iterations=20_000, seed=4),
        timeout=60,
    )
    (total,) = reply.outputs
    assert total.name == "total"
    assert abs(total.mean - 175) <= 4 * total.sem

    listed = stub.Simulate(
        pb.SimulateRequest(
            workbook=data,
            iterations=1_000,
            seed=4,
            output_cells=["B2", "Plan!B1"],
        ),
        timeout=60,
    )
    assert [o.name for o in listed.outputs] == ["Plan!B2", "total"]

    check = stub.ValidateModel(
        pb.ValidateModelRequest(workbook=data), timeout=60
    )
    assert check.valid and list(check.inputs) == ["Plan!A1", "Plan!A2"]


def test_bad_workbooks_are_field_violations(stub):
    import grpc
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    for data, cells, field in (
        (b"not a workbook", [], "workbook"),
        (_workbook_bytes(), ["Plan!Z99"], "outputs[0]"),
    ):
        request = pb.SimulateRequest(
            workbook=data, iterations=10, output_cells=cells
        )
        with pytest.raises(grpc.RpcError) as raised:
            stub.Simulate(request, timeout=30)
        bad = error_details_pb2.BadRequest()
        rpc_status.from_call(raised.value).details[0].Unpack(bad)

        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in bad.field_violations] == [field]
