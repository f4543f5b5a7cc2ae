"""What calamine does not give of an xlsx workbook: number formats, merged cells, the 1904 system.

calamine (via fastexcel) gives cell values, not formats: a cell showing 45% arrives as 0.45
and a number shown as 000000006046 arrives as 6046. The number formats of the first data rows
are read from the workbook's own XML (the styles, which are workbook-wide, and the part of the
sheet being read, which maps each cell to a style; streamed), so percent columns can be scaled
back to percent units and zero-padded columns keep their leading zeros
(`propmail.read.values`). Sampling the first rows is cheap; the whole sheet's styles are not.
calamine gives a merged cell's value in its top-left cell only: the sheet's `<mergeCells>`
(after its rows, so found by a byte scan of the part, not parsed) say which cells it covers
(`propmail.read.merged` makes headers of them). A workbook saved with Excel's 1904 date system
(`date1904`) counts serial dates from 1904-01-01. Not for .xls. The cells that hold an Excel
error (`#DIV/0!`), which calamine gives as empty, are found in the sheet's XML, and for .xls in
what fastexcel reports of the cells it could not give as text.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import fastexcel
from defusedxml import ElementTree as ET

from propmail.read.merged import Merge

FORMAT_SAMPLE_ROWS = 200
CHUNK = 1 << 20  # bytes of a sheet part scanned at a time for its merged cells
MERGES_LIMIT = 16 << 20  # bytes of <mergeCells> read at most (a sheet merging data cells)
_MERGE_REF = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"'
)

_BUILTIN_FORMATS = {"9": "0%", "10": "0.00%"}  # the rest are not percent or zero-padded


def number_formats(path: Path, sheet: str, header_row: int, first_col: int) -> dict[int, str]:
    """Percent or zero-padded number format per column (grid positions) of `sheet`, sampled.

    Looks at the numeric cells of the first FORMAT_SAMPLE_ROWS rows below the header (a sheet
    row number); `first_col` is the grid position of the header row's first non-blank cell.
    Best effort: a workbook this cannot follow simply gets no formats.
    """
    try:
        with zipfile.ZipFile(path) as book:
            styles = _interesting_styles(book)
            if not styles:
                return {}
            formats: dict[int, str] = {}
            header_cols: list[int] = []
            with book.open(_sheet_part(book, sheet)) as part:
                for _, element in ET.iterparse(part):
                    if _local(element.tag) != "row":
                        continue
                    row = int(element.get("r", "0"))
                    if row > header_row + FORMAT_SAMPLE_ROWS:
                        break
                    for cell in element:
                        if not len(cell) or "r" not in cell.attrib:
                            continue  # empty, or no reference to place it
                        col = _column_index(cell.attrib["r"])
                        if row == header_row:
                            header_cols.append(col)
                        elif row > header_row and cell.get("t", "n") == "n":
                            code = styles.get(cell.get("s", "0"))
                            if code:
                                formats.setdefault(col, code)
                    element.clear()
    except (KeyError, ValueError, StopIteration, zipfile.BadZipFile, ET.ParseError, OSError):
        return {}
    # The grid starts at the sheet's leftmost used column; the header aligns the two.
    offset = min(header_cols, default=first_col) - first_col
    return {col - offset: code for col, code in formats.items()}


def _interesting_styles(book: zipfile.ZipFile) -> dict[str, str]:
    """Cell style index -> number format code, for percent and zero-padded formats."""
    root = ET.fromstring(book.read("xl/styles.xml"))
    codes = dict(_BUILTIN_FORMATS)
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            codes[element.get("numFmtId", "")] = element.get("formatCode", "")
    styles: dict[str, str] = {}
    for xfs in root:
        if _local(xfs.tag) == "cellXfs":
            for index, xf in enumerate(xfs):
                code = codes.get(xf.get("numFmtId", "0"), "")
                if "%" in re.sub(r'"[^"]*"|\\.', "", code) or re.fullmatch("0{2,}", code):
                    styles[str(index)] = code
    return styles


_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*)>(.*?)</(?:[A-Za-z_][\w.-]*:)?c>", re.S)
_ERROR_TYPE = re.compile(rb'\bt="e"')
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)<")
ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row>")
MAX_ERRORS = 100_000  # error cells kept at most (all are counted by the caller's columns)


def error_cells(path: Path, sheet: str, header_row: int, first_col: int) -> list[ErrorCell]:
    """The cells of `sheet` that hold an Excel error (`#DIV/0!`, `#N/A`, ...): calamine gives
    them as empty. Each as (sheet row number, grid position, the error's text), the grid
    aligned as in `number_formats`. A byte scan of the sheet part, streamed (about a second
    per GB of XML); only a block that holds an error cell is parsed. Best effort: a workbook
    this cannot follow has none.
    """
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_part(book, sheet)
            with book.open(part) as stream:
                columns = _row_columns(stream, header_row)
            with book.open(part) as stream:
                found = list(_errors(stream))
    except (KeyError, ValueError, StopIteration, zipfile.BadZipFile, ET.ParseError, OSError):
        return []
    offset = min(columns, default=first_col) - first_col
    return [(row, col - offset, text) for row, col, text in found if col - offset >= 0]


ErrorCell = tuple[int, int, str]  # (sheet row number, column, the error's text)

# A .xls sheet has no XML to scan: fastexcel, asked for its cells as text, reports each error
# cell it gives as empty, in calamine's name of the error (`Expected string but got
# 'Error(Div0)'`).
_XLS_ERROR = re.compile(r"\bError\((\w+)\)")
_XLS_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}


def xls_error_cells(errors: fastexcel.CellErrors | None) -> list[ErrorCell]:
    """The error cells fastexcel reports of a sheet it read as text from the grid's first row
    (a .xls workbook's), as (sheet row number, grid position, the error's text)."""
    found = []
    for error in (errors.errors if errors else [])[:MAX_ERRORS]:
        name = _XLS_ERROR.search(error.detail)
        if name:
            row, col = error.position
            found.append((row + 1, col, _XLS_ERRORS.get(name.group(1), "#ERROR")))
    return found


def _errors(stream: IO[bytes]) -> Iterator[ErrorCell]:
    carry, kept = b"", 0
    while True:
        block = stream.read(CHUNK)
        data = carry + block
        if block:  # whole rows only; the rest waits for the next block
            ends = list(ROW_END.finditer(data))
            cut = ends[-1].end() if ends else (len(data) if len(data) > MERGES_LIMIT else 0)
            data, carry = data[:cut], data[cut:]
        if _ERROR_TYPE.search(data):
            for cell in _CELL.finditer(data):
                attributes, body = cell.group(1), cell.group(2)
                ref, value = _REF.search(attributes), _VALUE.search(body)
                if _ERROR_TYPE.search(attributes) and ref and kept < MAX_ERRORS:
                    row, col = _cell_position(ref.group(1).decode())
                    kept += 1
                    yield row + 1, col, (value.group(1) if value else b"#ERROR").decode()
        if not block:
            return


def uses_1904(path: Path) -> bool:
    """Whether the workbook counts serial dates from 1904 (`<workbookPr date1904="1"/>`)."""
    try:
        with zipfile.ZipFile(path) as book:
            workbook = ET.fromstring(book.read("xl/workbook.xml"))
    except (KeyError, ValueError, zipfile.BadZipFile, ET.ParseError, OSError):
        return False
    pr = next((e for e in workbook.iter() if _local(e.tag) == "workbookPr"), None)
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def merged_cells(path: Path, sheet: str, row: int, first_col: int) -> list[Merge]:
    """The merged ranges of `sheet` in grid positions (row i is sheet row i + 1).

    `row` (a sheet row number) and `first_col` (the grid position of that row's first non-blank
    cell) align the grid, which starts at the sheet's leftmost used column, with the sheet.
    Best effort: a workbook this cannot follow simply has no merged cells.
    """
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_part(book, sheet)
            with book.open(part) as stream:
                columns = _row_columns(stream, row)
            if not columns:
                return []
            with book.open(part) as stream:
                fragment = _merge_fragment(stream)
    except (KeyError, ValueError, StopIteration, zipfile.BadZipFile, ET.ParseError, OSError):
        return []
    offset = min(columns) - first_col
    merges = []
    for match in _MERGE_REF.finditer(fragment):
        first, last = match.group(1).decode(), (match.group(2) or match.group(1)).decode()
        r1, c1 = _cell_position(first)
        r2, c2 = _cell_position(last)
        if c1 - offset >= 0:
            merges.append((r1, c1 - offset, r2, c2 - offset))
    return merges


def _row_columns(stream: IO[bytes], row: int) -> list[int]:
    """The sheet columns (0-based) of the cells with a value in sheet row `row`."""
    for _, element in ET.iterparse(stream):
        if _local(element.tag) != "row":
            continue
        number = int(element.get("r", "0"))
        if number == row:
            return [_column_index(c.attrib["r"]) for c in element if len(c) and "r" in c.attrib]
        if number > row:
            break
        element.clear()
    return []


def _merge_fragment(stream: IO[bytes]) -> bytes:
    """The sheet part's `<mergeCells>` element, found by a byte scan (it follows the rows)."""
    carry, found = b"", b""
    while block := stream.read(CHUNK):
        data = carry + block
        if not found:
            at = _merge_start(data)
            if at < 0:
                carry = data[-32:]  # a tag cut between two blocks
                continue
            data = data[at:]
        found += data
        end = found.find(b"mergeCells>", 12)  # the closing tag
        if end >= 0 or len(found) > MERGES_LIMIT:
            return found[: end if end >= 0 else MERGES_LIMIT]
        carry = b""
    return found


def _merge_start(data: bytes) -> int:
    """Where a `<mergeCells` (or `<x:mergeCells`) start tag begins in `data`, else -1."""
    at = data.find(b"mergeCells")
    while at >= 0:
        after = data[at + 10 : at + 11]
        before = data[max(0, at - 40) : at]
        tag = before.rfind(b"<")
        if after in (b" ", b">", b"\t", b"\r", b"\n") and tag >= 0:
            prefix = before[tag + 1 :]
            if not prefix or re.fullmatch(rb"[A-Za-z_][\w.-]*:", prefix):
                return max(0, at - 40) + tag
        at = data.find(b"mergeCells", at + 10)
    return -1


def _sheet_part(book: zipfile.ZipFile, name: str) -> str:
    """The part of the sheet called `name` (the first sheet when `name` is empty)."""
    workbook = ET.fromstring(book.read("xl/workbook.xml"))
    sheets = [e for e in workbook.iter() if _local(e.tag) == "sheet"]
    sheet = next(e for e in sheets if not name or e.get("name") == name)
    rel_id = next(v for k, v in sheet.attrib.items() if _local(k) == "id")
    rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(e.get("Target", "") for e in rels if e.get("Id") == rel_id)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_position(reference: str) -> tuple[int, int]:
    """`B3` -> (2, 1): the 0-based row and column of a cell reference."""
    return int(reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - 1, _column_index(reference)


def _column_index(reference: str) -> int:
    index = 0
    for char in reference.rstrip("0123456789").upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1
