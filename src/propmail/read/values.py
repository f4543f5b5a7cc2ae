"""Cell text -> typed values by `Kind`, in vectorized expressions; what does not parse is counted.

Every source column arrives as text. A value that does not parse becomes null and is counted
(with a few examples), never coerced to 0. A number too large for a float (`1e309`, which
would be infinity) does not parse.

Decisions:
- Dates run from 1900-03-01 to 2199-12-31; anything else is null and counted. Excel's
  serials 1-60 are ambiguous (60 is its fictitious 1900-02-29, and calamine shows a
  date-formatted 60 as 1900-02-28), and 0 or 1899-12-30 is how many systems write "no date":
  as a date it would add a distress prefix (`Bankrupcy-`) to a row that has none.
  Serials count from 1899-12-30 (61 is 1900-03-01), or from 1904-01-01 in a workbook saved
  with Excel's 1904 date system, as Excel shows them.
- A column is scaled to percent units when its first rows are percent-formatted
  (`propmail.read.xlsx`); text such as "45%", "$1.00" or "(1,200)" is never scaled, but a
  number typed as text ("0.45") reads like a numeric cell and is.
- A number Excel shows zero-padded (format `000000000000` on a parcel id, `00000` on a ZIP)
  is read as it shows; a ZIP column only by a format of its own width.
- Fully blank rows are dropped; `_row` keeps the spreadsheet row number of the rest.

Each step is its own projection: polars does not share a subexpression between two
others, so a regex used by two expressions would run twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import polars as pl

from propmail.contract import KEEP_STORED, SOURCE_ROW, Kind
from propmail.read.files import Sheet

MAX_EXAMPLES = 100
MAX_EXAMPLES_PER_COLUMN = 20

DTYPES: dict[Kind, type[pl.DataType]] = {
    Kind.TEXT: pl.String,
    Kind.ZIP5: pl.String,
    Kind.ZIP4: pl.String,
    Kind.DATE: pl.Date,
    Kind.NUMBER: pl.Float64,
}

_P = "\0parsed:"  # prefix of the parsed twin of a column, next to its cleaned text
_G = "\0groups:"  # prefix of the regex groups a column is parsed from
_PLUS4 = "\0plus4"
_CELL = "\0cell"  # an error cell's column, in `with_error_rows`
# the +4 of a ZIP+4 written in the OwnerZip cell fills OwnerMailingZip4 where that is empty
PLUS4_FROM, PLUS4_INTO = "OwnerZip", "OwnerMailingZip4"

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
# The plain forms most cells take, read without the regexes' groups: a 5-digit ZIP, an ISO or
# m/d/yyyy date with nothing after it, digits with a decimal part, a leading $ or a closing %.
# Each reads as its full pattern above reads it; the cells that are not plain go through that.
_PLAIN = {
    Kind.ZIP5: r"^[0-9]{5}$",
    Kind.DATE: rf"^(?:{_YEAR}-[0-9]{{1,2}}-[0-9]{{1,2}}|[0-9]{{1,2}}/[0-9]{{1,2}}/{_YEAR})$",
    Kind.NUMBER: r"^\$?[0-9]+(?:\.[0-9]+)?%?$",
}
_F = "\0plain:"  # prefix of the flag that a column's cell is in its plain form
# A zero-padded format pads a text column whatever its width, a ZIP column only to its own.
_PADDED = {Kind.ZIP5: 5, Kind.ZIP4: 4, Kind.DATE: -1, Kind.NUMBER: -1}
_EXCEL_EPOCH = 25569  # serial of 1970-01-01, where polars counts days from
_EPOCH_1904 = 1462  # serial (1900 system) of 1904-01-01, serial 0 of the 1904 system
_FIRST_DATE = dt.date(1900, 3, 1)  # serial 61: the first date Excel's serials agree on
_LAST_DATE = dt.date(2199, 12, 31)


TEXT_BATCH = 8  # source columns made text at once (polars works on them in parallel)


def text_frame(
    sheet: Sheet, picked: Mapping[str, int], columns: Mapping[str, Kind]
) -> pl.DataFrame:
    """The picked columns as stripped text, blank -> null, blank rows dropped, with `_row`.

    The cells are taken out of `sheet` (its frame is left empty), and each source column is
    let go of once the last column read from it is made: the cells and their text are never
    held whole at once (a peak of 1.4 GB at 1M rows when they were).
    """
    grid: list[pl.Series | None] = list(sheet.frame.get_columns())
    first, height = sheet.first_row, sheet.frame.height
    sheet.frame = sheet.frame.clear()
    last_read = {pos: i for i, pos in enumerate(picked.values())}  # position -> its last reader
    wanted = list(picked.items())
    made = [pl.int_range(first, first + height, dtype=pl.Int64, eager=True).alias(SOURCE_ROW)]
    for start in range(0, len(wanted), TEXT_BATCH):
        batch = wanted[start : start + TEXT_BATCH]
        cells = pl.DataFrame([_cells(grid, pos) for pos in dict.fromkeys(p for _, p in batch)])
        text = [_text(cells, pos, canon, columns, sheet.formats) for canon, pos in batch]
        made += _one_chunk(cells.lazy().select(text).collect().get_columns()).get_columns()
        del cells
        for pos, last in last_read.items():
            if last < start + len(batch):
                grid[pos] = None  # read for the last time
    frame = pl.DataFrame(made)
    del made
    filled = pl.any_horizontal(pl.col(list(picked)).is_not_null())
    if not frame.select(filled.all()).item():  # a filter copies every column: only if needed
        frame = frame.filter(filled)
    return frame


def _cells(grid: list[pl.Series | None], pos: int) -> pl.Series:
    """The source column at `pos`, named by its position."""
    column = grid[pos]
    assert column is not None, f"source column {pos} was let go of before its last read"
    return column.alias(str(pos))


def _text(
    cells: pl.DataFrame,
    pos: int,
    canon: str,
    columns: Mapping[str, Kind],
    formats: Mapping[int, str],
) -> pl.Expr:
    """Source column `pos` of `cells` as `canon`: stripped text, blank -> null."""
    stripped = _as_text(pl.col(str(pos)), cells.schema[str(pos)]).str.strip_chars()
    text: pl.Expr = pl.when(stripped.str.len_bytes() > 0).then(stripped)
    width = formats.get(pos, "")
    if re.fullmatch("0+", width) and _PADDED.get(columns[canon], len(width)) == len(width):
        # Excel showed this number zero-padded (a parcel id formatted 000000000000, a ZIP
        # formatted 00000): the text is what the operator saw.
        digits = text.str.contains("^[0-9]+$")
        text = pl.when(digits).then(text.str.zfill(len(width))).otherwise(text)
    return text.alias(canon)


def _one_chunk(columns: list[pl.Series]) -> pl.DataFrame:
    """The frame of `columns`, each column made contiguous in turn (`columns` is emptied).

    A file's columns come in as many chunks as its reader made, a computed column (`_row`)
    in one; the next `with_columns` would align the chunks of every column at once, a second
    copy of the whole frame (500 MB at 1M rows). A column at a time, each chunked column is
    freed as soon as its copy is made.
    """
    contiguous = []
    while columns:
        contiguous.append(columns.pop(0).rechunk())
    return pl.DataFrame(contiguous)


def _as_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_float():  # parquet: integral floats as integers, so 2134.0 reads "2134"
        whole = column.is_finite() & (column == column.round(0)) & (column.abs() < 2**53)
        integer = column.cast(pl.Int64, strict=False).cast(pl.String)
        return pl.when(whole).then(integer).otherwise(column.cast(pl.String))
    return column if dtype == pl.String else column.cast(pl.String)


def parsed_frame(
    text: pl.DataFrame,
    columns: Mapping[str, Kind],
    formats: Mapping[str, str],
    *,
    date1904: bool = False,
) -> pl.DataFrame:
    """`text` plus, per typed column, its parsed twin `_P + name` (null where unparseable)."""
    patterns = {Kind.ZIP5: _ZIP, Kind.ZIP4: _ZIP4, Kind.DATE: _DATE, Kind.NUMBER: _NUMBER}
    typed = {c: columns[c] for c in text.columns if c in columns and columns[c] in patterns}
    plain = {c: pl.col(_F + c) for c, k in typed.items() if k in _PLAIN}
    flags = [pl.col(c).str.contains(_PLAIN[typed[c]]).alias(_F + c) for c in plain]
    groups = []
    for canon, kind in typed.items():
        source = (
            pl.col(canon).str.replace_all(r"[\s$]", "") if kind is Kind.NUMBER else pl.col(canon)
        )
        if canon in plain:  # the regex's groups only of the cells not in their plain form
            source = pl.when(~plain[canon]).then(source)
        groups.append(source.str.extract_groups(patterns[kind]).alias(_G + canon))
    values = []
    for canon, kind in typed.items():
        fraction = _fraction(canon, formats)
        value = _value(pl.col(_G + canon), kind, fraction=fraction, date1904=date1904)
        if canon in plain:
            value = pl.when(plain[canon]).then(_plain(canon, kind, fraction)).otherwise(value)
        values.append(value.alias(_P + canon))
    if PLUS4_FROM in typed and PLUS4_INTO in columns:
        values.append(pl.col(_G + PLUS4_FROM).struct.field("plus4").alias(_PLUS4))
    flagged = text.with_columns(flags)
    return _parse_in_turn(flagged, groups, values).drop(_F + c for c in plain)


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
        return _in_calendar(
            part("iso").str.to_date("%Y-%m-%d", strict=False),
            part("us").str.to_date("%m/%d/%Y", strict=False),
            # bounded first: a 7-digit serial would overflow the date type
            pl.when(serial < 120_000).then(serial - _EXCEL_EPOCH).cast(pl.Int32).cast(pl.Date),
        )
    # NUMBER; a cast, not a regex, rejects what has no digit at all ("", ".", "-")
    number = part("number").str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    negative = part("open").is_not_null()
    value = number * pl.when(negative).then(-1.0).otherwise(1.0)
    return _number(value, fraction, balanced=negative == part("close").is_not_null())


def _plain(column: str, kind: Kind, fraction: pl.Expr | None) -> pl.Expr:
    """The typed value of a cell in its plain form (`_PLAIN`), as `_value` reads it."""
    cell = pl.col(column)
    if kind is Kind.ZIP5:
        return cell
    if kind is Kind.DATE:
        return _in_calendar(
            cell.str.to_date("%Y-%m-%d", strict=False), cell.str.to_date("%m/%d/%Y", strict=False)
        )
    number = cell.str.strip_prefix("$").str.strip_suffix("%").cast(pl.Float64, strict=False)
    return _number(number, fraction, balanced=pl.lit(True))


def _in_calendar(*dates: pl.Expr) -> pl.Expr:
    """The first of `dates` that is one, where it lies from 1900-03-01 to 2199-12-31."""
    date = pl.coalesce(*dates)
    return pl.when(date.is_between(_FIRST_DATE, _LAST_DATE)).then(date)


def _number(value: pl.Expr, fraction: pl.Expr | None, *, balanced: pl.Expr) -> pl.Expr:
    """A number read, scaled to percent where `fraction`; null unless `balanced` (both
    parentheses or none) and finite."""
    if fraction is not None:  # a cell formatted as percent holds a fraction: 0.45 shows as 45%
        scaled = (value * 100).round(9)  # 0.45 * 100 is 45.00000000000001
        value = pl.when(fraction).then(scaled).otherwise(value)
    return pl.when(balanced & value.is_finite()).then(value)  # 1e309 overflows: unparseable


def unparseable(
    parsed: pl.DataFrame, picked: Mapping[str, int], columns: Mapping[str, Kind]
) -> tuple[dict[str, int], list[tuple[int, str, str]]]:
    """Per typed column, the values that became null; and (row, column, raw value) examples."""
    failed = _failed(picked, columns)
    counts = parsed.select(f.sum().alias(c) for c, f in failed.items()).to_dicts()
    found = {c: n for c, n in (counts[0] if counts else {}).items() if n}
    examples = [
        (row, c, raw)
        for c in found
        for row, raw in parsed.filter(failed[c])
        .select(SOURCE_ROW, c)
        .head(MAX_EXAMPLES_PER_COLUMN)
        .iter_rows()
    ][:MAX_EXAMPLES]
    return found, examples


def _failed(picked: Mapping[str, int], columns: Mapping[str, Kind]) -> dict[str, pl.Expr]:
    """Per typed column, where its cell has text that did not parse."""
    typed = [c for c in picked if columns[c] is not Kind.TEXT]
    return {c: pl.col(c).is_not_null() & pl.col(_P + c).is_null() for c in typed}


def _bars(names: Sequence[pl.Expr]) -> pl.Expr:
    """`|A|B|` of the non-null names, null where all are null."""
    joined = pl.concat_str(names, separator="|", ignore_nulls=True)
    return pl.when(joined.str.len_bytes() > 0).then(pl.format("|{}|", joined))


def kept_cells(
    parsed: pl.DataFrame, picked: Mapping[str, int], columns: Mapping[str, Kind]
) -> pl.Series:
    """Per row, the columns whose cell did not parse and is empty for it (`KEEP_STORED`):
    `|LocationSellDate|BKDate|`, null where every cell was read. (A ZIP+4 read from the ZIP
    cell fills an unparseable OwnerMailingZip4: that cell is not listed.)"""
    failed = _failed(picked, columns)
    if PLUS4_INTO in failed and _PLUS4 in parsed.columns:
        failed[PLUS4_INTO] = failed[PLUS4_INTO] & pl.col(_PLUS4).is_null()
    names = [pl.when(f).then(pl.lit(c)) for c, f in failed.items()]
    if not names:
        return pl.repeat(None, parsed.height, dtype=pl.String, eager=True).alias(KEEP_STORED)
    return parsed.select(_bars(names).alias(KEEP_STORED)).to_series()


def with_error_rows(
    frame: pl.DataFrame, errors: list[tuple[int, int, str]], picked: Mapping[str, int]
) -> pl.DataFrame:
    """`frame` (with `SOURCE_ROW` and `KEEP_STORED`) with the picked columns of the Excel error
    cells (read as empty; (sheet row, position, text)) added to `KEEP_STORED`."""
    column_at = {pos: c for c, pos in picked.items() if pos >= 0}
    found = [(row, column_at[pos]) for row, pos, _ in errors if pos in column_at]
    if not found:
        return frame
    cells = pl.DataFrame(found, schema={SOURCE_ROW: pl.Int64, _CELL: pl.String}, orient="row")
    per_row = cells.group_by(SOURCE_ROW).agg(pl.col(_CELL).unique().sort().str.join("|"))
    joined = frame.join(per_row, on=SOURCE_ROW, how="left", maintain_order="left")
    both = [pl.col(KEEP_STORED).str.strip_chars("|"), pl.col(_CELL)]
    bars = _bars([pl.concat_str(both, separator="|", ignore_nulls=True)])
    return joined.with_columns(bars.alias(KEEP_STORED)).drop(_CELL)


def with_error_cells(
    counts: Mapping[str, int],
    examples: list[tuple[int, str, str]],
    errors: list[tuple[int, int, str]],
    picked: Mapping[str, int],
) -> tuple[dict[str, int], list[tuple[int, str, str]]]:
    """`unparseable`'s counts and examples with the Excel error cells (`#DIV/0!`, `#N/A`; read
    as empty) of the picked columns added, each with its text: (sheet row, position, text)."""
    column_at = {pos: c for c, pos in picked.items() if pos >= 0}
    found = [(row, column_at[pos], text) for row, pos, text in errors if pos in column_at]
    added = dict(counts)
    for _, column, _ in found:
        added[column] = added.get(column, 0) + 1
    per_column: dict[str, int] = {}
    kept = list(examples)
    for example in found:
        per_column[example[1]] = per_column.get(example[1], 0) + 1
        if per_column[example[1]] <= MAX_EXAMPLES_PER_COLUMN:
            kept.append(example)
    return added, kept[:MAX_EXAMPLES]


def canonical_frame(
    parsed: pl.DataFrame, picked: Mapping[str, int], columns: Mapping[str, Kind]
) -> pl.DataFrame:
    """Every canonical column in order, typed by Kind (all null where absent), then `_row`."""

    def output(canon: str, kind: Kind) -> pl.Expr:
        if canon == PLUS4_INTO and _PLUS4 in parsed.columns:
            value = pl.col(_P + canon) if canon in picked else pl.lit(None, pl.String)
            return pl.coalesce(value, _PLUS4).alias(canon)
        if canon not in picked:
            return pl.lit(None, dtype=DTYPES[kind]).alias(canon)
        return pl.col(canon if kind is Kind.TEXT else _P + canon).alias(canon)

    return parsed.select(*(output(c, k) for c, k in columns.items()), SOURCE_ROW).with_columns(
        kept_cells(parsed, picked, columns)
    )
