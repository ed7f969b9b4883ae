"""A description of the machine and build, recorded with every result."""

from __future__ import annotations

import os
import platform

import numpy as np

from mcengine import __version__, _core


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine() -> dict:
    build = _core.build_info()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mcengine": __version__,
        "build_flags": build["flags"],
        "compiler": build["compiler"],
    }
