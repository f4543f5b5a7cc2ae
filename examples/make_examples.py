"""Writes the example data shipped in this folder (run from the repo root):

    python examples/make_examples.py

upload.csv / upload.xlsx: 300 generated rows plus hand-written rows carrying the traps of
SPEC sections 2 and 3. Liens.csv (canonical headers) and Probate.xlsx (a provider's headers:
APN, Property Address, Zip) are niche lists. The xlsx stores ZIPs and dates as Excel numbers.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import xlsxwriter

from propmail import synth

HERE = Path(__file__).resolve().parent

# (what the row shows, then its cells); every column not named is blank
TRAPS: list[tuple[str, dict[str, str]]] = [
    (
        "owner-occupied, written two ways; couple, surname first; ZIP with a leading zero",
        {
            "LocationPrimaryId": "000000006046",
            "LocationAddress1": "123 North Main Street",
            "LocationCity": "BOSTON",
            "LocationState": "MA",
            "LocationZip": "02134",
            "OwnerName": "SMITH JOHN & MARY",
            "OwnerFirstName": "JOHN",
            "OwnerLastName": "SMITH",
            "OwnerAddress1": "123 N MAIN ST",
            "OwnerCity": "BOSTON",
            "OwnerState": "MA",
            "OwnerZip": "02134-1234",
            "LocationGrantor": "JOHN SMITH",
            "EstLoanToValue": "40%",
            "LienType": "TAX",
            "LocationSellAmount": "$120,000",
            "LocationSellDate": "3/5/2019",
        },
    ),
    (
        "same street, next house: absentee in the same ZIP",
        {
            "LocationPrimaryId": "12-345-678",
            "LocationAddress1": "125 Main St",
            "LocationCity": "BOSTON",
            "LocationState": "MA",
            "LocationZip": "02134",
            "OwnerName": "TRUMAN HARRY",
            "OwnerAddress1": "123 Main St",
            "OwnerCity": "BOSTON",
            "OwnerState": "MA",
            "OwnerZip": "02134",
            "BKDate": "2024-01-15",
        },
    ),
    (
        "a person called CHURCHILL is not a church; absentee in another state",
        {
            "LocationPrimaryId": "000000007001",
            "LocationAddress1": "9 Elm Street",
            "LocationCity": "ROANOKE",
            "LocationState": "VA",
            "LocationZip": "24016",
            "OwnerName": "CHURCHILL WINSTON",
            "OwnerAddress1": "1 Downing Road",
            "OwnerCity": "RALEIGH",
            "OwnerState": "NC",
            "OwnerZip": "27601",
            "EstLoanToValue": "0",
            "EstEquity": "$250,000",
        },
    ),
    (
        "a church's LLC is church and business",
        {
            "LocationPrimaryId": "000000007002",
            "LocationAddress1": "77 Church Avenue",
            "LocationCity": "ROANOKE",
            "LocationState": "VA",
            "LocationZip": "24016",
            "OwnerName": "FIRST BAPTIST CHURCH OF ROANOKE LLC",
            "OwnerAddress1": "PO BOX 12",
            "OwnerCity": "ROANOKE",
            "OwnerState": "VA",
            "OwnerZip": "24018",
            "Vacant": "Yes",
        },
    ),
    (
        "trust, transfer to self",
        {
            "LocationPrimaryId": "000000007003",
            "LocationAddress1": "500 Oak Avenue Apt 2",
            "LocationCity": "SALEM",
            "LocationState": "VA",
            "LocationZip": "24153",
            "OwnerName": "JONES MARY A TRUSTEE",
            "OwnerAddress1": "500 OAK AVE #2",
            "OwnerCity": "SALEM",
            "OwnerState": "VA",
            "OwnerZip": "24153",
            "LocationGrantor": "MARY JONES",
            "ResponseNCOA": "A",
        },
    ),
    (
        "INCE and COSTCO are surnames here, not INC and CO",
        {
            "LocationPrimaryId": "000000007004",
            "LocationAddress1": "3 Pine Lane",
            "LocationCity": "SALEM",
            "LocationState": "VA",
            "LocationZip": "24153",
            "OwnerName": "INCE COSTCO",
            "OwnerAddress1": "40 River Road",
            "OwnerCity": "SALEM",
            "OwnerState": "VA",
            "OwnerZip": "24153",
            "ResponseNCOA": "00",
        },
    ),
    (
        "blank owner street: rejected, never merged",
        {
            "LocationPrimaryId": "000000007005",
            "LocationAddress1": "8 Hill Court",
            "LocationCity": "ROANOKE",
            "LocationState": "VA",
            "LocationZip": "24016",
            "OwnerName": "DOE JANE",
            "OwnerAddress1": "   ",
            "OwnerZip": "24016",
        },
    ),
    (
        "duplicate parcel id, first copy (the later row wins)",
        {
            "LocationPrimaryId": "000000007006",
            "LocationAddress1": "10 Lake Drive",
            "LocationCity": "ROANOKE",
            "LocationState": "VA",
            "LocationZip": "24016",
            "OwnerName": "ESTATE OF ROBERT BROWN",
            "OwnerAddress1": "10 Lake Drive",
            "OwnerCity": "ROANOKE",
            "OwnerState": "VA",
            "OwnerZip": "24016",
        },
    ),
    (
        "duplicate parcel id, second copy: kept; a real estate company is not an estate",
        {
            "LocationPrimaryId": "000000007006",
            "LocationAddress1": "10 Lake Drive",
            "LocationCity": "ROANOKE",
            "LocationState": "VA",
            "LocationZip": "24016",
            "OwnerName": "SUNRISE REAL ESTATE LLC",
            "OwnerAddress1": "200 Market Street Suite 4",
            "OwnerCity": "ROANOKE",
            "OwnerState": "VA",
            "OwnerZip": "24011",
            "EstEquity": "N/A",
            "DivorceDate": "44927",
        },
    ),
    (
        "government owner",
        {
            "LocationPrimaryId": "000000007007",
            "LocationAddress1": "1 Civic Plaza",
            "LocationCity": "ROANOKE",
            "LocationState": "VA",
            "LocationZip": "24016",
            "OwnerName": "CITY OF ROANOKE",
            "OwnerAddress1": "215 Church Avenue SW",
            "OwnerCity": "ROANOKE",
            "OwnerState": "VA",
            "OwnerZip": "24011",
            "PreFcRecordingDate": "2025-06-30",
        },
    ),
]
NUMERIC_IN_XLSX = {"LocationZip", "OwnerZip", "RequestZip", "LocationAcres", "EstEquity"}


def build() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    generated = synth.upload(300, seed=40)
    columns = generated.columns
    traps = pl.DataFrame(
        [{c: cells.get(c, "") for c in columns} for _, cells in TRAPS],
        schema={c: pl.String for c in columns},
    )
    upload = pl.concat([generated, traps])
    liens = pl.concat(
        [
            synth.niche(generated, 0.06, seed=41),
            pl.DataFrame(
                {
                    "LocationPrimaryId": ["000000006046", "999999999999"],
                    "LocationAddress1": [None, "1 Nowhere Lane"],
                    "LocationZip": [None, "24016"],
                }
            ),
        ]
    )
    probate = synth.niche(generated, 0.04, seed=42, by_address=0.6).rename(
        {"LocationPrimaryId": "APN", "LocationAddress1": "Property Address", "LocationZip": "Zip"}
    )
    return upload, liens, probate


def write_xlsx(frame: pl.DataFrame, path: Path, numeric: set[str] = frozenset()) -> None:
    """Like a provider's export: numbers as Excel numbers (leading zeros lost), text as text."""
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("Sheet1")
        sheet.write_row(0, 0, frame.columns)
        for c, name in enumerate(frame.columns):
            for r, value in enumerate(frame[name].to_list(), start=1):
                if value is None or value == "":
                    continue
                if name in numeric and value.replace(".", "", 1).isdigit():
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, value)


def main() -> None:
    upload, liens, probate = build()
    upload.write_csv(HERE / "upload.csv")
    write_xlsx(upload, HERE / "upload.xlsx", NUMERIC_IN_XLSX)
    liens.write_csv(HERE / "Liens.csv")
    write_xlsx(probate, HERE / "Probate.xlsx", {"Zip"})
    print(f"wrote {upload.height} upload rows, {liens.height} liens, {probate.height} probate rows")


if __name__ == "__main__":
    main()
