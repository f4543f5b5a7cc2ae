"""A file -> its sheet: csv, xlsx/xls or parquet read as text, and its header row found.

The safety checks (`propmail.read.safety`) run first, before any reader library touches the
file. Spreadsheets are taken as people save them: the sheet is the one asked for (`--sheet`),
else the first whose header row a layout recognizes; the header row is the row among the
first 20 that the layouts recognize best (else the first non-empty one), with the headers of
merged cells resolved (`propmail.read.merged`), title rows above it and a totals line below
the data are left out and noted. A csv file's separator (`,` `;` tab `|`) is sniffed, a
byte-order mark dropped, text that is not UTF-8 decoded as Windows-1252 (else Latin-1) line by
line (`propmail.read.encoding`) and named. `head` reads a csv file's first HEAD_BYTES (a parquet
file's schema) before its body, so the reader can refuse a file that lacks the columns it needs
without reading the rest: a 2 GB file is refused in the memory of its first few MiB.
`Sheet.first_row` keeps the spreadsheet row number of the data, so a row can be named as the
spreadsheet shows it (for csv, the record number: a quoted field with a line break is one row).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import fastexcel
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from propmail.errors import InputError
from propmail.read import encoding, merged, safety, xlsx

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*EXCEL_SUFFIXES, ".csv", ".parquet")


@dataclass
class Sheet:
    frame: pl.DataFrame  # the data rows, one column per source column
    headers: list[str]  # header per column of `frame`, "" where blank
    first_row: int  # spreadsheet row number of the frame's first row
    formats: dict[int, str] = field(default_factory=dict)  # xlsx number format per column
    date1904: bool = False  # the workbook counts serial dates from 1904-01-01
    notes: list[str] = field(default_factory=list)  # what was chosen or left out, for the summary
    sheet_name: str = ""  # the workbook sheet read ("" for csv and parquet)
    # xlsx cells holding an Excel error (#DIV/0!, #N/A): (sheet row, column, text); calamine
    # gives them as empty
    errors: list[xlsx.ErrorCell] = field(default_factory=list)


HEADER_SEARCH = 20  # rows a header row is looked for in
SEPARATORS = (",", ";", "\t", "|")
FOOTER_CELLS = 3  # a totals line has a label and a figure or two
SNIFF_BYTES = 65536  # the start of a csv file its separator is told from
HEAD_BYTES = 4 << 20  # the start of a csv file its header row is looked for in, first
LINE_BYTES = 1 << 20  # the longest csv line read (a row of a real upload is a few KiB)
CHUNK_BYTES = 8 << 20  # a csv file's lines are measured this much at a time
DECODED_NAMED = 20  # rows not in UTF-8 named in the note (all are counted)
_FOOTER = r"(?i)^\s*(?:grand\s+)?(?:totals?|sum|count|records?|end of (?:file|report))\b"
Score = Callable[[list[str]], int]  # how well a row of cells reads as a header row


def check_readable(path: Path) -> None:
    """InputError unless `path` is a readable file of a type propmail reads; opens nothing."""
    name, suffix = path.name, path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}; use {', '.join(SUFFIXES)}", file=name
        )
    try:
        mode = path.stat().st_mode  # a symbolic link is followed: what it points to is read
    except FileNotFoundError:
        raise InputError(f"file not found (looked for {path.absolute()})", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read {path.absolute()}: {exc.strerror}", file=name) from None
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{path.absolute()} is {_not_a_file(mode)}, not a regular file; propmail reads "
            "only files (save the data to a file and name that)",
            file=name,
        )
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {path.absolute()}: permission denied", file=name)


def _not_a_file(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device (such as /dev/zero)"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((what for test, what in kinds if test(mode)), "not a file")


def check_sheet(path: Path, sheet: str | None) -> None:
    """InputError if a sheet is asked of a file that has none (csv, parquet)."""
    if sheet is not None and path.suffix.lower() not in EXCEL_SUFFIXES:
        raise InputError(
            f"--sheet {sheet!r} names a workbook sheet, but {path.name} is a "
            f"{path.suffix.lower()[1:] or 'sheetless'} file, which has none; drop --sheet",
            file=path.name,
            option="--sheet",
        )


def check(path: Path) -> None:
    """InputError unless `path` is a readable, safe file of a type propmail reads.

    Cheap (no cell is read), so a job runs it on every input before anything else; the reader
    runs it again as it opens the file, and a file unchanged since is not inflated twice.
    """
    check_readable(path)
    found = path.stat()
    _checked_safe(path.absolute(), found.st_mtime_ns, found.st_size)


@lru_cache(maxsize=64)
def _checked_safe(path: Path, _mtime_ns: int, _size: int) -> None:
    """The hostile-file checks, once per version of a file (a refusal is not remembered)."""
    safety.check_file(path)  # before any reader library touches the file


def load(path: Path, sheet: str | None = None, score: Score | None = None) -> Sheet:
    """The sheet of an input file; InputError if it is missing, unsafe, unreadable or empty."""
    name, suffix = path.name, path.suffix.lower()
    check(path)
    check_sheet(path, sheet)
    notes: list[str] = []
    sheet_index, sheet_name = 0, ""
    with _reading(suffix, name):
        if suffix == ".parquet":
            frame = pl.read_parquet(path, glob=False)  # the name is a file, never a pattern
            _check_flat(frame.schema, name)
            return Sheet(frame, list(frame.columns), first_row=2)
        if suffix == ".csv":
            grid = _read_csv(path, notes)
        else:
            book = fastexcel.read_excel(path)
            sheet_index, grid, errors = _pick_sheet(book, sheet, score, notes, path)
            sheet_name = book.sheet_names[sheet_index]
            return _sheet(grid, path, score, notes, sheet_name, errors)
    return _sheet(grid, path, score, notes, sheet_name)


def head(path: Path, sheet: str | None = None, score: Score | None = None) -> Sheet | None:
    """The first rows of a csv file (its header row among them), or a parquet file's columns
    with no rows, read before the body; None for a workbook, whose sheet is read whole.

    The reader checks the header against the columns it needs on this sheet, so a file that
    cannot supply them is refused without its body being read. A csv file whose first
    HEAD_BYTES hold no line break has no header row: it is refused here.
    """
    name, suffix = path.name, path.suffix.lower()
    check(path)
    check_sheet(path, sheet)
    if suffix == ".parquet":
        with _reading(suffix, name):  # polars' read_parquet_schema takes a name as a pattern
            empty = pl.from_arrow(pq.read_schema(path).empty_table())
        assert isinstance(empty, pl.DataFrame)
        _check_flat(empty.schema, name)
        return Sheet(empty, list(empty.columns), first_row=2)
    if suffix != ".csv":
        return None
    with path.open("rb") as f:
        data = f.read(HEAD_BYTES + 1)
    if len(data) > HEAD_BYTES:
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            raise InputError(
                f"no line ends in the first {HEAD_BYTES >> 20} MiB, so there is no header row: "
                "not a csv file (a csv file's first line is its header row)",
                file=name,
            )
        data = data[: end + 1]
    notes: list[str] = []
    try:
        return _sheet(_csv_grid(data, data, notes), path, score, notes, "")
    except pl.exceptions.PolarsError:
        return None  # cut inside a quoted field, say: the body's read tells


@contextmanager
def _reading(suffix: str, name: str) -> Iterator[None]:
    """A reader library's error as InputError naming the file and what it was read as."""
    try:
        yield
    except (fastexcel.FastExcelError, pl.exceptions.PolarsError, pa.ArrowException, OSError) as exc:
        kind = "an Excel workbook" if suffix in EXCEL_SUFFIXES else f"a {suffix[1:]} file"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "more fields" in reason:  # polars speaks of its 'Schema'
            reason = "a row has more fields than the header (an unquoted comma?)"
        raise InputError(f"cannot read as {kind}: {reason}", file=name) from None


def _sheet(
    grid: pl.DataFrame,
    path: Path,
    score: Score | None,
    notes: list[str],
    sheet_name: str,
    errors: list[xlsx.ErrorCell] | None = None,
) -> Sheet:
    """The sheet of a file's grid of cells: its header row found, title and totals left out;
    `errors`: the grid's error cells a .xls workbook's reader reported."""
    non_empty = _non_empty(grid)
    if non_empty.is_empty():
        raise InputError("the file is empty", file=path.name)
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    found = _find_header(grid, non_empty, score, _merges(path, sheet_name) if workbook else None)
    header_index, headers = found.row, found.headers
    top = header_index - 1 if found.grouped else header_index
    skipped = (non_empty.filter(non_empty < top) + 1).to_list()  # the title rows above
    if found.grouped:
        rows = f"header rows {top + 1} and {header_index + 1} (merged group cells above)"
        notes.append(rows + (f"; title rows {_rows(skipped)} left out" if skipped else ""))
    elif skipped:
        notes.append(f"header row {header_index + 1}; title rows {_rows(skipped)} left out")
    data = grid.slice(header_index + 1)
    data, footer = _drop_footer(data)
    if footer:
        notes.append(
            f"totals line{'s' if len(footer) > 1 else ''} left out: row "
            + _rows([header_index + 2 + i for i in footer])
        )
    result = Sheet(data, headers, header_index + 2, notes=notes, sheet_name=sheet_name)
    if workbook:
        result.formats = xlsx.number_formats(path, sheet_name, header_index + 1, found.first_col)
        result.date1904 = xlsx.uses_1904(path)
        errors = xlsx.error_cells(path, sheet_name, header_index + 1, found.first_col)
    result.errors = [e for e in errors or [] if e[0] > header_index + 1]
    return result


@dataclass
class _Header:
    row: int  # grid index of the header row
    headers: list[str]  # its headers, merged cells resolved
    grouped: bool  # the row above holds group labels (merged cells) that head these
    first_col: int  # grid position of the row's first non-blank cell, as the sheet has it


Merges = Callable[[int, int], tuple[merged.Merge, ...]]  # (header row, its first column) -> merges


def _merges(path: Path, sheet: str) -> Merges:
    found = path.stat()
    return lambda row, first_col: _merged_cells(
        path.absolute(), found.st_mtime_ns, found.st_size, sheet, row + 1, first_col
    )


@lru_cache(maxsize=16)
def _merged_cells(
    path: Path, _mtime_ns: int, _size: int, sheet: str, row: int, first_col: int
) -> tuple[merged.Merge, ...]:
    """A sheet's merged cells, read once when the sheet is both chosen and then read."""
    return tuple(xlsx.merged_cells(path, sheet, row, first_col))


def _find_header(
    grid: pl.DataFrame, non_empty: pl.Series, score: Score | None, merges_of: Merges | None
) -> _Header:
    """The header row and its headers; merged cells are read when the row has blank headers
    or a row of labels above it (`propmail.read.merged`), and the row is chosen again."""
    cells = cache(lambda i: _cells(grid, i))
    index = _header_row(non_empty, score, cells)
    first_col = next(i for i, v in enumerate(cells(index)) if v)
    above = cells(index - 1) if index > 0 else []
    if merges_of is None or ("" not in cells(index) and sum(map(bool, above)) < 2):
        return _Header(index, cells(index), False, first_col)
    last = int(non_empty[min(HEADER_SEARCH, non_empty.len()) - 1])
    merges = [m for m in merges_of(index, first_col) if m[0] <= last]
    if not merges:
        return _Header(index, cells(index), False, first_col)

    def heads(i: int) -> tuple[list[str], bool]:
        return merged.header_cells(i, grid.width, lambda r, c: cells(r)[c], merges)

    index = _header_row(non_empty, score, lambda i: heads(i)[0])
    first_col = next(i for i, v in enumerate(cells(index)) if v)
    return _Header(index, *heads(index), first_col)


def _rows(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")


def _non_empty(grid: pl.DataFrame) -> pl.Series:
    return grid.select(pl.any_horizontal(pl.all().is_not_null())).to_series().arg_true()


def _cells(grid: pl.DataFrame, index: int) -> list[str]:
    return [str(v).strip() if v is not None else "" for v in grid.row(index)]


def _header_row(
    non_empty: pl.Series, score: Score | None, cells: Callable[[int], list[str]]
) -> int:
    """The row among the first non-empty ones the layouts recognize best; else the first."""
    first = int(non_empty[0])
    if score is None:
        return first
    tried = [int(i) for i in non_empty[:HEADER_SEARCH]]
    points = [score(cells(i)) for i in tried]
    best = max(points)
    return tried[points.index(best)] if best > 0 else first


def _drop_footer(data: pl.DataFrame) -> tuple[pl.DataFrame, list[int]]:
    """The data without the totals or footer lines at its end, and the data rows left out.

    A footer line is short (at most FOOTER_CELLS cells) and its first cell says what it is.
    """
    tail = data.tail(HEADER_SEARCH)
    start, footer = data.height - tail.height, list[int]()
    for i, row in reversed(list(enumerate(tail.rows()))):  # at most 20 rows, from the end
        cells = [str(v).strip() for v in row if v is not None and str(v).strip()]
        if not cells:
            continue  # blank lines between the data and its footer
        if len(cells) > FOOTER_CELLS or not re.search(_FOOTER, cells[0]):
            break
        footer.insert(0, start + i)
    return (data.slice(0, footer[0]), footer) if footer else (data, [])


def _pick_sheet(
    book: fastexcel.ExcelReader,
    wanted: str | None,
    score: Score | None,
    notes: list[str],
    path: Path,
) -> tuple[int, pl.DataFrame, list[xlsx.ErrorCell]]:
    """The sheet read (its index), its grid of cells and, for .xls, its error cells."""
    names = list(book.sheet_names)
    merges = path.suffix.lower() in (".xlsx", ".xlsm")
    xls = path.suffix.lower() == ".xls"

    def grid(index: int) -> tuple[int, pl.DataFrame, list[xlsx.ErrorCell]]:
        # skip_rows=0 keeps leading blank rows, so row i of the grid is sheet row i + 1.
        sheet = book.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
        if not xls:
            return index, sheet.to_polars(), []
        cells, errors = sheet.to_arrow_with_errors()
        frame = pl.from_arrow(cells)
        assert isinstance(frame, pl.DataFrame)
        return index, frame, xlsx.xls_error_cells(errors)

    if wanted is not None:
        return grid(_sheet_index(wanted, names, path.name))
    if len(names) == 1 or score is None:
        return grid(0)
    for index in range(len(names)):
        candidate = grid(index)
        cells = candidate[1]
        rows = _non_empty(cells)
        merges_of = _merges(path, names[index]) if merges else None
        if not rows.is_empty() and score(_find_header(cells, rows, score, merges_of).headers):
            if index:
                notes.append(f"sheet {names[index]!r} (the first whose headers a layout knows)")
            return candidate
    return grid(0)


def _sheet_index(wanted: str, names: list[str], name: str) -> int:
    if wanted in names:
        return names.index(wanted)
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    listed = ", ".join(repr(n) for n in names)
    raise InputError(
        f"no sheet {wanted!r}; the workbook has {listed} (or 1..{len(names)})",
        file=name,
        column="--sheet",
    )


def _read_csv(path: Path, notes: list[str]) -> pl.DataFrame:
    check_lines(path)
    with path.open("rb") as f:
        sample = f.read(SNIFF_BYTES)
    return _csv_grid(path, sample, notes)


def check_lines(path: Path) -> None:
    """InputError naming the first line of a csv file longer than LINE_BYTES, found before the
    file is parsed, streaming it CHUNK_BYTES at a time: a line of a gigabyte is refused in the
    memory of one chunk, not read whole. (A quoted field with line breaks is bounded per line.)"""
    line, open_bytes, after_cr = 1, 0, False  # where the chunk starts: its line, the bytes
    # of that line before it, and whether the chunk before ended in CR
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            data = np.frombuffer(chunk, np.uint8)
            lf, cr = data == 10, data == 13
            first = 1 if after_cr and lf[0] else 0  # the LF of a CR LF the chunks cut apart
            lf[:first] = False
            crlf = np.zeros_like(lf)
            crlf[1:] = lf[1:] & cr[:-1]  # an LF whose line ends in a CR
            cr[:-1] &= ~lf[1:]  # CR LF ends one line, at its LF
            ends = np.flatnonzero(lf | cr)
            starts = np.concatenate(([first], ends + 1))
            lengths = np.concatenate((ends, [data.size])) - starts
            lengths[:-1] -= crlf[ends]
            lengths[0] += open_bytes
            long = np.flatnonzero(lengths > LINE_BYTES)
            if long.size:
                raise InputError(
                    f"line {line + int(long[0]):,} is longer than {LINE_BYTES:,} bytes; a csv "
                    "line holds one row (a broken export, or not a csv file)",
                    file=path.name,
                )
            line += ends.size
            open_bytes, after_cr = int(lengths[-1]), bool(cr[-1])


def _csv_grid(source: Path | bytes, sample: bytes, notes: list[str]) -> pl.DataFrame:
    """The cells of a csv file (or of its first bytes), every one as text, no header taken.

    Text that is not UTF-8 is decoded line by line (`propmail.read.encoding`) and noted.
    """
    separator = _sniff(sample[:SNIFF_BYTES].decode("utf-8", errors="replace"))  # ASCII

    def read(data: Path | bytes) -> pl.DataFrame:
        return pl.read_csv(
            data, has_header=False, infer_schema=False, separator=separator, glob=False
        )

    try:
        grid = read(source)  # polars drops a UTF-8 byte-order mark
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower():
            raise
        decoded = encoding.to_utf8(source.read_bytes() if isinstance(source, Path) else source)
        grid = read(decoded.data)
        notes.append(_decoded_note(decoded, grid.height))
    if separator != ",":
        notes.append(f"separator {separator!r}")
    return grid


def _decoded_note(decoded: encoding.Decoded, records: int) -> str:
    """What was decoded how; the lines are the rows unless a quoted field holds a line break."""
    if decoded.whole:
        return f"text decoded as {decoded.encoding}"
    lines = decoded.data.count(b"\n") + (0 if decoded.data.endswith(b"\n") else 1)
    what = "row" if records == lines else "line"
    count = len(decoded.lines)
    listed = ", ".join(str(n) for n in decoded.lines[:DECODED_NAMED])
    more = f", ... ({count - DECODED_NAMED:,} more)" if count > DECODED_NAMED else ""
    return (
        f"{count:,} {what}{'s' if count > 1 else ''} not in UTF-8, decoded as "
        f"{decoded.encoding}: {what}{'s' if count > 1 else ''} {listed}{more}"
    )


def _check_flat(schema: pl.Schema, name: str) -> None:
    """InputError naming the parquet columns that hold lists or structs, not one value a row."""
    nested = [f"{c} ({t})" for c, t in schema.items() if t.is_nested() or t == pl.Object]
    if nested:
        raise InputError(
            f"column{'s' if len(nested) > 1 else ''} {', '.join(nested)} hold lists or "
            "structures, not one value per row; write the file with plain columns",
            file=name,
        )


def _sniff(sample: str) -> str:
    """The separator that splits the first lines into the same, largest number of fields."""
    lines = [line for line in re.sub(r'"[^"]*"', '""', sample).splitlines()[:20] if line.strip()]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut the last line short

    def fields(sep: str) -> tuple[bool, int]:
        counts = {line.count(sep) for line in lines}
        return (len(counts) == 1, max(counts, default=0))

    best = max(SEPARATORS, key=lambda sep: (fields(sep)[1] > 0, fields(sep)))
    return best if fields(best)[1] > 0 else ","
