"""A server process's life: serve until SIGTERM or SIGINT, drain, exit.

serve() is what `mcengine serve` runs after configuring logging. The
first signal starts the drain (server.Server.drain); later ones are
ignored, since drain already has a bound. As a last resort a timer ends
the process with status 1 if drain has not returned within
shutdown_bound(grace) seconds, so an orchestrator is never left waiting
on a hung replica. Signal handlers can only be installed from the main
thread, so serve() must run there.
"""

from __future__ import annotations

import os
import signal
import threading

import structlog

from mcengine.service.server import (
    create_server,
    process_registry,
    shutdown_bound,
)

EXIT_FORCED = 1

_log = structlog.get_logger("mcengine.service")


def serve(config) -> int:
    """Run a server with config until a signal, then drain; exit status."""
    server = create_server(config, process_registry())
    stop = _stop_on_signals()
    server.start()
    # A timed wait, so the main thread returns to the interpreter often
    # enough to run the signal handler promptly.
    while not stop.wait(1.0):
        pass
    _exit_after(shutdown_bound(config.grace_seconds))
    server.drain()
    _log.info("stopped")

    return 0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def on_signal(number, frame):
        if not stop.is_set():
            _log.info("shutdown requested", signal=signal.Signals(number).name)
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, on_signal)

    return stop


def _exit_after(seconds: float) -> None:
    """End the process with EXIT_FORCED unless it has ended by then."""

    def force() -> None:
        _log.error("shutdown exceeded its bound", bound_seconds=seconds)
        os._exit(EXIT_FORCED)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()
