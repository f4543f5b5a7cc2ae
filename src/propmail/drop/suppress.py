"""A suppression file (csv or xlsx, read by the uploads' reader) -> the keys it names.

A column is told by its header (case, spaces and punctuation ignored): parcel ids
(`PARCEL_HEADERS`), owner slugs (`SLUG_HEADERS`), or mailing addresses (a street column of
`ADDRESS_HEADERS` and a ZIP column of `ZIP_HEADERS`, keyed as the drop keys an owner's mailing
address: normalized street | ZIP5). A row gives a key per kind it fills.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from propmail.drop.select import MAILING_ADDRESS, OWNER_SLUG, PARCEL, mailing_key
from propmail.errors import InputError
from propmail.read import files

PARCEL_HEADERS = frozenset(
    {"parcel", "parcelid", "parcelnumber", "apn", "pin", "primaryid", "locationprimaryid"}
)
SLUG_HEADERS = frozenset({"slug", "ownerslug"})
ADDRESS_HEADERS = frozenset(
    {"address", "address1", "street", "mailingaddress", "mailingaddress1", "owneraddress1"}
)
ZIP_HEADERS = frozenset({"zip", "zipcode", "zip5", "mailingzip", "ownerzip", "postalcode"})
KEY_SCHEMA = {"KeyKind": pl.String(), "KeyValue": pl.String()}


def _plain(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _column(headers: list[str], wanted: frozenset[str]) -> int | None:
    for i, header in enumerate(headers):
        if _plain(header) in wanted:
            return i
    return None


def read_keys(path: Path) -> pl.DataFrame:
    """The keys a suppression file names (KeyKind, KeyValue), each once; InputError naming the
    file when it has no column the drop can key on."""
    sheet = files.load(path)
    frame, headers = sheet.frame, sheet.headers
    cells = {i: frame.columns[i] for i in range(len(headers))}

    def text(i: int) -> pl.Expr:
        return pl.col(cells[i]).cast(pl.String).str.strip_chars()

    parts: list[pl.DataFrame] = []
    for kind, wanted in ((PARCEL, PARCEL_HEADERS), (OWNER_SLUG, SLUG_HEADERS)):
        i = _column(headers, wanted)
        if i is not None:
            parts.append(frame.select(pl.lit(kind).alias("KeyKind"), text(i).alias("KeyValue")))
    street, zip_ = _column(headers, ADDRESS_HEADERS), _column(headers, ZIP_HEADERS)
    if street is not None and zip_ is None:
        raise InputError(
            f"column {headers[street]!r} holds mailing addresses but no ZIP column is beside it "
            f"(one of: {', '.join(sorted(ZIP_HEADERS))})",
            file=path.name,
        )
    if street is not None and zip_ is not None:
        key = mailing_key(text(street), text(zip_))
        parts.append(frame.select(pl.lit(MAILING_ADDRESS).alias("KeyKind"), key.alias("KeyValue")))
    if not parts:
        raise InputError(
            "no column of parcel ids, owner slugs or mailing addresses (headers: "
            f"{', '.join(repr(h) for h in headers)}; expected e.g. Parcel ID, OwnerSlug, "
            "or Address with Zip)",
            file=path.name,
        )
    keys = pl.concat(parts).filter(pl.col("KeyValue").is_not_null() & (pl.col("KeyValue") != ""))
    return keys.unique(maintain_order=True).cast(KEY_SCHEMA)  # type: ignore[arg-type]
