"""Service overhead: Simulate over gRPC against simulate() in process.

A real `mcengine serve` process is started on ports the kernel picks
(tests/service/server_process.py, the same harness the service tests
use), and R1 runs there through one long-lived channel and here in
process, with the same model text, iterations, seed, percentiles and
thread count (every core). Each benchmark runs the other's call between
its rounds, so both are timed under the same alternation. The figure is
the overhead: the gRPC time over the in-process time, less one (target:
under 10 %). Both answers must be bit-identical.
"""

from __future__ import annotations

import grpc
import pytest

import mcengine
from bench.core import r1
from bench.core.checks import check_identical
from bench.core.record import checked, record, timed
from bench.core.scale import SCALE
from mcengine.service import convert
from mcengine.v1 import simulator_pb2 as pb
from mcengine.v1 import simulator_pb2_grpc
from tests.service.server_process import ServerProcess

FIGURE = "service:r1"
CALL_TIMEOUT = 120.0


def request(text: str) -> pb.SimulateRequest:
    """The Simulate request for R1 at SCALE.service_iterations."""
    return pb.SimulateRequest(
        model_json=text,
        iterations=SCALE.service_iterations,
        seed=r1.SEED,
        percentiles=r1.PERCENTILES,
    )


def in_process(text: str) -> dict:
    """The same run through mcengine.simulate, as a plain dict."""
    result = mcengine.simulate(
        text,
        iterations=SCALE.service_iterations,
        seed=r1.SEED,
        percentiles=r1.PERCENTILES,
    )

    return result.to_dict()


@pytest.fixture(scope="module")
def stub():
    """A Simulator stub on a fresh, ready server; stopped afterwards."""
    server = ServerProcess()
    try:
        server.wait_ready()
        with grpc.insecure_channel(server.target) as channel:
            stub = simulator_pb2_grpc.SimulatorStub(channel)
            grpc.channel_ready_future(channel).result(timeout=CALL_TIMEOUT)
            yield stub
    finally:
        server.terminate()
        server.wait_exit(60)
        server.close()


@pytest.fixture(scope="module")
def reference() -> dict:
    """R1 in process: the answer the server must give bit for bit."""
    return in_process(r1.model_text())


def test_in_process_simulate(benchmark, reference: dict, stub):
    """mcengine.simulate on R1's JSON text, in this process."""
    name = "mcengine.simulate in process"
    n = SCALE.service_iterations
    record(benchmark, FIGURE, "baseline", name, n, "iterations")
    text = r1.model_text()
    message = request(text)
    result = timed(
        benchmark,
        lambda: in_process(text),
        SCALE.service_rounds,
        between=lambda: stub.Simulate(message, timeout=CALL_TIMEOUT),
    )
    checked(benchmark, identical=check_identical(result, reference))


def test_grpc_simulate(benchmark, reference: dict, stub):
    """The same run through Simulate on a local server."""
    name = "Simulate over gRPC, local server, one channel"
    n = SCALE.service_iterations
    record(benchmark, FIGURE, "subject", name, n, "iterations")
    text = r1.model_text()
    message = request(text)
    reply = timed(
        benchmark,
        lambda: stub.Simulate(message, timeout=CALL_TIMEOUT),
        SCALE.service_rounds,
        between=lambda: in_process(text),
    )
    result = convert.response_dict(reply)
    checked(benchmark, identical=check_identical(result, reference))
