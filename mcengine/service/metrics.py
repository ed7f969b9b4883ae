"""Prometheus metrics of the service, on a registry the caller passes in.

Names follow Prometheus conventions: base units (seconds), counters end
in _total, labels carry only bounded values (service, method, status
code, outcome), never request ids. The grpc_server_* family has the
names and labels of the usual gRPC interceptors (go-grpc-prometheus), so
existing dashboards and alert rules read it unchanged. Each server gets
its own CollectorRegistry, so tests start from zero.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Fine resolution around the 2 s latency objective (2.0 and 5.0 are
# bucket edges, so "p95 < 2 s" is read from the histogram exactly).
LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0,
    10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip

RPC_LABELS = ("grpc_service", "grpc_method", "grpc_type")


class Metrics:
    """Every metric the service exports, registered on one registry."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.started = Counter(
            "grpc_server_started_total",
            "RPCs started on the server.",
            RPC_LABELS,
            registry=registry,
        )
        self.handled = Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, by status code.",
            RPC_LABELS + ("grpc_code",),
            registry=registry,
        )
        self.handling_seconds = Histogram(
            "grpc_server_handling_seconds",
            "Time from receiving an RPC to its status, in seconds.",
            RPC_LABELS,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._simulation_metrics(registry)

    def _simulation_metrics(self, registry: CollectorRegistry) -> None:
        self.iterations = Counter(
            "mcengine_simulation_iterations_total",
            "Monte Carlo iterations of simulations that completed.",
            registry=registry,
        )
        self.simulation_seconds = Histogram(
            "mcengine_simulation_seconds",
            "Wall time of simulate() per request (compile and run), in "
            "seconds, by outcome (ok, cancelled, deadline_exceeded, error).",
            ("outcome",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.inflight = Gauge(
            "mcengine_inflight_requests",
            "Simulate calls holding a simulation slot now.",
            registry=registry,
        )
        self.queued = Gauge(
            "mcengine_queued_requests",
            "Simulate calls waiting for a simulation slot now.",
            registry=registry,
        )
        self.slots = Gauge(
            "mcengine_simulation_slots",
            "Simulations allowed to run at once (MCENGINE_MAX_CONCURRENT).",
            registry=registry,
        )
        self.build_info = Gauge(
            "mcengine_build_info",
            "Always 1; labels say what runs: version, deployment colour, "
            "and the compiler flags of the C++ core.",
            ("version", "colour", "core_flags"),
            registry=registry,
        )

    def rpc_started(self, service: str, method: str) -> None:
        self.started.labels(service, method, "UNARY").inc()

    def rpc_handled(
        self, service: str, method: str, code: str, seconds: float
    ) -> None:
        self.handled.labels(service, method, "UNARY", code).inc()
        self.handling_seconds.labels(service, method, "UNARY").observe(seconds)

    def describe_build(self, version: str, colour: str, flags: str) -> None:
        self.build_info.labels(version, colour, flags).set(1)
