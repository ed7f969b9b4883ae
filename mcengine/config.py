"""Service configuration: defaults, then environment, then command line.

Every setting has a default that runs the service with no configuration
at all. Environment variables (MCENGINE_*) override the defaults, and
`mcengine serve` flags override both. A value that cannot be used is
refused with a ConfigError naming the variable or flag, the value, and
what was expected; nothing falls back silently to a default.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(ValueError):
    """A configuration value that cannot be used, with where it came from."""


def _cores() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Config:
    """Settings of one server process; see ENVIRONMENT for the variables."""

    host: str = "0.0.0.0"
    port: int = 50051
    http_port: int = 8000
    # None: the engine uses all cores.
    threads: int | None = None
    colour: str = "none"
    max_concurrent: int = field(default_factory=_cores)
    # Requests that may wait for a slot, and for how long at most.
    max_queued: int = field(default_factory=_cores)
    queue_seconds: float = 1.0
    grace_seconds: float = 20.0
    max_iterations: int = 50_000_000
    max_message_bytes: int = 4 * 1024 * 1024
    log_format: str = "json"
    log_level: str = "info"

    def __post_init__(self) -> None:
        for name, check in _CHECKS.items():
            check(name, getattr(self, name))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Defaults overridden by the MCENGINE_* variables that are set."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, variable in ENVIRONMENT.items():
            text = environ.get(variable)
            if text is not None and text.strip() != "":
                values[name] = _parse(variable, name, text.strip())

        return cls._build(values, source=lambda n: ENVIRONMENT[n])

    def replace(self, **overrides: Any) -> Config:
        """A copy with the given settings changed (None: left as is)."""
        values = {k: v for k, v in overrides.items() if v is not None}

        return self._build(
            {**dataclasses.asdict(self), **values},
            source=lambda n: "--" + n.replace("_", "-"),
        )

    @classmethod
    def _build(
        cls, values: dict[str, Any], source: Callable[[str], str]
    ) -> Config:
        try:
            return cls(**values)
        except _Invalid as exc:
            message = f"{source(exc.name)}: {exc.reason}, got {exc.value!r}"
            raise ConfigError(message) from None


# Which variable sets which field.
ENVIRONMENT = {
    "host": "MCENGINE_HOST",
    "port": "MCENGINE_PORT",
    "http_port": "MCENGINE_HTTP_PORT",
    "threads": "MCENGINE_THREADS",
    "colour": "MCENGINE_COLOUR",
    "max_concurrent": "MCENGINE_MAX_CONCURRENT",
    "max_queued": "MCENGINE_MAX_QUEUED",
    "queue_seconds": "MCENGINE_QUEUE_SECONDS",
    "grace_seconds": "MCENGINE_GRACE_SECONDS",
    "max_iterations": "MCENGINE_MAX_ITERATIONS",
    "max_message_bytes": "MCENGINE_MAX_MESSAGE_BYTES",
    "log_format": "MCENGINE_LOG_FORMAT",
    "log_level": "MCENGINE_LOG_LEVEL",
}


class _Invalid(Exception):
    def __init__(self, name: str, value: Any, reason: str):
        super().__init__(name)
        self.name = name
        self.value = value
        self.reason = reason


def _parse(variable: str, name: str, text: str) -> Any:
    kind = _KINDS.get(name, str)
    try:
        return kind(text)
    except ValueError:
        expected = "a number" if kind is float else "an integer"
        message = f"{variable}: expected {expected}, got {text!r}"
        raise ConfigError(message) from None


def _integer(low: int, high: int | None = None):
    def check(name: str, value: Any) -> None:
        ok = isinstance(value, int) and value >= low
        if ok and high is not None:
            ok = value <= high
        if not ok:
            upper = "" if high is None else f" and at most {high}"
            raise _Invalid(name, value, f"expected an integer >= {low}{upper}")

    return check


def _optional_integer(low: int):
    inner = _integer(low)

    def check(name: str, value: Any) -> None:
        if value is not None:
            inner(name, value)

    return check


def _positive_number(name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise _Invalid(name, value, "expected a number of seconds >= 0")


def _choice(choices: tuple[str, ...]):
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise _Invalid(
                name, value, f"expected one of {', '.join(choices)}"
            )

    return check


def _label(name: str, value: Any) -> None:
    ok = isinstance(value, str) and 0 < len(value) <= 64
    if not ok or not value.replace("-", "").replace("_", "").isalnum():
        reason = "expected 1-64 letters, digits, '-' or '_'"
        raise _Invalid(name, value, reason)


def _host(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise _Invalid(name, value, "expected a host name or address")


_CHECKS = {
    "host": _host,
    "port": _integer(0, 65535),
    "http_port": _integer(0, 65535),
    # 0 is accepted as "all cores", like an absent setting.
    "threads": _optional_integer(0),
    "colour": _label,
    "max_concurrent": _integer(1),
    "max_queued": _integer(0),
    "queue_seconds": _positive_number,
    "grace_seconds": _positive_number,
    "max_iterations": _integer(1),
    # Below 1 KiB not even a small model fits.
    "max_message_bytes": _integer(1024),
    "log_format": _choice(LOG_FORMATS),
    "log_level": _choice(LOG_LEVELS),
}

_KINDS: dict[str, Callable[[str], Any]] = {
    "port": int,
    "http_port": int,
    "threads": int,
    "max_concurrent": int,
    "max_queued": int,
    "queue_seconds": float,
    "grace_seconds": float,
    "max_iterations": int,
    "max_message_bytes": int,
}
