"""The server's lifecycle: assemble, start, warm up, drain, stop.

create_server(config) wires the pieces together and binds the ports (port
0 picks a free one, which tests use); start() begins serving liveness at
once and runs the warm-up in a background thread, after which readiness
turns on. drain() is the SIGTERM sequence:
1. readiness NOT_SERVING, so load balancers stop sending work;
2. new simulations are refused with UNAVAILABLE;
3. running ones may finish within the grace period;
4. those still running are cancelled (the core stops within a block) and
   answered UNAVAILABLE, saying the server is shutting down;
5. the gRPC and HTTP servers stop.
Each step has a bound, so drain() returns within shutdown_bound(grace).
"""

from __future__ import annotations

import threading
from concurrent import futures

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import (
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
)

from mcengine import __version__
from mcengine.service import warmup
from mcengine.service.admission import Admission
from mcengine.service.http import SidePort
from mcengine.service.interceptor import CallInterceptor
from mcengine.service.metrics import Metrics
from mcengine.service.readiness import Readiness
from mcengine.service.servicer import SimulatorServicer
from mcengine.v1 import simulator_pb2, simulator_pb2_grpc

# Threads beyond the simulation slots, so that health checks, metrics and
# refusals are answered at once even when every slot is busy.
HEADROOM_THREADS = 8
# After cancellation the core stops within one block (milliseconds); this
# bounds the wait for handlers to send their status.
CANCEL_SECONDS = 5.0
# Time gRPC gets to deliver the last replies before it closes connections.
REPLY_SECONDS = 2.0

_log = structlog.get_logger("mcengine.service")


def shutdown_bound(grace: float) -> float:
    """The longest drain() can take with the given grace period."""
    return grace + CANCEL_SECONDS + REPLY_SECONDS + 3.0


class Server:
    """One gRPC server with its HTTP side port, readiness and slots."""

    def __init__(self, config, registry: CollectorRegistry | None = None):
        self.config = config
        self.registry = registry or CollectorRegistry()
        self.metrics = Metrics(self.registry)
        self.readiness = Readiness(__version__, config.colour)
        self.admission = Admission(
            config.max_concurrent,
            self.metrics.inflight,
            queue_limit=config.max_queued,
            queue_seconds=config.queue_seconds,
            queue_gauge=self.metrics.queued,
        )
        self.metrics.slots.set(config.max_concurrent)
        self._describe_build()
        self._grpc = self._grpc_server()
        self.grpc_port = self._grpc.add_insecure_port(
            f"{config.host}:{config.port}"
        )
        self._http = SidePort(
            config.host,
            config.http_port,
            self.registry,
            self.readiness,
            self._slot_checks,
        )
        self._warmed = threading.Event()
        self._stopped = False

    @property
    def http_port(self) -> int:
        return self._http.port

    def start(self) -> None:
        """Serve now (liveness on); readiness follows the warm-up."""
        self._grpc.start()
        self._http.start()
        _log.info(
            "listening",
            port=self.grpc_port,
            http_port=self.http_port,
            colour=self.config.colour,
            version=__version__,
        )
        threading.Thread(
            target=self._warm_up, name="mcengine-warmup", daemon=True
        ).start()

    def wait_warm(self, timeout: float | None = None) -> bool:
        """Block until the warm-up finished (passed or not)."""
        return self._warmed.wait(timeout)

    def drain(self, grace: float | None = None) -> None:
        """The shutdown sequence of the module docstring; then stopped."""
        grace = self.config.grace_seconds if grace is None else grace
        running = self.admission.running
        _log.info("draining", grace_seconds=grace, running=running)
        self.readiness.begin_drain()
        self.admission.begin_drain()
        if not self.admission.wait_idle(grace):
            cancelled = self.admission.cancel_all()
            _log.info("grace period over", cancelled=cancelled)
            self.admission.wait_idle(CANCEL_SECONDS)
        self.stop(REPLY_SECONDS)

    def stop(self, grace: float | None = None) -> None:
        """Stop both servers; calls still open after grace are cancelled."""
        if self._stopped:
            return
        self._stopped = True
        self.admission.begin_drain()
        self.admission.cancel_all()
        self._grpc.stop(grace).wait(REPLY_SECONDS + (grace or 0))
        self._http.stop()

    def _grpc_server(self) -> grpc.Server:
        config = self.config
        pool = futures.ThreadPoolExecutor(
            max_workers=config.max_concurrent
            + config.max_queued
            + HEADROOM_THREADS,
            thread_name_prefix="mcengine-rpc",
        )
        server = grpc.server(
            pool,
            interceptors=[CallInterceptor(self.metrics)],
            options=[
                ("grpc.max_receive_message_length", config.max_message_bytes),
                # Without this, a second server on a taken port binds too
                # (SO_REUSEPORT) and silently shares its traffic.
                ("grpc.so_reuseport", 0),
            ],
        )
        servicer = SimulatorServicer(
            config, self.admission, self.metrics, self.readiness
        )
        simulator_pb2_grpc.add_SimulatorServicer_to_server(servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(
            self.readiness.health, server
        )
        reflection.enable_server_reflection(_SERVICE_NAMES, server)

        return server

    def _slot_checks(self) -> dict:
        return {
            "slots": {
                "running": self.admission.running,
                "limit": self.admission.limit,
            }
        }

    def _warm_up(self) -> None:
        try:
            engine = self._load()
            if engine is not None:
                self._self_test(engine)
        finally:
            self._warmed.set()

    def _load(self):
        try:
            engine = warmup.load_engine()
        except Exception as error:  # an ImportError, or the core's own
            _log.error("engine failed to load", exc_info=error)
            self.readiness.core_loaded(f"{type(error).__name__}: {error}")
            self.readiness.warmup_done("not run: the engine did not load")
            return None
        self.readiness.core_loaded()

        return engine

    def _self_test(self, engine) -> None:
        try:
            facts = warmup.self_test(engine)
        except Exception as error:
            _log.error("self-test failed", exc_info=error)
            self.readiness.warmup_done(f"{type(error).__name__}: {error}")
            return
        self.readiness.warmup_done()
        _log.info(
            "ready",
            port=self.grpc_port,
            http_port=self.http_port,
            colour=self.config.colour,
            version=__version__,
            self_test=facts,
        )

    def _describe_build(self) -> None:
        try:
            from mcengine import _core

            flags = str(_core.build_info().get("flags", ""))
        except Exception:  # build facts are decoration; never fatal
            flags = "unknown"
        self.metrics.describe_build(__version__, self.config.colour, flags)


_SERVICE_NAMES = (
    simulator_pb2.DESCRIPTOR.services_by_name["Simulator"].full_name,
    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
    reflection.SERVICE_NAME,
)


def create_server(config, registry: CollectorRegistry | None = None):
    """A Server bound to config's ports (0: any free one), not started.

    registry: where metrics go; a fresh CollectorRegistry when None. The
    command line passes one with the process and platform collectors.
    """
    return Server(config, registry)


def process_registry() -> CollectorRegistry:
    """A registry with process metrics (CPU, memory, open files) added."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)

    return registry
