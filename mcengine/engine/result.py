"""The result of a simulation: statistics per output, and the run's facts.

Statistics follow the definitions stated in the README: float64 throughout,
std with n - 1, skewness and kurtosis as population moment ratios (a normal
has kurtosis 3), percentiles by Excel's PERCENTILE.INC, all computed over
the iterations that gave a number; `errors` counts the others.
"""

from __future__ import annotations

import math
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
    # Per requested target t: (P(X <= t), P(X > t)).
    targets: dict[float, tuple[float, float]] = field(default_factory=dict)
    # Per requested level L (percent): (VaR, CVaR), CVaR the mean of the
    # tail at or below the VaR for L <= 50, at or above it for L > 50.
    tail_risks: dict[float, tuple[float, float]] = field(default_factory=dict)
    # Confidence intervals (Result.confidence) of the mean and of each
    # percentile (distribution-free); NaN where the sample cannot give one.
    mean_ci: tuple[float, float] = (math.nan, math.nan)
    percentile_cis: dict[float, tuple[float, float]] = field(
        default_factory=dict
    )
    # The most frequent value of an output with few distinct values
    # (statistics.MODE_DISTINCT), else None.
    mode: float | None = None
    # Inputs with no path to this output (their Spearman is NaN).
    disconnected: list[str] = field(default_factory=list)
    # Per connected input: standardised rank regression coefficient,
    # contribution to variance, and the output's mean in each of 10
    # equal-count bins of the input; r_squared of the rank regression.
    srrc: dict[str, float] = field(default_factory=dict)
    contribution: dict[str, float] = field(default_factory=dict)
    bin_means: dict[str, list[float]] = field(default_factory=dict)
    r_squared: float = math.nan

    def _driver(self, name: str) -> dict:
        if name in self.disconnected:
            return driver_entry(None)
        return driver_entry(
            self.sensitivity[name],
            self.srrc.get(name, math.nan),
            self.contribution.get(name, math.nan),
            self.bin_means.get(name, []),
        )

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
                number_key(p): v for p, v in self.percentiles.items()
            },
            "histogram": {
                "edges": list(self.histogram.edges),
                "counts": list(self.histogram.counts),
            },
            "sensitivity": {
                name: self._driver(name) for name in self.sensitivity
            },
            "sensitivity_r_squared": self.r_squared,
            "mean_ci": list(self.mean_ci),
            "percentile_ci": {
                number_key(p): list(ci)
                for p, ci in self.percentile_cis.items()
            },
            "targets": {
                number_key(t): {"p_at_most": le, "p_above": gt}
                for t, (le, gt) in self.targets.items()
            },
            "tail_risks": {
                number_key(level): {"var": var, "cvar": cvar}
                for level, (var, cvar) in self.tail_risks.items()
            },
            "mode": self.mode,
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
    confidence: float = 0.95
    # How a run with a convergence rule ended (convergence.Report.to_dict),
    # None for a fixed run.
    convergence: dict | None = None
    # A model with RiskSimtable: one Result per simulation, in order (this
    # Result's own statistics are those of the first); empty otherwise.
    simulations: list[Result] = field(default_factory=list)
    # Things the caller should know about the run, in words.
    warnings: list[str] = field(default_factory=list)
    # Per group of correlated inputs (model.correlation.Group.to_dict):
    # its inputs, the target, applied and achieved rank correlations.
    correlations: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "iterations": self.iterations,
            "seed": self.seed,
            "sampling": self.sampling,
            "confidence": self.confidence,
            "threads": self.threads,
            "elapsed_seconds": self.elapsed_seconds,
            "sensitivity_iterations": self.sensitivity_iterations,
            "outputs": {n: o.to_dict() for n, o in self.outputs.items()},
            **({"convergence": self.convergence} if self.convergence else {}),
            **(
                {"simulations": [_simulation(r) for r in self.simulations]}
                if self.simulations
                else {}
            ),
            **({"warnings": list(self.warnings)} if self.warnings else {}),
            **(
                {"correlations": list(self.correlations)}
                if self.correlations
                else {}
            ),
        }


def _simulation(result: Result) -> dict:
    """One RiskSimtable simulation in to_dict(): what differs between
    simulations."""
    d = result.to_dict()
    keep = ("iterations", "elapsed_seconds", "outputs", "convergence")
    return {k: d[k] for k in keep if k in d}


def driver_entry(spearman, srrc=None, contribution=None, bin_means=None):
    """One input's sensitivity entry in to_dict(); spearman None for an
    input disconnected from the output, whose other numbers are then null."""
    connected = spearman is not None
    return {
        "spearman": spearman,
        "connected": connected,
        "srrc": srrc if connected else None,
        "contribution": contribution if connected else None,
        "bin_means": list(bin_means) if connected else None,
    }


def number_key(p: float) -> str:
    """The key of a percentile, target or level: "5" for 5.0, "2.5" for
    2.5, "1250000" for 1.25e6: the key other tools read."""
    return f"{p:.15g}"
