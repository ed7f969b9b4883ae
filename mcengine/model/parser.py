"""Excel formula text -> syntax tree.

A hand-written tokenizer and a precedence-climbing parser with Excel's
operator precedence, from loosest to tightest binding:
comparison (= <> < <= > >=), concatenation (&), + and -, * and /,
exponent (^, left-associative as in Excel: 2^3^2 = 64), percent (postfix),
and prefix minus, which binds tighter than ^ (so -2^2 = 4, as Excel says).

Cell references and ranges (A1, A1:B2) belong to workbooks; in a model of
named cells a name that reads as a reference is refused by model.names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mcengine.model import syntax as ast


class FormulaSyntaxError(ValueError):
    """A formula that does not parse; `pos` is 1-based."""

    def __init__(self, pos: int, reason: str):
        self.pos = pos
        self.reason = reason
        super().__init__(f"position {pos}: {reason}")


@dataclass(frozen=True)
class Token:
    kind: str  # number, text, name, error, op, punct, end
    text: str
    pos: int


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


def tokenize(text: str) -> list[Token]:
    """Splits formula text (without its "=") into tokens."""
    tokens, i = [], 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        token = _read_token(text, i)
        tokens.append(token)
        i += len(token.text)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _read_token(text: str, i: int) -> Token:
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
    if text[i] in ":!$'[":
        raise FormulaSyntaxError(
            pos,
            f"'{text[i]}': cell references and ranges are only "
            "available in workbooks; refer to cells by name",
        )
    raise FormulaSyntaxError(pos, f"unexpected character '{text[i]}'")


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


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

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
            return ast.Call(token.pos, token.text, self.arguments())
        upper = token.text.upper()
        if upper in ("TRUE", "FALSE"):
            return ast.Bool(token.pos, upper == "TRUE")
        return ast.Name(token.pos, token.text)

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


def parse_formula(text: str) -> ast.Node:
    """Parses formula text (with or without its leading "=")."""
    body = text.removeprefix("=")
    parser = _Parser(body)
    if parser.peek().kind == "end":
        raise FormulaSyntaxError(1, "empty formula")
    tree = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise FormulaSyntaxError(
            token.pos, f"unexpected {describe(token)[6:]}"
        )
    return tree
