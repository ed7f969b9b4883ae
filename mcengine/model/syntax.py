"""The syntax tree of an Excel formula.

Every node records `pos`, the 1-based character offset in the formula text
(counted after the leading "="), so errors can point at the place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Number(Node):
    value: float


@dataclass(frozen=True)
class Text(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class ErrorLiteral(Node):
    """An error typed into a formula, such as #N/A."""

    code: str


@dataclass(frozen=True)
class Name(Node):
    """A reference to another cell, as typed (case is kept for messages)."""

    name: str


@dataclass(frozen=True)
class Ref(Node):
    """A workbook reference: a cell or a rectangle of cells, 1-based;
    sheet None for the formula's own sheet. A whole column has rows 1 to
    None (the sheet's last used row), a whole row columns 1 to None."""

    sheet: str | None
    row1: int
    col1: int
    row2: int | None
    col2: int | None

    @property
    def single(self) -> bool:
        return self.row1 == self.row2 and self.col1 == self.col2


@dataclass(frozen=True)
class Array(Node):
    """An array constant {1,2;3,4}: rows of elements."""

    rows: tuple[tuple[Node, ...], ...]

    def elements(self) -> tuple[Node, ...]:
        return tuple(e for row in self.rows for e in row)


@dataclass(frozen=True)
class Unary(Node):
    """Prefix minus or plus, or the postfix percent sign."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Empty(Node):
    """An empty cell inside a workbook range (keeps the range's shape)."""


@dataclass(frozen=True)
class Missing(Node):
    """An omitted argument, as in IF(x, , 2)."""


@dataclass(frozen=True)
class Call(Node):
    """A function call; `name` is as typed, `key` upper-cased."""

    name: str
    args: tuple[Node, ...]

    @property
    def key(self) -> str:
        return self.name.upper()
