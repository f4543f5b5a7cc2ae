"""The legacy tables of SPEC section 4, with the exact names the production database uses.

One column list per table drives the SQLAlchemy tables (SQLite, PostgreSQL), the staging
tables of a load and the column lists of the generated SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

TEXT, FLAG, INT, NUMBER, DATE, TIMESTAMP, LONGTEXT = (
    "text",
    "flag",
    "int",
    "number",
    "date",
    "timestamp",
    "longtext",
)

_SA_TYPES: dict[str, TypeEngine] = {
    TEXT: String(255),
    LONGTEXT: Text(),
    FLAG: SmallInteger(),  # BIT in SQL Server
    INT: Integer(),
    NUMBER: Float(),
    DATE: Date(),
    TIMESTAMP: DateTime(),
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str


# Columns a load writes; InsertedDate / ModifiedDate / UpdatedDate are set by the load itself.
OWNER_FIELDS: tuple[Field, ...] = (
    Field("Slug", TEXT),
    Field("Name", TEXT),
    Field("FirstName", TEXT),
    Field("LastName", TEXT),
    Field("Address1", TEXT),
    Field("Address2", TEXT),
    Field("City", TEXT),
    Field("State", TEXT),
    Field("Zip", TEXT),
    Field("FullAddress", LONGTEXT),
    Field("IsBusiness", FLAG),
    Field("AlternateName", TEXT),
    Field("DoNotMail", TEXT),
    Field("MailingZip4", TEXT),
    Field("MailingCounty", TEXT),
    Field("AccuzipRequest", LONGTEXT),
    Field("AccuzipResponse", LONGTEXT),
)

LOCATION_FIELDS: tuple[Field, ...] = (
    Field("PrimaryId", TEXT),
    Field("PriorityCode", TEXT),
    Field("IsOwnerOccupied", FLAG),
    Field("IsTrust", FLAG),
    Field("IsChurch", FLAG),
    Field("IsBusiness", FLAG),
    Field("OwnerGrantorMatch", FLAG),
    Field("Address1", TEXT),
    Field("City", TEXT),
    Field("State", TEXT),
    Field("Zip", TEXT),
    Field("County", TEXT),
    Field("Neighborhood", TEXT),
    Field("Acres", NUMBER),
    Field("SellDate", DATE),
    Field("SellAmount", NUMBER),
    Field("Grantor", TEXT),
    Field("EstLoanToValue", NUMBER),
    Field("EstEquity", NUMBER),
    Field("LienType", TEXT),
    Field("BKDate", DATE),
    Field("DivorceDate", DATE),
    Field("PreFcRecordingDate", DATE),
    Field("Vacant", TEXT),
    Field("ResponseNCOA", TEXT),
)

# The staged location row also names its owner by slug; OwnerId is resolved in SQL.
STAGE_LOCATION_FIELDS: tuple[Field, ...] = (*LOCATION_FIELDS, Field("OwnerSlug", TEXT))

AUDIT_FIELDS = ("InsertedDate", "ModifiedDate", "UpdatedDate")

metadata = MetaData()


def _columns(fields: tuple[Field, ...], **overrides: Column) -> list[Column]:
    cols = []
    for f in fields:
        cols.append(overrides.get(f.name, Column(f.name, _SA_TYPES[f.kind])))
    return cols


def _audit() -> list[Column]:
    return [Column(name, DateTime()) for name in AUDIT_FIELDS]


region = Table(
    "Region",
    metadata,
    Column("RegionId", Integer, primary_key=True, autoincrement=False),
    Column("Name", String(255)),
)

list_priority = Table(
    "ListPriority",
    metadata,
    Column("ListPriorityId", Integer, primary_key=True),
    Column("Code", String(255), nullable=False, unique=True),
    Column("Name", String(255)),
    Column("PriorityLevel", Integer),
    Column("ProcessingOrder", Integer),
    Column("IsAbsentee", Integer),
)

region_list_frequency = Table(
    "RegionListFrequency",
    metadata,
    Column("RegionListFrequencyId", Integer, primary_key=True),
    Column("Frequency", Integer),
    Column("ListId", Integer, ForeignKey("ListPriority.ListPriorityId"), nullable=False),
    Column("RegionId", Integer, ForeignKey("Region.RegionId"), nullable=False),
    Column("DividedBy", Integer),
)

owner = Table(
    "Owner",
    metadata,
    Column("OwnerId", Integer, primary_key=True),
    *_columns(OWNER_FIELDS, Slug=Column("Slug", String(255), nullable=False, unique=True)),
    *_audit(),
)

location = Table(
    "Location",
    metadata,
    Column("LocationId", Integer, primary_key=True),
    Column("RegionId", Integer, ForeignKey("Region.RegionId"), nullable=False),
    Column("OwnerId", Integer, ForeignKey("Owner.OwnerId")),
    Column("ListPriorityId", Integer, ForeignKey("ListPriority.ListPriorityId")),
    *_columns(LOCATION_FIELDS, PrimaryId=Column("PrimaryId", String(255), nullable=False)),
    *_audit(),
    UniqueConstraint("PrimaryId", "RegionId", name="UQ_Location_PrimaryId_RegionId"),
)

upload_log = Table(
    "UploadLog",
    metadata,
    Column("UploadLogId", Integer, primary_key=True),
    Column("RegionId", Integer),
    Column("FileName", String(1024)),
    Column("ProcessingState", Integer),
    Column("RowsProcessed", Integer),
    Column("ProcessingStarted", DateTime()),
    Column("ProcessingEnded", DateTime()),
    Column("ErrorMessage", Text()),
)

TABLES = (region, list_priority, region_list_frequency, owner, location, upload_log)


class State:
    """UploadLog.ProcessingState values, as the legacy procedure writes them."""

    RECEIVED = 7
    MERGING_OWNERS = 8
    MERGING_LOCATIONS = 9
    FINAL_UPDATES = 10
    DONE = 3
    FAILED = 4
