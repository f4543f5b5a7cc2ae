"""The column mapping: which source headers mean which canonical column.

The shipped `mapping.toml` and a user's `--mapping` file have the same shape: a `[columns]`
table for every file and a `[niche]` table for niche lists, each canonical column = a header
or a list of headers. Both are validated by `propmail.validation`: every bad key is reported
in one error, each by its path (``columns.OwnerNmae: unknown canonical column; ...``).
Headers compare by `normalize`: case-insensitive, white space runs as one space.

>>> mapping = parse_mapping('[columns]\\nownername = "Proprietor"\\n', "map.toml")
>>> mapping.columns, mapping.aliases(niche=False)
({'OwnerName': ('Proprietor',)}, {'proprietor': 'OwnerName'})
"""

from __future__ import annotations

import difflib
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
class ColumnMapping:
    """Source headers per canonical column: `columns` for every file, `niche` for niche lists."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    niche: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "mapping.toml"

    def aliases(self, niche: bool) -> dict[str, str]:
        """Normalized source header -> canonical name."""
        tables = (self.columns, self.niche) if niche else (self.columns,)
        return {normalize(h): canon for t in tables for canon, hs in t.items() for h in hs}


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


def _mapping(data: dict[str, object], source: str) -> ColumnMapping:
    problems = Problems(source)
    top = Table(data, "", problems)
    top.only(TABLES, what="table")
    tables = {
        name: _headers(top.table(name, optional=True), allowed) for name, allowed in TABLES.items()
    }
    problems.check()
    return ColumnMapping(tables["columns"], tables["niche"], source)


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
