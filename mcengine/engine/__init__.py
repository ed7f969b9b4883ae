"""Running compiled models: the public simulate() API."""

from mcengine.engine.limits import Limits
from mcengine.engine.result import Histogram, OutputStats, Result
from mcengine.engine.simulate import (
    DEFAULT_PERCENTILES,
    Cancelled,
    DeadlineExceeded,
    sample,
    simulate,
)

__all__ = [
    "DEFAULT_PERCENTILES",
    "Cancelled",
    "DeadlineExceeded",
    "Histogram",
    "Limits",
    "OutputStats",
    "Result",
    "sample",
    "simulate",
]
