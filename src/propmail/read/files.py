"""A file -> its sheet: csv, xlsx/xls or parquet read as text, and its header row found.

The safety checks (`propmail.read.safety`) run first, before any reader library touches the
file. The first sheet of a workbook is read; its first non-empty row is the header.
`Sheet.first_row` keeps the spreadsheet row number of the data, so a row can be named as the
spreadsheet shows it (for csv, the record number: a quoted field with a line break is one row).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from propmail.errors import InputError
from propmail.read import safety, xlsx

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*EXCEL_SUFFIXES, ".csv", ".parquet")


@dataclass
class Sheet:
    frame: pl.DataFrame  # the data rows, one column per source column
    headers: list[str]  # header per column of `frame`, "" where blank
    first_row: int  # spreadsheet row number of the frame's first row
    formats: dict[int, str] = field(default_factory=dict)  # xlsx number format per column
    date1904: bool = False  # the workbook counts serial dates from 1904-01-01


def check_readable(path: Path) -> None:
    """InputError unless `path` is a readable file of a type propmail reads; opens nothing."""
    name, suffix = path.name, path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}; use {', '.join(SUFFIXES)}", file=name
        )
    if not path.is_file():
        raise InputError(f"file not found (looked for {path.absolute()})", file=name)
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {path.absolute()}: permission denied", file=name)


def check(path: Path) -> None:
    """InputError unless `path` is a readable, safe file of a type propmail reads.

    Cheap (no cell is read), so a job runs it on every input before anything else.
    """
    check_readable(path)
    safety.check_file(path)  # before any reader library touches the file


def load(path: Path) -> Sheet:
    """The sheet of an input file; InputError if it is missing, unsafe, unreadable or empty."""
    name, suffix = path.name, path.suffix.lower()
    check(path)
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            return Sheet(frame, list(frame.columns), first_row=2)
        if suffix == ".csv":
            grid = _read_csv(path)
        else:
            book = fastexcel.read_excel(path)
            # skip_rows=0 keeps leading blank rows, so row i of the grid is sheet row i + 1.
            grid = book.load_sheet(0, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except (fastexcel.FastExcelError, pl.exceptions.PolarsError, OSError) as exc:
        kind = "an Excel workbook" if suffix in EXCEL_SUFFIXES else f"a {suffix[1:]} file"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "more fields" in reason:  # polars speaks of its 'Schema'
            reason = "a row has more fields than the header (an unquoted comma?)"
        raise InputError(f"cannot read as {kind}: {reason}", file=name) from None

    non_empty = grid.select(pl.any_horizontal(pl.all().is_not_null())).to_series().arg_true()
    if non_empty.is_empty():
        raise InputError("the file is empty", file=name)
    header_index = int(non_empty[0])
    headers = [str(v).strip() if v is not None else "" for v in grid.row(header_index)]
    sheet = Sheet(grid.slice(header_index + 1), headers, first_row=header_index + 2)
    if suffix in (".xlsx", ".xlsm"):
        first_col = next((i for i, h in enumerate(headers) if h), 0)
        sheet.formats = xlsx.number_formats(path, header_index + 1, first_col)
        sheet.date1904 = xlsx.uses_1904(path)
    return sheet


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, has_header=False, infer_schema=False)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower():
            raise
    data = path.read_bytes()  # not UTF-8: Windows-1252, else Latin-1 (which decodes anything)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return pl.read_csv(io.BytesIO(text.encode("utf-8")), has_header=False, infer_schema=False)
