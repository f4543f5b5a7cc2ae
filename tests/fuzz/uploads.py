"""Generated uploads for the property tests: every cell knows how it is written and what the
database must hold for it.

A cell is drawn from the traps of spreadsheet data: leading-zero ZIPs and parcel ids, ZIP+4,
ZIPs and ids that arrive as numbers, Excel serial dates around the 1900 leap-year bug and in
1904 workbooks, date-formatted cells, percent and currency numbers, blanks and white space,
Unicode (accents, CJK, emoji, right-to-left), very long text, text that starts like a formula
(`=`, `+`, `-`, `@`), embedded newlines and quotes, NUL characters, duplicate parcel ids and
missing optional columns. The expected value is built alongside the cell, not parsed back
from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from hypothesis import strategies as st

from propmail.contract import REQUIRED, UPLOAD_COLUMNS, Kind

# Unicode White_Space: what the reader strips (Rust's definition, not Python's isspace)
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
FIRST_DATE, LAST_DATE = dt.date(1900, 3, 1), dt.date(2199, 12, 31)
EPOCH_1900, EPOCH_1904 = dt.date(1899, 12, 30), dt.date(1904, 1, 1)
TEXT_WIDTH = 255


def strip(text: str) -> str:
    return text.strip(WHITE_SPACE)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Cell:
    """One cell: `raw` as written (text, or a number for an xlsx numeric cell; None: empty)."""

    raw: str | float | None
    expected: Any = None  # the value the database must hold; None is null
    style: str = ""  # xlsx number format of a numeric cell: "", "date", "percent", "zeros"

    @property
    def present(self) -> bool:
        """Whether the reader sees something in the cell (a row of blanks is no row)."""
        return isinstance(self.raw, int | float) or (
            isinstance(self.raw, str) and strip(self.raw) != ""
        )

    @property
    def unparseable(self) -> bool:
        """A typed cell with something in it that becomes null (and is counted)."""
        return self.present and self.expected is None


@dataclass
class Upload:
    format: str  # csv, xlsx, xlsx1904
    headers: dict[str, str]  # canonical column -> header as written, in file order
    rows: list[dict[str, Cell]]
    extra: list[str] = field(default_factory=list)  # a "Notes" column nobody maps

    @property
    def suffix(self) -> str:
        return ".csv" if self.format == "csv" else ".xlsx"

    @property
    def xlsx(self) -> bool:
        return self.format != "csv"


def pick(draw: st.DrawFn, weights: dict[str, int]) -> str:
    """One key, drawn with the given weights (most cells clean, a few hostile)."""
    roll = draw(st.integers(0, sum(weights.values()) - 1))
    for key, weight in weights.items():
        if roll < weight:
            return key
        roll -= weight
    raise AssertionError


# --- text -----------------------------------------------------------------------------------

TRICKY = [
    "José Ñúñez",
    "Zoë O'Brien",
    "ÅSA ØSTERGÅRD",
    "STRAßE",
    "東京都港区",
    "李小龙",
    "🏠 HOME 😀",
    "👨‍👩‍👧 FAMILY",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202eEVIL",
    "e\u0301",
    "\u200bZERO WIDTH",
    "ﬁne",
    "=SUM(A1:A9)",
    '=HYPERLINK("http://example.invalid","x")',
    "+1-555-0100",
    "-5",
    "@SUM(1)",
    'SAY "HI", OK',
    "LINE1\nLINE2",
    "A\r\nB",
    "TAB\tHERE",
    "NULL",
    "None",
    "nan",
    "#N/A",
    "TRUE",
    "0",
    "00123",
    "1e5",
    "<b>x</b>",
    "[/]",
    "[bold]x[/bold]",
    "Robert'); DROP TABLE Owner;--",
    "\\.",
    "A\n\\.\nB",
    "NUL\x00BYTE",
    "BELL\x07",
]
BLANKS = ["", " ", "\t", "\u3000", " \n ", "\xa0"]

_any_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)
_plain_text = st.text(alphabet="ABCDEFGHIJKLMNOP 0123456789-.,'&#/", min_size=1, max_size=20)
_padding = st.text(alphabet=WHITE_SPACE, max_size=2)


def _for_xlsx(text: str) -> str:
    # Characters XML 1.0 cannot hold and literal _xHHHH_ escapes: xlsxwriter writes them
    # unescaped (Excel would escape them), so the workbook would not say what the text says.
    text = re.sub(r"[\ufffe\uffff]", "", text)
    return re.sub(r"_(x[0-9A-Fa-f]{4})_", r"-\1-", text)


@st.composite
def texts(draw: st.DrawFn, xlsx: bool, long: bool = True) -> Cell:
    kind = pick(draw, {"plain": 60, "mixed": 25, "blank": 12, "long": 3 if long else 0})
    if kind == "blank":
        raw = draw(st.sampled_from(BLANKS))
    elif kind == "long":
        unit = draw(st.sampled_from(["L", "É", "東", "🏠"]))
        raw = unit * draw(st.integers(200, 700))
    else:
        atom = _plain_text if kind == "plain" else st.one_of(st.sampled_from(TRICKY), _any_text)
        parts = draw(st.lists(atom, min_size=1, max_size=3))
        raw = draw(_padding) + " ".join(parts) + draw(_padding)
    if xlsx:
        raw = _for_xlsx(raw)
    value = strip(raw)
    return Cell(raw, value or None)


@st.composite
def streets(draw: st.DrawFn, xlsx: bool) -> Cell:
    """Owner and property streets: mostly addresses, sometimes anything at all."""
    if draw(st.integers(0, 3)):
        number = draw(st.integers(1, 99999))
        street = draw(st.sampled_from(["MAIN ST", "North Main Street", "1ST AVE", "ELM RD APT 2"]))
        raw = draw(_padding) + f"{number} {street}" + draw(_padding)
        return Cell(raw, strip(raw))
    return draw(texts(xlsx, long=draw(st.booleans())))


# --- parcel ids -------------------------------------------------------------------------------


@st.composite
def parcel_ids(draw: st.DrawFn, style: str) -> Cell:
    """A parcel id: text with leading zeros and dashes, or (xlsx) a number, maybe zero-padded."""
    if style in ("number", "zeros") and draw(st.booleans()):
        number = draw(st.integers(1, 10**11))
        expected = str(number).zfill(12) if style == "zeros" else str(number)
        return Cell(float(number), expected, style="zeros" if style == "zeros" else "")
    text = draw(
        st.one_of(
            st.from_regex(r"0{0,4}[0-9]{1,8}-[0-9]{2,4}", fullmatch=True),
            st.from_regex(r"[A-Z]{1,3}-?0[0-9]{3,9}", fullmatch=True),
            st.from_regex(r"0[0-9]{11}", fullmatch=True)
            if style != "zeros"  # digits-only text in a zero-padded column is padded too
            else st.from_regex(r"0[0-9]{4}-[0-9]{3}", fullmatch=True),
        )
    )
    raw = draw(_padding) + text + draw(_padding)
    return Cell(raw, text)


# --- ZIP codes ------------------------------------------------------------------------------


@st.composite
def zips(draw: st.DrawFn, xlsx: bool) -> Cell:
    """A ZIP: expected is (zip5, plus4)."""
    weights = {"five": 40, "plus4": 15, "run9": 10, "number": 20, "float": 5, "bad": 5, "blank": 5}
    kind = pick(draw, weights)
    zip5 = draw(st.from_regex(r"[0-9]{5}", fullmatch=True))
    plus4 = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    pad = draw(_padding)
    if kind == "five":
        return Cell(pad + zip5, (zip5, None))
    if kind == "plus4":
        return Cell(f"{zip5}-{plus4}{pad}", (zip5, plus4))
    if kind == "run9":
        return Cell(zip5 + plus4, (zip5, plus4))
    if kind in ("number", "float"):
        number = draw(st.integers(100, 99999))  # a ZIP that lost its leading zeros
        if xlsx and kind == "number":
            return Cell(float(number), (str(number).zfill(5), None))
        return Cell(f"{number}.0" if kind == "float" else str(number), (str(number).zfill(5), None))
    if kind == "bad":
        return Cell(draw(st.sampled_from(["12", "123456", "ABCDE", "2401-61234", "N/A"])), None)
    return Cell(draw(st.sampled_from(BLANKS)), None)


@st.composite
def zip4s(draw: st.DrawFn, xlsx: bool) -> Cell:
    kind = draw(st.sampled_from(["four", "number", "bad", "blank"]))
    if kind == "four":
        text = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
        return Cell(text, text)
    if kind == "number":
        number = draw(st.integers(1, 9999))
        return Cell(float(number) if xlsx else str(number), str(number).zfill(4))
    if kind == "bad":
        return Cell(draw(st.sampled_from(["12345", "12a4", "-1"])), None)
    return Cell(draw(st.sampled_from(BLANKS)), None)


# --- dates ----------------------------------------------------------------------------------

SPECIAL_SERIALS = [0, 1, 59, 60, 61, 366, 45356, 109573, 109574]


def _in_range(day: dt.date | None) -> dt.date | None:
    return day if day is not None and FIRST_DATE <= day <= LAST_DATE else None


def _serial_date(serial: int, format: str) -> dt.date | None:
    base = EPOCH_1904 if format == "xlsx1904" else EPOCH_1900
    try:
        return _in_range(base + dt.timedelta(days=serial))
    except OverflowError:
        return None


@st.composite
def dates(draw: st.DrawFn, format: str) -> Cell:
    weights = {"iso": 20, "us": 20, "serial": 15, "formatted": 15, "edge": 10, "outside": 5}
    kind = pick(draw, {**weights, "bad": 5, "blank": 10})
    day = draw(st.dates(dt.date(1900, 3, 1), dt.date(2199, 12, 31)))
    if kind == "iso":
        time = draw(st.sampled_from(["", " 13:45:00", "T00:00:00Z"]))
        return Cell(f"{day:%Y-%m-%d}{time}", day)
    if kind == "us":
        text = f"{day.month}/{day.day}/{day.year}"
        if draw(st.booleans()):
            text = f"{day:%m/%d/%Y}"
        return Cell(text, day)
    if kind in ("serial", "formatted", "edge"):
        serial = (
            draw(st.sampled_from(SPECIAL_SERIALS))
            if kind == "edge"
            else draw(st.integers(0, 109574))
        )
        fraction = draw(st.sampled_from([0.0, 0.25, 0.75]))
        if format == "csv":
            text = str(serial) if not fraction else f"{serial + fraction}"
            return Cell(text, _serial_date(serial, "xlsx"))
        formatted = kind == "formatted" or draw(st.booleans())
        return Cell(
            float(serial) + fraction,
            _serial_date(serial, format),
            style="date" if formatted else "",
        )
    if kind == "outside":
        return Cell(draw(st.sampled_from(["1899-12-30", "1850-06-01", "2200-01-01"])), None)
    if kind == "bad":
        return Cell(draw(st.sampled_from(["N/A", "00/00/0000", "2/30/2024", "5/3/24", "x"])), None)
    return Cell(draw(st.sampled_from(BLANKS)), None)


# --- numbers --------------------------------------------------------------------------------


def _as_written(number: float) -> float:
    """The number an xlsx cell holds: xlsxwriter writes 16 significant digits."""
    return float(f"{number:.16g}")


def _as_read(number: float) -> float:
    """The number read back: fastexcel renders a numeric cell as text with 9 decimals."""
    return float(f"{number:.9f}")


@st.composite
def numbers(draw: st.DrawFn, xlsx: bool, percent: bool) -> Cell:
    """`percent`: the column's numeric cells are percent-formatted (0.45 shows as 45%)."""
    weights = {"plain": 20, "money": 15, "negative": 10, "percent": 10, "cell": 30}
    kind = pick(draw, {**weights, "bad": 5, "blank": 10})
    value = draw(st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False))
    whole = draw(st.integers(0, 10**9))
    cents = draw(st.integers(0, 99))
    if kind == "cell" and xlsx:
        written = _as_written(value)
        if percent:
            scaled = (pl.Series([_as_read(written)]) * 100).round(9)[0]
            return Cell(written, scaled, style="percent")
        return Cell(written, _as_read(written))
    if percent and kind in ("plain", "cell"):
        # a percent-formatted column scales a plain number typed as text as it scales a
        # numeric cell (they read alike): plain text numbers there are written with their %
        return Cell(f"{value!r}%", value)
    if kind in ("plain", "cell"):
        return Cell(repr(value), value)
    if kind == "money":
        return Cell(f"${whole:,}.{cents:02d}", float(f"{whole}.{cents:02d}"))
    if kind == "negative":
        return Cell(f"(${whole:,})", -float(whole))
    if kind == "percent":
        return Cell(f"{whole % 1000} %", float(whole % 1000))
    if kind == "bad":
        bad = ["abc", "1.2.3", "12,34", "nan", "inf", "-", "5%5"]
        return Cell(draw(st.sampled_from(bad)), None)
    return Cell(draw(st.sampled_from(BLANKS)), None)


# --- whole uploads --------------------------------------------------------------------------


def _header(canonical: str) -> st.SearchStrategy[str]:
    return st.sampled_from([canonical, canonical.upper(), canonical.lower(), f"  {canonical} "])


# A second owner line reaches the database only through the derived envelope name, which the
# oracle does not derive again: tests/rules/test_names.py and the labelled real rows cover it.
NOT_GENERATED = {"OwnerName2"}


@st.composite
def uploads(draw: st.DrawFn, formats: tuple[str, ...] = ("csv", "xlsx", "xlsx1904")) -> Upload:
    format = draw(st.sampled_from(formats))
    xlsx = format != "csv"
    optional = [c for c in UPLOAD_COLUMNS if c not in REQUIRED and c not in NOT_GENERATED]
    columns = [*REQUIRED, *(c for c in optional if draw(st.booleans()))]
    columns = draw(st.permutations(columns))
    headers = {c: draw(_header(c)) for c in columns}
    id_style = draw(st.sampled_from(["text", "number", "zeros"])) if xlsx else "text"
    percent = {c: xlsx and draw(st.booleans()) for c in columns}
    n = draw(st.integers(1, 12))
    # a pool of parcel ids smaller than the rows: some repeat
    ids = parcel_ids(id_style)
    pool = draw(st.lists(ids, min_size=1, max_size=max(1, n - 1), unique_by=lambda c: c.expected))

    def cell(column: str) -> Cell:
        kind = UPLOAD_COLUMNS[column]
        if column == "LocationPrimaryId":
            return draw(st.sampled_from(pool)) if draw(st.integers(0, 9)) else Cell("")
        if column in ("OwnerAddress1", "LocationAddress1"):
            return draw(streets(xlsx))
        if kind is Kind.ZIP5:
            return draw(zips(xlsx))
        if kind is Kind.ZIP4:
            return draw(zip4s(xlsx))
        if kind is Kind.DATE:
            return draw(dates(format))
        if kind is Kind.NUMBER:
            return draw(numbers(xlsx, percent[column]))
        return draw(texts(xlsx))

    rows = []
    for _ in range(n):
        if draw(st.integers(0, 19)) == 0:  # a blank row: no row at all
            rows.append({c: Cell("") for c in columns})
        else:
            rows.append({c: cell(c) for c in columns})
    extra = [draw(texts(xlsx, long=False)).raw or "" for _ in range(n)]
    return Upload(format, headers, rows, extra=[str(e) for e in extra])


# --- writing --------------------------------------------------------------------------------


def write(upload: Upload, path: Path) -> Path:
    path = path.with_suffix(upload.suffix)
    header = [*upload.headers.values(), "Notes"]
    if not upload.xlsx:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for row, note in zip(upload.rows, upload.extra, strict=True):
                writer.writerow([_csv_text(row[c].raw) for c in upload.headers] + [note])
        return path
    book = xlsxwriter.Workbook(str(path), {"date_1904": upload.format == "xlsx1904"})
    styles = {
        "date": book.add_format({"num_format": "m/d/yyyy"}),
        "percent": book.add_format({"num_format": "0.00%"}),
        "zeros": book.add_format({"num_format": "000000000000"}),
    }
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for r, (row, note) in enumerate(zip(upload.rows, upload.extra, strict=True), start=1):
        for c, column in enumerate(upload.headers):
            cell = row[column]
            if isinstance(cell.raw, str) and cell.raw:
                sheet.write_string(r, c, cell.raw)
            elif isinstance(cell.raw, int | float):
                sheet.write_number(r, c, cell.raw, styles.get(cell.style))
        if note:
            sheet.write_string(r, len(upload.headers), note)
    book.close()
    return path


def _csv_text(raw: str | float | None) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else repr(raw)
