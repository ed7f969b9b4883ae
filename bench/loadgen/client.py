"""The gRPC side: K asynchronous channels, used round-robin.

grpc.aio keeps the generator light: thousands of calls in flight cost
coroutines, not threads. Each channel gets a subchannel pool of its
own, so K channels really are K TCP connections (by default gRPC
shares one connection among channels with the same target and
arguments).

A call returns its status code's name and, for a failure, the
message, so that errors are counted rather than raised: a load test
must survive every answer a server can give.
"""

from __future__ import annotations

import asyncio
import itertools

import grpc
import grpc.aio

from bench.loadgen.mix import MixEntry
from mcengine.v1 import simulator_pb2 as pb
from mcengine.v1 import simulator_pb2_grpc

# Requests carry whole models and replies every output's statistics;
# the server's own limits apply, so the client takes any size.
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
]
# Error messages can carry request ids; keep the report's keys short.
MESSAGE_CHARS = 200


class ConnectError(Exception):
    """The target did not accept a connection in time."""


class Caller:
    """Sends Simulate calls for mix entries over K channels in turn."""

    def __init__(self, target: str, connections: int, deadline: float):
        if connections < 1:
            raise ValueError(f"connections must be >= 1: {connections}")
        self.target = target
        self.deadline = deadline
        self._channels = [
            grpc.aio.insecure_channel(
                target, options=CHANNEL_OPTIONS + [("mcengine.bench.k", k)]
            )
            for k in range(connections)
        ]
        self._stubs = itertools.cycle(
            [simulator_pb2_grpc.SimulatorStub(c) for c in self._channels]
        )
        self._requests: dict[str, pb.SimulateRequest] = {}

    async def connect(self, timeout: float) -> None:
        """Wait until every channel is connected; ConnectError if not."""
        ready = [c.channel_ready() for c in self._channels]
        try:
            await asyncio.wait_for(asyncio.gather(*ready), timeout)
        except asyncio.TimeoutError:
            message = f"no connection to {self.target} within {timeout} s"
            raise ConnectError(message) from None

    async def __call__(self, entry: MixEntry) -> tuple[str, str]:
        stub = next(self._stubs)
        try:
            await stub.Simulate(self._request(entry), timeout=self.deadline)
        except grpc.aio.AioRpcError as error:
            details = (error.details() or "")[:MESSAGE_CHARS]
            return error.code().name, details

        return "OK", ""

    def _request(self, entry: MixEntry) -> pb.SimulateRequest:
        # Built once per entry: the generator's CPU goes to calls, not
        # to rebuilding the same request.
        request = self._requests.get(entry.name)
        if request is None:
            request = pb.SimulateRequest(
                model_json=entry.model_json, iterations=entry.iterations
            )
            if entry.seed is not None:
                request.seed = entry.seed
            self._requests[entry.name] = request

        return request

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self._channels))
