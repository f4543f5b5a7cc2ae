"""The same property rows written as each layout ships them, with the traps real files have.

`rows()` makes the rows (deterministic); `write_canonical`, `write_list_provider` and
`write_county` write them as the canonical csv, a list-provider workbook and a county extract.
The traps: care-of lines, co-owners joined by "/", a second owner, units in their own column
(some bare, "4B"), ZIP+4 in the mailing block's last line, no site ZIP on some county rows,
accents in Windows-1252, a title row, merged title cells, a hidden column, a totals line, and
the data on a second sheet.

What the canonical file holds is what the other layouts say: a county row without a site ZIP
whose site street is the mailing street has the mailing ZIP (the county layout's
`from_mailing`), and a bare unit is written with "#".
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import xlsxwriter

FIRST = ["JOHN", "MARY", "JOSÉ", "ANNE", "DAVID", "LINDA", "RENÉE", "WILLIAM", "ZOË", "OMAR"]
LAST = ["SMITH", "PEÑA", "O’BRIEN", "JOHNSON", "NGUYEN", "GARCÍA", "BROWN", "MÜLLER", "LEE"]
BUSINESS = [
    "ACME HOLDINGS LLC",
    "OAK RIDGE PROPERTIES INC",
    "FIRST BAPTIST CHURCH",
    "SMITH FAMILY TRUST",
]
STREETS = [
    "MAIN ST",
    "OAK AVE",
    "FALLS OF NEUSE RD",
    "GLENWOOD AVE",
    "W PEACE ST",
    "HILLSBOROUGH ST",
]
CITIES = [
    ("RALEIGH", "NC", "27609"),
    ("CARY", "NC", "27511"),
    ("DURHAM", "NC", "27701"),
    ("RICHMOND", "VA", "23220"),
    ("BOSTON", "MA", "02134"),
]


@dataclass
class Row:
    parcel: str
    site_street: str
    site_unit: str  # "" when none; as the list-provider's unit column has it
    site_city: str
    site_state: str
    site_zip: str  # "" when the county file gives none
    first: str
    last: str
    first2: str
    last2: str
    business: str  # "" for a person
    care_of: str
    mail_street: str
    mail_unit: str
    mail_city: str
    mail_state: str
    mail_zip: str
    mail_zip4: str
    sale_date: str  # m/d/yyyy
    sale_amount: str

    @property
    def owner_name(self) -> str:
        return self.business or f"{self.last} {self.first}"

    @property
    def owner_name2(self) -> str:
        return f"{self.last2} {self.first2}" if self.last2 else ""

    @property
    def site_address(self) -> str:
        return with_unit(self.site_street, self.site_unit)

    @property
    def mail_address(self) -> str:
        return with_unit(self.mail_street, self.mail_unit)

    @property
    def occupied(self) -> bool:
        return self.site_address == self.mail_address

    @property
    def same_place(self) -> bool:
        """The mailing street is the site street, a suffix spelled out (ST, STREET) or not."""
        spelled = self.site_street.removesuffix(" ST") + " STREET"
        return self.occupied or (self.mail_street == spelled and self.mail_unit == self.site_unit)

    @property
    def loaded_site_zip(self) -> str:
        """The site ZIP every layout gives: a county's missing one from the mailing address,
        where the mailing street is the site street (read as occupancy reads them)."""
        return self.site_zip or (self.mail_zip if self.same_place else "")


def with_unit(street: str, unit: str) -> str:
    if not unit:
        return street
    return f"{street} {'# ' + unit if unit[0].isdigit() else unit}"


def rows(count: int = 300, seed: int = 12) -> list[Row]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        site_city, site_state, site_zip = rng.choice(CITIES[:3])
        site_street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
        site_unit = rng.choice(["", "", "", "APT 2", "UNIT 3", "4B", "STE 100"])
        occupied = rng.random() < 0.5
        if occupied:
            mail = (site_street, site_unit, site_city, site_state, site_zip)
        else:
            city, state, zip5 = rng.choice(CITIES)
            street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
            mail = (street, rng.choice(["", "", "APT 7", "12"]), city, state, zip5)
        business = rng.choice(BUSINESS) if rng.random() < 0.15 else ""
        if not business and rng.random() < 0.05:
            business = (
                f"{rng.choice(LAST)} {rng.choice(FIRST)} / {rng.choice(LAST)} {rng.choice(FIRST)}"
            )
        second = not business and rng.random() < 0.3
        out.append(
            Row(
                parcel=f"{rng.randint(0, 99_999_999):010d}-{i:03d}",
                site_street=site_street,
                site_unit=site_unit,
                site_city=site_city,
                site_state=site_state,
                site_zip="" if rng.random() < 0.12 else site_zip,
                first="" if business else rng.choice(FIRST),
                last="" if business else rng.choice(LAST),
                first2=rng.choice(FIRST) if second else "",
                last2=rng.choice(LAST) if second else "",
                business=business,
                care_of=f"C/O {rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.1 else "",
                mail_street=mail[0],
                mail_unit=mail[1],
                mail_city=mail[2],
                mail_state=mail[3],
                mail_zip=mail[4],
                mail_zip4=f"{rng.randint(0, 9999):04d}" if rng.random() < 0.4 else "",
                sale_date=f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(1990, 2025)}",
                sale_amount=f"${rng.randint(20, 900) * 1000:,}",
            )
        )
    return out


CANONICAL = [
    "LocationPrimaryId",
    "LocationAddress1",
    "LocationCity",
    "LocationState",
    "LocationZip",
    "LocationSellDate",
    "LocationSellAmount",
    "OwnerName",
    "OwnerName2",
    "OwnerAddress1",
    "OwnerAddress2",
    "OwnerCity",
    "OwnerState",
    "OwnerZip",
    "OwnerMailingZip4",
    "OwnerFirstName",
    "OwnerLastName",
]


def canonical_values(row: Row) -> list[str]:
    """OwnerName and OwnerName2 as the other layouts compose them (LAST FIRST, one per owner
    line), with owner 1's first and last names."""
    return [
        row.parcel,
        row.site_address,
        row.site_city,
        row.site_state,
        row.loaded_site_zip,
        row.sale_date,
        row.sale_amount,
        row.owner_name,
        row.owner_name2,
        row.mail_address,
        row.care_of,
        row.mail_city,
        row.mail_state,
        row.mail_zip,
        row.mail_zip4,
        row.first,
        row.last,
    ]


def write_canonical(path: Path, data: list[Row]) -> Path:
    """The canonical csv."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CANONICAL)
        writer.writerows(canonical_values(r) for r in data)
    return path


LIST_PROVIDER = [
    "APN",
    "Address",
    "Unit #",
    "City",
    "State",
    "Zip",
    "Owner 1 First Name",
    "Owner 1 Last Name",
    "Owner 2 First Name",
    "Owner 2 Last Name",
    "Business Name",
    "Mailing Care of Name",
    "Mailing Address",
    "Mailing Unit #",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Last Sale Date",
    "Last Sale Amount",
]


def list_provider_values(row: Row) -> list[str]:
    mail_zip = f"{row.mail_zip}-{row.mail_zip4}" if row.mail_zip4 else row.mail_zip
    return [
        row.parcel,
        row.site_street,
        row.site_unit,
        row.site_city,
        row.site_state,
        row.loaded_site_zip,
        row.first,
        row.last,
        row.first2,
        row.last2,
        row.business,
        row.care_of,
        row.mail_street,
        row.mail_unit,
        row.mail_city,
        row.mail_state,
        mail_zip,
        row.sale_date,
        row.sale_amount,
    ]


def write_list_provider(
    path: Path, data: list[Row], extra: Mapping[str, str] = MappingProxyType({})
) -> Path:
    """A workbook as a list provider sends it: notes on the first sheet, the export on the second
    under a merged title and a blank row, a hidden column, a totals line at the bottom.
    `extra`: more columns (header -> the value of every row) after the layout's."""
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("Read me")
    notes.write(0, 0, "Export generated for the client; the data is on the next sheet.")
    sheet = book.add_worksheet("Export")
    sheet.merge_range(0, 0, 0, 5, "Absentee owners - Wake County - exported 11/30/2026")
    for col, header in enumerate([*LIST_PROVIDER, *extra]):
        sheet.write_string(2, col, header)
    for r, row in enumerate(data, start=3):
        for col, value in enumerate([*list_provider_values(row), *extra.values()]):
            if value:
                sheet.write_string(r, col, value)
    sheet.write_string(3 + len(data), 0, f"Total records: {len(data)}")
    sheet.set_column(
        LIST_PROVIDER.index("Owner 2 Last Name"),
        LIST_PROVIDER.index("Owner 2 Last Name"),
        None,
        None,
        {"hidden": True},
    )
    book.close()
    return path


COUNTY = [
    "PIN_NUM",
    "OWNER_LINE1",
    "OWNER_LINE2",
    "ADDRESS_LINE1",
    "ADDRESS_LINE2",
    "ADDRESS_LINE3",
    "SITE_ADDRESS",
    "SITE_CITY",
    "SITE_STATE",
    "SITE_ZIP",
    "SALE_DATE",
    "SALE_PRICE",
]


def county_values(row: Row) -> list[str]:
    zip_line = f"{row.mail_city} {row.mail_state} {row.mail_zip}" + (
        f"-{row.mail_zip4}" if row.mail_zip4 else ""
    )
    block = (
        [row.care_of, row.mail_address, zip_line] if row.care_of else [row.mail_address, zip_line]
    )
    block += [""] * (3 - len(block))
    return [
        row.parcel,
        row.owner_name,
        row.owner_name2,
        *block,
        row.site_address,
        row.site_city,
        row.site_state,
        row.site_zip,
        row.sale_date,
        row.sale_amount,
    ]


def write_county(path: Path, data: list[Row], columns: Sequence[str] = tuple(COUNTY)) -> Path:
    """A county extract: semicolon-separated Windows-1252 text, a mailing block of lines.
    `columns`: the ones of COUNTY it has (many extracts have no SITE_ZIP or SITE_STATE)."""
    keep = [COUNTY.index(c) for c in columns]
    with path.open("w", newline="", encoding="cp1252") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(columns)
        for row in data:
            values = county_values(row)
            writer.writerow([values[i] for i in keep])
    return path


# The list-provider export saved with grouped headers: a merged group label above the headers of
# its columns, the other headers merged down over both header rows.
GROUPED = [
    ("", ["APN"]),
    ("Property", ["Address", "Unit #", "City", "State", "Zip"]),
    ("Owner 1", ["First Name", "Last Name"]),
    ("Owner 2", ["First Name", "Last Name"]),
    ("", ["Business Name"]),
    ("Mailing", ["Care of Name", "Address", "Unit #", "City", "State", "Zip"]),
    ("Last Sale", ["Date", "Amount"]),
]


def write_list_provider_grouped(path: Path, data: list[Row]) -> Path:
    """The list-provider export with two header rows under a title: `Owner 1` merged above
    `First Name` and `Last Name`, `APN` merged over both rows."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Export")
    sheet.merge_range(0, 0, 0, 4, "Absentee owners - Wake County - exported 11/30/2026")
    col = 0
    for group, headers in GROUPED:
        if group:
            sheet.merge_range(1, col, 1, col + len(headers) - 1, group)
            for offset, header in enumerate(headers):
                sheet.write_string(2, col + offset, header)
        else:
            sheet.merge_range(1, col, 2, col, headers[0])
        col += len(headers)
    for r, row in enumerate(data, start=3):
        for c, value in enumerate(list_provider_values(row)):
            if value:
                sheet.write_string(r, c, value)
    book.close()
    return path
