"""Worksheet functions built from the evaluator's instructions at compile
time: lookups, conditional aggregates, order statistics, the iterative
financial functions, dates and the statistical distributions.

Each is compiled into ordinary element-wise instructions, so it runs per
iteration in the core at the evaluator's speed, and arguments that are
ranges of stochastic cells give that iteration's values:
- lookups (VLOOKUP, HLOOKUP, MATCH, XLOOKUP, INDEX, CHOOSE) become chains
  of IF over the candidates, so the key may vary per iteration (the table
  too); approximate matches assume the table sorted, as Excel does;
- MEDIAN, LARGE and SMALL sort their values with a network of MIN and MAX
  (Batcher's odd-even merge sort) when they vary, at most MAX_SORTED;
- IRR, XIRR and RATE take Newton steps from Excel's guess (NEWTON_STEPS
  of them) and give #NUM! unless the last step moved the rate by under
  1e-10, like Excel's iteration cap; nothing can hang;
- DATE, YEAR, MONTH, DAY, EDATE and EOMONTH use Excel's 1900 date serials,
  including its fictitious 29 February 1900 (serial 60);
- COUNTIF, SUMIF and AVERAGEIF take a constant criterion ("<=5", "<>0",
  "apple", 3).
A function's handler gets the CellCompiler (cc) and the call node and
returns a Value (model.builder).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable

import numpy as np

from mcengine.model import syntax as ast
from mcengine.model.builder import (
    ArrayValue,
    EmptyValue,
    Reg,
    TextValue,
    error_value,
)
from mcengine.model.functions import CallError

MAX_SORTED = 256
NEWTON_STEPS = 40
_CONVERGED = 1e-10


class _Ops:
    """Short names for emitting instructions."""

    def __init__(self, cc):
        self.cc = cc
        self.b = cc.b

    def c(self, value: float) -> Reg:
        return self.b.constant(value)

    def err(self, name: str) -> Reg:
        return self.b.constant(error_value(name))

    def op(self, name: str, *args: Reg) -> Reg:
        return self.b.emit(name, list(args))

    def add(self, x, y):
        return self.op("ADD", x, y)

    def sub(self, x, y):
        return self.op("SUB", x, y)

    def mul(self, x, y):
        return self.op("MUL", x, y)

    def div(self, x, y):
        return self.op("DIV", x, y)

    def pow(self, x, y):
        return self.op("POW", x, y)

    def if_(self, cond, yes, no):
        return self.op("IF", cond, yes, no)

    def total(self, regs: list[Reg]) -> Reg:
        if not regs:
            return self.c(0.0)
        acc = regs[0]
        for r in regs[1:]:
            acc = self.add(acc, r)
        return acc

    def constant_of(self, reg: Reg) -> float | None:
        """The value of a constant register, None if it is computed."""
        return None if reg.varying else self.b.constant_value(reg)


def known_value(b, reg: Reg) -> float:
    """The value of a register that does not vary, by evaluating what has
    been emitted so far (as the compiler's folding will), once per state of
    the builder."""
    from mcengine.model.registers import fold, varying_rows

    cached = getattr(b, "_known", None)
    if cached is None or cached[0] != len(b.rows):
        cached = (len(b.rows), fold(b, varying_rows(b)))
        b._known = cached
    return cached[1].get(reg.index, math.nan)


def _items(value) -> list:
    return list(value.items) if isinstance(value, ArrayValue) else [value]


def _numbers(cc, nodes) -> list[Reg]:
    """The numbers of some arguments: ranges and arrays without their
    empty cells and text, single values coerced."""
    out = []
    for node in nodes:
        value = cc.value(node)
        if isinstance(value, ArrayValue):
            out.extend(v for v in value.items if isinstance(v, Reg))
        else:
            out.append(cc.coerce(value, node))
    return out


def _count(cc, node: ast.Call) -> Reg:
    n = 0
    for arg in node.args:
        value = cc.value(arg)
        n += sum(isinstance(v, Reg) for v in _items(value))
    return cc.b.constant(float(n))


def _counta(cc, node: ast.Call) -> Reg:
    n = 0
    for arg in node.args:
        value = cc.value(arg)
        n += sum(not isinstance(v, EmptyValue) for v in _items(value))
    return cc.b.constant(float(n))


def _moments(sample: bool, root: bool) -> Callable:
    def handler(cc, node: ast.Call) -> Reg:
        o = _Ops(cc)
        xs = _numbers(cc, node.args)
        n = len(xs) - (1 if sample else 0)
        if n <= 0:
            return o.err("#DIV/0!")
        mean = o.div(o.total(xs), o.c(float(len(xs))))
        squares = []
        for x in xs:
            d = o.sub(x, mean)
            squares.append(o.mul(d, d))
        var = o.div(o.total(squares), o.c(float(n)))
        return o.op("SQRT", var) if root else var

    return handler


# Order statistics -------------------------------------------------------


def _sorting_network(n: int) -> list[tuple[int, int]]:
    """Compare-exchange pairs of Batcher's odd-even merge sort for n a
    power of two."""
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs


def sorted_registers(o: _Ops, xs: list[Reg]) -> list[Reg]:
    """xs in ascending order, per iteration (an error anywhere spreads)."""
    if len(xs) > MAX_SORTED:
        raise CallError(
            f"sorts at most {MAX_SORTED} varying values, got {len(xs)}"
        )
    size = 1
    while size < len(xs):
        size *= 2
    big = o.c(math.inf)
    regs = list(xs) + [big] * (size - len(xs))
    for i, j in _sorting_network(size):
        lo = o.op("MIN", regs[i], regs[j])
        hi = o.op("MAX", regs[i], regs[j])
        regs[i], regs[j] = lo, hi
    return regs[: len(xs)]


def _order_values(cc, node: ast.Node) -> tuple[_Ops, list[Reg]]:
    o = _Ops(cc)
    xs = _numbers(cc, [node])
    if not xs:
        raise CallError("needs at least one number")
    return o, sorted_registers(o, xs)


def _median(cc, node: ast.Call) -> Reg:
    o = _Ops(cc)
    xs = _numbers(cc, node.args)
    if not xs:
        return o.err("#NUM!")
    s = sorted_registers(o, xs)
    n = len(s)
    if n % 2:
        return s[n // 2]
    return o.mul(o.c(0.5), o.add(s[n // 2 - 1], s[n // 2]))


def _kth(largest: bool) -> Callable:
    def handler(cc, node: ast.Call) -> Reg:
        _arity(node, 2, 2)
        o, s = _order_values(cc, node.args[0])
        k = cc.number(node.args[1])
        ordered = s[::-1] if largest else s
        return _pick(o, ordered, k)

    return handler


def _pick(o: _Ops, values: list[Reg], position: Reg) -> Reg:
    """values[position - 1] (position rounded down), #NUM! outside."""
    fixed = o.constant_of(position)
    if fixed is not None:
        i = math.floor(fixed) if math.isfinite(fixed) else 0
        return values[i - 1] if 1 <= i <= len(values) else o.err("#NUM!")
    whole = o.op("INT", position)
    result = o.err("#NUM!")
    for i in range(len(values), 0, -1):
        chosen = _scalar(o, values[i - 1])
        result = o.if_(o.op("EQ", whole, o.c(float(i))), chosen, result)
    return result


# Criteria ----------------------------------------------------------------

_CRITERION = re.compile(r"\s*(<=|>=|<>|<|>|=)?(.*)\Z", re.DOTALL)


def _criterion(cc, node: ast.Node) -> Callable:
    """A test of one range item, from a constant criterion: returns a
    function item -> Reg (1 or 0), or a constant for text items."""
    o = _Ops(cc)
    value = cc.value(node)
    if isinstance(value, Reg):
        fixed = o.constant_of(value)
        if fixed is None:
            target, op = value, "="
        else:
            target, op = fixed, "="
    elif isinstance(value, TextValue):
        op, rest = _CRITERION.match(value.text).groups()
        op = op or "="
        try:
            target = float(rest)
        except ValueError:
            target = rest
    else:
        raise CallError('takes one criterion, such as ">5" or 3')
    ops = {"=": "EQ", "<>": "NE", "<": "LT", "<=": "LE", ">": "LT", ">=": "LE"}

    def test(item) -> Reg | float:
        if isinstance(item, EmptyValue):
            return 1.0 if isinstance(target, str) and op in ("<>",) else 0.0
        if isinstance(item, TextValue):
            if not isinstance(target, str):
                return 1.0 if op == "<>" else 0.0
            same = _wildcard(target).fullmatch(item.text) is not None
            return float(same) if op == "=" else float(not same)
        if isinstance(target, str):
            return 1.0 if op == "<>" else 0.0
        right = target if isinstance(target, Reg) else o.c(target)
        if op in (">", ">="):
            return o.op(ops[op], right, item)
        return o.op(ops[op], item, right)

    return test


def _wildcard(text: str) -> re.Pattern:
    pattern = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "~" and i + 1 < len(text):
            pattern += re.escape(text[i + 1])
            i += 2
            continue
        pattern += ".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
        i += 1
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


def _as_reg(o: _Ops, flag) -> Reg:
    return flag if isinstance(flag, Reg) else o.c(flag)


def _conditional(kind: str) -> Callable:
    def handler(cc, node: ast.Call) -> Reg:
        _arity(node, 2, 2 if kind == "COUNT" else 3)
        o = _Ops(cc)
        tested = _items(cc.value(node.args[0]))
        test = _criterion(cc, node.args[1])
        if kind != "COUNT" and len(node.args) == 3:
            summed = _items(cc.value(node.args[2]))
            if len(summed) != len(tested):
                raise CallError("the ranges must be the same size")
        else:
            summed = tested
        flags, parts = [], []
        for item, value in zip(tested, summed):
            flag = test(item)
            if isinstance(flag, float) and flag == 0.0:
                continue
            flags.append(_as_reg(o, flag))
            if isinstance(value, Reg):
                parts.append(o.if_(_as_reg(o, flag), value, o.c(0.0)))
        count = o.total(flags)
        if kind == "COUNT":
            return count
        total = o.total(parts)
        return total if kind == "SUM" else o.div(total, count)

    return handler


# Lookups -----------------------------------------------------------------


def _key_equal(o: _Ops, key, item) -> Reg | float:
    """Whether a lookup key equals an item (text case-insensitively)."""
    if isinstance(key, TextValue) or isinstance(item, TextValue):
        if isinstance(key, TextValue) and isinstance(item, TextValue):
            return float(key.text.casefold() == item.text.casefold())
        return 0.0
    if isinstance(item, EmptyValue):
        return 0.0
    return o.op("EQ", key, item)


def _key_at_most(o: _Ops, item, key) -> Reg | float:
    """item <= key, for approximate matches on numbers."""
    if isinstance(key, TextValue) or isinstance(item, (TextValue, EmptyValue)):
        if isinstance(key, TextValue) and isinstance(item, TextValue):
            return float(item.text.casefold() <= key.text.casefold())
        return 0.0
    return o.op("LE", item, key)


def _first(o: _Ops, flags: list, results: list, otherwise) -> object:
    """results[i] for the first i whose flag holds, else otherwise."""
    out = otherwise
    for flag, result in reversed(list(zip(flags, results))):
        if isinstance(flag, float):
            if flag:
                out = result
            continue
        out = o.if_(flag, _scalar(o, result), _scalar(o, out))
    return out


def _last(o: _Ops, flags: list, results: list, otherwise) -> object:
    return _first(o, flags[::-1], results[::-1], otherwise)


def _scalar(o: _Ops, value) -> Reg:
    if isinstance(value, Reg):
        return value
    if isinstance(value, EmptyValue):
        return o.c(0.0)
    raise CallError(
        "can return text only when the match is known when compiling"
    )


def _lookup_key(cc, node: ast.Node):
    value = cc.value(node)
    if isinstance(value, ArrayValue):
        raise CallError("the lookup value must be a single value")
    if isinstance(value, EmptyValue):
        return cc.b.constant(0.0)
    return value


# Tables at least this long, of constant numeric keys and results, are
# looked up by binary search in the core (one instruction) rather than by
# a chain of IF.
TABLE_LOOKUP_ROWS = 8


def table_lookup(o: _Ops, key, keys: list, results: list, mode: int):
    """The core's lookup instruction for a varying numeric key over
    constant numeric keys and results, or None when it does not apply.
    mode: 0 exact, 1 largest key <= the key, -1 smallest key >= it. For
    an exact match the first of equal keys wins, as in a scan."""
    if not isinstance(key, Reg) or len(keys) < TABLE_LOOKUP_ROWS:
        return None
    pairs = []
    for k, r in zip(keys, results):
        kv = o.b.constant_value(k) if isinstance(k, Reg) else None
        rv = o.b.constant_value(r) if isinstance(r, Reg) else None
        if kv is None or rv is None or not math.isfinite(kv):
            return None
        pairs.append((kv, rv))
    if mode == 0:
        first = {}
        for kv, rv in pairs:
            first.setdefault(kv, rv)
        pairs = sorted(first.items())
    elif mode == 1:
        # Excel's approximate match on a sorted table: the last key <= x.
        if any(a[0] > b[0] for a, b in itertools.pairwise(pairs)):
            return None  # unsorted: keep the scan's answer
        last = {}
        for kv, rv in pairs:
            last[kv] = rv
        pairs = sorted(last.items())
    else:
        return None
    table = [float(len(pairs)), float(mode)]
    table += [kv for kv, _ in pairs] + [rv for _, rv in pairs]
    index = o.b.add_aux(np.asarray(table, dtype=np.float64))
    return o.b.emit("LOOKUP", [key], index)


def _match_positions(o, key, items, mode: int) -> tuple[list, list]:
    """Per candidate (in order) the flag that it is the match."""
    if mode == 0:
        return [_key_equal(o, key, it) for it in items], list(
            range(len(items))
        )
    if mode == 1:  # largest <= key, sorted ascending: the last that holds
        flags = [_key_at_most(o, it, key) for it in items]
        return flags[::-1], list(range(len(items)))[::-1]
    flags = [_key_at_most(o, key, it) for it in items]  # smallest >= key
    return flags[::-1], list(range(len(items)))[::-1]


def _vlookup(horizontal: bool) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 3, 4)
        o = _Ops(cc)
        key = _lookup_key(cc, node.args[0])
        table = cc.value(node.args[1])
        if not isinstance(table, ArrayValue):
            raise CallError("the table must be a range or array")
        index = _constant_int(cc, node.args[2], "the column number")
        approximate = True
        if len(node.args) == 4:
            approximate = bool(
                _constant_number(cc, node.args[3], "range_lookup")
            )
        width, height = table.width, table.height
        count, span = (width, height) if horizontal else (height, width)
        if not 1 <= index <= span:
            return o.err("#REF!" if index > span else "#VALUE!")

        def at(i, j):  # i along the lookup, j across
            r, c = (j, i) if horizontal else (i, j)
            return table.items[r * width + c]

        keys = [at(i, 0) for i in range(count)]
        results = [at(i, index - 1) for i in range(count)]
        fast = table_lookup(o, key, keys, results, 1 if approximate else 0)
        if fast is not None:
            return fast
        flags, order = _match_positions(o, key, keys, 1 if approximate else 0)
        return _first(o, flags, [results[i] for i in order], o.err("#N/A"))

    return handler


def _match(cc, node: ast.Call):
    _arity(node, 2, 3)
    o = _Ops(cc)
    key = _lookup_key(cc, node.args[0])
    items = _items(cc.value(node.args[1]))
    mode = 1
    if len(node.args) == 3:
        mode = int(_constant_number(cc, node.args[2], "match_type"))
    mode = 0 if mode == 0 else (1 if mode > 0 else -1)
    positions = [o.c(float(i + 1)) for i in range(len(items))]
    fast = table_lookup(o, key, items, positions, mode)
    if fast is not None:
        return fast
    flags, order = _match_positions(o, key, items, mode)
    return _first(o, flags, [o.c(float(i + 1)) for i in order], o.err("#N/A"))


def _xlookup(cc, node: ast.Call):
    _arity(node, 3, 6)
    o = _Ops(cc)
    key = _lookup_key(cc, node.args[0])
    keys = _items(cc.value(node.args[1]))
    results = _items(cc.value(node.args[2]))
    if len(keys) != len(results):
        raise CallError("the lookup and return arrays must be the same size")
    missing = o.err("#N/A")
    if len(node.args) > 3 and not isinstance(node.args[3], ast.Missing):
        missing = cc.value(node.args[3])
    match_mode = 0
    if len(node.args) > 4 and not isinstance(node.args[4], ast.Missing):
        match_mode = int(_constant_number(cc, node.args[4], "match_mode"))
    search = 1
    if len(node.args) > 5:
        search = int(_constant_number(cc, node.args[5], "search_mode"))
    if match_mode not in (0, -1, 1) or search not in (1, -1):
        raise CallError(
            "supports match_mode 0, -1 and 1 and search_mode 1 and -1"
        )
    if match_mode == 0 and search == 1:
        fast = table_lookup(o, key, keys, results, 0)
        if fast is not None and not isinstance(missing, TextValue):
            found = fast
            return o.if_(o.op("ISNA", found), _scalar(o, missing), found)
    exact = [_key_equal(o, key, it) for it in keys]
    pick = _first if search == 1 else _last
    found = pick(o, exact, results, missing)
    if match_mode == 0:
        return found
    # Else the nearest smaller (-1) or larger (1) item, whatever the order.
    best = None
    for flag_item, value in zip(keys, results):
        if not isinstance(flag_item, Reg) or not isinstance(key, Reg):
            continue
        inside = (
            o.op("LE", flag_item, key)
            if match_mode == -1
            else o.op("LE", key, flag_item)
        )
        if best is None:
            best = (flag_item, _scalar(o, value), inside)
            continue
        closer = (
            o.op("LT", best[0], flag_item)
            if match_mode == -1
            else o.op("LT", flag_item, best[0])
        )
        take = o.op("AND", inside, o.op("OR", o.op("NOT", best[2]), closer))
        best = (
            o.if_(take, flag_item, best[0]),
            o.if_(take, _scalar(o, value), best[1]),
            o.op("OR", best[2], inside),
        )
    if best is None:
        return found
    nearest = o.if_(best[2], best[1], _scalar(o, missing))
    any_exact = [f for f in exact if not isinstance(f, float)]
    if not any_exact:
        return nearest
    hit = any_exact[0]
    for f in any_exact[1:]:
        hit = o.op("OR", hit, f)
    return o.if_(hit, _scalar(o, found), nearest)


def _index(cc, node: ast.Call):
    _arity(node, 2, 3)
    o = _Ops(cc)
    array = cc.value(node.args[0])
    if not isinstance(array, ArrayValue):
        raise CallError("the first argument must be a range or array")
    width, height = array.width, array.height
    row = cc.number(node.args[1])
    col = cc.number(node.args[2]) if len(node.args) == 3 else o.c(1.0)
    if height == 1 and len(node.args) == 2:  # one row: the number is a column
        row, col = o.c(1.0), row
    rows = [
        _pick(
            o,
            [
                _scalar_or_text(o, array.items[r * width + c])
                for c in range(width)
            ],
            col,
        )
        for r in range(height)
    ]
    return _pick(o, rows, row)


def _scalar_or_text(o, value):
    return o.c(0.0) if isinstance(value, EmptyValue) else value


def _choose(cc, node: ast.Call):
    _arity(node, 2, 255)
    o = _Ops(cc)
    index = cc.number(node.args[0])
    options = [cc.value(a) for a in node.args[1:]]
    fixed = o.constant_of(index)
    if fixed is not None:
        i = math.floor(fixed) if math.isfinite(fixed) else 0
        return options[i - 1] if 1 <= i <= len(options) else o.err("#VALUE!")
    return _pick_value(o, [_scalar(o, v) for v in options], index)


def _pick_value(o, values, position):
    whole = o.op("INT", position)
    result = o.err("#VALUE!")
    for i in range(len(values), 0, -1):
        result = o.if_(o.op("EQ", whole, o.c(float(i))), values[i - 1], result)
    return result


def _ifs(cc, node: ast.Call):
    if len(node.args) < 2 or len(node.args) % 2:
        raise CallError("takes pairs of condition and value")
    o = _Ops(cc)
    pairs = [
        (cc.number(node.args[i]), cc.value(node.args[i + 1]))
        for i in range(0, len(node.args), 2)
    ]
    result = o.err("#N/A")
    for cond, value in reversed(pairs):
        result = o.if_(cond, _scalar(o, value), result)
    return result


def _switch(cc, node: ast.Call):
    if len(node.args) < 3:
        raise CallError("takes an expression, then value and result pairs")
    o = _Ops(cc)
    key = _lookup_key(cc, node.args[0])
    rest = node.args[1:]
    default = o.err("#N/A")
    if len(rest) % 2:
        default = _scalar(o, cc.value(rest[-1]))
        rest = rest[:-1]
    flags, results = [], []
    for i in range(0, len(rest), 2):
        flags.append(_key_equal(o, key, _lookup_key(cc, rest[i])))
        results.append(cc.value(rest[i + 1]))
    return _first(o, flags, results, default)


def _iferror(na_only: bool) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 2, 2)
        o = _Ops(cc)
        value = cc.number(node.args[0])
        other = _scalar(o, cc.value(node.args[1]))
        test = o.op("ISNA" if na_only else "ISERROR", value)
        return o.if_(test, other, value)

    return handler


def _is(op: str) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 1, 1)
        value = cc.value(node.args[0])
        if isinstance(value, TextValue):
            return cc.b.constant(0.0)
        return cc.b.emit(op, [cc.coerce(value, node.args[0])])

    return handler


def _if(cc, node: ast.Call):
    """IF(test, [yes], [no]). Both branches are evaluated per iteration
    (the chosen one's value or error is kept); text results are allowed
    only when the test is known when compiling, since text exists only
    then."""
    _arity(node, 2, 3)
    o = _Ops(cc)
    test = cc.number(node.args[0])
    yes = (
        cc.value(node.args[1])
        if not isinstance(node.args[1], ast.Missing)
        else o.c(0.0)
    )
    no = cc.value(node.args[2]) if len(node.args) == 3 else o.c(0.0)
    if isinstance(node.args[-1], ast.Missing):
        no = o.c(0.0)
    texts = isinstance(yes, TextValue) or isinstance(no, TextValue)
    fixed = o.constant_of(test)
    if fixed is None and texts and not test.varying:
        fixed = known_value(cc.b, test)
    if fixed is not None and not math.isnan(fixed):
        return yes if fixed != 0 else no
    if texts:
        raise CallError(
            "gives text that depends on the iteration; text exists only "
            "while compiling, so compare inside the IF instead "
            '(IF(x > 1, 1, 0) rather than IF(x > 1, "yes", "no") = "yes")'
        )
    return o.if_(test, _scalar(o, yes), _scalar(o, no))


def _sumproduct(cc, node: ast.Call):
    o = _Ops(cc)
    arrays = [_items(cc.value(a)) for a in node.args]
    if not arrays or len({len(a) for a in arrays}) != 1:
        return o.err("#VALUE!")
    terms = []
    for position in zip(*arrays):
        if not all(isinstance(v, Reg) for v in position):
            continue  # text and empty cells count as 0
        product = position[0]
        for v in position[1:]:
            product = o.mul(product, v)
        terms.append(product)
    return o.total(terms)


# Rounding to a multiple ------------------------------------------------


def _ceiling_floor(up: bool) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 1, 2)
        o = _Ops(cc)
        x = cc.number(node.args[0])
        s = cc.number(node.args[1]) if len(node.args) == 2 else o.c(1.0)
        q = o.div(x, s)
        whole = o.op("INT", q)
        if up:  # -INT(-x / s) * s
            whole = o.op("NEG", o.op("INT", o.op("NEG", q)))
        result = o.mul(whole, s)
        bad = o.op("AND", o.op("LT", o.c(0.0), x), o.op("LT", s, o.c(0.0)))
        zero = o.op("EQ", s, o.c(0.0))
        result = o.if_(zero, o.c(0.0) if up else o.err("#DIV/0!"), result)
        return o.if_(bad, o.err("#NUM!"), result)

    return handler


# Financial ---------------------------------------------------------------


def _newton(o: _Ops, rate: Reg, value_and_slope: Callable) -> Reg:
    """NEWTON_STEPS steps from rate; #NUM! unless the last moved it by
    under 1e-10 (relative to 1 + |rate|). A step never goes more than
    halfway from the rate to -1, where every rate function has its pole,
    so a long step cannot throw the iteration out of the domain."""
    step = o.c(0.0)
    for _ in range(NEWTON_STEPS):
        f, df = value_and_slope(rate)
        step = o.div(f, df)
        floor = o.mul(o.c(0.5), o.sub(rate, o.c(1.0)))  # halfway to -1
        moved = o.op("MAX", o.sub(rate, step), floor)
        step = o.sub(rate, moved)
        rate = moved
    size = o.add(o.c(1.0), o.op("ABS", rate))
    ok = o.op("LT", o.op("ABS", step), o.mul(o.c(_CONVERGED), size))
    # A step that failed (a zero slope, an overflow) is #NUM! too.
    failed = o.op("ISERROR", ok)
    return o.if_(failed, o.err("#NUM!"), o.if_(ok, rate, o.err("#NUM!")))


def _irr(cc, node: ast.Call):
    _arity(node, 1, 2)
    o = _Ops(cc)
    flows = _numbers(cc, [node.args[0]])
    if len(flows) < 2:
        return o.err("#NUM!")
    guess = cc.number(node.args[1]) if len(node.args) == 2 else o.c(0.1)

    def f(rate):
        base = o.add(o.c(1.0), rate)
        value, slope = flows[0], o.c(0.0)
        for i, v in enumerate(flows[1:], start=1):
            disc = o.pow(base, o.c(-float(i)))
            value = o.add(value, o.mul(v, disc))
            slope = o.sub(
                slope, o.div(o.mul(o.c(float(i)), o.mul(v, disc)), base)
            )
        return value, slope

    return _newton(o, guess, f)


def _day_fractions(o: _Ops, dates: list[Reg]) -> list[Reg]:
    first = dates[0]
    return [o.div(o.sub(d, first), o.c(365.0)) for d in dates]


def _xnpv(cc, node: ast.Call):
    _arity(node, 3, 3)
    o = _Ops(cc)
    rate = cc.number(node.args[0])
    flows = _numbers(cc, [node.args[1]])
    dates = _numbers(cc, [node.args[2]])
    if len(flows) != len(dates) or not flows:
        return o.err("#NUM!")
    base = o.add(o.c(1.0), rate)
    terms = [
        o.div(v, o.pow(base, t))
        for v, t in zip(flows, _day_fractions(o, dates))
    ]
    return o.total(terms)


def _xirr(cc, node: ast.Call):
    _arity(node, 2, 3)
    o = _Ops(cc)
    flows = _numbers(cc, [node.args[0]])
    dates = _numbers(cc, [node.args[1]])
    if len(flows) != len(dates) or len(flows) < 2:
        return o.err("#NUM!")
    guess = cc.number(node.args[2]) if len(node.args) == 3 else o.c(0.1)
    years = _day_fractions(o, dates)

    def f(rate):
        base = o.add(o.c(1.0), rate)
        value, slope = o.c(0.0), o.c(0.0)
        for v, t in zip(flows, years):
            disc = o.pow(base, o.op("NEG", t))
            value = o.add(value, o.mul(v, disc))
            slope = o.sub(slope, o.div(o.mul(t, o.mul(v, disc)), base))
        return value, slope

    return _newton(o, guess, f)


def _mirr(cc, node: ast.Call):
    _arity(node, 3, 3)
    o = _Ops(cc)
    flows = _numbers(cc, [node.args[0]])
    finance = cc.number(node.args[1])
    reinvest = cc.number(node.args[2])
    n = len(flows)
    if n < 2:
        return o.err("#DIV/0!")
    fb, rb = o.add(o.c(1.0), finance), o.add(o.c(1.0), reinvest)
    negative, positive = [], []
    for i, v in enumerate(flows):
        negative.append(
            o.div(o.op("MIN", v, o.c(0.0)), o.pow(fb, o.c(float(i))))
        )
        positive.append(
            o.mul(o.op("MAX", v, o.c(0.0)), o.pow(rb, o.c(float(n - 1 - i))))
        )
    pv, fv = o.total(negative), o.total(positive)
    ratio = o.div(o.op("NEG", fv), pv)
    return o.sub(o.pow(ratio, o.c(1.0 / (n - 1))), o.c(1.0))


def _optional(cc, node: ast.Call, i: int, default: float) -> Reg:
    if len(node.args) > i and not isinstance(node.args[i], ast.Missing):
        return cc.number(node.args[i])
    return cc.b.constant(default)


def _nper(cc, node: ast.Call):
    _arity(node, 3, 5)
    o = _Ops(cc)
    rate, pmt, pv = (cc.number(a) for a in node.args[:3])
    fv, kind = _optional(cc, node, 3, 0.0), _optional(cc, node, 4, 0.0)
    flat = o.div(o.op("NEG", o.add(pv, fv)), pmt)
    adj = o.mul(pmt, o.add(o.c(1.0), o.mul(rate, kind)))
    top = o.sub(adj, o.mul(fv, rate))
    bottom = o.add(adj, o.mul(pv, rate))
    general = o.div(
        o.op("LN", o.div(top, bottom)), o.op("LN", o.add(o.c(1.0), rate))
    )
    return o.if_(o.op("EQ", rate, o.c(0.0)), flat, general)


def _rate(cc, node: ast.Call):
    _arity(node, 3, 6)
    o = _Ops(cc)
    nper, pmt, pv = (cc.number(a) for a in node.args[:3])
    fv, kind = _optional(cc, node, 3, 0.0), _optional(cc, node, 4, 0.0)
    guess = _optional(cc, node, 5, 0.1)

    def f(rate):
        # pv (1+r)^n + pmt (1 + r t) ((1+r)^n - 1) / r + fv, and its slope,
        # through a small symmetric difference (stable near r = 0).
        def value(r):
            g = o.pow(o.add(o.c(1.0), r), nper)
            annuity = o.div(o.sub(g, o.c(1.0)), r)
            return o.add(
                o.add(
                    o.mul(pv, g),
                    o.mul(
                        o.mul(pmt, o.add(o.c(1.0), o.mul(r, kind))), annuity
                    ),
                ),
                fv,
            )

        h = o.c(1e-7)
        up, down = value(o.add(rate, h)), value(o.sub(rate, h))
        return value(rate), o.div(o.sub(up, down), o.c(2e-7))

    return _newton(o, guess, f)


# Distributions ---------------------------------------------------------


def _lognorm_inv(cc, node: ast.Call):
    _arity(node, 3, 3)
    o = _Ops(cc)
    p, mu, sigma = (cc.number(a) for a in node.args)
    return o.op("EXP", o.op("NORM_INV", p, mu, sigma))


def _lognorm_dist(cc, node: ast.Call):
    _arity(node, 4, 4)
    o = _Ops(cc)
    x, mu, sigma, cumulative = (cc.number(a) for a in node.args)
    lx = o.op("LN", x)
    cdf = o.op("NORM_DIST", lx, mu, sigma, o.c(1.0))
    pdf = o.div(o.op("NORM_DIST", lx, mu, sigma, o.c(0.0)), x)
    bad = o.op("LE", x, o.c(0.0))
    return o.if_(bad, o.err("#NUM!"), o.if_(cumulative, cdf, pdf))


def _expon_dist(cc, node: ast.Call):
    _arity(node, 3, 3)
    o = _Ops(cc)
    x, lam, cumulative = (cc.number(a) for a in node.args)
    tail = o.op("EXP", o.op("NEG", o.mul(lam, x)))
    value = o.if_(cumulative, o.sub(o.c(1.0), tail), o.mul(lam, tail))
    bad = o.op("OR", o.op("LT", x, o.c(0.0)), o.op("LE", lam, o.c(0.0)))
    return o.if_(bad, o.err("#NUM!"), value)


def _beta_dist(cc, node: ast.Call):
    _arity(node, 4, 6)
    o = _Ops(cc)
    x, a, b, cumulative = (cc.number(v) for v in node.args[:4])
    lo, hi = _optional(cc, node, 4, 0.0), _optional(cc, node, 5, 1.0)
    width = o.sub(hi, lo)
    t = o.div(o.sub(x, lo), width)
    value = o.op("BETA_DIST", t, a, b, cumulative)
    return o.if_(cumulative, value, o.div(value, width))


def _beta_inv(cc, node: ast.Call):
    _arity(node, 3, 5)
    o = _Ops(cc)
    p, a, b = (cc.number(v) for v in node.args[:3])
    lo, hi = _optional(cc, node, 3, 0.0), _optional(cc, node, 4, 1.0)
    return o.add(lo, o.mul(o.sub(hi, lo), o.op("BETA_INV", p, a, b)))


def _simple_op(op: str, low: int, high: int, defaults=()) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, low, high)
        args = [cc.number(a) for a in node.args]
        args += [cc.b.constant(v) for v in defaults[len(args) - low :]]
        return cc.b.emit(op, args)

    return handler


def _hyperbolic(kind: str) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 1, 1)
        o = _Ops(cc)
        x = cc.number(node.args[0])
        up, down = o.op("EXP", x), o.op("EXP", o.op("NEG", x))
        if kind == "COSH":
            return o.mul(o.c(0.5), o.add(up, down))
        if kind == "SINH":
            return o.mul(o.c(0.5), o.sub(up, down))
        return o.div(o.sub(up, down), o.add(up, down))

    return handler


# Dates ----------------------------------------------------------------
# Days from 1 March of year 0 (Hinnant's civil algorithms) with INT and
# MOD; Excel's serial s is that day count minus 693,959 for dates from
# 1 March 1900, and one less before it (Excel counts 29 February 1900).

_EPOCH = 693_959.0  # 1 March 1900 is day 693,960, serial 61


def _days_from_civil(o: _Ops, y: Reg, m: Reg, d: Reg) -> Reg:
    shift = o.op("LE", m, o.c(2.0))
    y = o.sub(y, shift)
    era = o.op("INT", o.div(y, o.c(400.0)))
    yoe = o.sub(y, o.mul(era, o.c(400.0)))
    mp = o.op("MOD", o.add(m, o.c(9.0)), o.c(12.0))
    doy = o.add(
        o.op("INT", o.div(o.add(o.mul(o.c(153.0), mp), o.c(2.0)), o.c(5.0))),
        o.sub(d, o.c(1.0)),
    )
    doe = o.add(
        o.add(o.mul(yoe, o.c(365.0)), o.op("INT", o.div(yoe, o.c(4.0)))),
        o.sub(doy, o.op("INT", o.div(yoe, o.c(100.0)))),
    )
    return o.add(o.mul(era, o.c(146_097.0)), doe)


def _serial_from_days(o: _Ops, days: Reg) -> Reg:
    serial = o.sub(days, o.c(_EPOCH - 60.0))
    early = o.op("LT", serial, o.c(61.0))
    return o.if_(early, o.sub(serial, o.c(1.0)), serial)


def _civil_from_serial(o: _Ops, serial: Reg) -> tuple[Reg, Reg, Reg]:
    s = o.op("INT", serial)
    # Serials before 61 are one day late in Excel's count (60 is 29 Feb).
    days = o.add(s, o.c(_EPOCH - 60.0))
    days = o.if_(o.op("LT", s, o.c(61.0)), o.add(days, o.c(1.0)), days)
    era = o.op("INT", o.div(days, o.c(146_097.0)))
    doe = o.sub(days, o.mul(era, o.c(146_097.0)))
    yoe = o.op(
        "INT",
        o.div(
            o.sub(
                o.add(
                    o.sub(doe, o.op("INT", o.div(doe, o.c(1460.0)))),
                    o.op("INT", o.div(doe, o.c(36_524.0))),
                ),
                o.op("INT", o.div(doe, o.c(146_096.0))),
            ),
            o.c(365.0),
        ),
    )
    doy = o.sub(
        doe,
        o.sub(
            o.add(o.mul(o.c(365.0), yoe), o.op("INT", o.div(yoe, o.c(4.0)))),
            o.op("INT", o.div(yoe, o.c(100.0))),
        ),
    )
    mp = o.op("INT", o.div(o.add(o.mul(o.c(5.0), doy), o.c(2.0)), o.c(153.0)))
    d = o.add(
        o.sub(
            doy,
            o.op(
                "INT", o.div(o.add(o.mul(o.c(153.0), mp), o.c(2.0)), o.c(5.0))
            ),
        ),
        o.c(1.0),
    )
    m = o.if_(
        o.op("LT", mp, o.c(10.0)), o.add(mp, o.c(3.0)), o.sub(mp, o.c(9.0))
    )
    y = o.add(o.add(yoe, o.mul(era, o.c(400.0))), o.op("LE", m, o.c(2.0)))
    leap_day = o.op("EQ", s, o.c(60.0))
    return (
        o.if_(leap_day, o.c(1900.0), y),
        o.if_(leap_day, o.c(2.0), m),
        o.if_(leap_day, o.c(29.0), d),
    )


def _date(cc, node: ast.Call):
    _arity(node, 3, 3)
    o = _Ops(cc)
    y, m, d = (o.op("INT", cc.number(a)) for a in node.args)
    y = o.if_(o.op("LT", y, o.c(1900.0)), o.add(y, o.c(1900.0)), y)
    # Months beyond 1..12 roll into the year, days beyond the month roll on.
    m0 = o.sub(m, o.c(1.0))
    y = o.add(y, o.op("INT", o.div(m0, o.c(12.0))))
    m = o.add(o.op("MOD", m0, o.c(12.0)), o.c(1.0))
    first = _days_from_civil(o, y, m, o.c(1.0))
    days = o.add(first, o.sub(d, o.c(1.0)))
    serial = _serial_from_days(o, days)
    # 29 February 1900, which Excel counts: DATE(1900, 2, 29) is 60.
    leap = o.op(
        "AND",
        o.op("EQ", y, o.c(1900.0)),
        o.op("AND", o.op("EQ", m, o.c(2.0)), o.op("EQ", d, o.c(29.0))),
    )
    serial = o.if_(leap, o.c(60.0), serial)
    bad = o.op(
        "OR",
        o.op("LT", serial, o.c(0.0)),
        o.op("LT", o.c(2_958_465.0), serial),
    )
    return o.if_(bad, o.err("#NUM!"), serial)


def _part(index: int) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 1, 1)
        o = _Ops(cc)
        serial = cc.number(node.args[0])
        parts = _civil_from_serial(o, serial)
        bad = o.op("LT", serial, o.c(0.0))
        return o.if_(bad, o.err("#NUM!"), parts[index])

    return handler


def _edate(end_of_month: bool) -> Callable:
    def handler(cc, node: ast.Call):
        _arity(node, 2, 2)
        o = _Ops(cc)
        serial = cc.number(node.args[0])
        months = o.op("INT", cc.number(node.args[1]))
        y, m, d = _civil_from_serial(o, serial)
        total = o.add(o.add(o.mul(y, o.c(12.0)), o.sub(m, o.c(1.0))), months)
        ny = o.op("INT", o.div(total, o.c(12.0)))
        nm = o.add(o.op("MOD", total, o.c(12.0)), o.c(1.0))
        next_first = _days_from_civil(
            o,
            o.add(ny, o.op("INT", o.div(nm, o.c(12.0)))),
            o.add(o.op("MOD", nm, o.c(12.0)), o.c(1.0)),
            o.c(1.0),
        )
        last_day = o.sub(next_first, o.c(1.0))
        if end_of_month:
            days = last_day
        else:
            wanted = o.add(
                _days_from_civil(o, ny, nm, o.c(1.0)), o.sub(d, o.c(1.0))
            )
            days = o.op("MIN", wanted, last_day)
        result = _serial_from_days(o, days)
        bad = o.op(
            "OR", o.op("LT", serial, o.c(0.0)), o.op("LT", result, o.c(0.0))
        )
        return o.if_(bad, o.err("#NUM!"), result)

    return handler


# Helpers ----------------------------------------------------------------


def _arity(node: ast.Call, low: int, high: int) -> None:
    n = len(node.args)
    if not low <= n <= high:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise CallError(f"takes {wanted} arguments, got {n}")


def _constant_number(cc, node: ast.Node, what: str) -> float:
    written = _written_number(node)
    if written is not None:
        return written
    value = cc.value(node)
    if isinstance(value, Reg):
        fixed = _Ops(cc).constant_of(value)
        if fixed is not None:
            return fixed
    raise CallError(f"{what} must be a constant")


def _written_number(node: ast.Node) -> float | None:
    """A number written with signs, such as -1; TRUE and FALSE as 1, 0."""
    sign = 1.0
    while isinstance(node, ast.Unary) and node.op in "+-":
        sign = -sign if node.op == "-" else sign
        node = node.operand
    if isinstance(node, ast.Number):
        return sign * node.value
    if isinstance(node, ast.Bool):
        return sign * float(node.value)
    return None


def _constant_int(cc, node: ast.Node, what: str) -> int:
    value = _constant_number(cc, node, what)
    if not math.isfinite(value):
        raise CallError(f"{what} must be a finite number")
    return math.floor(value)


LIBRARY: dict[str, Callable] = {
    "COUNT": _count,
    "COUNTA": _counta,
    "STDEV.S": _moments(True, True),
    "STDEV": _moments(True, True),
    "VAR.S": _moments(True, False),
    "VAR": _moments(True, False),
    "STDEV.P": _moments(False, True),
    "VAR.P": _moments(False, False),
    "MEDIAN": _median,
    "LARGE": _kth(True),
    "SMALL": _kth(False),
    "COUNTIF": _conditional("COUNT"),
    "SUMIF": _conditional("SUM"),
    "AVERAGEIF": _conditional("AVERAGE"),
    "VLOOKUP": _vlookup(False),
    "HLOOKUP": _vlookup(True),
    "MATCH": _match,
    "XLOOKUP": _xlookup,
    "INDEX": _index,
    "CHOOSE": _choose,
    "IF": _if,
    "IFS": _ifs,
    "SWITCH": _switch,
    "IFERROR": _iferror(False),
    "IFNA": _iferror(True),
    "ISERROR": _is("ISERROR"),
    "ISNA": _is("ISNA"),
    "SUMPRODUCT": _sumproduct,
    "CEILING": _ceiling_floor(True),
    "FLOOR": _ceiling_floor(False),
    "IRR": _irr,
    "XNPV": _xnpv,
    "XIRR": _xirr,
    "MIRR": _mirr,
    "NPER": _nper,
    "RATE": _rate,
    "LOGNORM.INV": _lognorm_inv,
    "LOGINV": _lognorm_inv,
    "LOGNORM.DIST": _lognorm_dist,
    "EXPON.DIST": _expon_dist,
    "EXPONDIST": _expon_dist,
    "BETA.DIST": _beta_dist,
    "BETA.INV": _beta_inv,
    "GAMMA.DIST": _simple_op("GAMMA_DIST", 4, 4),
    "GAMMADIST": _simple_op("GAMMA_DIST", 4, 4),
    "GAMMA.INV": _simple_op("GAMMA_INV", 3, 3),
    "GAMMAINV": _simple_op("GAMMA_INV", 3, 3),
    "T.INV": _simple_op("T_INV", 2, 2),
    "COSH": _hyperbolic("COSH"),
    "SINH": _hyperbolic("SINH"),
    "TANH": _hyperbolic("TANH"),
    "DATE": _date,
    "YEAR": _part(0),
    "MONTH": _part(1),
    "DAY": _part(2),
    "EDATE": _edate(False),
    "EOMONTH": _edate(True),
}
