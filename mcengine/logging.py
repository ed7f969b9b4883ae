"""Logging setup for the `mcengine` command, and only for it.

Library code logs through structlog.get_logger() and never configures
anything; the process entry point (`mcengine serve`, the CLI) calls
configure() once. Lines go to stdout, one event per line: JSON for
machines (the default, what a log shipper reads) or coloured key=value
text for a person at a terminal. Context bound with
structlog.contextvars (the request id, the method) is merged into every
line; the service clears it after each call.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def configure(
    log_format: str = "json",
    level: str = "info",
    stream: TextIO | None = None,
) -> None:
    """Send structlog events at `level` and above to stream (stdout)."""
    stream = sys.stdout if stream is None else stream
    renderer = _renderer(log_format)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            _exception_processor(log_format),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper())
        ),
        # WriteLogger flushes after every line, so a pipe reader (a log
        # shipper, a test) sees each event as it happens.
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )


def _renderer(log_format: str):
    if log_format == "console":
        return structlog.dev.ConsoleRenderer()
    if log_format == "json":
        return structlog.processors.JSONRenderer(sort_keys=False)
    raise ValueError(f"log format must be json or console: {log_format!r}")


def _exception_processor(log_format: str):
    # JSON keeps the traceback structured; the console renderer formats
    # exc_info itself and wants it left alone.
    if log_format == "json":
        return structlog.processors.dict_tracebacks
    return _passthrough


def _passthrough(logger, method_name, event_dict):
    return event_dict
