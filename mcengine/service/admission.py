"""Simulation slots: who may run now, who is running, and draining.

A fixed number of simulations run at once (MCENGINE_MAX_CONCURRENT). A
request beyond that is refused at once rather than queued: a queued
simulation holds a handler thread and its client's deadline while waiting,
and a caller with a latency objective does better retrying elsewhere.

Each running simulation registers its cancel event here, so that a
draining server can stop the ones still running when the grace period
ends: the core checks the event between blocks of iterations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from mcengine.service.status import Busy, ShuttingDown


class Admission:
    """A non-blocking limit on concurrent simulations, with a drain switch."""

    def __init__(self, limit: int, gauge=None):
        self.limit = limit
        self._gauge = gauge
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
    def slot(self, cancel: threading.Event) -> Iterator[None]:
        """Hold a slot while the body runs; raises Busy or ShuttingDown."""
        self._enter(cancel)
        try:
            yield
        finally:
            self._leave(cancel)

    def begin_drain(self) -> None:
        """Refuse new simulations from now on; running ones continue."""
        with self._changed:
            self._draining = True

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

    def _enter(self, cancel: threading.Event) -> None:
        # The drain check and the registration share the lock, so a
        # simulation admitted just as drain begins is still one that
        # cancel_all() can reach.
        with self._changed:
            if self._draining:
                raise ShuttingDown()
            if len(self._running) >= self.limit:
                raise Busy(self.limit)
            self._running.add(cancel)
            self._report()

    def _leave(self, cancel: threading.Event) -> None:
        with self._changed:
            self._running.discard(cancel)
            self._report()
            self._changed.notify_all()

    def _report(self) -> None:
        if self._gauge is not None:
            self._gauge.set(len(self._running))
