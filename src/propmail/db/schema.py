"""The legacy tables of SPEC section 4, with the exact names the production database uses.

The column lists come from the contract's table of stored columns (`propmail.contract`);
they drive the SQLAlchemy tables (SQLite, PostgreSQL), the staging tables of a load and the
column lists of the generated SQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeEngine

from propmail.contract import (
    DATE,
    FLAG,
    INT,
    LOCATION,
    LONGTEXT,
    NUMBER,
    OWNER,
    TEXT,
    TIMESTAMP,
    Field,
    stored,
)

_SA_TYPES: dict[str, TypeEngine] = {
    TEXT: String(255),
    LONGTEXT: Text(),
    FLAG: SmallInteger(),  # BIT in SQL Server
    INT: Integer(),
    NUMBER: Float(),
    # SQLite keeps a date as text: one a legacy writer left with a time
    # (`2024-01-05 00:00:00`) reads as its date, not as an error
    DATE: Date().with_variant(sqlite.DATE(regexp=r"(\d{4})-(\d{2})-(\d{2})"), "sqlite"),
    TIMESTAMP: DateTime(),
}

# Columns a load writes; InsertedDate / ModifiedDate / UpdatedDate are set by the load itself.
OWNER_FIELDS: tuple[Field, ...] = tuple(c.field for c in stored(OWNER) if not c.staged_only)
LOCATION_FIELDS: tuple[Field, ...] = tuple(c.field for c in stored(LOCATION) if not c.staged_only)
# The staged location row also names its owner by slug; OwnerId is resolved in SQL.
STAGE_LOCATION_FIELDS: tuple[Field, ...] = (
    *LOCATION_FIELDS,
    *(c.field for c in stored(LOCATION) if c.staged_only),
)
# The staged owner row also names the columns its rows could not read.
STAGE_OWNER_FIELDS: tuple[Field, ...] = (
    *OWNER_FIELDS,
    *(c.field for c in stored(OWNER) if c.staged_only),
)

AUDIT_FIELDS = ("InsertedDate", "ModifiedDate", "UpdatedDate")
REFRESH_FIELDS = ("ModifiedDate", "UpdatedDate")  # the two dates the legacy refresh sets to now

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

# The indexes under Location's foreign keys: deleting an owner or a list code checks that no
# location refers to it, a scan of Location per row deleted without them (undo of a load that
# inserted owners was quadratic). `db init` adds them to a database that lacks them: the one
# change propmail makes to a legacy table.
FOREIGN_KEY_INDEXES = (
    Index("IX_Location_OwnerId", location.c.OwnerId),
    Index("IX_Location_ListPriorityId", location.c.ListPriorityId),
)

# The load journal: propmail's own tables beside the legacy ones, which it never alters. One
# PropmailJournal row per load that can still be undone (LoadedAt is the clock the load wrote
# into InsertedDate and UpdatedDate); per row the load wrote, its key and, for a row it updated,
# every column as it was before (Inserted = 0), or only the key of a row it inserted
# (Inserted = 1), or for a row it only refreshed its ModifiedDate and UpdatedDate before
# (Inserted = 2; SQLite and PostgreSQL); the list codes it created (their RegionListFrequency
# rows are those of the ListId). A row is journaled under its natural key (Slug; RegionId and
# PrimaryId).
journal = Table(
    "PropmailJournal",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("RegionId", Integer, nullable=False),
    Column("LoadedAt", DateTime(), nullable=False),
)

journal_owner = Table(
    "PropmailJournalOwner",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("Inserted", SmallInteger, nullable=False),
    Column("OwnerId", Integer),
    *_columns(OWNER_FIELDS, Slug=Column("Slug", String(255), primary_key=True)),
    *_audit(),
)

journal_location = Table(
    "PropmailJournalLocation",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("RegionId", Integer, primary_key=True, autoincrement=False),
    Column("Inserted", SmallInteger, nullable=False),
    Column("LocationId", Integer),
    Column("OwnerId", Integer),
    Column("ListPriorityId", Integer),
    *_columns(LOCATION_FIELDS, PrimaryId=Column("PrimaryId", String(255), primary_key=True)),
    *_audit(),
)

journal_list = Table(
    "PropmailJournalList",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("ListPriorityId", Integer, primary_key=True, autoincrement=False),
)

# SQLite and PostgreSQL: the rows a load inserted (Inserted = 1: the key) or only refreshed
# (Inserted = 2: the key, the row's id and its two dates before the load), one narrow row each,
# clustered on the key in SQLite. A month's unchanged file refreshes every row of the region:
# these keep the journal of such a load a third of the size of wide before-images, which then
# hold only the rows a load rewrote (and, from earlier versions, rows of every kind).
journal_owner_key = Table(
    "PropmailJournalOwnerKey",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("Slug", String(255), primary_key=True),
    Column("Inserted", SmallInteger, nullable=False),
    Column("OwnerId", Integer),
    *(Column(name, DateTime()) for name in REFRESH_FIELDS),
    sqlite_with_rowid=False,
)

journal_location_key = Table(
    "PropmailJournalLocationKey",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("RegionId", Integer, primary_key=True, autoincrement=False),
    Column("PrimaryId", String(255), primary_key=True),
    Column("Inserted", SmallInteger, nullable=False),
    Column("LocationId", Integer),
    *(Column(name, DateTime()) for name in REFRESH_FIELDS),
    sqlite_with_rowid=False,
)

# rows first, the load's own row last (the order in which a load's journal is dropped)
KEY_JOURNAL_TABLES = (journal_owner_key, journal_location_key)  # SQLite and PostgreSQL only
JOURNAL_TABLES = (
    journal_owner,
    journal_owner_key,
    journal_location,
    journal_location_key,
    journal_list,
    journal,
)


# What each load was made of (`propmail.inputs.Inputs.content_hash`): a propmail table beside
# the legacy ones. One row per load that ran (IdenticalTo null) and per upload recognised as
# identical to the region's last load, which loaded nothing (IdenticalTo: that load's id).
upload_content = Table(
    "PropmailUploadContent",
    metadata,
    Column("UploadLogId", Integer, primary_key=True, autoincrement=False),
    Column("RegionId", Integer, nullable=False),
    Column("ContentHash", String(64), nullable=False),
    Column("LoadedAt", DateTime(), nullable=False),  # the load's clock
    Column("IdenticalTo", Integer),
)
OWN_TABLES = (upload_content,)  # propmail's tables that are neither legacy nor the journal


class State:
    """UploadLog.ProcessingState values, as the legacy procedure writes them."""

    RECEIVED = 7
    MERGING_OWNERS = 8
    MERGING_LOCATIONS = 9
    FINAL_UPDATES = 10
    DONE = 3
    FAILED = 4
    UNDONE = 11  # propmail's own: `propmail undo` put back what the load changed
    UNDER_WAY = (RECEIVED, MERGING_OWNERS, MERGING_LOCATIONS, FINAL_UPDATES)


# -- the mail drop (SPEC section 8, docs/drop.md): propmail's own tables beside the legacy ones.
# A drop is planned (its pieces chosen), then committed (its touches count for the cadence) or
# cancelled (its pieces deleted, the row kept with its state). Pieces name their location and
# owner by id only (no foreign key to them: a load's undo may delete a location a cancelled
# drop once chose); the suppression list names a parcel, an owner slug or a mailing address.

mail_drop = Table(
    "MailDrop",
    metadata,
    Column("DropId", Integer, primary_key=True),
    Column("RegionId", Integer, nullable=False),
    Column("DropDate", Date(), nullable=False),
    Column("State", String(16), nullable=False),  # planned / committed / cancelled
    Column("Pieces", Integer, nullable=False),
    Column("CreatedDate", DateTime(), nullable=False),
    Column("CommittedDate", DateTime()),
    Column("Settings", Text()),  # JSON: the settings and counts the plan was made with
)

mail_piece = Table(
    "MailPiece",
    metadata,
    Column("PieceId", Integer, primary_key=True),
    Column("DropId", Integer, ForeignKey("MailDrop.DropId"), nullable=False, index=True),
    Column("OwnerId", Integer),
    Column("LocationId", Integer, nullable=False, index=True),
    Column("ListPriorityId", Integer),
    Column("TouchNumber", Integer, nullable=False),
)

suppression = Table(
    "Suppression",
    metadata,
    Column("SuppressionId", Integer, primary_key=True),
    Column("KeyKind", String(16), nullable=False),  # parcel / owner_slug / mailing_address
    Column("KeyValue", String(450), nullable=False),
    Column("Reason", String(255), nullable=False),
    Column("SourceFile", String(1024)),
    Column("AddedDate", DateTime(), nullable=False),
    Column("ExpiresDate", Date()),
    UniqueConstraint("KeyKind", "KeyValue", name="UQ_Suppression_Key"),
)

DROP_TABLES = (mail_drop, mail_piece, suppression)


class DropState:
    """MailDrop.State values."""

    PLANNED = "planned"
    COMMITTED = "committed"
    CANCELLED = "cancelled"


# -- the batch ledger: one row per manifest job, so a batch is idempotent and resumable -------
# Its own metadata: `create_schema` and `has_schema` stay about the legacy tables.

ledger_metadata = MetaData()

batch_job = Table(
    "PropmailBatchJob",
    ledger_metadata,
    Column("JobKey", String(450), primary_key=True),
    Column("RegionId", Integer, nullable=False),
    Column("ContentHash", String(64), nullable=False),
    Column("UploadLogId", Integer),
    Column("State", String(16), nullable=False),
    Column("Attempts", Integer, nullable=False),
    Column("Error", Text()),
    Column("UpdatedAt", DateTime()),
    Column("Month", String(7)),  # YYYY-MM of the job's manifest or Dagster partition, if named
    Column("ClaimedBy", String(200)),  # who holds or last held the job: batch host/pid, Dagster run
)
