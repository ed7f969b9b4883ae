"""The result of a simulation: statistics per output, and the run's facts.

Statistics follow the definitions stated in the README: float64 throughout,
std with n - 1, skewness and kurtosis as population moment ratios (a normal
has kurtosis 3), percentiles by Excel's PERCENTILE.INC, all computed over
the iterations that gave a number; `errors` counts the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Histogram:
    """Equal-width bins from min to max; the last bin includes max."""

    edges: list[float]
    counts: list[int]


@dataclass(frozen=True)
class OutputStats:
    """Statistics of one output cell over the valid iterations."""

    name: str
    mean: float
    std: float
    min: float
    max: float
    skewness: float
    kurtosis: float
    sem: float
    valid: int
    errors: int
    percentiles: dict[float, float]
    histogram: Histogram
    # Spearman rank correlation of each stochastic input with this output,
    # over the first Result.sensitivity_iterations iterations; NaN where it
    # is undefined (a constant input or output).
    sensitivity: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "max": self.max,
            "skewness": self.skewness,
            "kurtosis": self.kurtosis,
            "sem": self.sem,
            "valid": self.valid,
            "errors": self.errors,
            "percentiles": {
                _percentile_key(p): v for p, v in self.percentiles.items()
            },
            "histogram": {
                "edges": list(self.histogram.edges),
                "counts": list(self.histogram.counts),
            },
            "sensitivity": {
                name: {"spearman": r} for name, r in self.sensitivity.items()
            },
        }


@dataclass(frozen=True)
class Result:
    """What a simulation returns: outputs in model order, and run facts."""

    iterations: int
    seed: int
    threads: int
    elapsed_seconds: float
    sensitivity_iterations: int
    outputs: dict[str, OutputStats]
    sampling: str = "mc"

    def to_dict(self) -> dict:
        return {
            "iterations": self.iterations,
            "seed": self.seed,
            "sampling": self.sampling,
            "threads": self.threads,
            "elapsed_seconds": self.elapsed_seconds,
            "sensitivity_iterations": self.sensitivity_iterations,
            "outputs": {n: o.to_dict() for n, o in self.outputs.items()},
        }


def _percentile_key(p: float) -> str:
    """ "5" for 5.0, "2.5" for 2.5: the key other tools read."""
    return f"{p:g}"
