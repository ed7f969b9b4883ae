"""The syntax tree of an Excel formula.

Every node records `pos`, the 1-based character offset in the formula text
(counted after the leading "="), so errors can point at the place.
Nodes are never changed once built; they are plain slotted dataclasses,
not frozen ones, because a frozen one costs four times as much to build
and a 10,000-formula workbook builds some 200,000 of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Node:
    pos: int


@dataclass(slots=True)
class Number(Node):
    value: float


@dataclass(slots=True)
class Text(Node):
    value: str


@dataclass(slots=True)
class Bool(Node):
    value: bool


@dataclass(slots=True)
class ErrorLiteral(Node):
    """An error typed into a formula, such as #N/A."""

    code: str


@dataclass(slots=True)
class Name(Node):
    """A reference to another cell, as typed (case is kept for messages)."""

    name: str


@dataclass(slots=True)
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


@dataclass(slots=True)
class Array(Node):
    """An array constant {1,2;3,4}: rows of elements."""

    rows: tuple[tuple[Node, ...], ...]

    def elements(self) -> tuple[Node, ...]:
        return tuple(e for row in self.rows for e in row)


@dataclass(slots=True)
class Unary(Node):
    """Prefix minus or plus, or the postfix percent sign."""

    op: str
    operand: Node


@dataclass(slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Element(Node):
    """Element (row, col), from 0, of the array another cell's formula
    gives: a cell of a workbook's array formula over several cells."""

    source: str
    row: int
    col: int


@dataclass(slots=True)
class Empty(Node):
    """An empty cell inside a workbook range (keeps the range's shape)."""


@dataclass(slots=True)
class Missing(Node):
    """An omitted argument, as in IF(x, , 2)."""


@dataclass(slots=True)
class Call(Node):
    """A function call; `name` is as typed, `key` upper-cased."""

    name: str
    args: tuple[Node, ...]

    @property
    def key(self) -> str:
        return self.name.upper()


def children(node: Node) -> tuple[Node, ...]:
    """A node's direct operands, left to right."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Array):
        return node.elements()
    return ()


def preorder(tree: Node, into_ranges: bool = True):
    """Nodes in pre-order, left to right, without recursion; without
    into_ranges, a workbook range's cell names are not visited (they hold
    no calls)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if (
            not into_ranges
            and isinstance(node, Array)
            and node.rows
            and node.rows[0]
            and isinstance(node.rows[0][0], (Name, Empty))
        ):
            continue
        stack.extend(reversed(children(node)))
