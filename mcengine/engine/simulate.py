"""simulate(): the public entry point for running a model.

Guarantees, for a given build:
- the same model, iterations and seed give bit-identical results whatever
  the thread count;
- a run of k iterations equals the first k iterations of any longer run
  with the same seed (prefix stability);
- statistics are float64, std uses n - 1, percentiles follow Excel's
  PERCENTILE.INC and are exact, and errors are counted, not hidden.

Sampling methods (SAMPLING; csrc/sampling.h has the definitions): "mc"
(independent uniforms), "antithetic" (iterations 2k and 2k + 1 take U and
1 - U) and "sobol" (scrambled Sobol points, input j the j-th coordinate),
all prefix-stable; and "lhs" (Latin hypercube: over a run of n iterations
each input takes each of n equal strata of (0, 1) exactly once, at a
uniform point within it), which depends on n, so its prefixes are not
shorter designs.

The core runs on its own threads without the GIL; this thread only
supervises: it forwards cancellation, enforces the deadline and reports
progress, waking every few tens of milliseconds.
"""

from __future__ import annotations

import math
import os
import secrets
import time
from dataclasses import dataclass, replace

import numpy as np

from mcengine import _core
from mcengine.engine.buffers import POOL
from mcengine.engine.convergence import Report as ConvergenceReport
from mcengine.engine.convergence import check as convergence_check
from mcengine.engine.convergence import converged as convergence_met
from mcengine.engine.convergence import parse as convergence_parse
from mcengine.engine.limits import Limits
from mcengine.engine.result import Result
from mcengine.engine.statistics import DEFAULT_CONFIDENCE, Measures, summarise
from mcengine.model import CompiledModel, LimitError, ModelError, compile_model
from mcengine.model.errors import STOP, CompileStopped
from mcengine.model.loader import check_percentiles

DEFAULT_PERCENTILES = (1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0)
SAMPLING: dict[str, int] = dict(_core.SAMPLING)
# The most targets, and the most risk levels, a run reports.
MAX_MEASURES = 100
SENSITIVITY_ITERATIONS = 100_000
# The kept inputs' values (8 bytes each) are at most this many: a model with
# more than 100 inputs keeps fewer iterations for sensitivity (20,000 inputs:
# 500), rather than gigabytes.
KEPT_INPUT_VALUES = 10_000_000
# More threads than this per core only add switching, and each thread
# holds a register file.
MAX_THREADS_PER_CORE = 4
# A block's registers should stay in a core's L2 cache (1 MiB here).
REGISTER_BYTES = 1 << 20
MIN_BLOCK, MAX_BLOCK = 256, 4096
_POLL_SECONDS = 0.05


class Cancelled(RuntimeError):
    """The run was cancelled before it finished."""


class DeadlineExceeded(Cancelled):
    """The run passed its deadline before it finished."""


def simulate(
    model,
    *,
    iterations: int = 10_000,
    seed: int | None = None,
    percentiles=None,
    threads: int | None = None,
    cancel=None,
    deadline: float | None = None,
    progress=None,
    limits: Limits | None = None,
    sampling: str = "mc",
    targets=(),
    risk_levels=(),
    confidence: float = DEFAULT_CONFIDENCE,
    convergence=None,
) -> Result:
    """Runs `model` for `iterations` and returns its statistics.

    model: a dict, JSON text, a path, or a CompiledModel. seed: an integer
    in [0, 2**64); None picks one at random and reports it. percentiles:
    values in [0, 100]; None takes the model's, else DEFAULT_PERCENTILES.
    sampling: a name of SAMPLING ("mc", "antithetic", "lhs", "sobol"). targets:
    values t for P(X <= t) and P(X > t); risk_levels: percent levels in
    (0, 100) for VaR and CVaR; confidence: in (0, 1), for the intervals of
    the means and percentiles (mcengine.engine.statistics has the
    definitions). convergence: None, or a convergence.Convergence (or a
    dict of its fields) to stop as soon as the chosen statistics are
    within its tolerance; iterations is then the maximum.
    threads: None or 0 for every core. cancel: an object with is_set()
    (threading.Event); deadline: a time.monotonic() instant. progress:
    called as progress(done, total) from this thread while the core runs.
    Raises ModelError, LimitError, Cancelled or DeadlineExceeded.
    """
    _check_controls(cancel, deadline)
    method = _sampling(sampling)
    compiled = _compile_within(model, iterations, limits, cancel, deadline)
    chosen = _percentiles(percentiles, compiled)
    measures = Measures(
        chosen, *check_measures(targets, risk_levels, confidence)
    )
    _check_sobol(sampling, compiled)
    stop, notes = None, []
    if convergence is not None:
        stop = convergence_parse(convergence, compiled.outputs, sampling)
        stop, notes = _chunked_checks(stop, compiled)
    seed = _seed(seed)
    threads = _threads(threads)
    run = _Settings(
        iterations,
        seed,
        threads,
        (cancel, deadline, progress),
        method,
        sampling,
        stop,
        measures,
    )
    first = _simulate_one(compiled, run)
    notes += _warnings(sampling, iterations, stop)
    if notes:
        first = replace(first, warnings=notes)
    if compiled.simulations == 1:
        return first
    others = [
        _simulate_one(compiled.for_simulation(k), run)
        for k in range(1, compiled.simulations)
    ]
    everything = [first, *others]
    elapsed = sum(r.elapsed_seconds for r in everything)
    return replace(first, simulations=everything, elapsed_seconds=elapsed)


@dataclass(frozen=True)
class _Settings:
    """One simulate() call's settings, shared by its RiskSimtable
    simulations (the same seed: common random numbers)."""

    iterations: int
    seed: int
    threads: int
    controls: tuple
    method: int
    sampling: str
    stop: object
    measures: Measures


def _simulate_one(compiled, run: _Settings) -> Result:
    """One simulation of a compiled model."""
    seed, threads, method = run.seed, run.threads, run.method
    started = time.perf_counter()
    values = POOL.take((len(compiled.outputs), run.iterations))
    report = None
    try:
        if run.stop is None:
            inputs = _run(
                compiled,
                values,
                seed,
                threads,
                *run.controls,
                design=(method, run.iterations),
            )
            used = values
        else:
            report = _run_until(
                compiled,
                values,
                seed,
                threads,
                run.controls,
                method,
                run.stop,
            )
            used = values[:, : report.iterations]
            inputs = _kept_inputs(compiled, seed, threads, method, used)
        outputs, input_ranks = summarise(
            compiled.outputs,
            used,
            compiled.inputs,
            inputs,
            run.measures,
            threads,
            compiled.connections,
        )
    finally:
        # The run has ended (its threads are joined) and the statistics are
        # taken: nothing refers to the values any more.
        POOL.give(values)
    return Result(
        iterations=used.shape[1],
        seed=seed,
        threads=threads,
        elapsed_seconds=time.perf_counter() - started,
        sensitivity_iterations=inputs.shape[1],
        outputs=outputs,
        sampling=run.sampling,
        confidence=run.measures.confidence,
        convergence=None if report is None else report.to_dict(),
        correlations=[
            group.to_dict(
                _achieved(input_ranks, group, inputs.shape[1]), inputs.shape[1]
            )
            for group in compiled.correlations
        ],
    )


def _achieved(input_ranks: np.ndarray, group, kept: int) -> np.ndarray | None:
    """The group's rank correlations over the kept prefix (None below two
    iterations, where none is defined)."""
    if input_ranks.size == 0 or kept < 2:
        return None
    streams = list(group.streams)
    return input_ranks[np.ix_(streams, streams)]


def _run_until(compiled, values, seed, threads, controls, method, stop):
    """Fills values batch by batch until the statistics stop asks for are
    within its tolerance or values is full; the convergence Report."""
    total = values.shape[1]
    cancel, deadline, progress = controls
    done, checks = 0, 0
    while True:
        size = min(stop.every, total - done)
        batch = np.empty((values.shape[0], size))

        def batch_progress(k, _n, base=done):
            if progress is not None:
                progress(base + k, total)

        _run(
            compiled,
            batch,
            seed,
            threads,
            cancel,
            deadline,
            batch_progress,
            first_iteration=done,
            design=(method, total),
        )
        values[:, done : done + size] = batch
        done += size
        checks += 1
        found = convergence_check(
            values, compiled.outputs, stop, done, threads
        )
        if convergence_met(found) or done == total:
            return ConvergenceReport(
                convergence_met(found), done, checks, found
            )


def _kept_inputs(compiled, seed, threads, method, used) -> np.ndarray:
    """The inputs of the first iterations kept for sensitivity, as a fixed
    run of used.shape[1] iterations would have kept them (the run is
    prefix-stable, so they are those of a run of just that prefix)."""
    kept = sensitivity_prefix(used.shape[1], len(compiled.inputs))
    length = kept
    if compiled.correlations:
        # Whole chunks, as the run reordered them.
        chunk = _core.CORRELATION_CHUNK
        length = min(used.shape[1], -(-kept // chunk) * chunk)
    scratch = np.empty((used.shape[0], length))
    inputs = _run(
        compiled,
        scratch,
        seed,
        threads,
        None,
        None,
        None,
        design=(method, length),
    )
    return np.ascontiguousarray(inputs[:, :kept])


def sample(
    model,
    *,
    iterations: int,
    seed: int,
    first_iteration: int = 0,
    threads: int | None = None,
    limits: Limits | None = None,
    sampling: str = "mc",
    strata: int | None = None,
) -> dict[str, np.ndarray]:
    """The values of every output, iteration by iteration.

    Iteration i of the result is iteration first_iteration + i of the
    seed's sequence: sampling a run in pieces gives the same values as
    sampling it whole. For "lhs", strata is the design's size (None:
    first_iteration + iterations); pieces of one design must all give it.
    """
    method = _sampling(sampling)
    compiled = _compile_within(model, iterations, limits)
    _check_sobol(sampling, compiled)
    chunk = _core.CORRELATION_CHUNK
    if compiled.correlations and first_iteration % chunk:
        raise ModelError.single(
            "first_iteration",
            f"with correlated inputs a piece must start at a multiple of "
            f"{chunk:,} iterations, got {first_iteration:,}",
        )
    values = np.empty((len(compiled.outputs), iterations))
    size = first_iteration + iterations if strata is None else strata
    if not isinstance(size, int) or not 1 <= size <= _core.MAX_STRATA:
        raise ModelError.single(
            "strata", f"must be a whole number in [1, 2**31], got {size!r}"
        )
    _run(
        compiled,
        values,
        _seed(seed),
        _threads(threads),
        None,
        None,
        None,
        first_iteration=first_iteration,
        design=(method, size),
    )
    return dict(zip(compiled.outputs, values))


def _compile_within(
    model, iterations, limits: Limits | None, cancel=None, deadline=None
):
    """The compiled model, once iterations, model size and memory are
    known to be within the limits; compiling stops, as the run would, on
    the cancel or the deadline."""
    limits = limits or Limits()
    _check_iterations(iterations, limits)

    def stop() -> bool:
        late = deadline is not None and time.monotonic() > deadline
        return late or (cancel is not None and cancel.is_set())

    token = STOP.set(stop)
    try:
        compiled = compile_model(model, limits.model_limits())
    except CompileStopped:
        if deadline is not None and time.monotonic() > deadline:
            raise DeadlineExceeded(
                "the deadline passed while compiling"
            ) from None
        raise Cancelled("cancelled while compiling") from None
    finally:
        STOP.reset(token)
    _check_values(compiled, iterations, limits)
    return compiled


def _check_iterations(iterations, limits: Limits) -> None:
    if isinstance(iterations, bool) or not isinstance(iterations, int):
        raise ModelError.single("iterations", "must be a whole number")
    if iterations < 1:
        raise ModelError.single(
            "iterations", f"must be at least 1, got {iterations}"
        )
    if iterations > limits.max_iterations:
        raise LimitError(
            "iterations", limits.max_iterations, iterations, "iteration count"
        )


def _check_values(
    compiled: CompiledModel, iterations: int, limits: Limits
) -> None:
    values = iterations * len(compiled.outputs)
    if values > limits.max_values:
        raise LimitError(
            "iterations", limits.max_values, values, "iterations times outputs"
        )


def _percentiles(percentiles, compiled: CompiledModel) -> list[float]:
    if percentiles is None:
        return list(compiled.percentiles or DEFAULT_PERCENTILES)
    problems = check_percentiles(list(percentiles))
    if problems:
        raise ModelError.single(f"percentiles{problems[0][0]}", problems[0][1])
    return [float(p) for p in percentiles]


def _seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int)
        or not 0 <= seed < 2**64
    ):
        raise ModelError.single(
            "seed", f"must be a whole number in [0, 2**64), got {seed!r}"
        )
    return seed


def check_measures(targets, risk_levels, confidence):
    """(targets, risk_levels, confidence) checked and as floats; ModelError
    naming every field that is wrong."""
    violations, out = [], []
    checks = (
        lambda: _numbers("targets", targets, _finite),
        lambda: _numbers("risk_levels", risk_levels, _level),
        lambda: _confidence(confidence),
    )
    for check in checks:
        try:
            out.append(check())
        except ModelError as error:
            violations += error.violations
    if violations:
        raise ModelError(violations)
    return tuple(out)


def _finite(value: float) -> str | None:
    return None if math.isfinite(value) else "must be a finite number"


def _level(value: float) -> str | None:
    if 0 < value < 100:
        return None
    return "must be a percent level strictly between 0 and 100"


def _numbers(field: str, values, problem) -> list[float]:
    """values as floats, each passing problem() (None when fine); at most
    MAX_MEASURES of them."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ModelError.single(field, "must be a list of numbers")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ModelError.single(
                f"{field}[{i}]", f"must be a number, got {v!r}"
            )
        why = problem(float(v))
        if why:
            raise ModelError.single(f"{field}[{i}]", f"{why}, got {v!r}")
        out.append(float(v))
    if len(out) > MAX_MEASURES:
        raise ModelError.single(
            field, f"at most {MAX_MEASURES} values, got {len(out)}"
        )
    return out


def _confidence(value) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < 1
    ):
        raise ModelError.single(
            "confidence",
            f"must be a number strictly between 0 and 1, got {value!r}",
        )
    return float(value)


def _chunked_checks(stop, compiled) -> tuple[object, list[str]]:
    """With correlated inputs the core reorders whole chunks of
    CORRELATION_CHUNK iterations, so convergence checks fall on multiples
    of it (else the result would not equal a fixed run of its length)."""
    chunk = _core.CORRELATION_CHUNK
    if not compiled.correlations or stop.every % chunk == 0:
        return stop, []
    every = -(-stop.every // chunk) * chunk
    note = (
        f"convergence is checked every {every:,} iterations, not "
        f"{stop.every:,}: correlated inputs are reordered in chunks of "
        f"{chunk:,}"
    )
    return replace(stop, every=every), [note]


def _warnings(sampling: str, iterations: int, stop) -> list[str]:
    if sampling != "sobol" or stop is not None:
        return []
    if iterations & (iterations - 1) == 0:
        return []
    below = 1 << (iterations.bit_length() - 1)
    note = (
        f"sobol sampling balances its points exactly at powers of two; "
        f"{iterations:,} is not one (nearest: {below:,} or {2 * below:,})"
    )
    return [note]


def _check_sobol(sampling: str, compiled) -> None:
    if sampling == "sobol" and len(compiled.inputs) > _core.SOBOL_DIMENSIONS:
        raise ModelError.single(
            "sampling",
            f"sobol takes at most {_core.SOBOL_DIMENSIONS} stochastic inputs; "
            f"this model has {len(compiled.inputs)}",
        )


def _sampling(sampling) -> int:
    if sampling not in SAMPLING:
        names = ", ".join(f'"{name}"' for name in SAMPLING)
        raise ModelError.single(
            "sampling", f"must be one of {names}, got {sampling!r}"
        )
    return SAMPLING[sampling]


def _threads(threads: int | None) -> int:
    cores = os.cpu_count() or 1
    if threads is None or threads == 0:
        return cores
    most = MAX_THREADS_PER_CORE * cores
    if (
        isinstance(threads, bool)
        or not isinstance(threads, int)
        or not 0 <= threads <= most
    ):
        raise ModelError.single(
            "threads",
            f"must be a whole number from 0 (all cores) to {most} "
            f"({MAX_THREADS_PER_CORE} per core), got {threads!r}",
        )
    return threads


def _check_controls(cancel, deadline) -> None:
    """cancel needs is_set(); a deadline is a finite monotonic instant."""
    if cancel is not None and not callable(getattr(cancel, "is_set", None)):
        raise TypeError(
            "cancel must have an is_set() method, such as a "
            f"threading.Event; got {cancel!r}"
        )
    if deadline is not None and not math.isfinite(deadline):
        raise ValueError(
            f"deadline must be a finite time.monotonic() "
            f"instant, got {deadline!r}"
        )
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled before the run began")


def sensitivity_prefix(iterations: int, inputs: int) -> int:
    """The iterations whose inputs are kept for sensitivity: the first
    SENSITIVITY_ITERATIONS, fewer when the inputs are so many that their
    values would pass KEPT_INPUT_VALUES."""
    return min(
        iterations, SENSITIVITY_ITERATIONS, KEPT_INPUT_VALUES // max(inputs, 1)
    )


def block_size(n_regs: int) -> int:
    """Iterations per block: the largest power of two up to MAX_BLOCK whose
    register file fits REGISTER_BYTES, and at least MIN_BLOCK."""
    block = MAX_BLOCK
    while block > MIN_BLOCK and n_regs * block * 8 > REGISTER_BYTES:
        block //= 2
    return block


def _run(
    compiled,
    values,
    seed,
    threads,
    cancel,
    deadline,
    progress,
    first_iteration: int = 0,
    block: int | None = None,
    design: tuple[int, int] = (0, 1),
) -> np.ndarray:
    """Fills values (outputs x iterations) and returns the kept inputs.
    design: the sampling method's number and its strata."""
    iterations = values.shape[1]
    budget = 0.0
    if deadline is not None:
        budget = deadline - time.monotonic()
        if budget <= 0:
            raise DeadlineExceeded("the deadline passed before the run began")
    kept = sensitivity_prefix(iterations, len(compiled.inputs))
    inputs = np.empty((len(compiled.inputs), kept))
    block = block or block_size(compiled.program.n_regs)
    run = _core.Run(
        compiled.program,
        values,
        inputs,
        seed,
        first_iteration,
        iterations,
        threads,
        block,
        kept,
        budget,
        design[0],
        design[1],
    )
    run.start()
    while not run.wait(_POLL_SECONDS):
        if cancel is not None and cancel.is_set():
            run.cancel()
        if progress is not None:
            progress(run.done, iterations)
    _raise_unless_completed(run, iterations)
    if progress is not None:
        progress(iterations, iterations)
    return inputs


def _raise_unless_completed(run, iterations: int) -> None:
    status = run.status
    if status == "completed":
        return
    done = f"{run.done} of {iterations} iterations done"
    if status == "deadline":
        raise DeadlineExceeded(f"{done} when the deadline passed")
    if status == "cancelled":
        raise Cancelled(f"cancelled with {done}")
    raise RuntimeError(f"the core failed: {run.failure} ({done})")
