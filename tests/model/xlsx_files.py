"""Small .xlsx files written XML by XML, for what openpyxl cannot write:
shared formulas (children without text), chosen cached values (right,
wrong, errors), sheet-scoped defined names, broken archives."""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def number(value: float) -> str:
    return f"<v>{value!r}</v>"


def text(value: str) -> tuple[str, str]:
    return ('t="inlineStr"', f"<is><t>{escape(value)}</t></is>")


def formula(body: str, cached=None) -> str | tuple[str, str]:
    """A formula with an optional cached value: a number, a string
    starting with "#" (an error), or other text."""
    f = f"<f>{escape(body)}</f>"
    if cached is None:
        return f
    if isinstance(cached, str) and cached.startswith("#"):
        return ('t="e"', f + f"<v>{escape(cached)}</v>")
    if isinstance(cached, str):
        return ('t="str"', f + f"<v>{escape(cached)}</v>")
    if isinstance(cached, bool):
        return ('t="b"', f + f"<v>{int(cached)}</v>")
    return f + f"<v>{cached!r}</v>"


def shared_master(body: str, ref: str, index: int, cached=None) -> str:
    f = f'<f t="shared" ref="{ref}" si="{index}">{escape(body)}</f>'
    return f + ("" if cached is None else f"<v>{cached!r}</v>")


def shared_child(index: int, cached=None) -> str:
    f = f'<f t="shared" si="{index}"/>'
    return f + ("" if cached is None else f"<v>{cached!r}</v>")


def _cell_xml(address: str, content) -> str:
    attrs, inner = ("", content) if isinstance(content, str) else content
    return f'<c r="{address}" {attrs}>{inner}</c>'


def _row_of(address: str) -> int:
    return int(re.sub(r"^[A-Z]+", "", address))


def _column_of(address: str) -> int:
    n = 0
    for char in re.match(r"[A-Z]+", address).group(0):
        n = n * 26 + ord(char) - ord("A") + 1
    return n


def _sheet_xml(cells: dict) -> str:
    """The sheet's XML, rows and cells in order, as Excel writes them."""
    rows: dict[int, list[str]] = {}
    ordered = sorted(
        cells.items(), key=lambda c: (_row_of(c[0]), _column_of(c[0]))
    )
    for address, content in ordered:
        rows.setdefault(_row_of(address), []).append(
            _cell_xml(address, content)
        )
    body = "".join(
        f'<row r="{r}">{"".join(rows[r])}</row>' for r in sorted(rows)
    )
    return (
        f'<worksheet xmlns="{_MAIN}"><sheetData>{body}</sheetData></worksheet>'
    )


def make_xlsx(sheets: dict[str, dict], names=()) -> bytes:
    """A workbook: sheets maps a sheet name to {address: cell content}
    (number(), text(), formula() or the shared_* forms); names holds
    (name, text, sheet index or None) defined names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="'
            'application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + overrides
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        sheet_list = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(sheets, start=1)
        )
        defined = "".join(
            f'<definedName name="{n}"'
            + ("" if local is None else f' localSheetId="{local}"')
            + f">{escape(t)}</definedName>"
            for n, t, local in names
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheet_list}'
            f"</sheets>"
            + (f"<definedNames>{defined}</definedNames>" if defined else "")
            + "</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG}">{rels}</Relationships>',
        )
        for i, cells in enumerate(sheets.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(cells))
    return buffer.getvalue()


def zip_bomb(expanded_bytes: int) -> bytes:
    """A zip whose one member expands to expanded_bytes of zeros (stored
    in about a thousandth of that)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(expanded_bytes >> 20):
            f.write(chunk)
    return buffer.getvalue()


def array_formula(body: str, ref: str, cached=None) -> str:
    """The first cell of an array formula over ref (the others hold only
    their cached values: number())."""
    f = f'<f t="array" ref="{ref}">{escape(body)}</f>'
    return f + ("" if cached is None else f"<v>{cached!r}</v>")
