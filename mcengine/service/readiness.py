"""Liveness and readiness: one state, told through gRPC health and HTTP.

Liveness ("" in grpc.health.v1, /health) says the process answers: it is
SERVING from the moment the server starts until it stops. Readiness
("mcengine.v1.Simulator", /ready) says whether to send it work: only once
the core has loaded and its self-test passed, and never while draining.
A deployment pipeline probes readiness before shifting traffic and the
load balancer stops routing as soon as a draining replica turns it off.
"""

from __future__ import annotations

import threading
import time

from grpc_health.v1 import health, health_pb2

SERVICE = "mcengine.v1.Simulator"

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Readiness:
    """The checks that decide readiness, mirrored into the health servicer."""

    def __init__(self, version: str, colour: str):
        self.version = version
        self.colour = colour
        self.health = health.HealthServicer()
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._core = "pending"
        self._warmup = "pending"
        self._draining = False
        with self._lock:
            self._publish()

    def core_loaded(self, error: str | None = None) -> None:
        """Record whether the engine and its C++ core imported."""
        self._set("_core", "ok" if error is None else f"failed: {error}")

    def warmup_done(self, error: str | None = None) -> None:
        """Record the outcome of the self-test simulation."""
        self._set("_warmup", "ok" if error is None else f"failed: {error}")

    def begin_drain(self) -> None:
        """Turn readiness off for good: the server is shutting down."""
        self._set("_draining", True)

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._is_ready()

    @property
    def draining(self) -> bool:
        return self._draining

    @property
    def problem(self) -> str | None:
        """Why the server is not ready, in words; None when it is."""
        with self._lock:
            if self._draining:
                return "the server is shutting down"
            for name in ("_core", "_warmup"):
                value = getattr(self, name)
                if value != "ok":
                    return f"{name[1:]} {value}"

        return None

    def snapshot(self, **extra_checks) -> dict:
        """The /ready document: status, identity, uptime and each check."""
        with self._lock:
            checks = {
                "core": self._core,
                "warmup": self._warmup,
                "draining": self._draining,
                **extra_checks,
            }
            status = "ready" if self._is_ready() else "not_ready"

        return {
            "status": status,
            "version": self.version,
            "colour": self.colour,
            "uptime_seconds": round(time.monotonic() - self._started, 3),
            "checks": checks,
        }

    def _is_ready(self) -> bool:
        ok = self._core == "ok" and self._warmup == "ok"
        return ok and not self._draining

    def _set(self, name: str, value) -> None:
        # Publishing under the lock keeps the health status in the order
        # of the changes: a late warm-up result cannot undo a drain.
        with self._lock:
            setattr(self, name, value)
            self._publish()

    def _publish(self) -> None:
        status = SERVING if self._is_ready() else NOT_SERVING
        self.health.set(SERVICE, status)
