"""Between the proto messages and the engine's own types.

Requests become what mcengine.engine.simulate() takes: a model as a dict
(from structured messages) or as JSON text (passed through unchanged, so
the engine reports JSON errors itself). Results become SimulateResponse,
and a SimulateResponse becomes the dict shape of Result.to_dict(), so the
CLI prints the same document whether it ran in-process or over gRPC.
"""

from __future__ import annotations

import math

from mcengine.engine.result import driver_entry, number_key
from mcengine.model.errors import ModelError, Violation
from mcengine.model.loader import parse_json
from mcengine.model.workbook import WorkbookSource
from mcengine.service.request import SAMPLING_NAMES
from mcengine.v1 import simulator_pb2 as pb

SAMPLING_NUMBERS = {name: number for number, name in SAMPLING_NAMES.items()}


def model_source(request) -> dict | WorkbookSource:
    """The model of a Simulate or ValidateModel request: a dict, or a
    workbook for the compiler to read."""
    which = request.WhichOneof("source")
    if which == "model_json":
        return _parse_json(request.model_json)
    if which == "workbook":
        return WorkbookSource(
            bytes(request.workbook), tuple(request.output_cells)
        )
    if which == "model":
        return model_dict(request.model)

    raise ModelError.single(
        "model", "no model given: set model, model_json or workbook"
    )


def _parse_json(text: str) -> dict:
    # Parsed here rather than handed to the engine as text: the engine
    # also accepts a file path as a string, and a client must never make
    # the server open a file.
    document = parse_json(text, field="model_json")
    if not isinstance(document, dict):
        description = 'a model is a JSON object: {"cells": ..., ...}'
        raise ModelError.single("model_json", description)

    return document


def model_dict(model: pb.Model) -> dict:
    """The JSON form of a structured model; ModelError for a bad cell."""
    cells: dict[str, float | str] = {}
    violations = []
    for index, cell in enumerate(model.cells):
        value, problem = _cell_value(cell)
        if problem is None and cell.name in cells:
            problem = f"{cell.name!r} is defined twice"
        if problem is None:
            cells[cell.name] = value
        else:
            violations.append(Violation(f"cells[{index}]", problem))
    if violations:
        raise ModelError(violations)

    document: dict = {"cells": cells, "outputs": list(model.outputs)}
    if model.name:
        document["name"] = model.name
    if model.percentiles:
        document["percentiles"] = list(model.percentiles)
    if model.correlations:
        document["correlations"] = [
            _correlation_dict(g, k) for k, g in enumerate(model.correlations)
        ]

    return document


def _correlation_dict(group: pb.Correlation, index: int) -> dict:
    """A Correlation as the JSON form's group: its flat matrix in rows."""
    d = len(group.inputs)
    if len(group.matrix) != d * d:
        raise ModelError.single(
            f"correlations[{index}].matrix",
            f"has {len(group.matrix)} entries; {d} inputs need {d} x {d} = "
            f"{d * d}, row by row",
        )
    values = list(group.matrix)
    return {
        "inputs": list(group.inputs),
        "matrix": [values[r * d : (r + 1) * d] for r in range(d)],
        "repair": group.repair,
    }


def _flat(matrix) -> list[float]:
    return [float(v) for row in (matrix or []) for v in row]


def _rows(values, d: int) -> list[list[float]] | None:
    values = list(values)
    if not values:
        return None
    return [values[r * d : (r + 1) * d] for r in range(d)]


def _cell_value(cell: pb.Cell) -> tuple[float | str | None, str | None]:
    """The cell's JSON value and None, or None and what is wrong."""
    which = cell.WhichOneof("value")
    if which == "number":
        return cell.number, None
    if which == "formula":
        text = cell.formula
        return (text if text.startswith("=") else "=" + text), None
    if which == "text" and cell.text.startswith("="):
        # In the JSON form a leading "=" marks a formula, so such a text
        # has no equivalent there.
        return None, "a text value may not start with '='"
    if which == "text":
        return cell.text, None

    return None, "no value: set number, formula or text"


def simulate_response(result, version: str) -> pb.SimulateResponse:
    """The reply for an engine Result (mcengine.engine.result.Result)."""
    return pb.SimulateResponse(
        outputs=[_output(stats) for stats in result.outputs.values()],
        iterations=result.iterations,
        seed=result.seed,
        threads=result.threads,
        elapsed_seconds=result.elapsed_seconds,
        sensitivity_iterations=result.sensitivity_iterations,
        server_version=version,
        sampling=SAMPLING_NUMBERS[result.sampling],
        confidence=result.confidence,
        convergence=_convergence(result.convergence),
        warnings=list(result.warnings),
        correlations=[
            pb.CorrelationReport(
                inputs=g["inputs"],
                target=_flat(g["target"]),
                applied=_flat(g["applied"]),
                repaired=g["repaired"],
                largest_change=g["largest_change"],
                smallest_eigenvalue=g["smallest_eigenvalue"],
                achieved=_flat(g["achieved"]),
                achieved_iterations=g["achieved_iterations"],
            )
            for g in result.correlations
        ],
        simulations=[
            pb.Simulation(
                simulation=k,
                iterations=r.iterations,
                elapsed_seconds=r.elapsed_seconds,
                outputs=[_output(stats) for stats in r.outputs.values()],
                convergence=_convergence(r.convergence),
            )
            for k, r in enumerate(result.simulations, start=1)
        ],
    )


def _convergence(report: dict | None) -> pb.ConvergenceReport | None:
    if report is None:
        return None
    return pb.ConvergenceReport(
        converged=report["converged"],
        iterations=report["iterations"],
        checks=report["checks"],
        reason=report["reason"],
    )


def _output(stats) -> pb.OutputStats:
    return pb.OutputStats(
        name=stats.name,
        mean=stats.mean,
        std=stats.std,
        min=stats.min,
        max=stats.max,
        skewness=stats.skewness,
        kurtosis=stats.kurtosis,
        sem=stats.sem,
        valid=stats.valid,
        errors=stats.errors,
        percentiles=[
            pb.Percentile(
                percentile=p,
                value=v,
                ci_lower=stats.percentile_cis[p][0],
                ci_upper=stats.percentile_cis[p][1],
            )
            for p, v in sorted(stats.percentiles.items())
        ],
        mean_ci_lower=stats.mean_ci[0],
        mean_ci_upper=stats.mean_ci[1],
        targets=[
            pb.TargetProbability(target=t, p_at_most=le, p_above=gt)
            for t, (le, gt) in stats.targets.items()
        ],
        tail_risks=[
            pb.TailRisk(level=level, var=var, cvar=cvar)
            for level, (var, cvar) in stats.tail_risks.items()
        ],
        mode=stats.mode,
        histogram=pb.Histogram(
            edges=list(stats.histogram.edges),
            counts=list(stats.histogram.counts),
        ),
        sensitivity=[
            pb.Sensitivity(
                input=name,
                spearman=r,
                disconnected=name in stats.disconnected,
                srrc=stats.srrc.get(name, math.nan),
                contribution=stats.contribution.get(name, math.nan),
                bin_means=stats.bin_means.get(name, []),
            )
            for name, r in stats.sensitivity.items()
        ],
        sensitivity_r_squared=stats.r_squared,
    )


def response_dict(response: pb.SimulateResponse) -> dict:
    """The Result.to_dict() document for a SimulateResponse."""
    return {
        "iterations": response.iterations,
        "seed": response.seed,
        "sampling": SAMPLING_NAMES[response.sampling],
        "confidence": response.confidence,
        "threads": response.threads,
        "elapsed_seconds": response.elapsed_seconds,
        "sensitivity_iterations": response.sensitivity_iterations,
        "outputs": {o.name: _output_dict(o) for o in response.outputs},
        **_convergence_dict(response),
        **_simulations_dict(response),
        **({"warnings": list(response.warnings)} if response.warnings else {}),
        **_correlations_dict(response),
    }


def _correlations_dict(response: pb.SimulateResponse) -> dict:
    if not response.correlations:
        return {}
    groups = []
    for g in response.correlations:
        d = len(g.inputs)
        groups.append(
            {
                "inputs": list(g.inputs),
                "target": _rows(g.target, d),
                "applied": _rows(g.applied, d),
                "repaired": g.repaired,
                "largest_change": g.largest_change,
                "smallest_eigenvalue": g.smallest_eigenvalue,
                "achieved": _rows(g.achieved, d),
                "achieved_iterations": g.achieved_iterations,
            }
        )
    return {"correlations": groups}


def _simulations_dict(response: pb.SimulateResponse) -> dict:
    if not response.simulations:
        return {}
    return {
        "simulations": [
            {
                "iterations": sim.iterations,
                "elapsed_seconds": sim.elapsed_seconds,
                "outputs": {o.name: _output_dict(o) for o in sim.outputs},
                **_convergence_dict(sim),
            }
            for sim in response.simulations
        ]
    }


def _convergence_dict(response: pb.SimulateResponse) -> dict:
    """The report's summary, as the document carries it (the per-statistic
    detail stays in process)."""
    if not response.HasField("convergence"):
        return {}
    report = response.convergence
    return {
        "convergence": {
            "converged": report.converged,
            "iterations": report.iterations,
            "checks": report.checks,
            "reason": report.reason,
        }
    }


def _output_dict(output: pb.OutputStats) -> dict:
    return {
        "mean": output.mean,
        "std": output.std,
        "min": output.min,
        "max": output.max,
        "skewness": output.skewness,
        "kurtosis": output.kurtosis,
        "sem": output.sem,
        "valid": output.valid,
        "errors": output.errors,
        "percentiles": {
            number_key(p.percentile): p.value for p in output.percentiles
        },
        "histogram": {
            "edges": list(output.histogram.edges),
            "counts": list(output.histogram.counts),
        },
        "sensitivity": {s.input: _driver(s) for s in output.sensitivity},
        "sensitivity_r_squared": output.sensitivity_r_squared,
        "mean_ci": [output.mean_ci_lower, output.mean_ci_upper],
        "percentile_ci": {
            number_key(p.percentile): [p.ci_lower, p.ci_upper]
            for p in output.percentiles
        },
        "targets": {
            number_key(t.target): {
                "p_at_most": t.p_at_most,
                "p_above": t.p_above,
            }
            for t in output.targets
        },
        "tail_risks": {
            number_key(r.level): {"var": r.var, "cvar": r.cvar}
            for r in output.tail_risks
        },
        "mode": output.mode if output.HasField("mode") else None,
    }


def _driver(s: pb.Sensitivity) -> dict:
    """The entry OutputStats.to_dict() gives an input."""
    if s.disconnected:
        return driver_entry(None)
    return driver_entry(s.spearman, s.srrc, s.contribution, s.bin_means)


def validation_document(compiled, violations, iterations, threads) -> dict:
    """What validation found, as `mcengine validate --json` prints it.

    compiled: the CompiledModel, or None when the model did not compile.
    """
    valid = compiled is not None and not violations
    document = {
        "valid": valid,
        "errors": [
            {"field": v.field, "description": v.description}
            for v in violations
        ],
        "name": compiled.name if valid else None,
        "inputs": list(compiled.inputs) if valid else [],
        "outputs": list(compiled.outputs) if valid else [],
        "cell_count": compiled.cell_count if valid else 0,
        "instruction_count": compiled.instruction_count if valid else 0,
        "iterations": iterations,
        "threads": threads,
        "estimated_seconds": 0.0,
    }
    if valid:
        seconds = compiled.estimate_seconds(iterations, threads)
        document["estimated_seconds"] = seconds

    return document


def validation_response(document: dict) -> pb.ValidateModelResponse:
    """The reply for a validation_document()."""
    fields = dict(document, name=document["name"] or "")
    fields["errors"] = [pb.FieldViolation(**e) for e in document["errors"]]

    return pb.ValidateModelResponse(**fields)


def validation_dict(reply: pb.ValidateModelResponse) -> dict:
    """The validation_document() that a ValidateModelResponse carries."""
    return {
        "valid": reply.valid,
        "errors": [
            {"field": e.field, "description": e.description}
            for e in reply.errors
        ],
        "name": reply.name or None,
        "inputs": list(reply.inputs),
        "outputs": list(reply.outputs),
        "cell_count": reply.cell_count,
        "instruction_count": reply.instruction_count,
        "iterations": reply.iterations,
        "threads": reply.threads,
        "estimated_seconds": reply.estimated_seconds,
    }


def finite_or_none(value):
    """Numbers that JSON cannot hold (NaN, infinities) become None, deeply."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]

    return value
