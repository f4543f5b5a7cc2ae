"""The input contract (SPEC section 2): canonical columns, the required set, their kinds."""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    TEXT = "text"  # kept exactly as text: identifiers, names, codes
    ZIP5 = "zip5"  # text, padded back to five digits when it arrives as a number
    ZIP4 = "zip4"  # text, four digits
    DATE = "date"  # ISO, m/d/yyyy or an Excel serial number
    NUMBER = "number"  # 45%, $120,000, blanks; unparseable -> null and counted


PROPERTY: dict[str, Kind] = {
    "LocationPrimaryId": Kind.TEXT,
    "LocationAddress1": Kind.TEXT,
    "LocationCity": Kind.TEXT,
    "LocationState": Kind.TEXT,
    "LocationZip": Kind.ZIP5,
    "LocationCounty": Kind.TEXT,
    "LocationNeighborhood": Kind.TEXT,
    "LocationAcres": Kind.NUMBER,
    "LocationSellDate": Kind.DATE,
    "LocationSellAmount": Kind.NUMBER,
    "LocationGrantor": Kind.TEXT,
}
OWNER: dict[str, Kind] = {
    "OwnerName": Kind.TEXT,
    "OwnerFirstName": Kind.TEXT,
    "OwnerLastName": Kind.TEXT,
    "OwnerAddress1": Kind.TEXT,
    "OwnerAddress2": Kind.TEXT,
    "OwnerCity": Kind.TEXT,
    "OwnerState": Kind.TEXT,
    "OwnerZip": Kind.ZIP5,
    "OwnerMailingZip4": Kind.ZIP4,
    "DoNotMail": Kind.TEXT,
}
MAIL_PREP: dict[str, Kind] = {
    "RequestStreet": Kind.TEXT,
    "RequestCity": Kind.TEXT,
    "RequestState": Kind.TEXT,
    "RequestZip": Kind.TEXT,
    "FullAccuzipResponse": Kind.TEXT,
    "ResponseNCOA": Kind.TEXT,
}
DISTRESS: dict[str, Kind] = {
    "EstLoanToValue": Kind.NUMBER,
    "EstEquity": Kind.NUMBER,
    "LienType": Kind.TEXT,
    "BKDate": Kind.DATE,
    "DivorceDate": Kind.DATE,
    "PreFcRecordingDate": Kind.DATE,
    "Vacant": Kind.TEXT,
}

UPLOAD_COLUMNS: dict[str, Kind] = {**PROPERTY, **OWNER, **MAIL_PREP, **DISTRESS}

REQUIRED: tuple[str, ...] = (
    "LocationPrimaryId",
    "OwnerName",
    "OwnerAddress1",
    "OwnerZip",
    "LocationAddress1",
    "LocationZip",
)

# A niche list needs the parcel id, or the property address and ZIP.
NICHE_COLUMNS: dict[str, Kind] = {
    "LocationPrimaryId": Kind.TEXT,
    "LocationAddress1": Kind.TEXT,
    "LocationZip": Kind.ZIP5,
}

# The source row number (1 = first data row, header excluded + 1 -> spreadsheet row 2).
SOURCE_ROW = "_row"
