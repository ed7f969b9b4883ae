"""Fixtures the core's tests share."""

import pytest


@pytest.fixture(scope="module")
def stats():
    """scipy.stats, the independent oracle (the test skips without it)."""
    return pytest.importorskip("scipy.stats")
