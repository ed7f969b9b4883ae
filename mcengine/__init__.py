"""mcengine: Monte Carlo simulation of spreadsheet risk models.

from pathlib import Path
import mcengine
result = mcengine.simulate(Path("model.json"), iterations=100_000,
                           seed=1)
result.outputs["npv"].mean
"""

from mcengine._version import __version__


def simulate(model, **options):
    """Runs a model; see mcengine.engine.simulate for the options."""
    from mcengine.engine import simulate as run

    return run(model, **options)


__all__ = ["__version__", "simulate"]
