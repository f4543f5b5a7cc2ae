"""What calamine does not give of an xlsx workbook: number formats and the 1904 date system.

calamine (via fastexcel) gives cell values, not formats: a cell showing 45% arrives as 0.45
and a number shown as 000000006046 arrives as 6046. The number formats of the first data rows
are read from the workbook's own XML (styles and the first sheet, streamed), so percent
columns can be scaled back to percent units and zero-padded text columns keep their leading
zeros (`propmail.read.values`). Sampling the first rows is cheap; the whole sheet's styles
are not. A workbook saved with Excel's 1904 date system (`date1904`) counts serial dates from
1904-01-01. Not for .xls.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree as ET

FORMAT_SAMPLE_ROWS = 200

_BUILTIN_FORMATS = {"9": "0%", "10": "0.00%"}  # the rest are not percent or zero-padded


def number_formats(path: Path, header_row: int, first_col: int) -> dict[int, str]:
    """Percent or zero-padded number format per column (grid positions), sampled.

    Looks at the numeric cells of the first FORMAT_SAMPLE_ROWS rows below the header.
    Best effort: a workbook this cannot follow simply gets no formats.
    """
    try:
        with zipfile.ZipFile(path) as book:
            styles = _interesting_styles(book)
            if not styles:
                return {}
            formats: dict[int, str] = {}
            header_cols: list[int] = []
            with book.open(_first_sheet_part(book)) as part:
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


def uses_1904(path: Path) -> bool:
    """Whether the workbook counts serial dates from 1904 (`<workbookPr date1904="1"/>`)."""
    try:
        with zipfile.ZipFile(path) as book:
            workbook = ET.fromstring(book.read("xl/workbook.xml"))
    except (KeyError, ValueError, zipfile.BadZipFile, ET.ParseError, OSError):
        return False
    pr = next((e for e in workbook.iter() if _local(e.tag) == "workbookPr"), None)
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def _first_sheet_part(book: zipfile.ZipFile) -> str:
    workbook = ET.fromstring(book.read("xl/workbook.xml"))
    sheet = next(e for e in workbook.iter() if _local(e.tag) == "sheet")
    rel_id = next(v for k, v in sheet.attrib.items() if _local(k) == "id")
    rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(e.get("Target", "") for e in rels if e.get("Id") == rel_id)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(reference: str) -> int:
    index = 0
    for char in reference.rstrip("0123456789").upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1
