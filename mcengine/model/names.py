"""Excel's rules for defined names, which cell names follow.

A name starts with a letter (of any script), "_" or "\\", goes on with
letters, digits, "_" and ".", is at most 255 characters, and is compared
without regard to case. A name that Excel would read as a cell reference
is refused: A1 style (one to three letters up to XFD, then a row up to
1,048,576, such as "cf1" or "XFD7"), R1C1 style ("R2C3", "R5", "C", "rc"),
and TRUE and FALSE.
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 255
# Letters are any Unicode letters, as in Excel ("coût", "价格").
_SHAPE = re.compile(r"(?:[^\W\d]|\\)[\w.\\]*\Z")
_A1 = re.compile(r"([A-Za-z]{1,3})([0-9]+)\Z")
_R1C1 = re.compile(r"[Rr]([0-9]*)([Cc][0-9]*)?\Z|[Cc][0-9]*\Z")
_MAX_COLUMN = 16384  # XFD
_MAX_ROW = 1048576


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a cell, or None when it can."""
    if not isinstance(name, str) or not name:
        return "a cell name must be non-empty text"
    if len(name) > MAX_NAME_LENGTH:
        return f"a name is at most {MAX_NAME_LENGTH} characters"
    if not _SHAPE.match(name):
        return (
            "a name starts with a letter, '_' or '\\' and holds only "
            "letters, digits, '_', '.' and '\\'"
        )
    if name.upper() in ("TRUE", "FALSE"):
        return f"'{name}' is a logical value, not a name"
    if reads_as_a1(name):
        return (
            f"'{name}' reads as the cell reference "
            f"{name.upper()}; choose a name that is not a reference"
        )
    if _R1C1.match(name):
        return f"'{name}' reads as an R1C1-style cell reference"
    return None


def reads_as_a1(name: str) -> bool:
    match = _A1.match(name)
    if not match:
        return False
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    row = int(match.group(2))
    return column <= _MAX_COLUMN and 1 <= row <= _MAX_ROW


def key(name: str) -> str:
    """The case-insensitive identity of a name (Unicode case folding)."""
    return name.casefold()
