"""Configuration: defaults, environment overrides, and clear refusals."""

from __future__ import annotations

import os

import pytest

from mcengine.config import Config, ConfigError


def test_defaults_need_no_configuration():
    """With no variables set, the documented defaults apply."""
    config = Config.from_env({})

    assert (config.port, config.http_port) == (50051, 8000)
    assert config.grace_seconds == 20.0
    assert config.max_concurrent == (os.cpu_count() or 1)
    assert config.threads is None
    assert config.log_format == "json"


def test_environment_overrides_defaults():
    """Each MCENGINE_* variable sets its field, parsed to its type."""
    config = Config.from_env(
        {
            "MCENGINE_PORT": "6000",
            "MCENGINE_HTTP_PORT": "6001",
            "MCENGINE_THREADS": "3",
            "MCENGINE_COLOUR": "blue",
            "MCENGINE_MAX_CONCURRENT": "5",
            "MCENGINE_GRACE_SECONDS": "2.5",
            "MCENGINE_MAX_ITERATIONS": "1_000_000",
            "MCENGINE_MAX_MESSAGE_BYTES": "65536",
            "MCENGINE_LOG_FORMAT": "console",
        }
    )

    assert (config.port, config.http_port, config.threads) == (6000, 6001, 3)
    assert (config.colour, config.max_concurrent) == ("blue", 5)
    assert config.grace_seconds == 2.5
    assert config.max_iterations == 1_000_000
    assert config.max_message_bytes == 65536
    assert config.log_format == "console"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("MCENGINE_PORT", "http"),
        ("MCENGINE_PORT", "70000"),
        ("MCENGINE_MAX_CONCURRENT", "0"),
        ("MCENGINE_GRACE_SECONDS", "-1"),
        ("MCENGINE_LOG_FORMAT", "xml"),
        ("MCENGINE_COLOUR", "blue green"),
    ],
)
def test_bad_variable_is_refused_by_name(variable, value):
    """A value that cannot be used names its variable and the value."""
    with pytest.raises(ConfigError) as refused:
        Config.from_env({variable: value})

    assert variable in str(refused.value)
    assert value in str(refused.value)


def test_flags_override_environment_and_name_themselves():
    """replace() (the serve flags) wins over the environment; bad is named."""
    config = Config.from_env({"MCENGINE_PORT": "6000"})

    assert config.replace(port=7000, colour=None).port == 7000
    with pytest.raises(ConfigError, match="--max-concurrent"):
        config.replace(max_concurrent=-2)
