"""Models: formulas -> syntax trees -> checked cell graph -> Program."""

from mcengine.model.compiler import CompiledModel, compile_model
from mcengine.model.errors import LimitError, ModelError, Violation
from mcengine.model.loader import ModelLimits

__all__ = [
    "CompiledModel",
    "LimitError",
    "ModelError",
    "ModelLimits",
    "Violation",
    "compile_model",
]
