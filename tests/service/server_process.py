"""A real `mcengine serve` process for tests, on ports it picks itself.

The server is started with --port 0 --http-port 0, so the kernel picks
free ports at bind time (no window in which another process can take a
port chosen in advance); the ports are read from the server's "listening"
log line. Its stdout (one JSON event per line) is collected by a reader
thread so tests can assert on log events. Readiness is awaited by polling
grpc.health.v1 with a bounded timeout, never by sleeping.
"""

from __future__ import annotations

import contextlib

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
READINESS_SERVICE = "mcengine.v1.Simulator"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
START_TIMEOUT = 60.0


class ServerProcess:
    """One `python -m mcengine.cli serve` child process and its log."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        command = [sys.executable, "-m", "mcengine.cli", "serve"]
        command += ["--port", "0", "--http-port", "0", "--host", "127.0.0.1"]
        self._events: list[dict] = []
        self._lines = threading.Condition()
        self.process = subprocess.Popen(
            command + list(args),
            cwd=ROOT,
            env={**os.environ, "MCENGINE_LOG_FORMAT": "json", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        listening = self.wait_for_event("listening", START_TIMEOUT)
        self.port = listening["port"]
        self.http_port = listening["http_port"]
        self.target = f"127.0.0.1:{self.port}"

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "(not json)", "text": line.rstrip()}
            with self._lines:
                self._events.append(event)
                self._lines.notify_all()
        with self._lines:
            self._lines.notify_all()

    def events(self) -> list[dict]:
        with self._lines:
            return list(self._events)

    def wait_for_event(self, name: str, timeout: float, **fields) -> dict:
        """The first log event named `name` with `fields`, within timeout."""
        end = time.monotonic() + timeout
        with self._lines:
            while True:
                for event in self._events:
                    if _matches(event, name, fields):
                        return event
                left = end - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(self._failure(name))
                self._lines.wait(min(left, 0.5))

    def _failure(self, name: str) -> str:
        log = "\n".join(json.dumps(e) for e in self._events[-20:])
        state = self.process.poll()
        return f"no {name!r} event (exit status {state}); log:\n{log}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until readiness is SERVING; fail after timeout seconds."""
        try:
            wait_for_status(self.target, SERVING, timeout)
        except grpc.RpcError as error:
            raise AssertionError(self._failure("ready")) from error

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        """Stop the server however it is doing; never leaves it running."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self._reader.join(10)


@contextlib.contextmanager
def serving(*args: str, env: dict[str, str] | None = None):
    """A ready server for the body; drained and closed afterwards."""
    process = ServerProcess(*args, env=env)
    try:
        process.wait_ready()
        yield process
    finally:
        process.terminate()
        process.wait_exit(60)
        process.close()


def readiness(stub, timeout: float = 1.0):
    """The readiness status, or None when the server does not answer."""
    request = health_pb2.HealthCheckRequest(service=READINESS_SERVICE)
    try:
        return stub.Check(request, timeout=timeout).status
    except grpc.RpcError:
        return None


def wait_for_status(target: str, status, timeout: float) -> None:
    """Follow readiness with health Watch until it reports status.

    Watch streams each change as it happens, so this waits exactly as
    long as the server takes; an RpcError (DEADLINE_EXCEEDED) after
    timeout seconds if it never does.
    """
    request = health_pb2.HealthCheckRequest(service=READINESS_SERVICE)
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for reply in stub.Watch(request, timeout=timeout):
            if reply.status == status:
                return
    raise AssertionError(f"health Watch ended before {status}")


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Poll predicate (a probe of server state) until true; bounded.

    For states a test cannot subscribe to (a slot taken, a gauge back at
    zero), a bounded poll is the only way to observe them; it fails the
    test after timeout seconds instead of guessing a sleep.
    """
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"not true within {timeout} s: {predicate}")
        time.sleep(interval)


def _matches(event: dict, name: str, fields: dict) -> bool:
    if event.get("event") != name:
        return False

    return all(event.get(k) == v for k, v in fields.items())


def http_get(port: int, path: str, timeout: float = 5.0):
    """(status code, body text) of GET http://127.0.0.1:port/path."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(port: int, name: str, **labels) -> float:
    """One sample of /metrics: the value of name{labels}, 0 if absent."""
    _, text = http_get(port, "/metrics")
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and _has_labels(sample.labels, labels):
                return sample.value

    return 0.0


def _has_labels(actual: dict, wanted: dict) -> bool:
    return all(actual.get(k) == v for k, v in wanted.items())
