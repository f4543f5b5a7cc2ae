"""Readers: an upload or niche file (xlsx / csv / parquet) -> the canonical frame of SPEC 2.

Every source column is read as text, matched to a canonical column by header, and cast
by its `Kind` with vectorized expressions. Values that do not parse become null and are
counted, never coerced to 0.

Decisions:
- Dates run from 1900-03-01 to 2199-12-31; anything else is null and counted. Excel's
  serials 1-60 are ambiguous (60 is its fictitious 1900-02-29, and calamine shows a
  date-formatted 60 as 1900-02-28), and 0 or 1899-12-30 is how many systems write "no date":
  as a date it would add a distress prefix (`Bankrupcy-`) to a row that has none.
  Serials count from 1899-12-30 (61 is 1900-03-01), or from 1904-01-01 in a workbook saved
  with Excel's 1904 date system (`date1904`), as Excel shows them.
- calamine (via fastexcel) gives cell values, not formats: a cell showing 45% arrives as
  0.45 and a number shown as 000000006046 arrives as 6046. The number formats of the
  first data rows are read from the workbook itself, so percent columns are scaled back
  to percent units and zero-padded text columns keep their leading zeros.
  A column is scaled when its first rows are percent-formatted (the sample is cheap; the
  whole sheet's styles are not); text such as "45%", "$1.00" or "(1,200)" is never scaled,
  but a number typed as text ("0.45") reads like a numeric cell and is. Not for .xls.
- The first sheet of a workbook is read; its first non-empty row is the header. Fully
  blank rows are skipped; `_row` keeps the spreadsheet row number of the rest (for csv,
  the record number: a quoted field with a line break is one row, as a spreadsheet shows).
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import fastexcel
import polars as pl
from defusedxml import ElementTree as ET

from propmail import safety
from propmail.contract import NICHE_COLUMNS, REQUIRED, SOURCE_ROW, UPLOAD_COLUMNS, Kind
from propmail.errors import InputError, SettingsError

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*EXCEL_SUFFIXES, ".csv", ".parquet")
MAX_EXAMPLES = 100
MAX_EXAMPLES_PER_COLUMN = 20
FORMAT_SAMPLE_ROWS = 200

_DTYPES: dict[Kind, type[pl.DataType]] = {
    Kind.TEXT: pl.String,
    Kind.ZIP5: pl.String,
    Kind.ZIP4: pl.String,
    Kind.DATE: pl.Date,
    Kind.NUMBER: pl.Float64,
}


@dataclass(frozen=True)
class ColumnMapping:
    """Source headers per canonical column: `columns` for every file, `niche` for niche lists."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    niche: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "mapping.toml"

    def aliases(self, niche: bool) -> dict[str, str]:
        """Normalized source header -> canonical name."""
        tables = (self.columns, self.niche) if niche else (self.columns,)
        return {_normalize(h): canon for t in tables for canon, hs in t.items() for h in hs}


@dataclass
class ReadResult:
    frame: pl.DataFrame  # every canonical column in order, typed by Kind, then SOURCE_ROW
    missing_columns: list[str]  # optional columns absent from the file: all null
    unparseable: dict[str, int]  # per column, values that became null
    unparseable_examples: list[tuple[int, str, str]]  # (row, column, raw value)
    extra_columns: list[str]  # source columns not mapped, ignored
    source: str  # the file name


def read_upload(path: str | Path, mapping: ColumnMapping | None = None) -> ReadResult:
    """Read an upload file; `mapping` (a user file) is laid over the default mapping."""
    return _read(Path(path), mapping, UPLOAD_COLUMNS, niche=False)


def read_niche(path: str | Path, mapping: ColumnMapping | None = None) -> ReadResult:
    """Read a niche list: it needs LocationPrimaryId, or LocationAddress1 and LocationZip."""
    return _read(Path(path), mapping, NICHE_COLUMNS, niche=True)


# --- the column mapping --------------------------------------------------------------


def load_mapping(path: str | Path) -> ColumnMapping:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read mapping file: {exc.strerror}", file=source) from None
    except UnicodeDecodeError:
        raise SettingsError("mapping file is not UTF-8 text", file=source) from None
    return _parse_mapping(text, source)


@cache
def default_mapping() -> ColumnMapping:
    text = resources.files("propmail").joinpath("mapping.toml").read_text(encoding="utf-8")
    return _parse_mapping(text, "mapping.toml")


def _parse_mapping(text: str, source: str) -> ColumnMapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"not valid TOML: {exc}", file=source) from None
    known = {"columns": UPLOAD_COLUMNS, "niche": NICHE_COLUMNS}
    for key in data:
        if key not in known:
            raise SettingsError(f"{key}: unknown table, expected [columns] or [niche]", file=source)
    tables: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, allowed in known.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise SettingsError(f"{name}: expected a table", file=source)
        tables[name] = _mapping_table(table, name, allowed, source)
    return ColumnMapping(tables["columns"], tables["niche"], source)


def _mapping_table(
    table: dict[str, object], name: str, allowed: Mapping[str, Kind], source: str
) -> dict[str, tuple[str, ...]]:
    by_folded = {c.casefold(): c for c in allowed}
    out: dict[str, tuple[str, ...]] = {}
    owner_of: dict[str, str] = {}
    for key, value in table.items():
        canon = by_folded.get(key.casefold())
        if canon is None:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SettingsError(f"{name}.{key}: unknown canonical column{hint}", file=source)
        headers = [value] if isinstance(value, str) else value
        if not isinstance(headers, list) or not all(
            isinstance(h, str) and h.strip() for h in headers
        ):
            raise SettingsError(
                f"{name}.{key}: expected a header or a list of headers", file=source
            )
        for header in headers:
            other = owner_of.setdefault(_normalize(header), canon)
            if other != canon:
                message = f"{name}.{key}: header {header!r} is already mapped to {other}"
                raise SettingsError(message, file=source)
        out[canon] = tuple(headers)
    return out


def _normalize(header: str) -> str:
    return " ".join(header.split()).casefold()


def _show(header: str, width: int = 60) -> str:
    """A header for a message: quoted, and cut short if a hostile file made it huge."""
    return repr(header if len(header) <= width else header[: width - 3] + "...")


# --- reading the file ----------------------------------------------------------------


@dataclass
class _Sheet:
    frame: pl.DataFrame  # the data rows, one column per source column
    headers: list[str]  # header per column of `frame`, "" where blank
    first_row: int  # spreadsheet row number of the frame's first row
    formats: dict[int, str] = field(default_factory=dict)  # xlsx number format per column
    date1904: bool = False  # the workbook counts serial dates from 1904-01-01


def _read(
    path: Path, mapping: ColumnMapping | None, columns: Mapping[str, Kind], *, niche: bool
) -> ReadResult:
    name = path.name
    sheet = _load(path)
    picked, extra = _match_headers(sheet, columns, mapping, niche, name)
    _check_required(picked, niche, sheet.headers, name)

    text = _text_frame(sheet, picked, columns)
    if text.height == 0:
        raise InputError("no data rows below the header", file=name)
    formats = {c: sheet.formats.get(p, "") for c, p in picked.items()}
    parsed = _parsed_frame(text, columns, formats, date1904=sheet.date1904)
    typed = [c for c in picked if columns[c] is not Kind.TEXT]
    failed = {c: pl.col(c).is_not_null() & pl.col(_P + c).is_null() for c in typed}
    counts = parsed.select(f.sum().alias(c) for c, f in failed.items()).to_dicts()
    unparseable = {c: n for c, n in (counts[0] if counts else {}).items() if n}
    examples = [
        (row, c, raw)
        for c in unparseable
        for row, raw in parsed.filter(failed[c])
        .select(SOURCE_ROW, c)
        .head(MAX_EXAMPLES_PER_COLUMN)
        .iter_rows()
    ][:MAX_EXAMPLES]

    def output(canon: str, kind: Kind) -> pl.Expr:
        if canon == "OwnerMailingZip4" and _PLUS4 in parsed.columns:
            value = pl.col(_P + canon) if canon in picked else pl.lit(None, pl.String)
            return pl.coalesce(value, _PLUS4).alias(canon)
        if canon not in picked:
            return pl.lit(None, dtype=_DTYPES[kind]).alias(canon)
        return pl.col(canon if kind is Kind.TEXT else _P + canon).alias(canon)

    out = parsed.select(*(output(c, k) for c, k in columns.items()), SOURCE_ROW)
    return ReadResult(
        frame=out,
        missing_columns=[c for c in columns if c not in picked],
        unparseable=unparseable,
        unparseable_examples=examples,
        extra_columns=extra,
        source=name,
    )


def _load(path: Path) -> _Sheet:
    name, suffix = path.name, path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; use {SUFFIXES}", file=name)
    if not path.is_file():
        raise InputError("file not found", file=name)
    safety.check_file(path)  # before any reader library touches the file
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            return _Sheet(frame, list(frame.columns), first_row=2)
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
    sheet = _Sheet(grid.slice(header_index + 1), headers, first_row=header_index + 2)
    if suffix in (".xlsx", ".xlsm"):
        first_col = next((i for i, h in enumerate(headers) if h), 0)
        sheet.formats = _number_formats(path, header_index + 1, first_col)
        sheet.date1904 = _uses_1904(path)
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


def _match_headers(
    sheet: _Sheet,
    columns: Mapping[str, Kind],
    mapping: ColumnMapping | None,
    niche: bool,
    name: str,
) -> tuple[dict[str, int], list[str]]:
    """Canonical column -> source position, and the unmapped source headers.

    A header is looked up in the user mapping, then as a canonical name, then in the
    default mapping; when several headers reach one column, the earliest lookup wins.
    """
    seen: dict[str, str] = {}
    for header in sheet.headers:
        key = _normalize(header)
        if key in seen:
            message = f"duplicate column headers {_show(seen[key])} and {_show(header)}"
            raise InputError(message, file=name)
        if key:
            seen[key] = header

    lookups = (
        mapping.aliases(niche) if mapping else {},
        {_normalize(c): c for c in columns},
        default_mapping().aliases(niche),
    )
    found: dict[str, list[tuple[int, int]]] = {}  # canonical -> [(lookup rank, position)]
    for pos, header in enumerate(sheet.headers):
        key = _normalize(header)
        rank, canon = next(((r, t[key]) for r, t in enumerate(lookups) if key in t), (0, ""))
        if canon in columns:  # a header mapped to a column this kind of file lacks is extra
            found.setdefault(canon, []).append((rank, pos))

    picked: dict[str, int] = {}
    for canon, hits in found.items():
        best = min(rank for rank, _ in hits)
        winners = [pos for rank, pos in hits if rank == best]
        if len(winners) > 1:
            both = " and ".join(_show(sheet.headers[p]) for p in winners)
            message = f"columns {both} both mean {canon}; name the one to use in a mapping file"
            raise InputError(message, file=name, column=canon)
        picked[canon] = winners[0]
    picked = {c: picked[c] for c in columns if c in picked}  # canonical order

    used = set(picked.values())
    extra = [h for pos, h in enumerate(sheet.headers) if h and pos not in used]
    blank_with_data = [
        f"(no header, column {pos + 1})"
        for pos, h in enumerate(sheet.headers)
        if not h and sheet.frame.get_column(sheet.frame.columns[pos]).is_not_null().any()
    ]
    return picked, extra + blank_with_data


def _check_required(picked: Mapping[str, int], niche: bool, headers: list[str], name: str) -> None:
    found = [_show(h) for h in headers if h]
    listed = ", ".join(found[:20]) + (", ..." if len(found) > 20 else "")
    hint = f"found {listed}; map other headers with --mapping"
    if niche:
        if "LocationPrimaryId" in picked or {"LocationAddress1", "LocationZip"} <= picked.keys():
            return
        message = "a niche list needs LocationPrimaryId, or LocationAddress1 and LocationZip"
        raise InputError(f"{message} ({hint})", file=name)
    missing = [c for c in REQUIRED if c not in picked]
    if missing:
        message = f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        column = missing[0] if len(missing) == 1 else None
        raise InputError(f"{message} ({hint})", file=name, column=column)


# --- values --------------------------------------------------------------------------
# Each step is its own projection: polars does not share a subexpression between two
# others, so a regex used by two expressions would run twice.

_P = "\0parsed:"  # prefix of the parsed twin of a column, next to its cleaned text
_G = "\0groups:"  # prefix of the regex groups a column is parsed from
_PLUS4 = "\0plus4"

# `[0-9]`, not `\d`: the regex crate's `\d` also matches other scripts' digits.
# A ZIP arrives as 3-5 digits (a number that lost its leading zeros, maybe "2134.0"),
# or as ZIP+4: dashed, or 7-9 digits run together (no ZIP starts with 000).
_ZIP = r"^(?:(?P<short>[0-9]{3,5})(?:\.0*)?|(?P<zip>[0-9]{3,5})[- ]?(?P<plus4>[0-9]{4}))$"
_ZIP4 = r"^(?P<zip4>[0-9]{1,4})(?:\.0*)?$"
# ISO or US m/d/yyyy, any time part ignored; or an Excel serial number.
_YEAR = "(?:18|19|20|21)[0-9]{2}"
_DATE = (
    rf"^(?:(?P<iso>{_YEAR}-[0-9]{{1,2}}-[0-9]{{1,2}})(?:[ T].*)?"
    rf"|(?P<us>[0-9]{{1,2}}/[0-9]{{1,2}}/{_YEAR})(?:\s.*)?"
    r"|(?P<serial>[0-9]{1,7})(?:\.[0-9]*)?)$"
)
# After spaces and `$` are dropped: (1,200) negative, 45% in percent units, 1.5E+05.
_NUMBER = (
    r"^(?P<open>\()?"
    r"(?P<number>[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)"
    r"(?P<percent>%)?(?P<close>\))?$"
)
_EXCEL_EPOCH = 25569  # serial of 1970-01-01, where polars counts days from
_EPOCH_1904 = 1462  # serial (1900 system) of 1904-01-01, serial 0 of the 1904 system
_FIRST_DATE = dt.date(1900, 3, 1)  # serial 61: the first date Excel's serials agree on
_LAST_DATE = dt.date(2199, 12, 31)


def _text_frame(
    sheet: _Sheet, picked: Mapping[str, int], columns: Mapping[str, Kind]
) -> pl.DataFrame:
    """The picked columns as stripped text, blank -> null, blank rows dropped, with `_row`."""
    frame, first = sheet.frame, sheet.first_row
    row = pl.int_range(first, first + frame.height, dtype=pl.Int64).alias(SOURCE_ROW)
    stripped = [_as_text(frame, pos).str.strip_chars().alias(c) for c, pos in picked.items()]
    nulled = []
    for canon, pos in picked.items():
        text: pl.Expr = pl.when(pl.col(canon).str.len_bytes() > 0).then(pl.col(canon))
        width = sheet.formats.get(pos, "")
        if columns[canon] is Kind.TEXT and re.fullmatch("0+", width):
            # Excel showed this number zero-padded (a parcel id formatted 000000000000).
            digits = text.str.contains("^[0-9]+$")
            text = pl.when(digits).then(text.str.zfill(len(width))).otherwise(text)
        nulled.append(text.alias(canon))
    return (
        frame.lazy()
        .select(row, *stripped)
        .with_columns(nulled)
        .filter(pl.any_horizontal(pl.col(list(picked)).is_not_null()))
        .collect()
    )


def _as_text(frame: pl.DataFrame, pos: int) -> pl.Expr:
    column = pl.col(frame.columns[pos])
    dtype = frame.schema[frame.columns[pos]]
    if dtype.is_float():  # parquet: integral floats as integers, so 2134.0 reads "2134"
        whole = column.is_finite() & (column == column.round(0)) & (column.abs() < 2**53)
        integer = column.cast(pl.Int64, strict=False).cast(pl.String)
        return pl.when(whole).then(integer).otherwise(column.cast(pl.String))
    return column if dtype == pl.String else column.cast(pl.String)


def _parsed_frame(
    text: pl.DataFrame,
    columns: Mapping[str, Kind],
    formats: Mapping[str, str],
    *,
    date1904: bool = False,
) -> pl.DataFrame:
    """`text` plus, per typed column, its parsed twin `_P + name` (null where unparseable)."""
    patterns = {Kind.ZIP5: _ZIP, Kind.ZIP4: _ZIP4, Kind.DATE: _DATE, Kind.NUMBER: _NUMBER}
    typed = {c: columns[c] for c in text.columns if c in columns and columns[c] in patterns}
    groups = []
    for canon, kind in typed.items():
        source = (
            pl.col(canon).str.replace_all(r"[\s$]", "") if kind is Kind.NUMBER else pl.col(canon)
        )
        groups.append(source.str.extract_groups(patterns[kind]).alias(_G + canon))
    values = [
        _value(pl.col(_G + c), k, fraction=_fraction(c, formats), date1904=date1904).alias(_P + c)
        for c, k in typed.items()
    ]
    if "OwnerZip" in typed and "OwnerMailingZip4" in columns:
        # The +4 of a ZIP+4 in OwnerZip fills OwnerMailingZip4 where the file left it empty.
        values.append(pl.col(_G + "OwnerZip").struct.field("plus4").alias(_PLUS4))
    return _parse_in_turn(text, groups, values)


def _parse_in_turn(
    text: pl.DataFrame, groups: list[pl.Expr], values: list[pl.Expr]
) -> pl.DataFrame:
    """Each column's regex groups, then the values read from them, then the groups dropped.

    One column at a time: the groups of every typed column at once peaked at 15 times the
    size of the file's frame (3.1 GB for a 200 MB frame of 1M rows).
    """
    for group in groups:
        name = group.meta.output_name()
        uses = [v for v in values if name in v.meta.root_names()]
        text = text.with_columns(group).with_columns(uses).drop(name)
    return text


def _fraction(column: str, formats: Mapping[str, str]) -> pl.Expr | None:
    """Cells of a percent-formatted column that hold a fraction (0.45 shows as 45%).

    Only what reads as a numeric cell reads (fastexcel renders one as -?digits.digits);
    text such as 45%, $1.00 or (1,200) says what it means and is not scaled.
    """
    if "%" not in formats.get(column, ""):
        return None
    return pl.col(column).str.contains(r"^-?[0-9]+(?:\.[0-9]+)?$")


def _value(
    groups: pl.Expr, kind: Kind, *, fraction: pl.Expr | None = None, date1904: bool = False
) -> pl.Expr:
    """The typed value from the regex groups of one cell; `fraction`: scale it to percent."""
    part = groups.struct.field
    if kind is Kind.ZIP5:
        return pl.coalesce(part("short"), part("zip")).str.zfill(5)
    if kind is Kind.ZIP4:
        return part("zip4").str.zfill(4)
    if kind is Kind.DATE:
        serial = part("serial").cast(pl.Int64) + (_EPOCH_1904 if date1904 else 0)
        date = pl.coalesce(
            part("iso").str.to_date("%Y-%m-%d", strict=False),
            part("us").str.to_date("%m/%d/%Y", strict=False),
            # bounded first: a 7-digit serial would overflow the date type
            pl.when(serial < 120_000).then(serial - _EXCEL_EPOCH).cast(pl.Int32).cast(pl.Date),
        )
        return pl.when(date.is_between(_FIRST_DATE, _LAST_DATE)).then(date)
    # NUMBER; a cast, not a regex, rejects what has no digit at all ("", ".", "-")
    number = part("number").str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    negative = part("open").is_not_null()
    value = number * pl.when(negative).then(-1.0).otherwise(1.0)
    if fraction is not None:  # a cell formatted as percent holds a fraction: 0.45 shows as 45%
        scaled = (value * 100).round(9)  # 0.45 * 100 is 45.00000000000001
        value = pl.when(fraction).then(scaled).otherwise(value)
    balanced = negative == part("close").is_not_null()
    return pl.when(balanced).then(value)


# --- number formats of an xlsx workbook ----------------------------------------------

_BUILTIN_FORMATS = {"9": "0%", "10": "0.00%"}  # the rest are not percent or zero-padded


def _number_formats(path: Path, header_row: int, first_col: int) -> dict[int, str]:
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


def _uses_1904(path: Path) -> bool:
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
