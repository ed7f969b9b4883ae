"""mcengine: Monte Carlo simulation of spreadsheet risk models."""

from mcengine._version import __version__

__all__ = ["__version__"]
