"""Excel workbooks (.xlsx, .xlsm) as models.

A workbook is read with openpyxl (through defusedxml, so no XML entity
tricks) twice: once for its formulas, once for the values Excel cached.
Macros are never run, nor even read. Before openpyxl sees the file its zip
directory is checked against the limits (file size, total uncompressed
size, so a zip bomb is refused before anything is expanded), then the
sheet and formula-cell counts.

Each non-empty cell becomes a model cell named by its address, as
"Sheet1!B7" (the sheet as Excel names it, without quotes). Formulas are
parsed with references (A1, $A$1, ranges, whole columns and rows within
the sheet's used range, 'Other sheet'!B4), and rewritten into the named-cell
syntax tree the compiler takes: a reference to a cell becomes that cell's
name (an empty cell reads as 0), a range becomes the list of its non-empty,
non-text cells (functions that take lists, such as SUM and NPV, read them
per iteration), a defined name (sheet-scoped first, then workbook-scoped)
becomes what it refers to. Outputs are the cells marked with RiskOutput()
(which adds 0 to the formula, as in @RISK; its optional name labels the
output) or those the caller lists.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from mcengine.model import syntax as ast
from mcengine.model.correlation import check_structure
from mcengine.model.distributions import DISTRIBUTIONS
from mcengine.model.errors import (
    CompileStopped,
    ModelError,
    Violation,
    check_stop,
)
from mcengine.model.loader import ModelSpec
from mcengine.model.names import key
from mcengine.model.parser import (
    FormulaSyntaxError,
    Resolver,
    column_letters,
    parse_formula,
)

OUTPUT = "RISKOUTPUT"
CORRMAT = "RISKCORRMAT"
# The most cells one range may cover (a whole column is cut to the used
# rows first).
MAX_RANGE_CELLS = 100_000


@dataclass(frozen=True)
class WorkbookLimits:
    """What a workbook may be, checked before and while it is read."""

    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_sheets: int = 256
    max_formula_cells: int = 200_000
    max_cells: int = 1_000_000
    # Cells read including the empty ones openpyxl fills rows with.
    max_scanned_cells: int = 20_000_000


@dataclass(frozen=True)
class WorkbookSource:
    """A workbook to compile (bytes or a path) and its chosen outputs
    (empty: the RiskOutput() cells); compile_model takes it."""

    data: bytes | Path
    outputs: tuple[str, ...] = ()


@dataclass
class Workbook:
    """What was read: each cell's content and cached value by address."""

    sheets: list[str]
    cells: dict[str, object]  # address -> number, text, bool or "=formula"
    cached: dict[str, object]  # address -> Excel's cached value
    names: dict[tuple[str | None, str], str]  # (sheet or None, NAME) -> text
    used_rows: dict[str, int]
    used_cols: dict[str, int]
    # Array formulas over several cells: each member cell (the first one
    # included) -> (the first cell, row offset, column offset).
    array_members: dict[str, tuple[str, int, int]] = field(
        default_factory=dict
    )
    booleans: set[str] = field(default_factory=set)  # cells with TRUE/FALSE


def address(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{column_letters(col)}{row}"


def is_workbook(data: bytes) -> bool:
    """Whether data looks like a zip archive (an .xlsx or .xlsm)."""
    return data[:4] == b"PK\x03\x04"


def read_workbook(
    source, limits: WorkbookLimits | None = None, cached: bool = True
) -> Workbook:
    """Reads a workbook from bytes or a path; ModelError on anything
    wrong with it, naming the limit or the problem. cached: read the
    values Excel cached too (for validation; a simulation needs none)."""
    limits = limits or WorkbookLimits()
    try:
        data = (
            Path(source).read_bytes() if isinstance(source, Path) else source
        )
    except OSError as exc:
        raise ModelError.single(
            "workbook", f"cannot read {source}: {exc.strerror or exc}"
        ) from None
    if not isinstance(data, (bytes, bytearray)):
        raise ModelError.single("workbook", "a workbook is given as bytes")
    _check_archive(bytes(data), limits)
    import openpyxl  # imported here: only workbooks need it

    try:
        # Read-only mode streams each sheet (twice as fast here), so the
        # file is read inside this try as well as opened.
        formulas = openpyxl.load_workbook(
            io.BytesIO(data), data_only=False, keep_vba=False, read_only=True
        )
        values = None
        if cached:
            values = openpyxl.load_workbook(
                io.BytesIO(data),
                data_only=True,
                keep_vba=False,
                read_only=True,
            )
        return _contents(formulas, values, limits)
    except (ModelError, CompileStopped):
        raise
    except Exception as exc:  # noqa: BLE001 (openpyxl raises many kinds)
        raise ModelError.single(
            "workbook", f"not a readable .xlsx or .xlsm workbook: {exc}"
        ) from None


def _check_archive(data: bytes, limits: WorkbookLimits) -> None:
    if len(data) > limits.max_bytes:
        raise ModelError.single(
            "workbook",
            f"the file is {len(data):,} bytes; the limit is "
            f"{limits.max_bytes:,}",
        )
    if not is_workbook(data):
        raise ModelError.single(
            "workbook", "not an .xlsx or .xlsm file (not a zip archive)"
        )
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        raise ModelError.single(
            "workbook", f"a damaged zip archive: {exc}"
        ) from None
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise ModelError.single(
            "workbook",
            f"it expands to {total:,} bytes; the limit is "
            f"{limits.max_uncompressed_bytes:,} (refused before expanding)",
        )


def _contents(formulas, values, limits: WorkbookLimits) -> Workbook:
    if len(formulas.sheetnames) > limits.max_sheets:
        raise ModelError.single(
            "workbook",
            f"it has {len(formulas.sheetnames)} sheets; the limit is "
            f"{limits.max_sheets}",
        )
    book = Workbook(list(formulas.sheetnames), {}, {}, {}, {}, {})
    formula_count = 0
    scan = _Scan(limits)
    for ws in formulas.worksheets:
        cached = _cached_values(values[ws.title], scan) if values else {}
        rows = cols = 1
        for cell in scan.cells(ws):
            content = _content(cell.value)
            if content is None:
                continue
            rows, cols = max(rows, cell.row), max(cols, cell.column)
            where = address(ws.title, cell.row, cell.column)
            if isinstance(content, str) and content.startswith("="):
                formula_count += 1
                if _spans_cells(cell.value):
                    _add_members(book, ws.title, where, cell.value.ref)
            book.cells[where] = content
            book.cached[where] = cached.get((cell.row, cell.column))
            if isinstance(cell.value, bool):
                book.booleans.add(where)
            if len(book.cells) > limits.max_cells:
                raise ModelError.single(
                    "workbook",
                    f"it has over {limits.max_cells:,} cells; that is "
                    "the limit",
                )
        for member, (first, _, _) in book.array_members.items():
            # A member holds no formula of its own in the file (openpyxl
            # shows its cached value there): it takes the first cell's.
            if member.rsplit("!", 1)[0] == ws.title:
                book.cells[member] = book.cells[first]
                book.cached[member] = cached.get(
                    _cell_of(member.rsplit("!", 1)[1])
                )
                rows = max(rows, _cell_of(member.rsplit("!", 1)[1])[0])
        book.used_rows[ws.title], book.used_cols[ws.title] = rows, cols
        for name, defined in getattr(ws, "defined_names", {}).items():
            book.names[(key(ws.title), key(name))] = defined.attr_text
    if formula_count > limits.max_formula_cells:
        raise ModelError.single(
            "workbook",
            f"it has {formula_count:,} formula cells; the limit is "
            f"{limits.max_formula_cells:,}",
        )
    for name, defined in formulas.defined_names.items():
        book.names[(None, key(name))] = defined.attr_text
    return book


def _add_members(book: Workbook, sheet: str, first: str, ref: str) -> None:
    """The cells of an array formula over `ref`, each with its offset."""
    ends = [_cell_of(part) for part in str(ref).replace("$", "").split(":")]
    (r1, c1), (r2, c2) = ends[0], ends[-1]
    for row in range(r1, r2 + 1):
        for col in range(c1, c2 + 1):
            book.array_members[address(sheet, row, col)] = (
                first,
                row - r1,
                col - c1,
            )


def _cell_of(text: str) -> tuple[int, int]:
    from mcengine.model.parser import column_number

    letters = text.rstrip("0123456789")
    return int(text[len(letters) :]), column_number(letters)


def _spans_cells(value) -> bool:
    """Whether a cell holds an array formula over several cells (one over
    a single cell is an ordinary formula)."""
    if type(value).__name__ != "ArrayFormula":
        return False
    return ":" in str(getattr(value, "ref", "") or "")


class _Scan:
    """Every cell openpyxl yields, counted: a sheet whose rows reach far to
    the right makes it yield empty cells to fill them, so the count is
    bounded too (a 5 KB file with one cell in XFD1048576 must not take an
    hour)."""

    def __init__(self, limits: WorkbookLimits):
        self.limit = limits.max_scanned_cells
        self.count = 0

    def cells(self, ws):
        # The dimension a file states may be wrong or huge; read the rows
        # as the file holds them.
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        for rows, row in enumerate(ws.iter_rows()):
            self.count += len(row)
            if rows % 256 == 255:
                check_stop()
            if self.count > self.limit:
                raise ModelError.single(
                    "workbook",
                    f"reading it means scanning over {self.limit:,} cells "
                    "(rows that reach far to the right, as far as column "
                    "XFD); that is the limit",
                )
            yield from row


def _cached_values(ws, scan: _Scan) -> dict[tuple[int, int], object]:
    return {
        (cell.row, cell.column): cell.value
        for cell in scan.cells(ws)
        if cell.value is not None
    }


def _content(value) -> object:
    """A cell's content as the model takes it: a number, text, or a
    formula starting with "="; None for an empty cell."""
    if value is None:
        return None
    if type(value).__name__ == "ArrayFormula":
        return "=" + value.text.removeprefix("=")
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return value
    # Dates and times: Excel's serial number (1900 system).
    serial = _date_serial(value)
    return serial if serial is not None else str(value)


def _date_serial(value) -> float | None:
    """Excel's serial of a date, time or duration openpyxl gives (1900
    system: serials before 61, 1 March 1900, are one day less than the
    calendar count, Excel having counted a 29 February 1900)."""
    import datetime

    if isinstance(value, datetime.datetime):
        delta = value - datetime.datetime(1899, 12, 30)
        serial = (
            delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
        )
        return serial - 1 if serial < 61 else serial
    if isinstance(value, datetime.date):
        serial = float((value - datetime.date(1899, 12, 30)).days)
        return serial - 1 if serial < 61 else serial
    if isinstance(value, datetime.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return (seconds + value.microsecond / 1e6) / 86400
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() / 86400
    return None


@dataclass
class Translated:
    """A workbook as the compiler takes it, and what translating found."""

    spec: ModelSpec
    outputs: list[str]  # output cell addresses
    labels: dict[str, str]  # output address -> the name RiskOutput gave
    # Per correlation group: its RiskCorrmat range and first input's cell.
    corrmat_sources: list = field(default_factory=list)


def translate(book: Workbook, outputs: list[str] | None = None) -> Translated:
    """The workbook's cells as a ModelSpec with parsed trees; outputs:
    cell addresses ("Sheet1!B7", or "B7" on the first sheet), else the
    RiskOutput() cells."""
    rewriter = _Rewriter(book)
    trees, violations = {}, []
    for done, (where, content) in enumerate(book.cells.items()):
        if done % 256 == 0:
            check_stop()
        sheet = where.rsplit("!", 1)[0]
        if isinstance(content, float):
            trees[where] = ast.Number(1, content)
        elif where in book.array_members:
            try:
                trees[where] = array_member(rewriter, trees, where)
            except FormulaSyntaxError as exc:
                violations.append(Violation(f"cells.{where}", str(exc)))
        elif content.startswith("="):
            try:
                trees[where] = rewriter.parse(content, sheet, where)
            except FormulaSyntaxError as exc:
                violations.append(Violation(f"cells.{where}", str(exc)))
        else:
            trees[where] = ast.Text(1, content)
    chosen = _outputs(book, outputs, rewriter.marked, violations)
    if violations:
        raise ModelError(violations)
    cells = {
        where: _cell_text(book.cells[where.removesuffix(ARRAY_SUFFIX)])
        for where in trees
    }
    labels = {w: n for w, n in rewriter.marked.items() if n and w in chosen}
    names = _output_names(chosen, labels, cells)
    for where, name in zip(chosen, names):
        if name != where:  # an alias cell: the output under its label
            cells[name] = "=" + where
            trees[name] = ast.Name(1, where)
    correlations, sources = _correlations(rewriter.corrmats, trees, violations)
    if violations:
        raise ModelError(violations)
    spec = ModelSpec(None, cells, names, None, correlations, trees=trees)
    return Translated(spec, chosen, labels, sources)


def _correlations(corrmats: dict, trees: dict, violations: list):
    """RiskCorrmat groups as a model's correlation groups, and each one's
    (matrix range, first input's cell) for messages: the inputs by position
    (an input is named as the compiler numbers it: its cell, or "cell#k"
    for a cell's k-th distribution)."""
    groups, sources = [], []
    for (where, _label), group in corrmats.items():
        d = len(group["matrix"])
        slots = group["inputs"]
        first = slots[min(slots)][0]
        missing = [p for p in range(1, d + 1) if p not in slots]
        extra = [p for p in slots if not 1 <= p <= d]
        if missing or extra:
            violations.append(
                Violation(
                    f"cells.{first}",
                    f"RiskCorrmat({where}) is {d} x {d}, but the positions "
                    f"given are {sorted(slots)}: each of 1 to {d} once",
                )
            )
            continue
        names = [_input_name(trees, *slots[p]) for p in range(1, d + 1)]
        raw = {"inputs": names, "matrix": group["matrix"], "repair": False}

        def add(_field, why, where=where, first=first):
            violations.append(
                Violation(f"cells.{first}", f"RiskCorrmat({where}): {why}")
            )

        checked = check_structure([raw], add)
        groups += checked
        sources += [(where, first)] * len(checked)
    return groups, sources


def _input_name(trees: dict, cell: str, pos: int) -> str:
    calls = [
        n
        for n in ast.preorder(trees[cell])
        if isinstance(n, ast.Call) and n.key in DISTRIBUTIONS
    ]
    k = next(i for i, n in enumerate(calls, start=1) if n.pos == pos)
    return cell if k == 1 else f"{cell}#{k}"


def _output_names(chosen, labels, cells) -> list[str]:
    """Each output's name: its RiskOutput label when that names no cell
    and no other output, else its address."""
    taken = {key(c) for c in cells}
    names = []
    for where in chosen:
        label = labels.get(where)
        if label and key(label) not in taken:
            taken.add(key(label))
            names.append(label)
        else:
            names.append(where)
    return names


ARRAY_SUFFIX = "#array"


def array_member(rewriter, trees: dict, where: str) -> ast.Node:
    """A cell of an array formula over several cells: element (row, col)
    of the formula's array, which is compiled once under the first cell's
    name plus ARRAY_SUFFIX."""
    first, row, col = rewriter.book.array_members[where]
    whole = first + ARRAY_SUFFIX
    if whole not in trees:
        sheet = first.rsplit("!", 1)[0]
        trees[whole] = rewriter.parse(rewriter.book.cells[first], sheet, first)
    return ast.Element(1, whole, row, col)


def _cell_text(content) -> float | str:
    return content if isinstance(content, float) else str(content)


def _outputs(book, requested, marked, violations) -> list[str]:
    if not requested:
        if not marked and not violations:  # (a bad formula may hold one)
            violations.append(
                Violation(
                    "outputs",
                    "no outputs: mark cells with RiskOutput() or list "
                    "output cells (such as Sheet1!B7)",
                )
            )
        return _sorted_addresses(book, list(marked))
    by_key = {key(w): w for w in book.cells}
    chosen = []
    for i, text in enumerate(requested):
        text = text.strip()
        if "!" not in text:
            text = f"{book.sheets[0]}!{text}"
        sheet, cell = text.rsplit("!", 1)
        sheet = sheet.strip("'").replace("''", "'")
        found = by_key.get(key(f"{sheet}!{cell.replace('$', '')}"))
        if found is not None and found in chosen:
            violations.append(
                Violation(f"outputs[{i}]", f"'{requested[i]}' is listed twice")
            )
            continue
        if found is None:
            violations.append(
                Violation(
                    f"outputs[{i}]",
                    f"'{requested[i]}' is not a non-empty cell of the "
                    "workbook",
                )
            )
        else:
            chosen.append(found)
    return chosen


def _sorted_addresses(book, addresses: list[str]) -> list[str]:
    order = {key(s): i for i, s in enumerate(book.sheets)}
    pattern = re.compile(r"([A-Z]+)([0-9]+)$")

    def rank(where: str):
        sheet, cell = where.rsplit("!", 1)
        letters, row = pattern.match(cell).groups()
        return (order[key(sheet)], int(row), len(letters), letters)

    return sorted(addresses, key=rank)


class _Rewriter(Resolver):
    """Workbook formulas -> named-cell trees, resolved as they are parsed
    (see the module's docstring)."""

    def __init__(self, book: Workbook):
        self.book = book
        self.by_key = {key(w): w for w in book.cells}
        self.sheets = {key(s): s for s in book.sheets}
        self.marked: dict[str, str | None] = {}  # address -> label
        # RiskCorrmat groups by (matrix range, instance): the matrix and
        # each position's (cell, position of its distribution call).
        self.corrmats: dict[tuple, dict] = {}
        # Each range's array, built once however often it is written.
        self.ranges: dict[tuple, ast.Array] = {}
        self._names_seen: list[str] = []
        self.sheet = self.where = ""

    def parse(self, formula: str, sheet: str, where: str) -> ast.Node:
        self.sheet, self.where = sheet, where
        return parse_formula(formula, workbook=True, resolver=self)

    def call(self, node: ast.Call) -> ast.Node:
        if node.key == OUTPUT:
            return self.output(node)
        if node.key == CORRMAT:
            return node  # read by the distribution that holds it
        if node.key in DISTRIBUTIONS:
            return self.correlated(node)
        return node

    def correlated(self, call: ast.Call) -> ast.Node:
        """A distribution with its RiskCorrmat(matrix, position, [instance])
        recorded and taken out of its arguments."""
        marks = [
            a
            for a in call.args
            if isinstance(a, ast.Call) and a.key == CORRMAT
        ]
        if not marks:
            return call
        if len(marks) > 1:
            raise FormulaSyntaxError(
                call.pos, "takes one RiskCorrmat, not two"
            )
        mark = marks[0]
        if not 2 <= len(mark.args) <= 3 or not isinstance(
            mark.args[0], ast.Array
        ):
            raise FormulaSyntaxError(
                mark.pos,
                "RiskCorrmat takes (matrix range, position, [instance])",
            )
        position = mark.args[1]
        if not isinstance(position, ast.Number) or position.value != int(
            position.value
        ):
            raise FormulaSyntaxError(
                mark.pos, "RiskCorrmat's position must be a whole number"
            )
        instance = mark.args[2] if len(mark.args) == 3 else None
        label = (
            instance.value
            if isinstance(instance, (ast.Text, ast.Number))
            else None
        )
        matrix = self.matrix(mark.args[0], mark.pos)
        group = self.corrmats.setdefault(
            (matrix[0], label), {"matrix": matrix[1], "inputs": {}}
        )
        slot = int(position.value)
        if slot in group["inputs"]:
            raise FormulaSyntaxError(
                mark.pos,
                f"position {slot} of RiskCorrmat({matrix[0]}) is taken by "
                f"{group['inputs'][slot][0]}",
            )
        group["inputs"][slot] = (self.where, call.pos)
        args = tuple(a for a in call.args if a is not mark)
        return ast.Call(call.pos, call.name, args)

    def matrix(self, array: ast.Array, pos: int) -> tuple[str, list]:
        """A matrix range's address and its numbers, row by row."""
        rows = []
        for row in array.rows:
            values = []
            for element in row:
                content = (
                    self.book.cells.get(element.name)
                    if isinstance(element, ast.Name)
                    else None
                )
                if not isinstance(content, float):
                    raise FormulaSyntaxError(
                        pos,
                        "RiskCorrmat's matrix range must hold a number in "
                        "every cell",
                    )
                values.append(content)
            rows.append(values)
        first, last = array.rows[0][0], array.rows[-1][-1]
        where = f"{first.name}:{last.name.rsplit('!', 1)[1]}"
        return where, rows

    def output(self, call: ast.Call) -> ast.Node:
        label = None
        if call.args and isinstance(call.args[0], ast.Text):
            label = call.args[0].value or None
        self.marked[self.where] = label
        return ast.Number(call.pos, 0.0)

    def ref(self, ref: ast.Ref) -> ast.Node:
        target = self.sheet
        if ref.sheet is not None:
            target = self.sheets.get(key(ref.sheet))
            if target is None:
                raise FormulaSyntaxError(
                    ref.pos,
                    f"no sheet named '{ref.sheet}' (the workbook has "
                    + ", ".join(f"'{s}'" for s in self.book.sheets)
                    + ")",
                )
        if ref.single:
            found = self.by_key.get(key(address(target, ref.row1, ref.col1)))
            return (
                ast.Name(ref.pos, found) if found else ast.Number(ref.pos, 0)
            )
        row2 = ref.row2 or self.book.used_rows.get(target, 1)
        col2 = ref.col2 or self.book.used_cols.get(target, 1)
        if ref.row2 is None or ref.col2 is None:  # whole rows or columns
            row2 = min(row2, self.book.used_rows.get(target, 1))
            col2 = min(col2, self.book.used_cols.get(target, 1))
        cached = self.ranges.get((target, ref.row1, ref.col1, row2, col2))
        if cached is not None:
            return cached
        if (row2 - ref.row1 + 1) * (col2 - ref.col1 + 1) > MAX_RANGE_CELLS:
            raise FormulaSyntaxError(
                ref.pos,
                f"the range holds over {MAX_RANGE_CELLS:,} cells; that is "
                "the limit",
            )
        rows = []
        for row in range(ref.row1, row2 + 1):
            cells = []
            for col in range(ref.col1, col2 + 1):
                found = self.by_key.get(key(address(target, row, col)))
                # TRUE and FALSE in a range are skipped by functions over
                # lists, as empty cells are (Excel's SUM and COUNT do).
                if found is None or found in self.book.booleans:
                    cells.append(ast.Empty(ref.pos))
                else:
                    cells.append(ast.Name(ref.pos, found))
            rows.append(tuple(cells))
        array = ast.Array(ref.pos, tuple(rows))
        self.ranges[(target, ref.row1, ref.col1, row2, col2)] = array
        return array

    def name(self, node: ast.Name) -> ast.Node:
        text = self.book.names.get((key(self.sheet), key(node.name)))
        if text is None:
            text = self.book.names.get((None, key(node.name)))
        if text is None:
            raise FormulaSyntaxError(
                node.pos,
                f"'{node.name}' is not a defined name of the workbook (Excel "
                "shows #NAME?)",
            )
        if key(node.name) in self._names_seen:
            raise FormulaSyntaxError(
                node.pos, f"the defined name '{node.name}' refers to itself"
            )
        self._names_seen.append(key(node.name))
        try:
            inner = parse_formula("=" + text, workbook=True, resolver=self)
            return _at(inner, node.pos)
        except FormulaSyntaxError as exc:
            raise FormulaSyntaxError(
                node.pos,
                f"the defined name '{node.name}' ({text}) does not parse: "
                f"{exc.reason}",
            ) from None
        finally:
            self._names_seen.pop()


def _at(node: ast.Node, pos: int) -> ast.Node:
    """The tree of a defined name, every node placed where the name was
    written (so messages point at the name)."""
    if isinstance(node, ast.Unary):
        return ast.Unary(pos, node.op, _at(node.operand, pos))
    if isinstance(node, ast.Binary):
        return ast.Binary(
            pos, node.op, _at(node.left, pos), _at(node.right, pos)
        )
    if isinstance(node, ast.Call):
        return ast.Call(pos, node.name, tuple(_at(a, pos) for a in node.args))
    if isinstance(node, ast.Array):
        rows = tuple(tuple(_at(e, pos) for e in row) for row in node.rows)
        return ast.Array(pos, rows)
    return type(node)(
        pos,
        *[getattr(node, f) for f in node.__dataclass_fields__ if f != "pos"],
    )


def is_finite_number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
