"""The `mcengine` command: output shapes, exit statuses, --target."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mcengine.cli import main
from tests.service.server_process import ROOT, ServerProcess

EXAMPLES = ROOT / "examples"
NPV = EXAMPLES / "npv_normal_cashflows.json"
OPTIONS = EXAMPLES / "black_scholes_call.json"
BAD = {
    "cells": {"z": "=RiskNormal(0, 1)", "y": "=z +", "w": "=(z * 2"},
    "outputs": ["y", "w"],
}


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def strict_json(text: str):
    """Parse as standard JSON: NaN and Infinity are refused."""

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def bad_model(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD))
    return path


@pytest.fixture(scope="module")
def server():
    process = ServerProcess()
    process.wait_ready()
    yield process
    process.close()


def test_simulate_json_has_the_documented_shape(capsys):
    """--json prints one document: iterations, seed, per-output stats."""
    status, out, _ = run(
        capsys, "simulate", NPV, "--json", "--iterations", "5000",
        "--seed", "11", "--percentiles", "5,50,95",
    )  # fmt: skip
    document = strict_json(out)
    npv = document["outputs"]["npv"]

    assert status == 0
    assert (document["iterations"], document["seed"]) == (5000, 11)
    assert list(document["outputs"]) == ["npv", "positive"]
    assert set(npv) >= {"mean", "std", "min", "max", "percentiles"}
    assert list(npv["percentiles"]) == ["5", "50", "95"]
    assert npv["errors"] == 0
    assert set(npv["sensitivity"]) == {"year1", "year2", "year3", "year4"}
    assert all(
        set(s)
        == {"spearman", "connected", "srrc", "contribution", "bin_means"}
        for s in npv["sensitivity"].values()
    )


@pytest.mark.parametrize("method", ["antithetic", "lhs"])
def test_simulate_takes_a_sampling_method(capsys, method):
    """--sampling reaches the engine and the document says which it was;
    the table's first line names it too."""
    args = ["simulate", NPV, "--iterations", "2000", "--seed", "3"]
    status, out, _ = run(capsys, *args, "--json", "--sampling", method)
    assert status == 0
    assert strict_json(out)["sampling"] == method
    status, out, _ = run(capsys, *args, "--sampling", method)
    assert f"2,000 iterations ({method})" in out.splitlines()[0]


def test_simulate_reports_targets_and_tail_risks(capsys):
    """--targets, --risk-levels and --confidence reach the document, and
    the table gains a line per output for each."""
    args = ["simulate", NPV, "--iterations", "3000", "--seed", "3",
            "--targets", "0,1000", "--risk-levels", "5,95",
            "--confidence", "0.9"]  # fmt: skip
    status, out, _ = run(capsys, *args, "--json")
    npv = strict_json(out)["outputs"]["npv"]
    assert status == 0
    assert set(npv["targets"]) == {"0", "1000"}
    assert set(npv["tail_risks"]) == {"5", "95"}
    assert strict_json(out)["confidence"] == 0.9
    status, out, _ = run(capsys, *args)
    assert "P(<=0)" in out and "CVaR95" in out


def test_simulate_stops_when_converged(capsys):
    """--converge with --tolerance and --every: fewer iterations than the
    maximum, and the table's second line gives the reason."""
    args = [
        "simulate",
        NPV,
        "--iterations",
        "1000000",
        "--seed",
        "3",
        "--converge",
        "mean",
        "--tolerance",
        "0.05",
        "--every",
        "5000",
    ]
    status, out, _ = run(capsys, *args, "--json")
    document = strict_json(out)
    assert status == 0
    assert document["convergence"]["converged"]
    assert document["iterations"] < 1_000_000
    status, out, _ = run(capsys, *args)
    assert out.splitlines()[1].startswith("converged:")


def test_simulate_prints_each_simtable_simulation(capsys, tmp_path):
    path = tmp_path / "table.json"
    path.write_text(json.dumps({
        "cells": {"rate": "=RiskSimtable({0.05, 0.1})",
                  "cash": "=RiskNormal(100, 10)",
                  "value": "=cash / (1 + rate)"},
        "outputs": ["value"],
    }))  # fmt: skip
    status, out, _ = run(capsys, "simulate", path, "--iterations", "2000")
    assert status == 0
    assert "Simulation 1 of 2" in out and "Simulation 2 of 2" in out
    status, out, _ = run(capsys, "simulate", path, "--iterations", "2000",
                         "--json")  # fmt: skip
    assert len(strict_json(out)["simulations"]) == 2


def test_simulate_json_is_standard_json_even_with_nan(capsys):
    """Undefined statistics (a constant output's Spearman) print as null."""
    status, out, _ = run(capsys, "simulate", OPTIONS, "--json", "--seed", "1")

    assert status == 0
    assert strict_json(out)["outputs"]["call"]["mean"] > 0


def test_simulate_table_lists_each_output(capsys):
    """The default table shows every output, percentiles and top inputs."""
    status, out, _ = run(
        capsys, "simulate", NPV, "--seed", "3", "--percentiles", "5,95"
    )
    header = out.splitlines()[2].split()

    assert status == 0
    assert header == ["output", "mean", "std", "min", "max", "P5", "P95",
                      "errors"]  # fmt: skip
    assert out.splitlines()[3].startswith("npv")
    assert "Top inputs by Spearman rank correlation:" in out
    assert "year4" in out


def test_validate_describes_a_good_model(capsys):
    """validate prints inputs, outputs and the estimated time; exit 0."""
    status, out, _ = run(capsys, "validate", NPV, "--iterations", "100000")

    assert status == 0
    assert "valid" in out and "year1, year2, year3, year4" in out
    assert "estimated time for 100,000 iterations" in out


def test_validate_json_of_a_bad_model_exits_one(capsys, bad_model):
    """validate --json reports each violation and exits 1."""
    status, out, _ = run(capsys, "validate", bad_model, "--json")
    document = strict_json(out)

    assert status == 1
    assert document["valid"] is False
    fields = [e["field"] for e in document["errors"]]
    assert fields == ["cells.y", "cells.w"]


def test_bad_model_exits_one_with_each_violation(capsys, bad_model):
    """A bad model: status 1, one stderr line per violation, no trace."""
    status, out, err = run(capsys, "simulate", bad_model)
    lines = err.splitlines()

    assert status == 1 and out == ""
    assert lines[0] == f"mcengine: invalid model {bad_model}:"
    assert len(lines) >= 3 and all(x.startswith("  ") for x in lines[1:])
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content, message",
    [(None, "cannot read"), ("{not json", "not valid JSON")],
)
def test_unusable_file_exits_one(capsys, tmp_path, content, message):
    """A missing file or one that is not JSON: status 1 and why."""
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content)
    status, _, err = run(capsys, "simulate", path)

    assert status == 1
    assert message in err and str(path) in err


@pytest.mark.parametrize(
    "args",
    [
        ["simulate"],
        ["simulate", "m.json", "--iterations", "0"],
        ["simulate", "m.json", "--percentiles", "5,150"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_two(capsys, args):
    """Missing or malformed arguments end with status 2 and usage."""
    with pytest.raises(SystemExit) as ended:
        main(args)

    assert ended.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_bad_configuration_exits_two(capsys, monkeypatch):
    """serve with an unusable MCENGINE_* value names it; status 2."""
    monkeypatch.setenv("MCENGINE_PORT", "not-a-port")
    status, _, err = run(capsys, "serve")

    assert status == 2
    assert "MCENGINE_PORT" in err


def test_real_process_prints_no_traceback(bad_model):
    """Run as a program, a user error still ends with a message only."""
    done = subprocess.run(
        [sys.executable, "-m", "mcengine.cli", "simulate", str(bad_model)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert done.stderr.startswith("mcengine: invalid model")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_target_gives_the_same_document_as_in_process(capsys, server):
    """simulate --target prints what the in-process run prints."""
    args = ["simulate", NPV, "--json", "--seed", "5", "--threads", "1"]
    _, here, _ = run(capsys, *args)
    status, there, _ = run(capsys, *args, "--target", server.target)
    local, remote = strict_json(here), strict_json(there)
    local.pop("elapsed_seconds"), remote.pop("elapsed_seconds")

    assert status == 0
    assert remote == local


@pytest.mark.slow
def test_target_reports_a_bad_model_like_in_process(capsys, server, bad_model):
    """Over gRPC, a bad model still exits 1 with its violations."""
    status, _, err = run(capsys, "simulate", bad_model, "--target",
                         server.target)  # fmt: skip
    _, _, here = run(capsys, "simulate", bad_model)

    assert status == 1
    assert err == here


@pytest.mark.slow
def test_validate_over_target(capsys, server):
    """validate --target --json equals the in-process document's facts."""
    status, out, _ = run(
        capsys, "validate", NPV, "--json", "--target", server.target
    )
    document = strict_json(out)

    assert status == 0 and document["valid"] is True
    assert document["inputs"] == ["year1", "year2", "year3", "year4"]


def test_correlated_model_table_and_json_show_target_beside_achieved(capsys):
    path = EXAMPLES / "correlated_costs.json"
    status, out, _ = run(capsys, "simulate", path, "--iterations", "20000",
                         "--seed", "3")  # fmt: skip
    assert status == 0
    assert "Correlation group 1 (achieved over the first 20,000" in out
    assert "labour ~ materials: target 0.6000, achieved 0." in out

    status, out, _ = run(capsys, "simulate", path, "--iterations", "20000",
                         "--seed", "3", "--json")  # fmt: skip
    (group,) = strict_json(out)["correlations"]
    assert group["inputs"] == ["labour", "materials", "subcontract"]
    assert abs(group["achieved"][0][1] - 0.6) <= 0.02  # > 4 se at n = 20,000


def test_correlated_model_over_grpc_matches_in_process(capsys, server):
    path = EXAMPLES / "correlated_costs.json"
    args = ("simulate", path, "--iterations", "8192", "--seed", "3", "--json")
    _, local, _ = run(capsys, *args)
    _, remote, _ = run(capsys, *args, "--target", server.target)

    assert (
        strict_json(local)["correlations"]
        == strict_json(remote)["correlations"]
    )


def _write_book(tmp_path, cached_b1: float):
    from tests.model.xlsx_files import formula, make_xlsx, number

    data = make_xlsx(
        {
            "S": {
                "A1": number(2),
                "B1": formula("A1 * 21", cached_b1),
                "C1": formula("RiskOutput() + RiskNormal(B1, 1)", 42.0),
            }
        }
    )
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return path


def test_workbook_simulate_and_validate(capsys, tmp_path):
    path = _write_book(tmp_path, 42.0)
    status, out, _ = run(capsys, "simulate", path, "--iterations", "2000",
                         "--seed", "1", "--json")  # fmt: skip
    assert status == 0 and list(strict_json(out)["outputs"]) == ["S!C1"]

    status, out, _ = run(capsys, "simulate", path, "--outputs", "B1",
                         "--iterations", "10", "--json")  # fmt: skip
    assert strict_json(out)["outputs"]["S!B1"]["mean"] == 42

    status, out, _ = run(capsys, "validate", path, "--json")
    document = strict_json(out)
    assert (
        status == 0 and document["matched"] == 2 == document["cells_checked"]
    )


def test_workbook_validate_fails_on_a_mismatch(capsys, tmp_path):
    path = _write_book(tmp_path, 41.0)
    status, out, _ = run(capsys, "validate", path)

    assert status == 1
    assert "mismatch S!B1: Excel 41.0, engine 42.0" in out


def test_workbook_over_grpc_matches_in_process(capsys, server, tmp_path):
    path = _write_book(tmp_path, 42.0)
    args = ("simulate", path, "--iterations", "500", "--seed", "3", "--json")
    _, local, _ = run(capsys, *args)
    _, remote, _ = run(capsys, *args, "--target", server.target)

    assert strict_json(local)["outputs"] == strict_json(remote)["outputs"]


def test_table_with_inputs_disconnected_from_an_output(capsys):
    """The README's quickstart model: cost depends on neither price nor
    units, whose Spearman is then null; the table lists the others."""
    status, out, err = run(capsys, "simulate", EXAMPLES / "r1_margin.json",
                           "--iterations", "2000", "--seed", "1")  # fmt: skip
    assert status == 0, err
    cost_line = next(
        line for line in out.splitlines() if line.startswith("  cost")
    )
    assert "price" not in cost_line and "labour" in cost_line


def test_old_excel_formats_get_a_clear_message(capsys, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    status, _, err = run(capsys, "simulate", path)
    assert status == 1 and "only .xlsx and .xlsm" in err
