"""Simulation slots: who may run now, who is running, and draining.

A fixed number of simulations run at once (MCENGINE_MAX_CONCURRENT). A
request beyond that may wait for a slot, but only briefly and only a few
at a time (MCENGINE_MAX_QUEUED requests, each for at most
MCENGINE_QUEUE_SECONDS and never past its own deadline): a short burst is
absorbed instead of failing, while a sustained overload is still refused
with RESOURCE_EXHAUSTED, since a waiting request holds a handler thread
and a caller with a latency objective does better retrying elsewhere.
Waiting requests are woken in no particular order (not strictly FIFO).

Each running simulation registers its cancel event here, so that a
draining server can stop the ones still running when the grace period
ends: the core checks the event between blocks of iterations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from mcengine.service.status import Busy, ShuttingDown, Stopped

_CANCEL_POLL_SECONDS = 0.05


class Admission:
    """A non-blocking limit on concurrent simulations, with a drain switch."""

    def __init__(
        self,
        limit: int,
        gauge=None,
        queue_limit: int = 0,
        queue_seconds: float = 0.0,
        queue_gauge=None,
    ):
        self.limit = limit
        self.queue_limit = queue_limit
        self.queue_seconds = queue_seconds
        self._queued = 0
        self._gauge = gauge
        self._queue_gauge = queue_gauge
        self._changed = threading.Condition()
        self._running: set[threading.Event] = set()
        self._draining = False
        self._cancelled_by_drain = False

    @property
    def draining(self) -> bool:
        return self._draining

    @property
    def cancelled_by_drain(self) -> bool:
        """True once drain has cancelled the simulations still running."""
        return self._cancelled_by_drain

    @property
    def running(self) -> int:
        with self._changed:
            return len(self._running)

    @contextmanager
    def slot(
        self, cancel: threading.Event, deadline: float | None = None
    ) -> Iterator[None]:
        """Hold a slot while the body runs, waiting for one briefly (not
        past `deadline`, a time.monotonic() instant); raises Busy,
        ShuttingDown, or Stopped when cancel is set while waiting."""
        self._enter(cancel, deadline)
        try:
            yield
        finally:
            self._leave(cancel)

    def begin_drain(self) -> None:
        """Refuse new simulations from now on; running ones continue."""
        with self._changed:
            self._draining = True
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no simulation runs; False if timeout passed first."""
        end = time.monotonic() + timeout
        with self._changed:
            while self._running:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)

        return True

    def cancel_all(self) -> int:
        """Set the cancel event of every running simulation; how many."""
        with self._changed:
            self._cancelled_by_drain = True
            for cancel in self._running:
                cancel.set()

            return len(self._running)

    def _enter(self, cancel: threading.Event, deadline: float | None) -> None:
        # The drain check and the registration share the lock, so a
        # simulation admitted just as drain begins is still one that
        # cancel_all() can reach.
        with self._changed:
            if self._draining:
                raise ShuttingDown()
            if len(self._running) >= self.limit:
                self._wait_for_slot(cancel, deadline)
            self._running.add(cancel)
            self._report()

    def _wait_for_slot(
        self, cancel: threading.Event, deadline: float | None
    ) -> None:
        """Wait (lock held) until a slot frees; raise if it does not."""
        if self._queued >= self.queue_limit:
            raise Busy(self.limit)
        end = time.monotonic() + self.queue_seconds
        if deadline is not None:
            end = min(end, deadline)
        self._queued += 1
        self._report()
        try:
            while len(self._running) >= self.limit:
                if self._draining:
                    raise ShuttingDown()
                if cancel.is_set():
                    raise Stopped(
                        grpc.StatusCode.CANCELLED, "cancelled while queued"
                    )
                left = end - time.monotonic()
                if left <= 0:
                    raise Busy(self.limit)
                # Cancellation sets an Event, not this condition: poll.
                self._changed.wait(min(left, _CANCEL_POLL_SECONDS))
        finally:
            self._queued -= 1
            self._report()

    def _leave(self, cancel: threading.Event) -> None:
        with self._changed:
            self._running.discard(cancel)
            self._report()
            self._changed.notify_all()

    def _report(self) -> None:
        if self._gauge is not None:
            self._gauge.set(len(self._running))
        if self._queue_gauge is not None:
            self._queue_gauge.set(self._queued)
