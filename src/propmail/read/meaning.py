"""Headers read by meaning: each header's words (`propmail.read.tokens`) give what it holds
(a kind: street, city, ZIP, owner name, parcel id, ...) and, where it says so, its block (the
site, the mailing address, the owner); its neighbours give the block of a header that does not
say (`resolve_blocks`); a sample of its values confirms the kind (`propmail.read.evidence`).
Every canonical column gets the best candidate, with its evidence and a confidence.

Two candidates that read alike: the same ids in two spellings are one column, and the first in
the file is read (the summary names it); different values for a required column stop the read,
both named, as does a required column read with low confidence. A duplicate header that feeds
nothing is named and ignored. What is chosen is a `ColumnMapping`, as a mapping file would
give it: one header per column, the owner name joined from its last and first names where the
file has no whole name, a ``CITY ST ZIP`` cell split, numbered mailing lines read as a block,
units appended to their street, and the site's city, state and ZIP from the mailing address
where the file has none.

>>> kinds = [reading(h).kind for h in ["situsStreetName", "OWN1_LAST", "Mail Zip", "Parcel #"]]
>>> kinds
['part', 'last', 'zip', 'id']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from propmail.contract import REQUIRED, Kind
from propmail.read import evidence
from propmail.read.files import Sheet
from propmail.read.mapping import (
    Block,
    ColumnMapping,
    First,
    Join,
    Split,
    default_mapping,
    normalize,
)
from propmail.read.tokens import raw_words, words

MEANING = "by meaning"  # the layout name a file read by meaning shows
LOW = 0.5  # a required column chosen with less confidence stops `process`
TIE = 0.005  # two candidates whose scores differ by less read alike
ADDRESSISH = {"street", "line", "part", "city", "state", "zip", "zip4", "csz", "unit", "county"}
_PART = {"name", "number", "suffix", "dir", "direction", "prefix", "type", "designation", "code"}
# fmt: off
# words that make a header a worse candidate: an older, other or vendor-formatted copy
_WORSE = {"alt": 0.8, "alternate": 0.8, "old": 0.7, "prior": 0.7, "prev": 0.7, "previous": 0.7,
          "cut": 0.8, "label": 0.85, "other": 0.8, "formatted": 0.98, "route": 0.3,
          "carrier": 0.3}
# the words a header's meaning is read from; any other word is noise that lowers its fit
_KNOWN = {"site", "mailing", "owner", "coowner", "address", "street", "parcelid", "parcel", "zip",
          "zip4", "city", "state", "county", "name", "first", "last", "unit", "number", "id",
          "careof", "sale", "amount", "date", "line", "full", "current", "primary"}
# the check each kind's values are confirmed by
CHECKS = {"street": "street", "line": "street", "city": "city", "state": "state", "zip": "zip",
          "zip4": "zip4", "csz": "csz", "name": "name", "name2": "name", "id": "id",
          "first": "name", "last": "name", "unit": "unit"}
# fmt: on


@dataclass(frozen=True)
class Reading:
    """What one header's words say."""

    kind: str  # street, line, part, city, state, zip, zip4, csz, unit, county, careof, id,
    # name, name2, first, last, business, or a canonical column read whole ("=LienType")
    block: str  # site, mailing, owner, or "" where the header does not say
    fit: float  # how plainly the words say it (about 1 = plainly)
    number: int = 0  # the line or owner number the header carries (0: none)


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


def reading(header: str) -> Reading:
    """What a header's words say it holds, before its neighbours and values are looked at."""
    w = words(header)
    s = set(w)
    digits = [int(x) for x in w if x.isdigit()]
    block = "mailing" if "mailing" in s else "site" if "site" in s else ""
    if not block and s & {"owner", "coowner"}:
        block = "owner"
    noise = [x for x in w if x not in _KNOWN and not x.isdigit()]
    fit = 1.0 + 0.01 * len(s & _KNOWN) - 0.04 * len(noise)
    for word, factor in _WORSE.items():
        if word in s:
            fit *= factor
    number = digits[0] if digits else 0
    kind = _kind(w, s, header)
    if kind == "zip" and "zip4" in s:
        fit *= 0.9  # ZIP and ZIP+4 in one cell: a plain ZIP column is read first
    if kind in ("name", "first", "last") and ("coowner" in s or number == 2):
        kind = "name2" if kind == "name" else kind + "2"
    if kind in ("name", "first", "last") and number > 2:
        kind = ""
    return Reading(kind, block, round(max(fit, 0.1), 3), number)


def _kind(w: tuple[str, ...], s: set[str], header: str) -> str:
    raw = set(raw_words(header))
    if "careof" in s:
        return "careof"
    if s & {"sale"} and "date" in s:
        return "=LocationSellDate"
    if s & {"sale"} and "amount" in s:
        return "=LocationSellAmount"
    if "grantor" in s:
        return "=LocationGrantor"
    if "neighborhood" in s:
        return "=LocationNeighborhood"
    if "acres" in s:
        return "=LocationAcres"
    if {"do", "not", "mailing"} <= s:
        return "=DoNotMail"
    if "zip4" in s:
        return "zip" if "zip" in s else "zip4"
    if {"city", "state"} <= s:
        return "csz"
    if "zip" in s:
        return "zip"
    if "city" in s:
        return "city"
    if "state" in s:
        return "state"
    if "county" in s:
        return "county"
    if "unit" in s and "units" not in raw:
        return "unit"
    if s & {"business", "company"} and "name" in s:
        return "business"
    if s & {"first", "last"} and (s & {"owner", "coowner", "name"}):
        return "first" if "first" in s else "last"
    if "address" in s or ("line" in s and "mailing" in s):
        return "street"
    if "street" in s:
        return "part" if s & _PART else "street"
    if raw & {"location", "locn", "loc", "situs", "site", "mail", "mailing"} and not s & (
        _KNOWN - {"site", "mailing", "parcel", "full"}
    ):
        return "street"  # "Site", "Mail", "situs", "prcl locn": the block's street line
    if s & {"owner", "coowner"} and (
        "name" in s or not s - {"owner", "coowner", "full", "current", "line", "label", "1", "2"}
    ):
        return "name"
    if "parcelid" in s or "parcel" in s or ("block" in s and "lot" in s):
        return "id"
    if "id" in s and not s & {"owner", "coowner", "mailing", "object", "objectid"}:
        return "id"
    canon = default_mapping().aliases(niche=False).get(normalize(header))
    return f"={canon}" if canon else ""


def resolve_blocks(readings: Sequence[Reading]) -> list[str]:
    """Each header's block: its own words, else its neighbours (see docs/mapping.md)."""
    explicit: dict[str, set[str]] = {}  # kind -> blocks that name it
    for r in readings:
        if r.kind in ADDRESSISH and r.block:
            block = "mailing" if r.block == "owner" else r.block
            explicit.setdefault(r.kind, set()).add(block)
            if r.kind == "csz":
                for part in ("city", "state", "zip"):
                    explicit.setdefault(part, set()).add(block)
    streets = explicit.get("street", set())
    runs = _runs(readings)
    street_runs = len(
        {id(r) for r in runs.values() if any(readings[j].kind == "street" for j in r)}
    )
    out = []
    for i, r in enumerate(readings):
        if r.kind not in ADDRESSISH and r.kind not in ("careof", "id"):
            out.append(r.block)
            continue
        if r.block:
            out.append("mailing" if r.block == "owner" and r.kind != "id" else r.block)
            continue
        if r.kind == "id":
            out.append("site")
            continue
        named = explicit.get(r.kind if r.kind != "line" else "street", set())
        run = runs[i]
        near = [
            readings[j] for j in sorted(run, key=lambda j: (j > i, abs(j - i))) if readings[j].block
        ]
        if len(named) == 1:  # the other block names this kind: this is the one
            out.append("site" if "mailing" in named else "mailing")
        elif near:
            out.append("mailing" if near[0].block == "owner" else near[0].block)
        elif street_runs == 1:
            out.append("site")  # the only address in the file is the property's
        elif "site" in streets and "mailing" not in streets:
            out.append("mailing")
        elif "mailing" in streets and "site" not in streets:
            out.append("site")
        elif min(run) > 0 and readings[min(run) - 1].kind in ("name", "name2"):
            out.append("mailing")  # an address after the owner's name is where to mail
        else:
            out.append("site")
    return out


def _runs(readings: Sequence[Reading]) -> dict[int, list[int]]:
    """Position -> the run of neighbouring address headers it is in."""
    out: dict[int, list[int]] = {}
    run: list[int] = []
    for i, r in enumerate(readings):
        if r.kind in ADDRESSISH or r.kind == "careof":
            run.append(i)
            out[i] = run
        else:
            run = []
    return out


def column_of(kind: str, block: str, number: int) -> str:
    """The canonical column a kind in a block reads into ("" for none)."""
    if kind.startswith("="):
        return kind[1:]
    site = {
        "street": "LocationAddress1",
        "city": "LocationCity",
        "state": "LocationState",
        "zip": "LocationZip",
        "county": "LocationCounty",
        "id": "LocationPrimaryId",
    }
    mailing = {
        "street": "OwnerAddress1",
        "city": "OwnerCity",
        "state": "OwnerState",
        "zip": "OwnerZip",
        "zip4": "OwnerMailingZip4",
        "careof": "OwnerAddress2",
    }
    owner = {
        "name": "OwnerName",
        "name2": "OwnerName2",
        "first": "OwnerFirstName",
        "last": "OwnerLastName",
    }
    if kind in owner:
        return owner[kind]
    if kind in ("street", "line") and number >= 2:
        return "OwnerAddress2" if block == "mailing" and number == 2 else ""
    if kind == "id":
        return site["id"]
    return (mailing if block == "mailing" else site).get(kind, "")


def match(sheet: Sheet, columns: Mapping[str, Kind], niche: bool = False) -> Matched:
    """The file's headers read by meaning, confirmed by a sample of its values."""
    headers = sheet.headers
    readings = [reading(h) if h else Reading("", "", 0.0) for h in headers]
    for pos, h in enumerate(headers):  # a canonical name means itself
        canon = {c.casefold(): c for c in columns}.get(normalize(h))
        if canon:
            readings[pos] = Reading(f"={canon}", "", 1.2)
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
    joins, firsts, splits, blocks_out = [], [], [], []
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
    # a CITY ST ZIP cell: split into the parts the file has no column for
    for block, into in (("mailing", "owner"), ("site", "location")):
        for i in where("csz", block)[:1]:
            splits.append(Split((headers[i],), into))
            choices.append(
                Choice(
                    f"{'Owner' if into == 'owner' else 'Location'}City/State/Zip",
                    (headers[i],),
                    0.9,
                    "a CITY ST ZIP cell, split",
                )
            )
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
    # no parcel id: the site street is the key (the summary says so)
    if "LocationPrimaryId" not in direct and "LocationAddress1" in direct and not niche:
        firsts.append(First("LocationPrimaryId", direct["LocationAddress1"]))
        notes.append(f"no parcel id column: rows are keyed by {direct['LocationAddress1'][0]!r}")
    # the site's city, state and ZIP from the mailing address where the streets are the same
    # (a file in the canonical names is read as the contract says, with nothing filled)
    canonical = [normalize(h) for h in direct.get("LocationZip", ())] == ["locationzip"]
    fill = () if canonical else ("LocationZip", "LocationCity", "LocationState")
    return ColumnMapping(
        columns=direct,
        source=MEANING,
        joins=tuple(joins),
        firsts=tuple(firsts),
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


__all__ = ["MEANING", "Choice", "Matched", "match", "reading", "resolve_blocks"]
