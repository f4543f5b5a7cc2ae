"""The whole-row labels of `tests/fixtures/realdata/rows/`: which extracts, rows and columns.

Each label file holds the site block, the mailing block, occupancy, the absentee level and the
owner flags a load of the extract as downloaded should store for a systematic sample of its
records, and whether the record should be stored at all. The README of the fixtures says how
they were made and which conventions decide the unclear rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from tests.realdata.extracts import LABELS, Record, realdata_dir

ROWS = LABELS / "rows"
SAMPLE_SIZE = 150

COLUMNS = (
    "row",
    "check",
    "kept",
    "reject_reason",
    "LocationAddress1",
    "LocationCity",
    "LocationState",
    "LocationZip",
    "OwnerAddress1",
    "OwnerCity",
    "OwnerState",
    "OwnerZip",
    "OwnerMailingZip4",
    "IsOwnerOccupied",
    "AbsenteeLevel",
    "IsTrust",
    "IsChurch",
    "IsBusiness",
    "note",
)
LEVELS = ("OO", "ABS1", "ABS2", "ABS3")


@dataclass(frozen=True)
class RowExtract:
    file: str  # the extract in realdata_dir() and its label file in ROWS
    owner: str  # the raw owner-name field: `check` hashes owner + "|" + site
    site: str  # the raw site street field
    parcel: str = ""  # the parcel id field, where the file has one


ROW_EXTRACTS: tuple[RowExtract, ...] = (
    RowExtract("philadelphia_opa_properties.csv", "owner_1", "location", "parcel_number"),
    RowExtract("jersey_city_nj_modiv_residential.csv", "ownersName", "propertyLocation"),
    RowExtract("king_pierce_wa_listsource_export.csv", "OWNER 1 LABEL NAME", "PROPERTY ADDRESS"),
    RowExtract("king_county_wa_title_company_farm_list.csv", "Owner Full", "Site", "Parcel #"),
    RowExtract("lebanon_nh_vision_cama_owners.csv", "own name", "rem prcl locn", "rem pid"),
    RowExtract(
        "mercer_county_nj_mls_tax_records.csv",
        "Current Owner Name",
        "Property Address Formatted",
        "Tax ID",
    ),
)


def sample_rows(n: int) -> list[int]:
    """The labelled record numbers of an extract of `n` records: 1 + floor(k * n / 150)."""
    if n <= SAMPLE_SIZE:
        return list(range(1, n + 1))
    return [1 + k * n // SAMPLE_SIZE for k in range(SAMPLE_SIZE)]


def check_text(extract: RowExtract, record: Record) -> str:
    """The text whose SHA-1 the `check` column holds."""
    return f"{record[extract.owner]}|{record[extract.site]}"


def extract_records(extract: RowExtract) -> dict[int, Record]:
    """The extract's records by number (1 = the first record after the header)."""
    with (realdata_dir() / extract.file).open(encoding="utf-8", newline="") as handle:
        return dict(enumerate(csv.DictReader(handle), start=1))


def row_labels(extract: RowExtract) -> list[Record]:
    with (ROWS / extract.file).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header(extract: RowExtract) -> list[str]:
    with (ROWS / extract.file).open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def absentee_level(label: Record) -> str:
    """SPEC 3 item 5 on the labelled values; where the site ZIP is unknown, the city decides."""
    if label["IsOwnerOccupied"] == "1":
        return "OO"
    if label["OwnerState"] != label["LocationState"]:
        return "ABS1"
    if label["LocationZip"]:
        return "ABS2" if label["OwnerZip"] != label["LocationZip"] else "ABS3"
    same_city = label["OwnerCity"].upper() == label["LocationCity"].upper()
    return "ABS3" if same_city else "ABS2"
