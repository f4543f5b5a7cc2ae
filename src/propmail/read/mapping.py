"""The column mapping: which source headers mean which canonical column.

The shipped `mapping.toml` and a user's `--mapping` file have the same shape: a `[columns]`
table for every file and a `[niche]` table for niche lists, each canonical column = a header
or a list of headers. Both are validated by `propmail.validation`: every bad key is reported
in one error, each by its path (``columns.OwnerNmae: unknown canonical column; ...``).
Headers compare by `normalize`: case-insensitive, white space runs as one space.

The second version adds columns made from several source columns (docs/mapping.md):
`[[join]]` several columns joined, `[[first]]` the first non-empty of several, `[[split]]` a
``CITY ST ZIP-4`` cell into its parts, `[[block]]` a mailing block of lines, `[units]` a unit
column appended to its street, `[constants]` a value for every row, and `from_mailing`: site
columns taken from the mailing address where the site street is the mailing street. A shipped
layout also has a `[layout]` table: its name and whether the canonical names count as its own.

>>> mapping = parse_mapping('[columns]\\nownername = "Proprietor"\\n', "map.toml")
>>> mapping.columns, mapping.aliases(niche=False)
({'OwnerName': ('Proprietor',)}, {'proprietor': 'OwnerName'})
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from propmail.contract import NICHE_COLUMNS, UPLOAD_COLUMNS, Kind
from propmail.validation import Problems, Table, parse_toml, read_toml

# table name -> the canonical columns it may map
TABLES: dict[str, Mapping[str, Kind]] = {"columns": UPLOAD_COLUMNS, "niche": NICHE_COLUMNS}


@dataclass(frozen=True)
class Join:
    """`into` from `headers` joined by `separator`; a non-empty `prefer` column wins instead."""

    into: str
    headers: tuple[str, ...]
    separator: str = " "
    prefer: tuple[str, ...] = ()


@dataclass(frozen=True)
class First:
    """`into` from the first of `headers` that is not blank on the row."""

    into: str
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Split:
    """A ``CITY ST ZIP-4`` cell (the first of `headers` the file has) -> its `into` columns."""

    headers: tuple[str, ...]
    into: str  # "owner" or "location"; "owner_line", "location_line": street, city, state, ZIP


@dataclass(frozen=True)
class Block:
    """Mailing lines, the last non-empty one ``CITY ST ZIP``, the delivery line and the care-of
    line read by what each line is (`propmail.rules.lines`). With `city_line` false the file
    gives the city, state and ZIP columns of their own, and `street`, where one is named, is
    read where no line is a street line or a PO box."""

    lines: tuple[str, ...]
    city_line: bool = True
    street: str = ""


@dataclass(frozen=True)
class ColumnMapping:
    """Source headers per canonical column: `columns` for every file, `niche` for niche lists."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    niche: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "mapping.toml"
    joins: tuple[Join, ...] = ()
    firsts: tuple[First, ...] = ()
    splits: tuple[Split, ...] = ()
    blocks: tuple[Block, ...] = ()
    units: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # street -> unit headers
    constants: Mapping[str, str] = field(default_factory=dict)
    from_mailing: tuple[str, ...] = ()  # site columns filled from the mailing address
    name: str = ""  # a shipped layout's name; "" for a user's mapping file
    defaults: bool = False  # the canonical names and mapping.toml count as this layout's own
    only: bool = False  # its columns are the whole choice: mapping.toml's aliases are not read

    def aliases(self, niche: bool) -> dict[str, str]:
        """Normalized source header -> canonical name."""
        tables = (self.columns, self.niche) if niche else (self.columns,)
        return {normalize(h): canon for t in tables for canon, hs in t.items() for h in hs}

    def source_headers(self) -> set[str]:
        """Every normalized header the columns made from several columns read."""
        named = [h for j in self.joins for h in (*j.headers, *j.prefer)]
        named += [h for f in self.firsts for h in f.headers]
        named += [h for s in self.splits for h in s.headers]
        named += [h for b in self.blocks for h in (*b.lines, *([b.street] if b.street else []))]
        named += [h for hs in self.units.values() for h in hs]
        return {normalize(h) for h in named}


def normalize(header: str) -> str:
    """The form headers compare in."""
    return " ".join(header.split()).casefold()


def load_mapping(path: str | Path) -> ColumnMapping:
    """A user's mapping file, validated."""
    source = str(path)
    return _mapping(read_toml(path, "mapping file"), source)


@cache
def default_mapping() -> ColumnMapping:
    """The mapping shipped in the package (`mapping.toml`)."""
    text = resources.files("propmail").joinpath("mapping.toml").read_text(encoding="utf-8")
    return parse_mapping(text, "mapping.toml")


def parse_mapping(text: str, source: str) -> ColumnMapping:
    """A mapping from the text of a mapping file; `source` names the file in errors."""
    return _mapping(parse_toml(text, source), source)


LISTS = ("join", "first", "split", "block")
TOP = (*TABLES, *LISTS, "units", "constants", "from_mailing", "layout")
STREETS = ("LocationAddress1", "OwnerAddress1")
FROM_MAILING = {
    "LocationZip": "OwnerZip",
    "LocationCity": "OwnerCity",
    "LocationState": "OwnerState",
}
SPLIT_INTO = ("owner", "location", "owner_line", "location_line")  # _line: a one-line address


def _mapping(data: dict[str, object], source: str) -> ColumnMapping:
    problems = Problems(source)
    top = Table(data, "", problems)
    top.only(TOP, what="table")
    tables = {
        name: _headers(top.table(name, optional=True), allowed) for name, allowed in TABLES.items()
    }
    joins, firsts = [], []
    for t in top.tables("join") if "join" in data else []:
        t.only(("into", "headers", "separator", "prefer"))
        into, hs = _column(t, "into"), _header_list(t, "headers")
        prefer = _header_list(t, "prefer", optional=True)
        joins.append(Join(into, hs, t.get("separator", str, " "), prefer))
    for t in top.tables("first") if "first" in data else []:
        t.only(("into", "headers"))
        firsts.append(First(_column(t, "into"), _header_list(t, "headers")))
    splits = []
    for t in top.tables("split") if "split" in data else []:
        t.only(("headers", "into"))
        splits.append(Split(_header_list(t, "headers"), t.choice("into", SPLIT_INTO, "part") or ""))
    blocks = []
    for t in top.tables("block") if "block" in data else []:
        t.only(("lines", "city_line", "street"))
        city_line = bool(t.get("city_line", bool, True))
        blocks.append(Block(_header_list(t, "lines"), city_line, t.get("street", str, "") or ""))
    units_table = top.table("units", optional=True)
    units_table.only(STREETS, what="street column")
    units = {k: _header_list(units_table, k) for k in units_table.data if k in STREETS}
    constants_table = top.table("constants", optional=True)
    constants_table.only(UPLOAD_COLUMNS, what="canonical column")
    constants = {k: constants_table.get(k, str) or "" for k in constants_table.data}
    fill = tuple(top.get("from_mailing", list, []) or [])
    for i, column in enumerate(fill):
        if column not in FROM_MAILING:
            top.fail(f"from_mailing[{i}]", f"expected one of {', '.join(FROM_MAILING)}")
    layout = top.table("layout", optional=True)
    layout.only(("name", "description", "defaults"))
    name = layout.get("name", str, "") or ""
    defaults = bool(layout.get("defaults", bool, False))
    problems.check()
    return ColumnMapping(
        tables["columns"],
        tables["niche"],
        source,
        joins=tuple(joins),
        firsts=tuple(firsts),
        splits=tuple(splits),
        blocks=tuple(blocks),
        units=units,
        constants={k: v for k, v in constants.items() if k in UPLOAD_COLUMNS},
        from_mailing=fill,
        name=name,
        defaults=defaults,
    )


def _column(table: Table, key: str) -> str:
    """A canonical column named by `key`, matched case-insensitively."""
    value = table.get(key, str) or ""
    canon = {c.casefold(): c for c in UPLOAD_COLUMNS}.get(value.casefold())
    if value and canon is None:
        close = difflib.get_close_matches(value, list(UPLOAD_COLUMNS), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        table.fail(key, f"unknown canonical column {value!r}{hint}")
    return canon or ""


def _header_list(table: Table, key: str, *, optional: bool = False) -> tuple[str, ...]:
    """A header or a non-empty list of headers."""
    value = table.get(key, (str, list), [] if optional else None)
    headers = [value] if isinstance(value, str) else (value or [])
    if not all(isinstance(h, str) and h.strip() for h in headers) or (
        not headers and not optional and table.ok(key)
    ):
        table.fail(key, "expected a header or a list of headers")
        return ()
    return tuple(headers)


def _headers(table: Table, allowed: Mapping[str, Kind]) -> dict[str, tuple[str, ...]]:
    """Canonical column -> its headers; a column's key matches case-insensitively."""
    by_folded = {c.casefold(): c for c in allowed}
    out: dict[str, tuple[str, ...]] = {}
    owner_of: dict[str, str] = {}
    for key, value in table.data.items():
        canon = by_folded.get(key.casefold())
        if canon is None:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            table.fail(
                key, "unknown canonical column" + (f"; did you mean {close[0]}?" if close else "")
            )
            continue
        headers = [value] if isinstance(value, str) else value
        if not isinstance(headers, list) or not all(
            isinstance(h, str) and h.strip() for h in headers
        ):
            table.fail(key, "expected a header or a list of headers")
            continue
        for header in headers:
            other = owner_of.setdefault(normalize(header), canon)
            if other != canon:
                table.fail(key, f"header {header!r} is already mapped to {other}")
        out[canon] = tuple(headers)
    return out


def to_toml(mapping: ColumnMapping, columns: Mapping[str, str], comment: str) -> str:
    """A mapping file: `columns` one-to-one, plus `mapping`'s columns made from several.

    `parse_mapping` reads it back to the same entries (no `[layout]`: it is a user's file).
    """

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string

    def texts(values: tuple[str, ...]) -> str:
        return "[" + ", ".join(text(v) for v in values) + "]"

    lines = [f"# {line}" for line in comment.splitlines()]
    if mapping.from_mailing:
        lines.append(f"from_mailing = {texts(mapping.from_mailing)}")
    lines += ["", "[columns]", *(f"{c} = {text(h)}" for c, h in columns.items())]
    for join in mapping.joins:
        lines += ["", "[[join]]", f"into = {text(join.into)}", f"headers = {texts(join.headers)}"]
        lines.append(f"separator = {text(join.separator)}")
        if join.prefer:
            lines.append(f"prefer = {texts(join.prefer)}")
    for first in mapping.firsts:
        lines += [
            "",
            "[[first]]",
            f"into = {text(first.into)}",
            f"headers = {texts(first.headers)}",
        ]
    for split in mapping.splits:
        lines += [
            "",
            "[[split]]",
            f"headers = {texts(split.headers)}",
            f"into = {text(split.into)}",
        ]
    for block in mapping.blocks:
        lines += ["", "[[block]]", f"lines = {texts(block.lines)}"]
        if not block.city_line:
            lines.append("city_line = false")
        if block.street:
            lines.append(f"street = {text(block.street)}")
    if mapping.units:
        lines += ["", "[units]", *(f"{c} = {texts(hs)}" for c, hs in mapping.units.items())]
    if mapping.constants:
        lines += ["", "[constants]", *(f"{c} = {text(v)}" for c, v in mapping.constants.items())]
    return "\n".join(lines) + "\n"
