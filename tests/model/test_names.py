"""Cell names follow Excel's rules for defined names."""

import pytest

from mcengine.model.names import name_problem


@pytest.mark.parametrize("name", ["A1", "cf1", "XFD7", "xfd1048576", "C5"])
def test_names_that_read_as_a1_references_are_refused(name):
    """A1-style references are refused, with the reason."""
    assert "reads as the cell reference" in name_problem(name)


@pytest.mark.parametrize("name", ["R", "c", "rc", "R2C3", "R5", "C12"])
def test_names_that_read_as_r1c1_references_are_refused(name):
    """R1C1-style references are refused too."""
    assert "R1C1" in name_problem(name) or "reads as" in name_problem(name)


@pytest.mark.parametrize(
    "name",
    ["margin", "XFE7", "A1048577", "ABCD1", "tax_2024", "_x", "x.y", "\\n"],
)
def test_ordinary_names_are_accepted(name):
    """Names past the last column or row are ordinary names."""
    assert name_problem(name) is None


@pytest.mark.parametrize("name", ["", "1abc", "a b", "TRUE", "x" * 256])
def test_malformed_names_are_refused(name):
    """Empty, leading digit, spaces, logical values, over-long names."""
    assert name_problem(name) is not None
