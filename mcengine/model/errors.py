"""Model errors that carry the facts needed to fix them.

A ModelError holds one or more Violations. Each names the field of the
request it concerns ("cells.margin", "outputs[2]", "iterations") and says,
in a sentence, what is wrong there; for a formula it includes the position
(1-based character offset in the formula text) and the reason. The gRPC
service turns the violations into google.rpc.BadRequest field violations.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One thing wrong with a model: where, and why."""

    field: str
    description: str

    def __str__(self) -> str:
        return f"{self.field}: {self.description}"


# The violations a ModelError's message spells out; all of them stay in
# its violations (10,000 badly named cells made a message of 1 MB).
MESSAGE_VIOLATIONS = 20


class ModelError(ValueError):
    """A model that cannot be compiled, with every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        shown = [str(v) for v in self.violations[:MESSAGE_VIOLATIONS]]
        more = len(self.violations) - len(shown)
        if more > 0:
            shown.append(f"and {more} more")
        super().__init__("; ".join(shown))

    @classmethod
    def single(cls, field: str, description: str) -> ModelError:
        return cls([Violation(field, description)])


class LimitError(ValueError):
    """A request over a configured limit (model size, iterations)."""

    def __init__(self, field: str, limit: int, value: int, what: str):
        self.field = field
        self.limit = limit
        self.value = value
        self.description = f"{what} {value} exceeds the limit of {limit}"
        super().__init__(f"{field}: {self.description}")


class CompileStopped(Exception):
    """Compiling was stopped: the caller's cancel or deadline came first."""


# What compiling asks, now and then, to learn whether to stop: set by the
# engine around a compile for the duration of one call (a cancelled or
# late request must not keep compiling a large workbook).
STOP: ContextVar = ContextVar("mcengine_compile_stop", default=None)


def check_stop() -> None:
    """Raises CompileStopped when the current call's stop says so."""
    stop = STOP.get()
    if stop is not None and stop():
        raise CompileStopped()
