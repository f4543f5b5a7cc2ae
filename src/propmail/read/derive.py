"""Canonical columns made from several source columns, as polars expressions over the text cells.

A mapping's second-version entries (`propmail.read.mapping`) run in two steps:

- `derive_sheet`, before the headers are matched: joins, firsts, splits and mailing blocks
  become new columns of the sheet, each headed by its canonical name. A one-to-one column the
  file also has wins over a derived one (`headers` looks the mapping up before canonical names).
- `finish_text`, on the text frame: a unit appended to its street, `from_mailing` (the site
  block derived the same way on every row: `propmail.read.site`), constants.

>>> sheet = Sheet(pl.DataFrame({"a": ["C/O ANN LEE", "1 MAIN ST"], "b": ["9 OAK AVE",
...     "RALEIGH NC 27609-6317"], "c": ["CARY, N.C. 27511", None]}), ["L1", "L2", "L3"], 2)
>>> mapping = ColumnMapping(blocks=(Block(("L1", "L2", "L3")),))
>>> derived, fed = derive_sheet(sheet, mapping)
>>> derived.frame.select(derived.frame.columns[3:]).rows()
[('9 OAK AVE', 'C/O ANN LEE', 'CARY', 'NC', '27511', None), \
('1 MAIN ST', None, 'RALEIGH', 'NC', '27609', '6317')]
>>> derived.headers[3:], fed["OwnerZip"]
(['OwnerAddress1', 'OwnerAddress2', 'OwnerCity', 'OwnerState', 'OwnerZip', 'OwnerMailingZip4'], \
['L1', 'L2', 'L3'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import polars as pl

from propmail.read import site
from propmail.read.files import Sheet
from propmail.read.mapping import FROM_MAILING, Block, ColumnMapping, normalize
from propmail.rules import lines as lines_rule
from propmail.rules import places

# a unit without its designator ("4B") is written with "#", as USPS Publication 28 does
_BARE_UNIT = r"^[0-9A-Z-]{1,6}$"
# the columns a split cell fills: city, state, ZIP, +4 and (a one-line address) the street
PARTS = {
    "owner": ("OwnerCity", "OwnerState", "OwnerZip", "OwnerMailingZip4", ""),
    "location": ("LocationCity", "LocationState", "LocationZip", "", ""),
    "owner_line": ("OwnerCity", "OwnerState", "OwnerZip", "OwnerMailingZip4", "OwnerAddress1"),
    "location_line": ("LocationCity", "LocationState", "LocationZip", "", "LocationAddress1"),
}
_UNIT = "\0unit:"  # prefix of a unit column carried into the text frame


def derive_sheet(sheet: Sheet, mapping: ColumnMapping) -> tuple[Sheet, dict[str, list[str]]]:
    """The sheet with the derived columns appended; canonical column -> the headers it read."""
    positions = _positions(sheet.headers)
    exprs: dict[str, pl.Expr] = {}
    fed: dict[str, list[str]] = {}

    def col(header: str) -> pl.Expr:
        return _text(sheet.frame, positions[normalize(header)])

    def present(headers: tuple[str, ...]) -> list[str]:
        return [
            sheet.headers[positions[normalize(h)]] for h in headers if normalize(h) in positions
        ]

    def add(canon: str, expr: pl.Expr, headers: list[str]) -> None:
        if canon and canon not in exprs:  # the first entry that reaches a column wins
            exprs[canon] = expr
            fed[canon] = headers

    for join in mapping.joins:
        found = present(join.headers)
        if found:
            joined = _blank_null(
                pl.concat_str([col(h) for h in found], separator=join.separator, ignore_nulls=True)
            )
            preferred = [col(h) for h in present(join.prefer)]
            add(join.into, pl.coalesce(*preferred, joined), present(join.prefer) + found)
    for first in mapping.firsts:
        found = present(first.headers)
        if found:
            add(first.into, pl.coalesce(*(col(h) for h in found)), found)
    for split in mapping.splits:
        found = present(split.headers)[:1]
        if found:
            for canon, part in _split(col(found[0]), split.into).items():
                add(canon, part, found)
    for block in mapping.blocks:
        found = present(block.lines)
        if found:
            street = present((block.street,)) if block.street else []
            fallback = col(street[0]) if street else None
            parts = _block([col(h) for h in found], block.city_line, fallback)
            for canon, part in parts.items():
                add(canon, part, found + street)
    if not exprs:
        return sheet, fed
    names = [f"\0derived:{c}" for c in exprs]
    frame = sheet.frame.with_columns(e.alias(n) for e, n in zip(exprs.values(), names, strict=True))
    return replace(sheet, frame=frame, headers=[*sheet.headers, *exprs]), fed


def unit_columns(sheet: Sheet, mapping: ColumnMapping) -> dict[str, int]:
    """The text-frame name of each street's unit column -> its position in the sheet."""
    positions = _positions(sheet.headers)
    out = {}
    for street, headers in mapping.units.items():
        pos = next((positions[normalize(h)] for h in headers if normalize(h) in positions), None)
        if pos is not None:
            out[_UNIT + street] = pos
    return out


def street_of(unit: str) -> str:
    """The street a unit column of the text frame is appended to."""
    return unit.removeprefix(_UNIT)


def finish_text(text: pl.DataFrame, mapping: ColumnMapping) -> tuple[pl.DataFrame, list[str]]:
    """Units appended to their streets, `from_mailing` (`propmail.read.site`) and constants;
    unit columns dropped. With the notes that say how the site block was filled."""
    units = [c for c in text.columns if c.startswith(_UNIT)]
    steps = []
    for unit in units:
        street = street_of(unit)
        if street in text.columns:
            cell = pl.col(unit)
            shown = pl.when(cell.str.contains(_BARE_UNIT)).then(pl.lit("# ") + cell).otherwise(cell)
            steps.append(
                pl.when(cell.is_null())
                .then(pl.col(street))
                .otherwise(pl.concat_str([pl.col(street), shown], separator=" ", ignore_nulls=True))
                .alias(street)
            )
    text = _mailing_state(text.with_columns(steps).drop(units))
    text, checked = site.checked_state(text)
    text, notes = site.fill_site(text, mapping.from_mailing)
    notes = checked + notes
    # where the file and the mailing block give none: the constant
    constants = [
        pl.coalesce(
            *([pl.col(canon)] if canon in text.columns else []), pl.lit(value, pl.String)
        ).alias(canon)
        for canon, value in mapping.constants.items()
    ]
    return text.with_columns(constants), notes


def _mailing_state(text: pl.DataFrame) -> pl.DataFrame:
    """The mailing state, where the row gives none, from its ZIP (`places.state_from_zip`), read
    on those rows only."""
    if not {"OwnerState", "OwnerZip", "OwnerCity"} <= set(text.columns):
        return text
    state = pl.col("OwnerState").cast(pl.String).str.strip_chars()
    rows = (
        text.select(
            ((state.is_null() | (state == "")) & pl.col("OwnerZip").is_not_null()).fill_null(False)
        )
        .to_series()
        .arg_true()
    )
    if rows.is_empty():
        return text
    fixed = text[rows].select(
        **places.state_from_zip(pl.col("OwnerCity"), pl.col("OwnerState"), pl.col("OwnerZip"))
    )
    return text.with_columns(
        text["OwnerCity"].cast(pl.String).scatter(rows, fixed["city"]),
        text["OwnerState"].cast(pl.String).scatter(rows, fixed["state"]),
    )


def filled(mapping: ColumnMapping, picked: Mapping[str, int]) -> list[str]:
    """The canonical columns `finish_text` adds that the file's headers do not give."""
    fill = [
        c
        for c in mapping.from_mailing
        if c not in picked
        and {FROM_MAILING[c], "LocationAddress1", "OwnerAddress1"} <= picked.keys()
    ]
    return fill + [c for c in mapping.constants if c not in picked and c not in fill]


def _positions(headers: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pos, header in enumerate(headers):
        out.setdefault(normalize(header), pos)
    return out


def _text(frame: pl.DataFrame, pos: int) -> pl.Expr:
    return _blank_null(pl.col(frame.columns[pos]).cast(pl.String).str.strip_chars())


def _blank_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_bytes() > 0).then(expr)


def _split(cell: pl.Expr, into: str) -> dict[str, pl.Expr]:
    """A ``CITY ST ZIP`` cell (or a one-line address) -> its canonical columns, read by
    `propmail.rules.places` (a foreign line keeps its city as written, no state or ZIP)."""
    city, state, zip5, zip4, street = PARTS[into]
    found = places.address_line(cell) if street else places.city_state_zip(cell)
    named = {city: "city", state: "state", zip5: "zip", zip4: "zip4", street: "street"}
    return {c: found[part] for c, part in named.items() if c}


def _block(
    lines: list[pl.Expr], city_line: bool = True, fallback: pl.Expr | None = None
) -> dict[str, pl.Expr]:
    """Mailing lines -> the delivery line and the care-of line, each read by what it is
    (`propmail.rules.lines`), and, where the last line is ``CITY ST ZIP``, its parts. Where no
    line is a street line or a PO box: `fallback`, else (a block with its city line) the lines
    between a care-of line and the last."""
    if not city_line:
        read = lines_rule.delivery(lines, fallback)
        return {"OwnerAddress1": read["street"], "OwnerAddress2": read["care_of"]}
    kept = pl.concat_list(lines).list.drop_nulls()
    first = kept.list.first()
    care_of = first.str.to_uppercase().str.contains(lines_rule.CARE_OF) & (kept.list.len() > 1)
    street_lines = (
        pl.when(care_of)
        .then(kept.list.slice(1, kept.list.len() - 2))
        .otherwise(kept.list.slice(0, kept.list.len() - 1))
    )
    joined = _blank_null(street_lines.list.join(" "))
    n = len(lines)
    # each line by its place above the last non-empty one (the CITY ST ZIP line)
    above = [kept.list.get(i, null_on_oob=True) for i in range(n - 1)]
    last_index = kept.list.len() - 1
    above = [pl.when(pl.lit(i) < last_index).then(line) for i, line in enumerate(above)]
    read = lines_rule.delivery(above, joined)
    return {
        "OwnerAddress1": read["street"],
        "OwnerAddress2": pl.coalesce(read["care_of"], pl.when(care_of).then(first)),
        **_split(kept.list.last(), "owner"),
    }


__all__ = ["Block", "derive_sheet", "filled", "finish_text", "unit_columns"]
