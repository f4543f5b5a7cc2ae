"""The mail house's file of a drop: one row per piece, in the columns of `FORMATS`.

- ``generic``: every id, the envelope name on two lines, the mailing address with its ZIP+4
  and the property address (the letter's merge fields).
- ``lob``: Lob's campaign audience CSV: ``name`` and ``company`` (the name's second line; Lob
  prints both, 40 characters each), ``address_line1``, ``address_line2``, ``address_city``,
  ``address_state``, ``address_zip`` (12345 or 12345-1234), ``address_country``; the ids as
  ``metadata_*`` columns and the property address as merge variables.
- ``click2mail``: Click2Mail's mailing list columns (a header row, one field a column): Name,
  Organization (the name's second line), Address1, Address2, City, State, Zip, Country; then
  the ids and property address.
- ``accuzip``: AccuZIP6's field names: name, company (the name's second line), address,
  address2, city, st, zip; then the ids and property address.

Every cell is text, neutralized against formula injection (`propmail.report.cells`), in csv
(UTF-8 with a BOM) and in xlsx (each cell written as a string, never a formula).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from propmail.drop.names import name_lines
from propmail.errors import InputError
from propmail.report.cells import as_text, write_csv

_IDS = {
    "PieceId": "piece_id",
    "OwnerId": "owner_id",
    "OwnerSlug": "owner_slug",
    "LocationId": "location_id",
    "PrimaryId": "primary_id",
    "ListCode": "list_code",
    "ListPriorityId": "list_priority_id",
    "TouchNumber": "touch_number",
    "DropDate": "drop_date",
}
_PROPERTY = {
    "PropertyAddress1": "property_address",
    "PropertyCity": "property_city",
    "PropertyState": "property_state",
    "PropertyZip": "property_zip",
}


def printed(pieces: pl.DataFrame) -> pl.DataFrame:
    """The pieces (`propmail.db.drops.PIECE_COLUMNS`) with the name lines and the ZIP+4."""
    name = pl.coalesce(pl.col("EnvelopeName"), pl.col("OwnerName"))
    zip4 = pl.col("MailingZip4").str.strip_chars()
    zip_plus4 = (
        pl.when(zip4.is_not_null() & (zip4 != ""))
        .then(pl.concat_str(pl.col("MailingZip").str.strip_chars(), pl.lit("-"), zip4))
        .otherwise(pl.col("MailingZip").str.strip_chars())
    )
    return pieces.with_columns(*name_lines(name), zip_plus4.alias("MailingZipPlus4"))


def generic(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        *_IDS,
        "NameLine1",
        "NameLine2",
        "MailingAddress1",
        "MailingAddress2",
        "MailingCity",
        "MailingState",
        "MailingZip",
        "MailingZip4",
        *_PROPERTY,
    )


# The envelope's columns as each mail house names them (source column -> its header), then
# the country where the service asks for one; the ids and property address follow.
_ADDRESS = ("NameLine1", "NameLine2", "MailingAddress1", "MailingAddress2", "MailingCity",
            "MailingState", "MailingZipPlus4")  # fmt: skip
_HEADERS = {
    "lob": ("name", "company", "address_line1", "address_line2", "address_city",
            "address_state", "address_zip", "address_country"),
    "click2mail": ("Name", "Organization", "Address1", "Address2", "City", "State", "Zip",
                   "Country"),
    "accuzip": ("name", "company", "address", "address2", "city", "st", "zip"),
}  # fmt: skip


def _service(service: str, ids_prefix: str = "") -> Callable[[pl.DataFrame], pl.DataFrame]:
    headers = _HEADERS[service]
    country = [pl.lit("US").alias(h) for h in headers[len(_ADDRESS) :]]

    def select(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            *(pl.col(c).alias(h) for c, h in zip(_ADDRESS, headers, strict=False)),
            *country,
            *(pl.col(c).alias(f"{ids_prefix}{n}") for c, n in _IDS.items()),
            *(pl.col(c).alias(n) for c, n in _PROPERTY.items()),
        )

    return select


lob = _service("lob", ids_prefix="metadata_")
click2mail = _service("click2mail")
accuzip = _service("accuzip")


FORMATS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "generic": generic,
    "lob": lob,
    "click2mail": click2mail,
    "accuzip": accuzip,
}
SUFFIXES = (".csv", ".xlsx")


def rows(pieces: pl.DataFrame, format_name: str) -> pl.DataFrame:
    """The file's rows: every cell text, neutralized."""
    return as_text(FORMATS[format_name](printed(pieces)))


def write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    """A workbook of text cells: `frame` is already neutralized; every cell is written as a
    string (xlsxwriter would otherwise read a leading = as a formula)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = book.add_worksheet("pieces")
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, name)
    for row, values in enumerate(frame.iter_rows(), start=1):
        for col, value in enumerate(values):
            if value is not None:
                sheet.write_string(row, col, value)
    book.close()


def write(pieces: pl.DataFrame, format_name: str, path: Path) -> int:
    """Write the file (csv or xlsx, by suffix); returns its rows."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"write .csv or .xlsx, not {suffix or 'no suffix'!r}", option="--out")
    frame = FORMATS[format_name](printed(pieces))
    if suffix == ".csv":
        write_csv(frame, path)
    else:
        write_xlsx(as_text(frame), path)
    return frame.height
