"""mcengine: Monte Carlo simulation of spreadsheet risk models.

    import mcengine
    result = mcengine.simulate("model.json", iterations=100_000, seed=1)
    result.outputs["npv"].mean
"""

from mcengine._version import __version__


def simulate(model, **options):
    """Runs a model; see mcengine.engine.simulate for the options."""
    from mcengine.engine import simulate as run

    return run(model, **options)


__all__ = ["__version__", "simulate"]
