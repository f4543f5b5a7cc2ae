"""Headers read by meaning: each header's words and neighbours give what it holds and its block
(`propmail.read.kinds`); a sample of its values confirms the kind (`propmail.read.evidence`).
Every canonical column gets the best candidate, with its evidence and a confidence.

Two candidates that read alike: the same ids in two spellings are one column, and the first in
the file is read (the summary names it); different values for a required column stop the read,
both named, as does a required column read with low confidence. A duplicate header that feeds
nothing is named and ignored. What is chosen is a `ColumnMapping`, as a mapping file would
give it: one header per column, the owner name joined from its last and first names where the
file has no whole name, a ``CITY ST ZIP`` cell split, numbered mailing lines read as a block,
units appended to their street, and the site's city, state and ZIP from the mailing address
where the file has none. A file with no parcel id gets none here: the reader keys its rows by
their site (`propmail.read.keys`).

>>> from propmail.read.files import Sheet
>>> frame = pl.DataFrame({"a": ["7", "8"], "b": ["1 MAIN ST", "PO BOX 4"]})
>>> sheet = Sheet(frame, ["PIN", "Mlg Addr"], 2)
>>> [(c.column, c.headers, c.confidence) for c in match(sheet, {"LocationPrimaryId": Kind.TEXT,
...     "OwnerAddress1": Kind.TEXT}).choices]
[('LocationPrimaryId', ('PIN',), 1.0), ('OwnerAddress1', ('Mlg Addr',), 1.0)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from propmail.contract import REQUIRED, Kind
from propmail.read import evidence
from propmail.read.derive import PARTS
from propmail.read.files import Sheet
from propmail.read.kinds import Reading, column_of, parcel_units, reading, resolve_blocks
from propmail.read.mapping import (
    Block,
    ColumnMapping,
    Join,
    Split,
    normalize,
)

MEANING = "by meaning"  # the layout name a file read by meaning shows
LOW = 0.5  # a required column chosen with less confidence stops `process`
TIE = 0.005  # two candidates whose scores differ by less read alike
# fmt: off
# the check each kind's values are confirmed by
CHECKS = {"street": "street", "line": "street", "city": "city", "state": "state", "zip": "zip",
          "zip4": "zip4", "csz": "csz", "name": "name", "name2": "name", "id": "id",
          "first": "name", "last": "name", "unit": "unit"}
# fmt: on


@dataclass(frozen=True)
class Choice:
    """A canonical column, the header(s) it is read from, how sure, and why."""

    column: str
    headers: tuple[str, ...]
    confidence: float
    evidence: str


@dataclass
class Matched:
    """A file's headers read by meaning."""

    mapping: ColumnMapping
    choices: list[Choice]
    notes: list[str] = field(default_factory=list)  # ids read as one column, duplicates ignored
    stops: list[str] = field(default_factory=list)  # why `process` stops (required columns)
    blocks: dict[str, str] = field(default_factory=dict)  # header -> the block it was given


def match(sheet: Sheet, columns: Mapping[str, Kind], niche: bool = False) -> Matched:
    """The file's headers read by meaning, confirmed by a sample of its values."""
    headers = sheet.headers
    readings = [reading(h) if h else Reading("", "", 0.0) for h in headers]
    for pos, h in enumerate(headers):  # a canonical name means itself
        canon = {c.casefold(): c for c in columns}.get(normalize(h))
        if canon:
            readings[pos] = Reading(f"={canon}", "", 1.2)
    readings = parcel_units(headers, readings)
    blocks = resolve_blocks(readings)
    values = evidence.sample(sheet.frame)
    cells = {pos: values.get_column(values.columns[pos]) for pos in range(len(headers))}
    seen: dict[str, int] = {}
    notes: list[str] = []
    candidates: dict[str, list[tuple[float, int, str]]] = {}  # column -> (score, pos, why)
    for pos, (h, r) in enumerate(zip(headers, readings, strict=True)):
        key = normalize(h)
        if key in seen:
            notes.append(f"duplicate header {h!r} (column {pos + 1}) ignored")
            continue
        if key:
            seen[key] = pos
        column = column_of(r.kind, blocks[pos], r.number)
        if column not in columns:
            continue
        score, why = _confirm(r, blocks[pos], cells[pos])
        candidates.setdefault(column, []).append((score, pos, why))
    return _choose(sheet, columns, readings, blocks, candidates, cells, notes, niche)


def _confirm(r: Reading, block: str, values: pl.Series) -> tuple[float, str]:
    said = f"header says {r.kind.lstrip('=')}" + (f" ({block})" if block else "")
    check = CHECKS.get(r.kind)
    filled = evidence.filled_share(values)
    if check is None:
        value_fit = 1.0 if filled else 0.5
        return round(r.fit * (0.6 + 0.4 * value_fit), 3), f"{said}; {filled:.0%} filled"
    looks = evidence.share(check, values) if filled else 0.5
    score = r.fit * (0.6 + 0.4 * looks) * (0.7 + 0.3 * min(1.0, filled * 2))
    if not filled:
        return round(score, 3), f"{said}; no value in the sample"
    return round(score, 3), f"{said}; {looks:.0%} look like {evidence.WHAT[check]}"


def _choose(
    sheet: Sheet,
    columns: Mapping[str, Kind],
    readings: list[Reading],
    blocks: list[str],
    candidates: dict[str, list[tuple[float, int, str]]],
    cells: dict[int, pl.Series],
    notes: list[str],
    niche: bool,
) -> Matched:
    headers = sheet.headers
    chosen: dict[str, int] = {}
    choices: list[Choice] = []
    stops: list[str] = []
    used: set[int] = set()
    for column in columns:
        found = sorted(
            (c for c in candidates.get(column, []) if c[1] not in used), key=lambda c: (-c[0], c[1])
        )
        if not found or column in chosen:
            continue
        best = found[0]
        ties = [c for c in found[1:] if best[0] - c[0] < TIE and c[0] > 0]
        why = best[2]
        if ties:
            other = ties[0]
            a, b = headers[best[1]], headers[other[1]]
            first, second = sorted([best, other], key=lambda c: c[1])
            if evidence.same_ids(cells[best[1]], cells[other[1]]):
                best = first
                note = (
                    f"{a!r} and {b!r} hold the same values in two spellings: "
                    f"read as one column, {headers[first[1]]!r} (the first in the file)"
                )
                notes.append(note)
                why += f"; {note}"
                used.add(second[1])
            elif column in REQUIRED:
                stops.append(
                    f"columns {a!r} and {b!r} both read as {column} and hold different "
                    "values; name the one to use in a mapping file"
                )
            else:
                best = first
                notes.append(f"{a!r} and {b!r} both read as {column}: {headers[first[1]]!r} used")
        confidence = min(1.0, best[0])
        if column in REQUIRED and confidence < LOW:
            stops.append(
                f"{column} read from {headers[best[1]]!r} with low confidence "
                f"({confidence:.2f}: {why}); name the column in a mapping file"
            )
        chosen[column] = best[1]
        used.add(best[1])
        choices.append(Choice(column, (headers[best[1]],), round(confidence, 2), why))
    mapping = _mapping(sheet, readings, blocks, chosen, choices, notes, cells, niche)
    if niche:
        stops = []
    return Matched(
        mapping,
        choices,
        notes,
        stops,
        {h: b for h, b in zip(headers, blocks, strict=True) if h and b},
    )


def _mapping(
    sheet: Sheet,
    readings: list[Reading],
    blocks: list[str],
    chosen: dict[str, int],
    choices: list[Choice],
    notes: list[str],
    cells: dict[int, pl.Series],
    niche: bool,
) -> ColumnMapping:
    """The choices as a mapping file would give them, with the columns made from several."""
    headers = sheet.headers

    def where(kind: str, block: str = "", number: int | None = None) -> list[int]:
        return [
            i
            for i, r in enumerate(readings)
            if r.kind == kind
            and (not block or blocks[i] == block)
            and (number is None or r.number == number)
            and headers[i]
        ]

    direct = {c: (headers[p],) for c, p in chosen.items()}
    joins, splits, blocks_out = [], [], []
    units: dict[str, tuple[str, ...]] = {}
    # the owner's name from its last and first names where the file has no whole name
    if "OwnerName" not in direct:
        parts = tuple(headers[i] for i in [*where("last")[:1], *where("first")[:1]])
        if parts:
            prefer = tuple(headers[i] for i in where("business"))
            joins.append(Join("OwnerName", parts, " ", prefer))
            choices.append(
                Choice(
                    "OwnerName",
                    parts,
                    0.9,
                    "no whole owner name: last and "
                    "first names joined (a business name where there is one)",
                )
            )
            parts2 = tuple(headers[i] for i in [*where("last2")[:1], *where("first2")[:1]])
            if parts2 and "OwnerName2" not in direct:
                joins.append(Join("OwnerName2", parts2))
                choices.append(
                    Choice(
                        "OwnerName2", parts2, 0.9, "the second owner's last and first names joined"
                    )
                )
    # numbered mailing lines with no city or ZIP column of their own: a mailing block
    lines = [i for i in where("street", "mailing") if readings[i].number >= 1]
    if (
        len(lines) >= 2
        and not ({"OwnerZip", "OwnerCity"} & direct.keys())
        and not where("csz", "mailing")
    ):
        blocks_out.append(Block(tuple(headers[i] for i in lines)))
        for c in ("OwnerAddress1", "OwnerAddress2"):
            direct.pop(c, None)
        choices[:] = [c for c in choices if c.column not in ("OwnerAddress1", "OwnerAddress2")]
        choices.append(
            Choice(
                "OwnerAddress1",
                tuple(headers[i] for i in lines),
                0.9,
                "numbered mailing lines, the last CITY ST ZIP: read as a block",
            )
        )
    # numbered mailing lines (address 1, address 2) beside a city or ZIP of their own: the
    # delivery line composed by what each line holds, the chosen street line read where no
    # line is a street line or a PO box
    numbered = [*where("street", "mailing"), *where("line", "mailing")]
    lines = sorted(
        {i for i in numbered if readings[i].number >= 1} | {chosen.get("OwnerAddress1", -1)}
    )
    if not blocks_out and len(lines) >= 2 and "OwnerAddress1" in chosen:
        primary = headers[chosen["OwnerAddress1"]]
        named = tuple(headers[i] for i in lines)
        blocks_out.append(Block(named, city_line=False, street=primary))
        direct.pop("OwnerAddress1")
        if "OwnerAddress2" in chosen and chosen["OwnerAddress2"] in lines:
            direct.pop("OwnerAddress2", None)
        held = {"OwnerAddress1"} | ({"OwnerAddress2"} - direct.keys())
        was = next(c for c in choices if c.column == "OwnerAddress1")
        choices[:] = [c for c in choices if c.column not in held]
        choices.append(
            Choice(
                "OwnerAddress1",
                named,
                was.confidence,
                f"{len(named)} mailing lines, each read by what it holds (care-of, unit, PO box, "
                f"street): the street line nearest the city with its unit; {primary!r} where "
                "no line is a street line",
            )
        )
    # a CITY ST ZIP cell: split into the parts the file has no column for
    for block, into in (("mailing", "owner"), ("site", "location")):
        for i in where("csz", block)[:1]:
            splits.append(Split((headers[i],), into))
            given = [c for c in PARTS[into] if c and c not in direct]
            why = f"a CITY ST ZIP cell ({evidence.share('csz', cells[i]):.0%} look so), split"
            choices += [Choice(c, (headers[i],), 0.9, why) for c in given]
    # units appended to their street, unless the street already ends with them
    for block, street in (("site", "LocationAddress1"), ("mailing", "OwnerAddress1")):
        found = where("unit", block)
        if found and street in direct and street in chosen:
            unit = found[0]
            if _carried(cells[chosen[street]], cells[unit]):
                notes.append(
                    f"{headers[unit]!r} repeats the unit {headers[chosen[street]]!r} "
                    "already ends with: not appended"
                )
            else:
                units[street] = (headers[unit],)
    # the site's city, state and ZIP from the mailing address where the streets are the same
    # (a file in the canonical names is read as the contract says, with nothing filled)
    canonical = [normalize(h) for h in direct.get("LocationZip", ())] == ["locationzip"]
    fill = () if canonical else ("LocationZip", "LocationCity", "LocationState")
    return ColumnMapping(
        columns=direct,
        source=MEANING,
        joins=tuple(joins),
        splits=tuple(splits),
        blocks=tuple(blocks_out),
        units=units,
        from_mailing=fill,
        name=MEANING,
        only=True,
    )


def _carried(street: pl.Series, unit: pl.Series) -> bool:
    """Whether the street lines already end with the unit on most rows that have one."""
    both = pl.DataFrame({"s": street.str.to_uppercase(), "u": unit.str.to_uppercase()}).drop_nulls()
    if both.height == 0:
        return False
    ends = both.select(
        pl.col("s")
        .str.replace_all(r"[^0-9A-Z]", "")
        .str.ends_with(pl.col("u").str.replace_all(r"[^0-9A-Z]", ""))
    ).to_series()
    mean = ends.mean()
    return isinstance(mean, float) and mean >= 0.5


__all__ = ["MEANING", "Choice", "Matched", "match"]
