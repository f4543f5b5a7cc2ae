"""What a generated upload must become, worked out from how each cell was generated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from propmail.contract import UPLOAD_COLUMNS, Kind
from propmail.pipeline import foreign_mailing
from propmail.rules.places import state_from_zip
from tests.fuzz.uploads import TEXT_WIDTH, WHITE_SPACE, Upload, strip, utf16_length

# Location and Owner columns checked against the file (database name -> canonical column)
LOCATION = {
    "PrimaryId": "LocationPrimaryId",
    "Address1": "LocationAddress1",
    "City": "LocationCity",
    "State": "LocationState",
    "Zip": "LocationZip",
    "County": "LocationCounty",
    "Neighborhood": "LocationNeighborhood",
    "Acres": "LocationAcres",
    "SellDate": "LocationSellDate",
    "SellAmount": "LocationSellAmount",
    "Grantor": "LocationGrantor",
    "EstLoanToValue": "EstLoanToValue",
    "EstEquity": "EstEquity",
    "LienType": "LienType",
    "BKDate": "BKDate",
    "DivorceDate": "DivorceDate",
    "PreFcRecordingDate": "PreFcRecordingDate",
    "Vacant": "Vacant",
    "ResponseNCOA": "ResponseNCOA",
}
OWNER = {
    "Name": "OwnerName",
    "FirstName": "OwnerFirstName",
    "LastName": "OwnerLastName",
    "Address1": "OwnerAddress1",
    "Address2": "OwnerAddress2",
    "City": "OwnerCity",
    "State": "OwnerState",
    "Zip": "OwnerZip",
    "DoNotMail": "DoNotMail",
    "MailingZip4": "OwnerMailingZip4",
    "MailingCounty": "LocationCounty",
    "AccuzipResponse": "FullAccuzipResponse",
}
# text columns written to a TEXT(255) column, and those only checked for NUL (long text)
# upload text stored only through a derived field: the second owner line prints in AlternateName
INTO_DERIVED = {"OwnerName2": "AlternateName"}
STORED_TEXT = [
    c for c in UPLOAD_COLUMNS if UPLOAD_COLUMNS[c] is Kind.TEXT and c not in INTO_DERIVED
]
LONG_TEXT = ["FullAccuzipResponse", "RequestStreet", "RequestCity", "RequestState", "RequestZip"]
UNSTORED = {"RequestStreet", "RequestCity", "RequestState", "RequestZip"}
_RUNS = re.compile(f"[{re.escape(WHITE_SPACE)}]+")

MISSING_ID, NO_NAME, FOREIGN, NO_STREET, NO_ZIP, UNSTORABLE, DUPLICATE = (
    "missing parcel id",
    "no owner name",
    "foreign mailing address",
    "empty owner street",
    "empty owner ZIP",
    "unstorable",
    "duplicate parcel id",
)


def category(reason: str) -> str:
    """The oracle's name for a reject reason the product wrote."""
    for name in (MISSING_ID, NO_NAME, FOREIGN, NO_STREET, NO_ZIP, DUPLICATE):
        if reason.startswith(name):
            return name
    if reason.endswith(("holds a NUL character", f"is longer than {TEXT_WIDTH} characters")):
        return UNSTORABLE
    return reason


@dataclass
class Outcome:
    values: dict[int, dict[str, Any]]  # spreadsheet row -> canonical column -> value
    rejected: dict[int, str]  # row -> category
    unstorable: dict[int, set[str]]  # row -> the columns that may be named in the reason
    loaded: dict[str, int]  # parcel id -> the row kept
    unparseable: dict[str, int] = field(default_factory=dict)


def value_of(upload: Upload, row: dict[str, Any], column: str) -> Any:
    """The canonical value the reader must produce for one cell."""
    cell = row.get(column)
    if column == "OwnerMailingZip4":
        own = cell.expected if cell is not None else None
        owner_zip = row["OwnerZip"].expected
        return own if own is not None else (owner_zip[1] if owner_zip else None)
    if cell is None:
        return None
    if UPLOAD_COLUMNS[column] is Kind.ZIP5:
        return cell.expected[0] if cell.expected else None
    return cell.expected


def expect(upload: Upload) -> Outcome:
    values: dict[int, dict[str, Any]] = {}
    unparseable: dict[str, int] = {}
    for i, row in enumerate(upload.rows):
        if not any(cell.present for cell in row.values()):
            continue  # a blank row is no row
        number = i + 2  # the header is row 1
        values[number] = {c: value_of(upload, row, c) for c in UPLOAD_COLUMNS}
        for column, cell in row.items():
            if UPLOAD_COLUMNS[column] is not Kind.TEXT and cell.unparseable:
                unparseable[column] = unparseable.get(column, 0) + 1

    _state_from_zip(upload, values)
    rejected: dict[int, str] = {}
    unstorable: dict[int, set[str]] = {}
    abroad = _abroad(values)
    for number, v in values.items():
        street = _slug_street(v["OwnerAddress1"])
        if v["LocationPrimaryId"] is None:
            rejected[number] = MISSING_ID
        elif v["OwnerName"] is None:
            rejected[number] = NO_NAME
        elif abroad[number]:
            rejected[number] = FOREIGN
        elif street == "":
            rejected[number] = NO_STREET
        elif v["OwnerZip"] is None:
            rejected[number] = NO_ZIP
        else:
            bad = _unstorable(v, street)
            if bad:
                rejected[number] = UNSTORABLE
                unstorable[number] = bad
    loaded: dict[str, int] = {}
    for number, v in values.items():
        if number not in rejected:
            loaded[v["LocationPrimaryId"]] = number  # rows ascend: the last one wins
    for number, v in values.items():
        if number not in rejected and loaded[v["LocationPrimaryId"]] != number:
            rejected[number] = DUPLICATE
    return Outcome(values, rejected, unstorable, loaded, unparseable)


def _state_from_zip(upload: Upload, values: dict[int, dict[str, Any]]) -> None:
    """A mailing place with no state takes its state (and, with no city, its city) from its
    ZIP as the reader reads it. The ZIP table is the product's (rules/places.py, tested
    there); the oracle only asks it, from the ZIP cell as written."""
    if not {"OwnerCity", "OwnerState", "OwnerZip"} <= set(upload.headers):
        return
    numbers = [n for n in values if values[n]["OwnerState"] is None]
    raw = {i + 2: row["OwnerZip"].raw for i, row in enumerate(upload.rows)}
    zips = [raw[n] if isinstance(raw[n], str) else None for n in numbers]
    frame = pl.DataFrame(
        {"c": [values[n]["OwnerCity"] for n in numbers], "z": zips},
        schema={"c": pl.String, "z": pl.String},
    ).with_columns(s=pl.lit(None, pl.String))
    filled = frame.select(**state_from_zip(pl.col("c"), pl.col("s"), pl.col("z")))
    for n, (city, state) in zip(numbers, filled.rows(), strict=True):
        values[n]["OwnerCity"], values[n]["OwnerState"] = city, state


def _abroad(values: dict[int, dict[str, Any]]) -> dict[int, bool]:
    """Per row: whether its mailing address names a foreign place. The vocabulary of places
    is the product's own (rules/places.py, tested there); the oracle only asks it."""
    columns = ("OwnerCity", "OwnerState", "OwnerZip")
    frame = pl.DataFrame(
        {c: [values[n][c] for n in values] for c in columns},
        schema=dict.fromkeys(columns, pl.String),
    )
    named = foreign_mailing(frame).is_not_null().to_list()
    return dict(zip(values, named, strict=True))


def _slug_street(street: str | None) -> str:
    return strip(re.sub(r"[.,]", "", strip(street or ""))).upper()


def _unstorable(v: dict[str, Any], street: str) -> set[str]:
    """Columns (source or derived) whose value the database could not store."""
    bad = set()
    for column in STORED_TEXT + LONG_TEXT:
        text = v.get(column)
        if not isinstance(text, str):
            continue
        if "\x00" in text:
            bad.add("AccuzipRequest" if column in UNSTORED else column)
            if column == "OwnerName":
                bad.add("AlternateName")
        elif column not in LONG_TEXT and utf16_length(text) > TEXT_WIDTH:
            bad.add(column)
    slug = _RUNS.sub("_", street) + "_" + str(v["OwnerZip"])
    if utf16_length(slug) > TEXT_WIDTH:
        bad.add("OwnerSlug")
    return bad


def owner_values(outcome: Outcome, rows: list[int]) -> dict[str, Any]:
    """An owner's columns: per column the greatest value among its rows (the legacy MAX())."""
    out = {}
    for name, column in OWNER.items():
        seen = [outcome.values[r][column] for r in rows if outcome.values[r][column] is not None]
        out[name] = max(seen) if seen else None
    return out
