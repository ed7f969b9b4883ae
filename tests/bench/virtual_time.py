"""An asyncio event loop whose clock is virtual, for timing tests.

The loop's clock starts at 0 and moves only when the loop would wait:
where a real loop would block in select() for the time to its next
timer, this one jumps the clock there at once. Code that takes time
from `loop.time()` and waits with `asyncio.sleep` therefore runs
unchanged, instantly and deterministically, with exact times. advance()
moves the clock without yielding, as a blocking pause of the process
would (a generator stall).
"""

from __future__ import annotations

import asyncio
import selectors


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self):
        super().__init__()
        self.now = 0.0

    def select(self, timeout=None):
        # A real wait of `timeout` seconds becomes a jump of the clock;
        # None (wait forever) stays a real wait, so a test that
        # deadlocks hangs visibly and pytest-timeout ends it.
        if timeout is not None and timeout > 0:
            self.now += timeout
            timeout = 0

        return super().select(timeout)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on the virtual clock."""

    def __init__(self):
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now

    def advance(self, seconds: float) -> None:
        """Move the clock on without running anything (a stall)."""
        self._jumping.now += seconds


def run_virtual(coroutine):
    """Run a coroutine to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()
