"""The Excel formula parser: precedence, literals and syntax errors."""

import pytest

from mcengine.model import syntax as ast
from mcengine.model.parser import FormulaSyntaxError, parse_formula


def shape(node):
    """A compact nested-tuple picture of a tree, for readable asserts."""
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Text):
        return repr(node.value)
    if isinstance(node, ast.Bool):
        return node.value
    if isinstance(node, ast.Unary):
        return (node.op, shape(node.operand))
    if isinstance(node, ast.Binary):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, ast.Call):
        return (node.key, *[shape(a) for a in node.args])
    if isinstance(node, ast.Array):
        return ("{}", *[tuple(shape(e) for e in r) for r in node.rows])
    if isinstance(node, ast.Missing):
        return "missing"
    return type(node).__name__


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=1+2*3", ("+", 1.0, ("*", 2.0, 3.0))),
        ("=-2^2", ("^", ("-", 2.0), 2.0)),
        ("=2^3^2", ("^", ("^", 2.0, 3.0), 2.0)),
        ("=50%*2", ("*", ("%", 50.0), 2.0)),
        ("=1+2=3", ("=", ("+", 1.0, 2.0), 3.0)),
        ('="a"&"b"="ab"', ("=", ("&", "'a'", "'b'"), "'ab'")),
        ("=a<>b", ("<>", "a", "b")),
        ("=a>=b", (">=", "a", "b")),
        ("=1-2-3", ("-", ("-", 1.0, 2.0), 3.0)),
        ("=--x", ("-", ("-", "x"))),
        ("=IF(x,,2)", ("IF", "x", "missing", 2.0)),
        ("=sum({1,2;3,4})", ("SUM", ("{}", (1.0, 2.0), (3.0, 4.0)))),
        ("={-1,TRUE}", ("{}", (-1.0, True))),
        ("=NORM.S.INV(0.5)", ("NORM.S.INV", 0.5)),
        ("=TRUE", True),
        ('="say ""hi"""', "'say \"hi\"'"),
        ("=1.5e3", 1500.0),
        ("=.5", 0.5),
        ("= 1 + x ", ("+", 1.0, "x")),
    ],
)
def test_precedence_and_literals_follow_excel(formula, expected):
    """Trees follow Excel's precedence: prefix minus above ^, ^ left-assoc."""
    assert shape(parse_formula(formula)) == expected


@pytest.mark.parametrize(
    "formula, pos, words",
    [
        ("=1+", 3, "expected a value"),
        ("=SUM(1,2", 8, "expected ',' or ')'"),
        ("=(1", 3, "expected ')'"),
        ("=1 2", 3, "unexpected"),
        ('="abc', 1, "closing quote"),
        ("=A1:B2", 3, "only available in workbooks"),
        ("=#FOO!", 1, "unknown error value"),
        ("=", 1, "empty formula"),
        ("={1,2;3}", 1, "rows differ in length"),
        ("={x}", 2, "array constant holds only"),
        ("=1 @ 2", 3, "unexpected character '@'"),
    ],
)
def test_syntax_errors_name_position_and_reason(formula, pos, words):
    """A syntax error carries the 1-based position and a reason."""
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_formula(formula)
    assert caught.value.pos == pos
    assert words in caught.value.reason
