"""Limits checked before any work starts."""

from __future__ import annotations

from dataclasses import dataclass

from mcengine.model.loader import ModelLimits


@dataclass(frozen=True)
class Limits:
    """What one simulation may ask for.

    max_values bounds memory: every output keeps all its values (8 bytes
    each) so that percentiles are exact, so iterations * outputs is capped.
    """

    max_iterations: int = 50_000_000
    max_cells: int = 20_000
    max_formula_chars: int = 8_192
    max_outputs: int = 100
    max_values: int = 200_000_000

    def model_limits(self) -> ModelLimits:
        return ModelLimits(
            self.max_cells, self.max_formula_chars, self.max_outputs
        )
