"""Excel formula text -> syntax tree.

A hand-written tokenizer and a precedence-climbing parser with Excel's
operator precedence, from loosest to tightest binding:
comparison (= <> < <= > >=), concatenation (&), + and -, * and /,
exponent (^, left-associative as in Excel: 2^3^2 = 64), percent (postfix),
and prefix minus, which binds tighter than ^ (so -2^2 = 4, as Excel says).

Cell references and ranges (A1, $A$1, A1:B2, A:A, 'Sheet 2'!B4) are read
only when parsing a workbook's formula (workbook=True); in a model of
named cells a name that reads as a reference is refused by model.names.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from mcengine.model import syntax as ast


class FormulaSyntaxError(ValueError):
    """A formula that does not parse; `pos` is 1-based."""

    def __init__(self, pos: int, reason: str):
        self.pos = pos
        self.reason = reason
        super().__init__(f"position {pos}: {reason}")


class Token(NamedTuple):
    kind: str  # number, text, name, error, op, punct, ref, end
    text: str
    pos: int
    ref: object = None  # a ref's ast.Ref


ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"(?:[^\W\d]|\\)[\w.\\]*")
_OPERATORS = (
    "<>",
    "<=",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "^",
    "&",
    "=",
    "<",
    ">",
    "%",
)
_PUNCT = "(),;{}"
# A workbook reference: an optional sheet (plain or quoted, '' for a quote
# inside), then a cell, a rectangle, whole columns (A:C) or whole rows
# (1:3); $ anchors are allowed and carry no meaning here.
_SHEET = r"(?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]+"
_REF = re.compile(
    _SHEET
    + r"(?:(?P<c1>"
    + _CELL
    + r")(?::(?P<c2>"
    + _CELL
    + r"))?"
    + r"|(?P<col1>\$?[A-Za-z]{1,3}):(?P<col2>\$?[A-Za-z]{1,3})"
    + r"|(?P<row1>\$?[0-9]+):(?P<row2>\$?[0-9]+))"
    + r"(?![\w(!.])"
)
_MAX_ROW, _MAX_COLUMN = 1_048_576, 16_384


def _scanner(workbook: bool) -> re.Pattern:
    """One pattern for every ordinary token, tried in this order: (a
    reference,) a number, text, an error value, a name, an operator, a
    punctuation mark; anything else goes through _read_token, which says
    what is wrong."""
    parts = [
        rf"(?P<number>{_NUMBER.pattern})",
        r'(?P<text>"(?:[^"]|"")*")',
        r"(?P<error>(?i:" + "|".join(re.escape(e) for e in ERRORS) + r"))",
        rf"(?P<name>{_NAME.pattern})",
        r"(?P<op><>|<=|>=|[-+*/^&=<>%])",
        r"(?P<punct>[(),;{}])",
    ]
    if workbook:
        parts.insert(0, rf"(?P<ref>{_REF.pattern})")
    return re.compile(r"\s*(?:" + "|".join(parts) + ")")


_SCANNERS = {False: _scanner(False), True: _scanner(True)}


def tokenize(text: str, workbook: bool = False) -> list[Token]:
    """Splits formula text (without its "=") into tokens; with workbook,
    cell references and ranges are tokens of kind "ref"."""
    scanner = _SCANNERS[workbook]
    tokens, i, n = [], 0, len(text)
    while i < n:
        match = scanner.match(text, i)
        if match is None or match.lastgroup is None:
            while i < n and text[i].isspace():
                i += 1
            if i == n:
                break
            token = _read_token(text, i, workbook)  # raises if unreadable
            tokens.append(token)
            i += len(token.text)
            continue
        kind = match.lastgroup
        start = match.start(kind)
        token = Token(kind, match.group(kind), start + 1)
        if kind == "ref":
            token = Token(
                kind, token.text, token.pos, _reference(token, match)
            )
        tokens.append(token)
        i = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _read_token(text: str, i: int, workbook: bool = False) -> Token:
    pos = i + 1
    if match := _NUMBER.match(text, i):
        return Token("number", match.group(0), pos)
    if text[i] == '"':
        return Token("text", _read_string(text, i), pos)
    if text[i] == "#":
        for error in ERRORS:
            if text.upper().startswith(error, i):
                return Token("error", text[i : i + len(error)], pos)
        raise FormulaSyntaxError(pos, "unknown error value")
    if match := _NAME.match(text, i):
        return Token("name", match.group(0), pos)
    for op in _OPERATORS:
        if text.startswith(op, i):
            return Token("op", op, pos)
    if text[i] in _PUNCT:
        return Token("punct", text[i], pos)
    if workbook and text[i] == "[":
        raise FormulaSyntaxError(
            pos, "'[': links to other workbooks are not supported"
        )
    if workbook and text[i] in ":!$'":
        raise FormulaSyntaxError(
            pos,
            f"'{text[i]}' does not make a reference here (A1, A1:B2, "
            "'Sheet 2'!B4 are references)",
        )
    if text[i] in ":!$'[":
        raise FormulaSyntaxError(
            pos,
            f"'{text[i]}': cell references and ranges are only "
            "available in workbooks; refer to cells by name",
        )
    raise FormulaSyntaxError(pos, f"unexpected character '{text[i]}'")


def column_number(letters: str) -> int:
    """1 for A, 27 for AA, 16384 for XFD."""
    n = 0
    for char in letters.upper():
        n = n * 26 + ord(char) - ord("A") + 1
    return n


def column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _cell(text: str) -> tuple[int, int]:
    text = text.replace("$", "")
    split = len(text.rstrip("0123456789"))
    return int(text[split:]), column_number(text[:split])


def _reference(token: Token, match: re.Match) -> ast.Ref:
    """The Ref of a "ref" token; FormulaSyntaxError beyond the sheet."""
    parts = _reference_parts(token.text)
    if parts is None:
        raise FormulaSyntaxError(
            token.pos, f"'{token.text}' lies beyond the sheet (XFD1048576)"
        )
    return ast.Ref(token.pos, *parts)


@functools.lru_cache(maxsize=1 << 16)
def _reference_parts(text: str) -> tuple | None:
    """(sheet, row1, col1, row2, col2) of a reference's text, None beyond
    the sheet; cached, since a workbook's formulas repeat their
    references."""
    match = _REF.match(text)
    sheet = match.group("sheet")
    if sheet and sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    if match.group("c1"):
        row1, col1 = _cell(match.group("c1"))
        row2, col2 = _cell(match.group("c2") or match.group("c1"))
    elif match.group("col1"):
        row1, row2 = 1, None
        col1 = column_number(match.group("col1").replace("$", ""))
        col2 = column_number(match.group("col2").replace("$", ""))
    else:
        col1, col2 = 1, None
        row1 = int(match.group("row1").replace("$", ""))
        row2 = int(match.group("row2").replace("$", ""))
    rows = [r for r in (row1, row2) if r is not None]
    cols = [c for c in (col1, col2) if c is not None]
    if not all(1 <= r <= _MAX_ROW for r in rows) or not all(
        1 <= c <= _MAX_COLUMN for c in cols
    ):
        return None
    row1, row2 = (min(rows), max(rows)) if row2 is not None else (row1, None)
    col1, col2 = (min(cols), max(cols)) if col2 is not None else (col1, None)
    return sheet, row1, col1, row2, col2


def _read_string(text: str, i: int) -> str:
    j = i + 1
    while j < len(text):
        if text[j] == '"':
            if text.startswith('""', j):
                j += 2
                continue
            return text[i : j + 1]
        j += 1
    raise FormulaSyntaxError(i + 1, "text without its closing quote")


# Binding powers of the infix operators; prefix minus binds at _PREFIX.
_INFIX = {
    "=": 1,
    "<>": 1,
    "<": 1,
    "<=": 1,
    ">": 1,
    ">=": 1,
    "&": 2,
    "+": 3,
    "-": 3,
    "*": 4,
    "/": 4,
    "^": 5,
}
_PERCENT = 6
_PREFIX = 7
# Excel allows 64 levels of nested functions; parentheses and signs count
# here too, and the bound keeps parsing and compiling off deep recursion.
MAX_NESTING = 100


# Excel saves functions newer than 2007 with prefixes: _xlfn.STDEV.S,
# _xlfn._xlws.SORT. The function is the same.
_FUTURE = re.compile(r"^(?:_xlfn\.|_xlws\.)+", re.IGNORECASE)


class Resolver:
    """What a workbook's parse does with references, names and calls as
    it meets them (the default keeps each as it is)."""

    def ref(self, node: ast.Ref) -> ast.Node:
        return node

    def name(self, node: ast.Name) -> ast.Node:
        return node

    def call(self, node: ast.Call) -> ast.Node:
        return node


_KEEP = Resolver()


class _Parser:
    def __init__(self, text: str, workbook: bool = False, resolver=_KEEP):
        self.tokens = tokenize(text, workbook)
        self.i = 0
        self.depth = 0
        self.resolver = resolver

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token.text != text:
            found = describe(token)
            raise FormulaSyntaxError(token.pos, f"expected '{text}', {found}")
        return token

    def expression(self, min_power: int = 0) -> ast.Node:
        if self.depth >= MAX_NESTING:
            raise FormulaSyntaxError(
                self.peek().pos,
                f"the formula nests more than {MAX_NESTING} levels deep "
                "(parentheses, function calls and signs)",
            )
        self.depth += 1
        try:
            return self.operators(self.prefix(), min_power)
        finally:
            self.depth -= 1

    def operators(self, left: ast.Node, min_power: int) -> ast.Node:
        while True:
            token = self.peek()
            if token.kind != "op":
                return left
            if token.text == "%":
                if _PERCENT < min_power:
                    return left
                self.take()
                left = ast.Unary(token.pos, "%", left)
                continue
            power = _INFIX[token.text]
            if power <= min_power:
                return left
            self.take()
            right = self.expression(power)
            left = ast.Binary(token.pos, token.text, left, right)

    def prefix(self) -> ast.Node:
        token = self.peek()
        if token.kind == "op" and token.text in "+-":
            self.take()
            operand = self.expression(_PREFIX)
            return ast.Unary(token.pos, token.text, operand)
        return self.primary()

    def primary(self) -> ast.Node:
        token = self.take()
        if token.kind == "number":
            return ast.Number(token.pos, float(token.text))
        if token.kind == "text":
            return ast.Text(token.pos, token.text[1:-1].replace('""', '"'))
        if token.kind == "error":
            return ast.ErrorLiteral(token.pos, token.text.upper())
        if token.kind == "name":
            return self.name_or_call(token)
        if token.kind == "ref":
            return self.resolver.ref(token.ref)
        if token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.text == "{":
            return self.array(token)
        raise FormulaSyntaxError(
            token.pos, f"expected a value, {describe(token)}"
        )

    def name_or_call(self, token: Token) -> ast.Node:
        if self.peek().text == "(":
            self.take()
            name = _FUTURE.sub("", token.text)
            call = ast.Call(token.pos, name, self.arguments())
            return self.resolver.call(call)
        upper = token.text.upper()
        if upper in ("TRUE", "FALSE"):
            return ast.Bool(token.pos, upper == "TRUE")
        return self.resolver.name(ast.Name(token.pos, token.text))

    def arguments(self) -> tuple[ast.Node, ...]:
        args: list[ast.Node] = []
        if self.peek().text == ")":
            self.take()
            return ()
        while True:
            if self.peek().text in (",", ")"):
                args.append(ast.Missing(self.peek().pos))
            else:
                args.append(self.expression())
            token = self.take()
            if token.text == ")":
                return tuple(args)
            if token.text != ",":
                raise FormulaSyntaxError(
                    token.pos, f"expected ',' or ')', {describe(token)}"
                )

    def array(self, opening: Token) -> ast.Array:
        rows, row = [], []
        while True:
            row.append(self.array_element())
            token = self.take()
            if token.text == "}":
                rows.append(tuple(row))
                break
            if token.text == ";":
                rows.append(tuple(row))
                row = []
            elif token.text != ",":
                raise FormulaSyntaxError(
                    token.pos, f"expected ',', ';' or '}}', {describe(token)}"
                )
        if len({len(r) for r in rows}) > 1:
            raise FormulaSyntaxError(
                opening.pos, "array constant rows differ in length"
            )
        return ast.Array(opening.pos, tuple(rows))

    def array_element(self) -> ast.Node:
        token = self.peek()
        sign = 1.0
        if token.kind == "op" and token.text in "+-":
            self.take()
            sign = -1.0 if token.text == "-" else 1.0
        element = self.primary()
        if isinstance(element, ast.Number):
            return ast.Number(token.pos, sign * element.value)
        if sign < 0 or not isinstance(
            element, (ast.Text, ast.Bool, ast.ErrorLiteral)
        ):
            raise FormulaSyntaxError(
                token.pos,
                "an array constant holds only numbers, text, "
                "TRUE/FALSE and error values",
            )
        return element


def describe(token: Token) -> str:
    if token.kind == "end":
        return "found the end of the formula"
    return f"found '{token.text}'"


def parse_formula(
    text: str, workbook: bool = False, resolver: Resolver = _KEEP
) -> ast.Node:
    """Parses formula text (with or without its leading "="); workbook:
    read cell references and ranges (ast.Ref), each passed through the
    resolver as it is read, as are names and calls."""
    body = text.removeprefix("=")
    parser = _Parser(body, workbook, resolver)
    if parser.peek().kind == "end":
        raise FormulaSyntaxError(1, "empty formula")
    tree = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise FormulaSyntaxError(
            token.pos, f"unexpected {describe(token)[6:]}"
        )
    return tree
