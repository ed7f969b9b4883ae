"""The `mcengine` command: serve, simulate, validate.

    mcengine serve [--port 50051] [--http-port 8000] [--threads N] ...
    mcengine simulate MODEL.json|BOOK.xlsx [--outputs 'Sheet1!B7,...']
                     [--target HOST:PORT] [--iterations N]
                     [--seed S] [--threads T] [--percentiles 5,50,95]
                     [--sampling mc|antithetic|lhs|sobol] [--targets T1,T2]
                     [--risk-levels 5,95] [--confidence C]
                     [--converge mean,p95 [--tolerance X] [--absolute]
                      [--every K]] [--json]
    mcengine validate MODEL.json [--target HOST:PORT] [--iterations N] [--json]
    mcengine validate BOOK.xlsx [--json]   (every formula against Excel's
                     cached value; exit status 1 when any differs)

simulate and validate run in-process, or on a server with --target; the
output is the same either way. Exit status: 0 on success, 1 for a bad or
unreadable model, a failed call or an invalid model (validate), 2 for a
usage or configuration error. User errors print a message, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from mcengine import __version__
from mcengine.config import Config, ConfigError
from mcengine.model.errors import LimitError, ModelError, Violation

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_ITERATIONS = 10_000
# In-process runs expected to take longer than this show a progress bar.
PROGRESS_AFTER_SECONDS = 1.0
TOP_SENSITIVITIES = 3


class UserError(Exception):
    """Something the user can fix (a path, a file's content); no traceback."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        return _fail(str(error), status=EXIT_USAGE)
    except ModelError as error:
        return _fail(f"invalid model {args.model}:", error.violations)
    except (UserError, LimitError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130


def _fail(message: str, violations=(), status: int = EXIT_FAILED) -> int:
    lines = [f"mcengine: {message}"]
    lines += [f"  {v.field}: {v.description}" for v in violations]
    print("\n".join(lines), file=sys.stderr)

    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcengine",
        description="Monte Carlo simulation of spreadsheet risk models.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    _serve_parser(commands)
    _simulate_parser(commands)
    _validate_parser(commands)

    return parser


def _serve_parser(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the gRPC server",
        description="Serve gRPC (and HTTP /metrics, /health, /ready) until "
        "SIGTERM or SIGINT, then drain. Flags override MCENGINE_* "
        "variables, which override the defaults.",
    )
    serve.add_argument("--host", help="address to bind (0.0.0.0)")
    serve.add_argument("--port", type=int, help="gRPC port (50051; 0: any)")
    serve.add_argument("--http-port", type=int, help="HTTP port (8000)")
    serve.add_argument("--threads", type=int, help="threads per run (all)")
    serve.add_argument("--colour", help="deployment colour, e.g. blue")
    serve.add_argument("--grace-seconds", type=float, help="drain time (20)")
    serve.add_argument(
        "--max-concurrent", type=int, help="simulations at once (cores)"
    )
    serve.add_argument(
        "--max-queued", type=int, help="requests waiting for a slot (cores)"
    )
    serve.add_argument(
        "--queue-seconds", type=float, help="longest wait for a slot (1)"
    )
    serve.add_argument("--max-iterations", type=int)
    serve.add_argument("--log-format", choices=("json", "console"))
    serve.add_argument("--log-level")
    serve.set_defaults(run=_serve, model=None)


def _simulate_parser(commands) -> None:
    simulate = commands.add_parser(
        "simulate", help="run a model and print its statistics"
    )
    _model_arguments(simulate)
    simulate.add_argument("--seed", type=_seed, help="random seed")
    simulate.add_argument(
        "--threads", type=_count(0), default=0, help="0: all cores"
    )
    simulate.add_argument(
        "--percentiles",
        type=_percentiles,
        help="comma-separated, e.g. 5,50,95 (default: the model's)",
    )
    simulate.add_argument(
        "--targets",
        type=_numbers,
        help="comma-separated values t for P(X <= t) and P(X > t)",
    )
    simulate.add_argument(
        "--risk-levels",
        type=_numbers,
        help="comma-separated percent levels for VaR and CVaR, e.g. 5,95",
    )
    simulate.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        help="of the mean's and percentiles' intervals (0.95)",
    )
    simulate.add_argument(
        "--converge",
        type=lambda text: [part.strip() for part in text.split(",")],
        metavar="STATS",
        help="stop once these are within --tolerance, e.g. mean,std,p95 "
        "(--iterations is then the maximum)",
    )
    simulate.add_argument(
        "--tolerance",
        type=float,
        default=0.01,
        help="allowed half-width of each interval: relative (0.01 = 1%%) "
        "unless --absolute",
    )
    simulate.add_argument(
        "--absolute",
        action="store_true",
        help="--tolerance is in the outputs' own units",
    )
    simulate.add_argument(
        "--every",
        type=_count(2),
        default=10_000,
        help="iterations between convergence checks (10000)",
    )
    simulate.add_argument(
        "--sampling",
        choices=("mc", "antithetic", "lhs", "sobol"),
        default="mc",
        help="mc (default), antithetic pairs, lhs (Latin hypercube) or "
        "sobol (scrambled Sobol points)",
    )
    simulate.set_defaults(run=_simulate)


def _validate_parser(commands) -> None:
    validate = commands.add_parser(
        "validate", help="check a model without running it"
    )
    _model_arguments(validate)
    validate.set_defaults(run=_validate)


def _model_arguments(command) -> None:
    command.add_argument("model", metavar="MODEL.json|BOOK.xlsx")
    command.add_argument(
        "--outputs",
        type=lambda text: [p.strip() for p in text.split(",") if p.strip()],
        default=[],
        help="a workbook's output cells, e.g. 'Sheet1!B7,Sheet1!C7' "
        "(default: the cells with RiskOutput())",
    )
    command.add_argument("--target", metavar="HOST:PORT", help="a server")
    command.add_argument(
        "--iterations", type=_count(1), default=DEFAULT_ITERATIONS
    )
    command.add_argument("--json", action="store_true", help="print JSON")


def _count(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            message = f"not a whole number: {text!r}"
            raise argparse.ArgumentTypeError(message) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}")
        return value

    return parse


def _seed(text: str) -> int:
    value = _count(0)(text)
    if value >= 2**64:
        raise argparse.ArgumentTypeError("must be below 2**64")

    return value


def _convergence(args) -> dict | None:
    if not args.converge:
        return None
    return {
        "statistics": args.converge,
        "tolerance": args.tolerance,
        "relative": not args.absolute,
        "confidence": args.confidence,
        "every": args.every,
    }


def _numbers(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        message = f"not numbers: {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def _percentiles(text: str) -> list[float]:
    values = _numbers(text)
    if not all(0 <= p <= 100 for p in values):
        raise argparse.ArgumentTypeError("each must be in [0, 100]")

    return values


def _serve(args) -> int:
    from mcengine import logging as mc_logging
    from mcengine.service import process

    config = Config.from_env().replace(
        host=args.host,
        port=args.port,
        http_port=args.http_port,
        threads=args.threads,
        colour=args.colour,
        grace_seconds=args.grace_seconds,
        max_concurrent=args.max_concurrent,
        max_queued=args.max_queued,
        queue_seconds=args.queue_seconds,
        max_iterations=args.max_iterations,
        log_format=args.log_format,
        log_level=args.log_level,
    )
    mc_logging.configure(config.log_format, config.log_level)
    try:
        return process.serve(config)
    except (OSError, RuntimeError) as error:
        # Binding a port that is taken or not ours; nothing started yet.
        ports = f"gRPC {config.host}:{config.port}, HTTP {config.http_port}"
        raise UserError(f"cannot listen ({ports}): {error}") from None


def _simulate(args) -> int:
    text = _read(args.model)
    if args.target:
        document = _remote(
            "simulate",
            args.target,
            text,
            args.iterations,
            output_cells=tuple(args.outputs),
            seed=args.seed,
            threads=args.threads,
            percentiles=args.percentiles,
            sampling=args.sampling,
            targets=args.targets,
            risk_levels=args.risk_levels,
            confidence=args.confidence,
            convergence=_convergence(args),
        )
    else:
        document = _simulate_here(args, _model(args, text))
    for warning in document.get("warnings", []):
        print(f"mcengine: warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json(document)
    else:
        print(_table(args.model, document))

    return EXIT_OK


def _simulate_here(args, model) -> dict:
    from mcengine.engine import simulate
    from mcengine.model import compile_model

    compiled = compile_model(model)
    threads = args.threads or os.cpu_count() or 1
    seconds = compiled.estimate_seconds(args.iterations, threads)
    progress = None
    if sys.stderr.isatty() and seconds >= PROGRESS_AFTER_SECONDS:
        progress = _ProgressBar(sys.stderr)
    result = simulate(
        compiled,
        iterations=args.iterations,
        seed=args.seed,
        percentiles=args.percentiles,
        threads=args.threads,
        progress=progress,
        sampling=args.sampling,
        targets=args.targets or (),
        risk_levels=args.risk_levels or (),
        confidence=args.confidence,
        convergence=_convergence(args),
    )

    return result.to_dict()


def _validate(args) -> int:
    text = _read(args.model)
    if isinstance(text, bytes) and not args.target:
        return _check_workbook(args, text)
    if args.target:
        document = _remote(
            "validate",
            args.target,
            text,
            args.iterations,
            output_cells=tuple(args.outputs),
        )
    else:
        document = _validate_here(_model(args, text), args.iterations)
    if args.json:
        _print_json(document)
    else:
        print(_validation_text(args.model, document))

    return EXIT_OK if document["valid"] else EXIT_FAILED


def _check_workbook(args, data: bytes) -> int:
    """A workbook's formulas against the values Excel cached."""
    from mcengine.model import check_workbook

    document = check_workbook(data)
    if args.json:
        _print_json(document)
    else:
        print(_check_text(args.model, document))
    return EXIT_FAILED if document["mismatches"] else EXIT_OK


def _check_text(path: str, document: dict) -> str:
    summary = (
        f"{path}: {document['matched']:,} of {document['cells_checked']:,} "
        "formula cells match Excel's cached values"
    )
    lines = [summary]
    for m in document["mismatches"]:
        lines.append(
            f"  mismatch {m['cell']}: Excel {m['excel']!r}, "
            f"engine {m['engine']!r}"
        )
    for u in document["unsupported"]:
        lines.append(
            f"  unsupported {u['cell']}: {u['function'] or u['reason']}"
        )
    for c in document["cycles"]:
        lines.append("  circular: " + " -> ".join(c + [c[0]]))
    for s in document["skipped"]:
        lines.append(f"  skipped {s['cell']}: {s['reason']}")
    return "\n".join(lines)


def _validate_here(model, iterations: int) -> dict:
    from mcengine.model import compile_model
    from mcengine.service.convert import validation_document

    threads = os.cpu_count() or 1
    compiled, violations = None, []
    try:
        compiled = compile_model(model)
    except ModelError as error:
        violations = error.violations
    except LimitError as error:
        violations = [Violation(error.field, error.description)]

    return validation_document(compiled, violations, iterations, threads)


def _remote(method: str, target: str, *args, **kwargs) -> dict:
    from mcengine.service import client

    try:
        return getattr(client, method)(target, *args, **kwargs)
    except client.RemoteError as error:
        if error.code == "INVALID_ARGUMENT" and error.violations:
            raise ModelError(error.violations) from None
        lines = [f"{target}: {error.code}: {error.details}"]
        lines += [f"  {v.field}: {v.description}" for v in error.violations]
        raise UserError("\n".join(lines)) from None


def _read(path: str) -> str | bytes:
    """A model file's text, or a workbook's bytes (.xlsx, .xlsm)."""
    if Path(path).suffix.lower() in (".xls", ".xlsb", ".ods"):
        raise UserError(
            f"cannot read {path}: only .xlsx and .xlsm workbooks are read; "
            "save it as .xlsx"
        )
    try:
        if _is_workbook_path(path):
            return Path(path).read_bytes()
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UserError(f"cannot read {path}: {reason}") from None


def _is_workbook_path(path: str) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def _model(args, text: str | bytes):
    """What compile_model takes: a workbook source, or a JSON dict."""
    from mcengine.model import WorkbookSource

    if isinstance(text, bytes):
        return WorkbookSource(text, tuple(args.outputs))
    return _parse(args.model, text)


def _parse(path: str, text: str) -> dict:
    try:
        model = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        message = f"{path}: not valid JSON: {error.msg} at {where}"
        raise UserError(message) from None
    if not isinstance(model, dict):
        raise UserError(f"{path}: a model is a JSON object")

    return model


def _print_json(document: dict) -> None:
    from mcengine.service.convert import finite_or_none

    # NaN (e.g. the Spearman correlation of a constant output) is not
    # JSON; it is written as null.
    print(json.dumps(finite_or_none(document), indent=2))


def _table(path: str, document: dict) -> str:
    sampling = document.get("sampling", "mc")
    head = (
        f"{path}: {document['iterations']:,} iterations"
        f"{'' if sampling == 'mc' else f' ({sampling})'}, seed "
        f"{document['seed']}, {document['threads']} threads, "
        f"{document['elapsed_seconds']:.3f} s"
    )
    simulations = document.get("simulations") or [document]
    lines = [head]
    for k, sim in enumerate(simulations, start=1):
        if len(simulations) > 1:
            lines += ["", f"Simulation {k} of {len(simulations)} "
                      f"(RiskSimtable value {k}), {sim['iterations']:,} "
                      "iterations"]  # fmt: skip
        lines += _simulation_lines(sim)
    return "\n".join(lines + _correlation_lines(document))


def _correlation_lines(document: dict) -> list[str]:
    """Each correlated pair's target (and applied, when repaired) beside
    the rank correlation achieved."""
    lines = []
    for k, group in enumerate(document.get("correlations", [])):
        names, achieved = group["inputs"], group["achieved"]
        title = (
            f"Correlation group {k + 1} (achieved over the first "
            f"{group['achieved_iterations']:,} iterations):"
        )
        lines += ["", title]
        if group["repaired"]:
            lines.append(
                "  repaired to the nearest valid matrix; largest change "
                f"{group['largest_change']:.4f}"
            )
        for i in range(len(names)):
            for j in range(i):
                got = "-" if achieved is None else f"{achieved[i][j]:.4f}"
                lines.append(
                    f"  {names[j]} ~ {names[i]}: target "
                    f"{group['applied'][i][j]:.4f}, achieved {got}"
                )
    return lines


def _simulation_lines(document: dict) -> list[str]:
    """One simulation's table, risk measures and top inputs."""
    outputs = document["outputs"]
    width = max([len("output"), *map(len, outputs)])
    keys = _percentile_keys(outputs)
    columns = ["mean", "std", "min", "max"] + [f"P{k}" for k in keys]
    rows = [_row("output", columns, "errors", width)]
    for name, stats in outputs.items():
        values = [stats[c] for c in columns[:4]]
        values += [stats["percentiles"].get(k) for k in keys]
        cells = [_number(v) for v in values]
        rows.append(_row(name, cells, str(stats["errors"]), width))
    lines = []
    if document.get("convergence"):
        lines.append(document["convergence"]["reason"])
    lines += ["", *rows, *_risk_lines(outputs, width)]
    lines += ["", "Top inputs by Spearman rank correlation:"]
    return lines + _sensitivities(outputs, width)


def _risk_lines(outputs: dict, width: int) -> list[str]:
    """P(X <= t) per target and VaR / CVaR per level, when asked for."""
    lines = []
    first = next(iter(outputs.values()), {})
    targets = list(first.get("targets", {}))
    if targets:
        columns = [f"P(<={t})" for t in targets]
        lines += ["", _row("output", columns, "", width)]
        for name, stats in outputs.items():
            cells = [
                _number(stats["targets"][t]["p_at_most"]) for t in targets
            ]
            lines.append(_row(name, cells, "", width))
    levels = list(first.get("tail_risks", {}))
    if levels:
        columns = [
            f"{kind}{level}" for level in levels for kind in ("VaR", "CVaR")
        ]
        lines += ["", _row("output", columns, "", width)]
        for name, stats in outputs.items():
            risks = stats["tail_risks"]
            cells = [
                _number(risks[level][kind])
                for level in levels
                for kind in ("var", "cvar")
            ]
            lines.append(_row(name, cells, "", width))
    return lines


def _row(name: str, cells: list[str], errors: str, width: int) -> str:
    middle = "".join(f"{c:>13}" for c in cells)
    return f"{name:<{width}}{middle}{errors:>9}"


def _percentile_keys(outputs: dict) -> list[str]:
    first = next(iter(outputs.values()), {"percentiles": {}})
    return sorted(first["percentiles"], key=float)


def _number(value) -> str:
    return "-" if value is None else f"{value:.6g}"


def _sensitivities(outputs: dict, width: int) -> list[str]:
    lines = []
    for name, stats in outputs.items():
        # Disconnected inputs have no Spearman (None), undefined ones NaN.
        ranked = [
            (r["spearman"], i)
            for i, r in stats["sensitivity"].items()
            if r["spearman"] is not None and math.isfinite(r["spearman"])
        ]
        ranked.sort(key=lambda item: -abs(item[0]))
        top = ranked[:TOP_SENSITIVITIES]
        shown = "  ".join(f"{i} {r:+.3f}" for r, i in top) or "(none)"
        lines.append(f"  {name:<{width}}  {shown}")

    return lines


def _validation_text(path: str, document: dict) -> str:
    if not document["valid"]:
        errors = document["errors"]
        lines = [f"  {e['field']}: {e['description']}" for e in errors]
        return "\n".join([f"{path}: invalid", *lines])

    name = f" ({document['name']})" if document["name"] else ""
    lines = [
        f"{path}: valid{name}",
        f"  inputs:  {', '.join(document['inputs']) or '(none)'}",
        f"  outputs: {', '.join(document['outputs'])}",
        f"  cells: {document['cell_count']}, instructions per iteration: "
        f"{document['instruction_count']}",
        f"  estimated time for {document['iterations']:,} iterations on "
        f"{document['threads']} threads: "
        f"{document['estimated_seconds']:.3g} s",
    ]

    return "\n".join(lines)


class _ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream, width: int = 30):
        self._stream = stream
        self._width = width
        self._last = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if now - self._last < 0.1 and not finished:
            return
        self._last = now
        filled = self._width * done // max(total, 1)
        bar = "#" * filled + " " * (self._width - filled)
        end = "\n" if finished else ""
        self._stream.write(f"\r[{bar}] {done:,}/{total:,}{end}")
        self._stream.flush()


if __name__ == "__main__":
    sys.exit(main())
