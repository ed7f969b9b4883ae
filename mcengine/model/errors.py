"""Model errors that carry the facts needed to fix them.

A ModelError holds one or more Violations. Each names the field of the
request it concerns ("cells.margin", "outputs[2]", "iterations") and says,
in a sentence, what is wrong there; for a formula it includes the position
(1-based character offset in the formula text) and the reason. The gRPC
service turns the violations into google.rpc.BadRequest field violations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One thing wrong with a model: where, and why."""

    field: str
    description: str

    def __str__(self) -> str:
        return f"{self.field}: {self.description}"


class ModelError(ValueError):
    """A model that cannot be compiled, with every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        super().__init__("; ".join(str(v) for v in self.violations))

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
