"""The T-SQL propmail sends to SQL Server: the installed scripts and the statements of a load.

Everything here is text produced without a connection, so the tests parse all of it with
sqlglot's T-SQL grammar. Parameters are positional (``?``), the style of both drivers.
"""

from __future__ import annotations

import re
from importlib import resources

# Install order: tables first, then the procedures that the later ones call.
SCRIPTS: tuple[str, ...] = (
    "schema.sql",
    "MailDrop.sql",
    "PropmailStageJson.sql",
    "PropmailEnsureListCodes.sql",
    "PropmailGetOrCreateListCodes.sql",
    "PropmailEnsureRegion.sql",
    "ProcessPythonEnhancedData.sql",
    "PropmailUndoLoad.sql",
    "PropmailBatchJob.sql",
)

TABLES = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location", "UploadLog")
JOURNAL_TABLES = (
    "PropmailJournal",
    "PropmailJournalOwner",
    "PropmailJournalLocation",
    "PropmailJournalList",
)
OWN_TABLES = ("PropmailUploadContent",)
STAGE_OWNER = "dbo.PropmailStageOwner"
STAGE_LOCATION = "dbo.PropmailStageLocation"
STAGE_TABLES = (STAGE_OWNER, STAGE_LOCATION)
PROCEDURES = (
    "PropmailStageJson",
    "PropmailEnsureListCodes",
    "PropmailGetOrCreateListCodes",
    "PropmailEnsureRegion",
    "ProcessPythonEnhancedData",
    "PropmailUndoLoad",
)

_GO = re.compile(r"^[ \t]*GO[ \t]*(?:--[^\n]*)?$", re.IGNORECASE | re.MULTILINE)


def script_text(name: str) -> str:
    return resources.files("propmail.db.mssql").joinpath(name).read_text(encoding="utf-8")


def split_batches(text: str) -> list[str]:
    """A script split on its ``GO`` lines (a client-side separator, not T-SQL)."""
    return [b.strip() for b in _GO.split(text) if b.strip() and not _only_comments(b)]


def _only_comments(batch: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in batch.splitlines())


def install_batches() -> list[tuple[str, str]]:
    """(script name, batch) for everything `propmail db init` installs, in order."""
    return [(name, batch) for name in SCRIPTS for batch in split_batches(script_text(name))]


# -- statements of a load ------------------------------------------------------------------

# Objects a complete install has; an empty result means the schema is there.
MISSING_OBJECTS = (
    "SELECT v.name FROM (VALUES "
    + ", ".join(f"(N'dbo.{t}', N'U')" for t in (*TABLES, *JOURNAL_TABLES, *OWN_TABLES))
    + ", "
    + ", ".join(f"(N'{t}', N'U')" for t in STAGE_TABLES)
    + ", "
    + ", ".join(f"(N'dbo.{p}', N'P')" for p in PROCEDURES)
    + ") AS v(name, kind) WHERE OBJECT_ID(v.name, v.kind) IS NULL"
)

# The indexes under Location's foreign keys that an existing Location lacks (schema.sql adds
# them): (index, column).
FOREIGN_KEY_INDEXES = (
    ("IX_Location_OwnerId", "OwnerId"),
    ("IX_Location_ListPriorityId", "ListPriorityId"),
)
MISSING_INDEXES = (
    "SELECT v.name, v.col FROM (VALUES "
    + ", ".join(f"(N'{name}', N'{col}')" for name, col in FOREIGN_KEY_INDEXES)
    + ") AS v(name, col) WHERE OBJECT_ID(N'dbo.Location', N'U') IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM sys.indexes AS i "
    "JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id "
    "JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id "
    "WHERE i.object_id = OBJECT_ID(N'dbo.Location') AND ic.key_ordinal = 1 AND c.name = v.col)"
)

SERVER_INFO = (
    "SELECT @@VERSION, CAST(SERVERPROPERTY('ProductVersion') AS NVARCHAR(128)), "
    "DB_NAME(), (SELECT d.compatibility_level FROM sys.databases AS d WHERE d.name = DB_NAME())"
)

# The guide's connection test: OPENJSON must work (SQL Server 2016+, compatibility level 130+).
OPENJSON_PROBE = (
    "SELECT j.name, j.value FROM OPENJSON(?) "
    "WITH (name NVARCHAR(50) '$.name', value INT '$.value') AS j"
)
OPENJSON_PROBE_PAYLOAD = '[{"name":"test","value":123}]'

SESSION_ID = "SELECT @@SPID"

REGION_EXISTS = "SELECT COUNT(*) FROM dbo.Region WHERE RegionId = ?"

REGIONS = "SELECT RegionId, Name FROM dbo.Region;"

ENSURE_REGION = (
    "EXEC dbo.PropmailEnsureRegion @regionId = ?, @name = ?, @frequency = ?, @dividedBy = ?"
)

# SCOPE_IDENTITY rather than OUTPUT: a legacy UploadLog may have triggers, and an OUTPUT
# without INTO is refused on a table with triggers (error 334).
OPEN_UPLOAD_LOG = (
    "SET NOCOUNT ON; "
    "INSERT INTO dbo.UploadLog (RegionId, FileName, ProcessingState, ProcessingStarted) "
    "VALUES (?, ?, 7, COALESCE(?, GETDATE())); "
    "SELECT CAST(SCOPE_IDENTITY() AS INT);"
)


# A failure the procedure could not record itself (staging, a lost connection): never
# overwrites a load that committed (3) or the procedure's own message (4).
FAIL_UPLOAD_LOG = (
    "UPDATE dbo.UploadLog SET ProcessingState = 4, ErrorMessage = ?, "
    "ProcessingEnded = GETDATE() WHERE UploadLogId = ? AND ProcessingState NOT IN (3, 4)"
)

# An upload identical to the region's last load (`propmail.db.sql.log`, the same statements
# for the other backends): that load, the rows that changed the region since, the record.
LAST_LOAD = (
    "SELECT TOP (1) c.UploadLogId, c.ContentHash, c.LoadedAt, u.RowsProcessed "
    "FROM dbo.PropmailUploadContent AS c "
    "JOIN dbo.UploadLog AS u ON u.UploadLogId = c.UploadLogId "
    "WHERE c.RegionId = ? AND c.IdenticalTo IS NULL AND u.ProcessingState = 3 "
    "ORDER BY c.UploadLogId DESC"
)
CHANGES_SINCE = (
    "SELECT COUNT(*) FROM dbo.UploadLog AS u "
    "WHERE u.RegionId = ? AND u.UploadLogId > ? AND u.ProcessingState <> 4 "
    "AND NOT EXISTS (SELECT 1 FROM dbo.PropmailUploadContent AS c "
    "WHERE c.UploadLogId = u.UploadLogId AND c.IdenticalTo IS NOT NULL)"
)
RECORD_CONTENT = (
    "INSERT INTO dbo.PropmailUploadContent "
    "(UploadLogId, RegionId, ContentHash, LoadedAt, IdenticalTo) VALUES (?, ?, ?, ?, ?)"
)
RECORD_IDENTICAL = (
    "SET XACT_ABORT ON; BEGIN TRANSACTION; "
    "UPDATE dbo.UploadLog SET ProcessingState = 3, RowsProcessed = ?, ErrorMessage = ?, "
    "ProcessingEnded = COALESCE(?, GETDATE()) WHERE UploadLogId = ?; "
    f"{RECORD_CONTENT}; "
    "COMMIT TRANSACTION;"
)

UPLOAD_LOG_ROW = (
    "SELECT UploadLogId, RegionId, FileName, ProcessingState, RowsProcessed, "
    "ProcessingStarted, ProcessingEnded, ErrorMessage FROM dbo.UploadLog WHERE UploadLogId = ?"
)

TABLE_COUNTS = "SELECT " + ", ".join(f"(SELECT COUNT_BIG(*) FROM dbo.{t})" for t in TABLES)

CLEAR_STAGE = tuple(f"DELETE FROM {t} WHERE UploadLogId = ?" for t in STAGE_TABLES)

STAGE_JSON = (
    "EXEC dbo.PropmailStageJson @uploadLogId = ?, @OwnersJson = ?, @LocationsJson = ?, "
    "@firstRow = ?"
)

GET_OR_CREATE_CODES = (
    "EXEC dbo.PropmailGetOrCreateListCodes @CodesJson = ?, @priorityLevel = ?, "
    "@processingOrder = ?, @isAbsentee = ?, @frequency = ?, @dividedBy = ?, @lockTimeoutMs = ?"
)

# Parameters of the merge after @uploadLogId and @regionId, in the order `process_upload` binds.
PROCESS_PARAMETERS = (
    "updateWindowMonths",
    "priorityLevel",
    "processingOrder",
    "isAbsentee",
    "frequency",
    "dividedBy",
    "lockTimeoutMs",
    "dryRun",
    "journal",
    "keepLoads",
)


# The one row ProcessPythonEnhancedData returns, column by column.
PROCESS_RESULT = (
    "UploadLogId",
    "RowsProcessed",
    "OwnersStaged",
    "OwnersInserted",
    "OwnersUpdated",
    "OwnersUnchanged",
    "LocationsInserted",
    "LocationsUpdated",
    "LocationsUnchanged",
    "LocationsFrozen",
    "NewCodes",
    "ProcessingState",
    "CellsKept",
)


UNDO_LOAD = "EXEC dbo.PropmailUndoLoad @uploadLogId = ?, @lockTimeoutMs = ?, @dryRun = ?"

# `undo --cascade`: the journaled loads after ? (oldest first), and how many rows the later
# load ? journaled of the earlier load ? (owners by Slug, locations by RegionId and PrimaryId),
# the statements of `propmail.db.journal` over the same tables.
LATER_LOADS = (
    "SELECT UploadLogId, RegionId FROM dbo.PropmailJournal WHERE UploadLogId > ? "
    "ORDER BY UploadLogId"
)
JOURNAL_OVERLAP = (
    "SELECT (SELECT COUNT(*) FROM dbo.PropmailJournalOwner AS a "
    "JOIN dbo.PropmailJournalOwner AS b ON b.UploadLogId = ? AND b.Slug = a.Slug "
    "WHERE a.UploadLogId = ?) + (SELECT COUNT(*) FROM dbo.PropmailJournalLocation AS a "
    "JOIN dbo.PropmailJournalLocation AS b ON b.UploadLogId = ? AND b.RegionId = a.RegionId "
    "AND b.PrimaryId = a.PrimaryId WHERE a.UploadLogId = ?)"
)
JOURNALED_REGION = "SELECT RegionId FROM dbo.PropmailJournal WHERE UploadLogId = ?"
# Every PropmailUndoLoad of a cascade runs inside this one transaction: its own BEGIN and
# COMMIT only nest, the region locks it takes are held to the end, and an error in any of them
# rolls back all (XACT_ABORT, and its CATCH's ROLLBACK).
UNDO_CASCADE_BEGIN = "SET XACT_ABORT ON; BEGIN TRANSACTION;"
UNDO_CASCADE_COMMIT = "COMMIT TRANSACTION;"
UNDO_CASCADE_ROLLBACK = "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;"

# The one row PropmailUndoLoad returns, column by column (the fields of `Undone`).
UNDO_RESULT = (
    "UploadLogId",
    "RegionId",
    "OwnersRestored",
    "OwnersDeleted",
    "LocationsRestored",
    "LocationsDeleted",
    "FrequenciesDeleted",
    "CodesDeleted",
)

# The loads that can be undone, newest first, with what their journal holds.
JOURNALED_LOADS = (
    "SELECT j.UploadLogId, j.RegionId, j.LoadedAt, u.FileName, "
    + ", ".join(
        f"(SELECT COUNT(*) FROM dbo.{t} AS x WHERE x.UploadLogId = j.UploadLogId{w})"
        for t, w in (
            ("PropmailJournalOwner", " AND x.Inserted = 0"),
            ("PropmailJournalOwner", " AND x.Inserted = 1"),
            ("PropmailJournalLocation", " AND x.Inserted = 0"),
            ("PropmailJournalLocation", " AND x.Inserted = 1"),
            ("PropmailJournalList", ""),
        )
    )
    + " FROM dbo.PropmailJournal AS j LEFT JOIN dbo.UploadLog AS u "
    "ON u.UploadLogId = j.UploadLogId WHERE ? IS NULL OR j.RegionId = ? ORDER BY j.UploadLogId DESC"
)

# Drop the journal of every load older than the ? newest of its region, its own row last.
_OLDER = (
    "(SELECT COUNT(*) FROM dbo.PropmailJournal AS b "
    "WHERE b.RegionId = a.RegionId AND b.UploadLogId > a.UploadLogId) >= ?"
)
PRUNE_JOURNAL = (
    *(
        f"DELETE x FROM dbo.{t} AS x JOIN dbo.PropmailJournal AS a "
        f"ON a.UploadLogId = x.UploadLogId WHERE {_OLDER}"
        for t in JOURNAL_TABLES[1:]
    ),
    f"DELETE a FROM dbo.PropmailJournal AS a WHERE {_OLDER}",
)


# The region lock of a load, held by another connection's transaction until it ends.
HOLD_REGION_LOCK = (
    "EXEC sys.sp_getapplock @Resource = ?, @LockMode = N'Exclusive', "
    "@LockOwner = N'Transaction', @LockTimeout = -1"
)


def region_lock_resource(region_id: int) -> str:
    """The sp_getapplock resource ProcessPythonEnhancedData holds while it loads a region."""
    return f"propmail:region:{int(region_id)}"


def process_upload(client_clock: bool) -> str:
    """EXEC of the merge over staged rows; ``@now`` is bound only when propmail's clock rules.

    With the server's clock (the default) the procedure uses GETDATE(), the clock the legacy
    rows were written with, so the 6-month window and "touched today" mean the same thing.
    """
    now = "?" if client_clock else "NULL"
    named = ", ".join(f"@{p} = ?" for p in PROCESS_PARAMETERS)
    return (
        "EXEC dbo.ProcessPythonEnhancedData @uploadLogId = ?, @regionId = ?, "
        f"@OwnersJson = NULL, @LocationsJson = NULL, @now = {now}, {named}"
    )


def statements() -> dict[str, str]:
    """Every statement this module sends, by name."""
    return {
        "MISSING_OBJECTS": MISSING_OBJECTS,
        "MISSING_INDEXES": MISSING_INDEXES,
        "SERVER_INFO": SERVER_INFO,
        "OPENJSON_PROBE": OPENJSON_PROBE,
        "SESSION_ID": SESSION_ID,
        "REGION_EXISTS": REGION_EXISTS,
        "ENSURE_REGION": ENSURE_REGION,
        "REGIONS": REGIONS,
        "OPEN_UPLOAD_LOG": OPEN_UPLOAD_LOG,
        "FAIL_UPLOAD_LOG": FAIL_UPLOAD_LOG,
        "UPLOAD_LOG_ROW": UPLOAD_LOG_ROW,
        "LAST_LOAD": LAST_LOAD,
        "CHANGES_SINCE": CHANGES_SINCE,
        "RECORD_CONTENT": RECORD_CONTENT,
        "RECORD_IDENTICAL": RECORD_IDENTICAL,
        "TABLE_COUNTS": TABLE_COUNTS,
        "CLEAR_STAGE[owner]": CLEAR_STAGE[0],
        "CLEAR_STAGE[location]": CLEAR_STAGE[1],
        "STAGE_JSON": STAGE_JSON,
        "GET_OR_CREATE_CODES": GET_OR_CREATE_CODES,
        "process_upload(server clock)": process_upload(False),
        "process_upload(client clock)": process_upload(True),
        "UNDO_LOAD": UNDO_LOAD,
        "LATER_LOADS": LATER_LOADS,
        "JOURNAL_OVERLAP": JOURNAL_OVERLAP,
        "JOURNALED_REGION": JOURNALED_REGION,
        "UNDO_CASCADE_BEGIN": UNDO_CASCADE_BEGIN,
        "UNDO_CASCADE_COMMIT": UNDO_CASCADE_COMMIT,
        "UNDO_CASCADE_ROLLBACK": UNDO_CASCADE_ROLLBACK,
        "HOLD_REGION_LOCK": HOLD_REGION_LOCK,
        "JOURNALED_LOADS": JOURNALED_LOADS,
        **{f"PRUNE_JOURNAL[{i}]": s for i, s in enumerate(PRUNE_JOURNAL)},
    }
