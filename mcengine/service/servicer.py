"""The Simulator service: Simulate and ValidateModel.

A simulation runs in the handler's own thread: simulate() releases the GIL
while the core works, so other handlers (health, metrics, refusals) keep
answering. The call's deadline and cancellation reach the core through
simulate(deadline=..., cancel=...); it stops within one block of
iterations. Expected failures end the call with the status chosen in
mcengine.service.status; anything else propagates to the interceptor,
which answers INTERNAL.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import time

import grpc
import structlog

from mcengine import __version__
from mcengine.model.errors import LimitError, ModelError, Violation
from mcengine.service import convert, status, warmup
from mcengine.service import request as checks
from mcengine.v1 import simulator_pb2_grpc

# time_remaining() of a call without a deadline is about 9.2e18 seconds
# (gRPC's infinite future); anything this far away means "none".
_NO_DEADLINE_SECONDS = 1e8


def _ends_with_status(handler):
    """Turn an expected failure raised by handler into the call's status."""

    @functools.wraps(handler)
    def wrapper(self, request, context):
        try:
            return handler(self, request, context)
        except Exception as error:
            outcome = status.for_exception(error)
            if outcome is None:
                raise
            context.abort_with_status(outcome)

    return wrapper


class SimulatorServicer(simulator_pb2_grpc.SimulatorServicer):
    """Runs simulations within the server's slots, limits and drain state."""

    def __init__(self, config, admission, metrics, readiness):
        self._config = config
        self._admission = admission
        self._metrics = metrics
        self._readiness = readiness

    @_ends_with_status
    def Simulate(self, request, context):
        structlog.contextvars.bind_contextvars(iterations=request.iterations)
        engine = self._ready_engine()
        spec = checks.run_spec(
            request, self._config.max_iterations, self._config.threads
        )
        model = convert.model_source(request)
        cancel = threading.Event()
        context.add_callback(cancel.set)
        with self._admission.slot(cancel, _deadline(context)):
            result = self._run(engine, model, spec, cancel, context)
        structlog.contextvars.bind_contextvars(seed=result.seed)

        return convert.simulate_response(result, __version__)

    @_ends_with_status
    def ValidateModel(self, request, context):
        limits = self._limits(self._loaded_engine())
        iterations = request.iterations or checks.DEFAULT_VALIDATE_ITERATIONS
        threads = request.threads or self._config.threads or _cores()
        # Compiling a large model is Python work that holds the GIL, so
        # validations share the simulation slots: a burst of them is
        # refused rather than starving health checks.
        with self._admission.slot(threading.Event()):
            compiled, violations = _compile(request, limits)
        violations += checks.limit_violations(
            iterations, request.threads, self._config.max_iterations
        )
        if compiled is not None:
            violations += checks.memory_violations(
                iterations, len(compiled.outputs), limits.max_values
            )
        document = convert.validation_document(
            compiled, violations, iterations, threads
        )

        return convert.validation_response(document)

    def _run(self, engine, model, spec, cancel, context):
        deadline = _deadline(context)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = engine.simulate(
                model,
                cancel=cancel,
                deadline=deadline,
                limits=self._limits(engine),
                **spec.kwargs(),
            )
            outcome = "ok"
        except engine.Cancelled as stop:
            outcome, error = self._stopped(stop, deadline, engine)
            raise error from None
        except (ModelError, LimitError):
            outcome = "invalid"
            raise
        finally:
            seconds = time.perf_counter() - started
            self._metrics.simulation_seconds.labels(outcome).observe(seconds)
        self._metrics.iterations.inc(result.iterations)

        return result

    def _stopped(self, stop, deadline, engine):
        """The outcome label and the status for a simulation stopped early."""
        late = deadline is not None and time.monotonic() >= deadline
        if isinstance(stop, engine.DeadlineExceeded) or late:
            detail = f"deadline exceeded: {stop}"
            code = grpc.StatusCode.DEADLINE_EXCEEDED
            return "deadline_exceeded", status.Stopped(code, detail)
        if self._admission.cancelled_by_drain:
            detail = f"simulation {stop}: {status.SHUTTING_DOWN}"
            return "cancelled", status.ShuttingDown(detail)

        detail = f"simulation {stop} by the client"
        return "cancelled", status.Stopped(grpc.StatusCode.CANCELLED, detail)

    def _limits(self, engine):
        return engine.Limits(max_iterations=self._config.max_iterations)

    def _ready_engine(self):
        if self._admission.draining:
            raise status.ShuttingDown()
        problem = self._readiness.problem
        if problem is not None:
            raise status.NotReady(f"not ready: {problem}")

        return warmup.load_engine()

    def _loaded_engine(self):
        try:
            return warmup.load_engine()
        except ImportError as error:
            message = f"the engine failed to load: {error}"
            raise status.NotReady(message) from error


def _compile(request, limits):
    """The compiled model and no violations, or None and every violation."""
    compile_model = importlib.import_module("mcengine.model").compile_model
    try:
        model = convert.model_source(request)
        return compile_model(model, limits.model_limits()), []
    except ModelError as error:
        return None, list(error.violations)
    except LimitError as error:
        return None, [Violation(error.field, error.description)]


def _deadline(context) -> float | None:
    """The call's deadline on the time.monotonic() clock, or None."""
    remaining = context.time_remaining()
    if remaining is None or remaining > _NO_DEADLINE_SECONDS:
        return None

    return time.monotonic() + remaining


def _cores() -> int:
    return os.cpu_count() or 1
