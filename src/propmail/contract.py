"""Every column of the product once: what the upload holds (SPEC 2), what the pipeline derives
(SPEC 3) and what a load stores (SPEC 4).

Three tables. UPLOAD lists each canonical upload column, the kind it is read as, and whether a
file must have it. DERIVED lists each field the pipeline adds to the upload's rows, in SPEC
order: the rule that adds it and its kind; every list of derived fields or flags is taken from
it (`FLAGS`, `COUNTED`, `added_by`). STORED lists each column a load writes into Owner or
Location: its storage kind and its source, the processed column that fills it (an upload column
copied as it is, or a derived field). The reader, the rules, the pipeline, the database schema,
the report, parity and explain take their column lists from here; the shipped T-SQL restates
them by hand, checked by its tests.

>>> UPLOAD_COLUMNS["LocationZip"], "LocationZip" in REQUIRED
(<Kind.ZIP5: 'zip5'>, True)
>>> [(c.table, c.name) for c in STORED if c.source == "LocationCounty"]
[('Owner', 'MailingCounty'), ('Location', 'County')]
>>> [(c.name, c.source) for c in STORED if c.table == LOCATION and c.derived][:3]
[('OwnerSlug', 'OwnerSlug'), ('PriorityCode', 'ListCode'), ('IsOwnerOccupied', 'IsOwnerOccupied')]
>>> added_by("priority"), FLAGS[:2]
(('BasePriorityCode', 'IsAbsentee'), ('IsTrust', 'IsChurch'))
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How an upload column is read."""

    TEXT = "text"  # kept exactly as text: identifiers, names, codes
    ZIP5 = "zip5"  # text, padded back to five digits when it arrives as a number
    ZIP4 = "zip4"  # text, four digits
    DATE = "date"  # ISO, m/d/yyyy or an Excel serial number
    NUMBER = "number"  # 45%, $120,000, blanks; unparseable -> null and counted


# Storage kinds: how a stored column is typed on every backend (db/schema.py, the T-SQL).
TEXT = "text"  # VARCHAR(255) / NVARCHAR(255)
LONGTEXT = "longtext"  # TEXT / NVARCHAR(MAX)
FLAG = "flag"  # SMALLINT / BIT
INT = "int"
INT_MAX = 2**31 - 1  # the largest value an INT column (RegionId, UploadLogId) holds
NUMBER = "number"  # FLOAT
DATE = "date"
TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class UploadColumn:
    """A canonical column of the upload file."""

    name: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True)
class Field:
    """A database column a load writes, and its storage kind."""

    name: str
    kind: str


OWNER, LOCATION = "Owner", "Location"

# Per upload row, the upload columns whose cell could not be read (unparseable, or an Excel
# error cell), each between bars (`|BKDate|LocationAcres|`); null where every cell was read.
KEEP_STORED = "KeepStored"


@dataclass(frozen=True)
class Derived:
    """A field the pipeline adds to every upload row (SPEC 3; SPEC 4's joined columns)."""

    name: str  # the processed column
    rule: str  # what adds it: a module of propmail.rules, or the pipeline itself
    kind: str  # FLAG (a Boolean), INT or TEXT, as the storage kinds name them


@dataclass(frozen=True)
class Stored:
    """A column of the owner or location rows a load sends to the database."""

    table: str  # OWNER or LOCATION
    name: str  # spelled as the production database spells it
    kind: str  # a storage kind
    source: str  # the processed column that fills it
    staged_only: bool = False  # sent with the row for the load to resolve; not a table column

    @property
    def field(self) -> Field:
        return Field(self.name, self.kind)

    @property
    def derived(self) -> bool:
        """Filled by a derived field (SPEC 3), not copied from an upload column."""
        return self.source not in UPLOAD_COLUMNS


# fmt: off
UPLOAD: tuple[UploadColumn, ...] = (
    # property
    UploadColumn("LocationPrimaryId",    Kind.TEXT,   required=True),
    UploadColumn("LocationAddress1",     Kind.TEXT,   required=True),
    UploadColumn("LocationCity",         Kind.TEXT),
    UploadColumn("LocationState",        Kind.TEXT),
    UploadColumn("LocationZip",          Kind.ZIP5,   required=True),
    UploadColumn("LocationCounty",       Kind.TEXT),
    UploadColumn("LocationNeighborhood", Kind.TEXT),
    UploadColumn("LocationAcres",        Kind.NUMBER),
    UploadColumn("LocationSellDate",     Kind.DATE),
    UploadColumn("LocationSellAmount",   Kind.NUMBER),
    UploadColumn("LocationGrantor",      Kind.TEXT),
    # owner
    UploadColumn("OwnerName",            Kind.TEXT,   required=True),
    UploadColumn("OwnerName2",           Kind.TEXT),  # a second owner line, as counties give it
    UploadColumn("OwnerFirstName",       Kind.TEXT),
    UploadColumn("OwnerLastName",        Kind.TEXT),
    UploadColumn("OwnerAddress1",        Kind.TEXT,   required=True),
    UploadColumn("OwnerAddress2",        Kind.TEXT),
    UploadColumn("OwnerCity",            Kind.TEXT),
    UploadColumn("OwnerState",           Kind.TEXT),
    UploadColumn("OwnerZip",             Kind.ZIP5,   required=True),
    UploadColumn("OwnerMailingZip4",     Kind.ZIP4),
    UploadColumn("DoNotMail",            Kind.TEXT),
    # mail prep (AccuZip)
    UploadColumn("RequestStreet",        Kind.TEXT),
    UploadColumn("RequestCity",          Kind.TEXT),
    UploadColumn("RequestState",         Kind.TEXT),
    UploadColumn("RequestZip",           Kind.TEXT),
    UploadColumn("FullAccuzipResponse",  Kind.TEXT),
    UploadColumn("ResponseNCOA",         Kind.TEXT),
    # distress
    UploadColumn("EstLoanToValue",       Kind.NUMBER),
    UploadColumn("EstEquity",            Kind.NUMBER),
    UploadColumn("LienType",             Kind.TEXT),
    UploadColumn("BKDate",               Kind.DATE),
    UploadColumn("DivorceDate",          Kind.DATE),
    UploadColumn("PreFcRecordingDate",   Kind.DATE),
    UploadColumn("Vacant",               Kind.TEXT),
)

# In SPEC order, the order the pipeline adds them in.
DERIVED: tuple[Derived, ...] = (
    Derived("IsTrust",           "classification", FLAG),   # 3.1
    Derived("IsChurch",          "classification", FLAG),
    Derived("IsBusiness",        "classification", FLAG),
    Derived("IsEstate",          "classification", FLAG),
    Derived("IsGovernment",      "classification", FLAG),
    Derived("IsOwnerOccupied",   "occupancy",      FLAG),   # 3.2
    Derived("OwnerGrantorMatch", "grantor",        FLAG),   # 3.3
    Derived("AlternateName",     "names",          TEXT),   # 3.4
    Derived("NameConfidence",    "names",          TEXT),   # how sure the envelope name is
    Derived("NameEvidence",      "names",          TEXT),   # what it rests on, in words
    Derived("BasePriorityCode",  "priority",       TEXT),   # 3.5
    Derived("IsAbsentee",        "priority",       INT),    # 0 or 1
    Derived("EnhancedCode",      "codes",          TEXT),   # 3.6
    Derived("ListCode",          "niche",          TEXT),   # 3.7
    Derived("OwnerSlug",         "slug",           TEXT),   # 3.9
    Derived("AccuzipRequest",    "pipeline",       LONGTEXT),  # the Request* columns joined
    Derived("FullAddress",       "pipeline",       LONGTEXT),  # SPEC 4, made per owner
)

# In each table's column order. A source that is no upload column is a DERIVED field.
STORED: tuple[Stored, ...] = (
    Stored(OWNER,    "Slug",               TEXT,     "OwnerSlug"),            # 3.9, the key
    Stored(OWNER,    "Name",               TEXT,     "OwnerName"),
    Stored(OWNER,    "FirstName",          TEXT,     "OwnerFirstName"),
    Stored(OWNER,    "LastName",           TEXT,     "OwnerLastName"),
    Stored(OWNER,    "Address1",           TEXT,     "OwnerAddress1"),
    Stored(OWNER,    "Address2",           TEXT,     "OwnerAddress2"),
    Stored(OWNER,    "City",               TEXT,     "OwnerCity"),
    Stored(OWNER,    "State",              TEXT,     "OwnerState"),
    Stored(OWNER,    "Zip",                TEXT,     "OwnerZip"),
    Stored(OWNER,    "FullAddress",        LONGTEXT, "FullAddress"),          # SPEC 4, per owner
    Stored(OWNER,    "IsBusiness",         FLAG,     "IsBusiness"),           # 3.1
    Stored(OWNER,    "AlternateName",      TEXT,     "AlternateName"),        # 3.4
    Stored(OWNER,    "DoNotMail",          TEXT,     "DoNotMail"),
    Stored(OWNER,    "MailingZip4",        TEXT,     "OwnerMailingZip4"),
    Stored(OWNER,    "MailingCounty",      TEXT,     "LocationCounty"),
    Stored(OWNER,    "AccuzipRequest",     LONGTEXT, "AccuzipRequest"),       # Request* joined
    Stored(OWNER,    "AccuzipResponse",    LONGTEXT, "FullAccuzipResponse"),
    # the owner's columns that none of its rows could read (`|OwnerCity|`): a stored owner
    # keeps its value in each
    Stored(OWNER,    "KeepStored",         LONGTEXT, KEEP_STORED,           staged_only=True),

    Stored(LOCATION, "PrimaryId",          TEXT,     "LocationPrimaryId"),
    # the location's owner: the load resolves Location.OwnerId from it
    Stored(LOCATION, "OwnerSlug",          TEXT,     "OwnerSlug",           staged_only=True),
    Stored(LOCATION, "PriorityCode",       TEXT,     "ListCode"),             # 3.7
    Stored(LOCATION, "IsOwnerOccupied",    FLAG,     "IsOwnerOccupied"),      # 3.2
    Stored(LOCATION, "IsTrust",            FLAG,     "IsTrust"),              # 3.1
    Stored(LOCATION, "IsChurch",           FLAG,     "IsChurch"),             # 3.1
    Stored(LOCATION, "IsBusiness",         FLAG,     "IsBusiness"),           # 3.1
    Stored(LOCATION, "OwnerGrantorMatch",  FLAG,     "OwnerGrantorMatch"),    # 3.3
    Stored(LOCATION, "Address1",           TEXT,     "LocationAddress1"),
    Stored(LOCATION, "City",               TEXT,     "LocationCity"),
    Stored(LOCATION, "State",              TEXT,     "LocationState"),
    Stored(LOCATION, "Zip",                TEXT,     "LocationZip"),
    Stored(LOCATION, "County",             TEXT,     "LocationCounty"),
    Stored(LOCATION, "Neighborhood",       TEXT,     "LocationNeighborhood"),
    Stored(LOCATION, "Acres",              NUMBER,   "LocationAcres"),
    Stored(LOCATION, "SellDate",           DATE,     "LocationSellDate"),
    Stored(LOCATION, "SellAmount",         NUMBER,   "LocationSellAmount"),
    Stored(LOCATION, "Grantor",            TEXT,     "LocationGrantor"),
    Stored(LOCATION, "EstLoanToValue",     NUMBER,   "EstLoanToValue"),
    Stored(LOCATION, "EstEquity",          NUMBER,   "EstEquity"),
    Stored(LOCATION, "LienType",           TEXT,     "LienType"),
    Stored(LOCATION, "BKDate",             DATE,     "BKDate"),
    Stored(LOCATION, "DivorceDate",        DATE,     "DivorceDate"),
    Stored(LOCATION, "PreFcRecordingDate", DATE,     "PreFcRecordingDate"),
    Stored(LOCATION, "Vacant",             TEXT,     "Vacant"),
    Stored(LOCATION, "ResponseNCOA",       TEXT,     "ResponseNCOA"),
    # the row's cells that could not be read (`|BKDate|LocationAcres|`): a matched location
    # keeps its stored value in each column they fill
    Stored(LOCATION, "KeepStored",         LONGTEXT, KEEP_STORED,           staged_only=True),
)
# fmt: on


UPLOAD_COLUMNS: dict[str, Kind] = {c.name: c.kind for c in UPLOAD}
REQUIRED: tuple[str, ...] = tuple(c.name for c in UPLOAD if c.required)


# The derived flags, and what a report counts over the rows (the flags and the 0/1 IsAbsentee).
FLAGS: tuple[str, ...] = tuple(d.name for d in DERIVED if d.kind == FLAG)
COUNTED: tuple[str, ...] = tuple(d.name for d in DERIVED if d.kind in (FLAG, INT))


def added_by(rule: str) -> tuple[str, ...]:
    """The fields a rule adds (its module's name: ``classification``), in SPEC order."""
    return tuple(d.name for d in DERIVED if d.rule == rule)


def stored(table: str) -> tuple[Stored, ...]:
    """The columns a load sends for one table, in its column order."""
    return tuple(c for c in STORED if c.table == table)


def kept(table: str) -> dict[str, str]:
    """The columns of `table` copied from an upload column, but its key (stored column ->
    upload column): a stored row keeps its value in each whose cell could not be read."""
    keys = ("PrimaryId", "Slug")
    return {
        c.name: c.source
        for c in stored(table)
        if not c.staged_only and c.source in UPLOAD_COLUMNS and c.name not in keys
    }


# A niche list needs the parcel id, or the property address and ZIP.
NICHE_COLUMNS: dict[str, Kind] = {
    c: UPLOAD_COLUMNS[c] for c in ("LocationPrimaryId", "LocationAddress1", "LocationZip")
}

# The source row number (1 = first data row, header excluded + 1 -> spreadsheet row 2).
SOURCE_ROW = "_row"
