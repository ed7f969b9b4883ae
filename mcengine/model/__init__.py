"""Models: formulas -> syntax trees -> checked cell graph -> Program."""

from mcengine.model.compiler import (
    CompiledModel,
    compile_model,
    compile_workbook,
)
from mcengine.model.errors import LimitError, ModelError, Violation
from mcengine.model.loader import ModelLimits
from mcengine.model.workbook import WorkbookSource
from mcengine.model.workbook_check import check_workbook

__all__ = [
    "CompiledModel",
    "LimitError",
    "ModelError",
    "ModelLimits",
    "Violation",
    "WorkbookSource",
    "check_workbook",
    "compile_model",
    "compile_workbook",
]
