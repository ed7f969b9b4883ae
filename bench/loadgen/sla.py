"""The service level objective and the verdict on a run.

The SLA: p95 latency at most 2 seconds and at most 1 % of calls failing.
The p95 is taken over every completed measured call, errors included:
a call that timed out counts with the time it took (its deadline), so
a slow server cannot pass by failing its slow calls, and a server that
fails fast is caught by the error rate instead. Every non-OK status is
an error (RESOURCE_EXHAUSTED from a full server included: the caller
did not get its simulation).
"""

from __future__ import annotations

from dataclasses import dataclass

P95_LIMIT_SECONDS = 2.0
ERROR_RATE_LIMIT = 0.01


@dataclass(frozen=True)
class Sla:
    """Limits a run must stay within."""

    p95_limit_seconds: float = P95_LIMIT_SECONDS
    error_rate_limit: float = ERROR_RATE_LIMIT

    def verdict(self, p95_ns: int | None, calls: int, errors: int) -> dict:
        """The report's SLA block; not met when no call completed."""
        p95 = None if p95_ns is None else p95_ns / 1e9
        error_rate = errors / calls if calls else None
        met = (
            calls > 0
            and p95 <= self.p95_limit_seconds
            and error_rate <= self.error_rate_limit
        )

        return {
            "p95_seconds": p95,
            "p95_limit_seconds": self.p95_limit_seconds,
            "error_rate": error_rate,
            "error_rate_limit": self.error_rate_limit,
            "met": bool(met),
        }
