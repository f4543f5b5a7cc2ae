"""What a header means by its words (`propmail.read.tokens`) and its neighbours: a kind (street
line, city, ZIP, ZIP+4, CITY ST ZIP cell, unit, owner name, first or last name, parcel id, ...),
the block it belongs to (site, mailing, owner) and how plainly its words say so. The order in
which a header that does not name its block takes one is in docs/mapping.md.

>>> [reading(h).kind for h in ["situsStreetName", "OWN1_LAST", "Mail Zip", "Parcel #"]]
['part', 'last', 'zip', 'id']
>>> resolve_blocks([reading(h) for h in ["rem prcl locn", "own name", "address1", "city", "zip"]])
['site', 'owner', 'mailing', 'mailing', 'mailing']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from propmail.read.mapping import default_mapping, normalize
from propmail.read.tokens import raw_words, words

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
# fmt: on


@dataclass(frozen=True)
class Reading:
    """What one header's words say."""

    kind: str  # street, line, part, city, state, zip, zip4, csz, unit, county, careof, id,
    # name, name2, first, last, business, or a canonical column read whole ("=LienType")
    block: str  # site, mailing, owner, or "" where the header does not say
    fit: float  # how plainly the words say it (about 1 = plainly)
    number: int = 0  # the line or owner number the header carries (0: none)


@lru_cache(maxsize=8192)  # a file's first rows are scored twice: its head, then the file
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
    canon = _default_aliases().get(normalize(header))
    return f"={canon}" if canon else ""


@cache
def _default_aliases() -> dict[str, str]:
    """mapping.toml's aliases, made once: a header row's every cell is read against them."""
    return default_mapping().aliases(niche=False)


def meant(cells: Sequence[str]) -> int:
    """How many of a row's cells read as a header of a column propmail reads (a header row
    scores more than a title or a data row)."""
    return sum(1 for c in cells if c and len(c) <= 60 and reading(c).kind not in ("", "part"))


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


def parcel_units(headers: Sequence[str], readings: Sequence[Reading]) -> list[Reading]:
    """The readings with a unit that follows a lot (map, block, lot, unit: the parts of a
    parcel number, Vision's MBLU, New Jersey's block / lot / qualifier) read as no address's:
    it is the parcel's unit, not a street's.

    >>> hs = ["rem mblu lot", "", "rem mblu unit", "rem mblu unit cut", "situs street", "unit"]
    >>> [r.kind for r in parcel_units(hs, [reading(h) for h in hs])]
    ['', '', '', '', 'street', 'unit']
    """
    out = list(readings)
    for i, r in enumerate(readings):
        if r.kind != "unit":
            continue
        # the header before it, past blank headers and other units (a unit's own copies)
        j = i - 1
        while j >= 0 and (not headers[j].strip() or readings[j].kind == "unit"):
            j -= 1
        if j >= 0 and "lot" in raw_words(headers[j]):
            out[i] = Reading("", r.block, r.fit, r.number)
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


__all__ = [
    "ADDRESSISH",
    "Reading",
    "column_of",
    "meant",
    "parcel_units",
    "reading",
    "resolve_blocks",
]
