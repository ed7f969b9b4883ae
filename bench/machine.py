"""A description of the machine and build, recorded with every result.

A figure means little without what produced it: the CPU and its vector
extensions, the cores, the core's compiler and flags (-march=native makes
a build's speed depend on where it was built), and the versions of
Python, NumPy, gRPC and mcengine.
"""

from __future__ import annotations

import os
import platform

import grpc
import numpy as np

from mcengine import __version__, _core

# The CPU features that change what -march=native builds.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq")


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo ({} elsewhere)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if not line.strip():
                    break
                name, _, value = line.partition(":")
                fields[name.strip()] = value.strip()
    except OSError:
        pass

    return fields


def cpu_model() -> str:
    """The CPU's model name, as the operating system reports it."""
    name = _cpuinfo().get("model name")

    return name or platform.processor() or "unknown"


def vector_flags() -> list[str]:
    """Which of VECTOR_FLAGS the CPU has (empty where unknown)."""
    flags = set(_cpuinfo().get("flags", "").split())

    return [flag for flag in VECTOR_FLAGS if flag in flags]


def describe_machine() -> dict:
    """The machine, the core's build and the versions, as one dict."""
    build = _core.build_info()

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "vector_flags": vector_flags(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "grpc": grpc.__version__,
        "mcengine": __version__,
        "build_flags": build["flags"],
        "compiler": build["compiler"],
        "hardware_threads": build.get("hardware_threads"),
    }


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have used since boot (None off Linux).

    From /proc/stat's first line: user, nice, system, irq, softirq and
    steal time, without idle and iowait.
    """
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    busy = [int(fields[i]) for i in (1, 2, 3, 6, 7, 8)]

    return sum(busy) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds used by this process and its waited-for children."""
    times = os.times()

    return (
        times.user + times.system + times.children_user + times.children_system
    )
