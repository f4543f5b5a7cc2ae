"""The statements of the generated-SQL backends, as text, without a database.

The dialect spells whole statements (the upsert, ``UPDATE ... FROM``, temporary tables, the
counts of what an upsert wrote), so a database that spells one otherwise overrides that
statement and every step that runs it follows; UploadLog's and `db init`'s statements are
built by pure functions and compiled by the backend's own SQLAlchemy dialect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import ClauseElement, create_engine
from sqlalchemy.dialects import mssql, sqlite

from propmail.db import sql
from propmail.db.ledger import Ledger
from propmail.db.mssql.ledger import MssqlLedger
from propmail.db.postgres.dialect import DIALECT as POSTGRES
from propmail.db.postgres.dialect import REGION_LOCK_KEY
from propmail.db.schema import region
from propmail.db.sql import admin, journal, log
from propmail.db.sql.dialect import Dialect
from propmail.db.sqlite.dialect import DIALECT as SQLITE

NOW = datetime(2026, 5, 4, 9, 30)


def compiled(statement: ClauseElement, dialect: Any = None) -> tuple[str, dict[str, Any]]:
    """A statement as its database gets it: the text (on one line) and its bound values."""
    done = statement.compile(
        dialect=dialect or sqlite.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return " ".join(str(done).split()), dict(done.params)


# -- the dialect's statements --------------------------------------------------------------------


def test_the_base_dialect_spells_an_upsert_with_on_conflict_and_the_incoming_row() -> None:
    statement = Dialect().upsert('"T"', '"k", "v"', "SELECT 1, 2", ['"k"'], ['"v"'], "x", ", y")
    assert statement == (
        'INSERT INTO "T" ("k", "v") SELECT 1, 2 '
        'ON CONFLICT ("k") DO UPDATE SET "v" = excluded."v", y WHERE x'
    )


def test_the_base_dialect_spells_the_rest_of_its_statements() -> None:
    d = Dialect()
    assert d.insert_missing("T", "a", "SELECT 1", "a", "id") == (
        "INSERT INTO T (a) SELECT 1 ON CONFLICT (a) DO NOTHING RETURNING id"
    )
    assert d.update_from("T", "a = x.a", "J", "x", "T.k = x.k") == (
        "UPDATE T SET a = x.a FROM J x WHERE T.k = x.k"
    )
    assert d.create_temp_table("s", [("Slug", sql.OWNER_KIND_FIELDS[0].kind)]) == (
        'CREATE TEMP TABLE s ("Slug" TEXT)'
    )
    assert d.drop_temp_table("s") == "DROP TABLE IF EXISTS temp.s"
    assert d.written_counts("UPSERT") == (
        'WITH written AS (UPSERT RETURNING "UpdatedDate" IS NULL AS inserted) '
        "SELECT COALESCE(SUM(CASE WHEN inserted THEN 1 ELSE 0 END), 0), COUNT(*) FROM written"
    )
    assert d.stage_insert("s", ["a", "b"]) == 'INSERT INTO s ("a", "b") VALUES (?, ?)'
    assert (d.lock_region(), d.analyze("s"), d.transaction_setup()) == (None, None, [])


def test_postgresql_spells_what_differs_and_takes_the_rest() -> None:
    assert POSTGRES.distinct("a", "b") == "a IS DISTINCT FROM b"
    assert POSTGRES.create_temp_table("s", [("n", sql.OWNER_KIND_FIELDS[1].kind)]) == (
        'CREATE TEMP TABLE s ("n" INTEGER) ON COMMIT DROP'
    )
    assert POSTGRES.drop_temp_table("s") == "DROP TABLE IF EXISTS pg_temp.s"
    assert POSTGRES.lock_region() == f"SELECT pg_advisory_xact_lock({REGION_LOCK_KEY}, :region)"
    assert POSTGRES.analyze("s") == "ANALYZE s"
    assert POSTGRES.transaction_setup() == ["SET LOCAL work_mem = '256MB'"]
    assert "pg_total_relation_size('\"PropmailJournal\"')" in POSTGRES.table_bytes(
        ["PropmailJournal"]
    )
    assert POSTGRES.upsert("T", "a", "S", ["a"], ["a"], "w") == Dialect().upsert(
        "T", "a", "S", ["a"], ["a"], "w"
    )


def test_sqlite_binds_a_timestamp_as_the_text_sqlalchemy_stores() -> None:
    assert SQLITE.timestamp(NOW) == "2026-05-04 09:30:00.000000"
    assert POSTGRES.timestamp(NOW) == NOW


class DuplicateKey(Dialect):
    """A database without ON CONFLICT (MySQL's spelling) and without UPDATE ... FROM."""

    incoming = "new"

    def upsert(
        self,
        table: str,
        columns: str,
        rows: str,
        key: list[str],
        updated: list[str],
        where: str,
        also: str = "",
        kept: str = "",
    ) -> str:
        incoming = {c: f"IF({kept}, {c}, new.{c})" if kept else f"new.{c}" for c in updated}
        sets = ", ".join(f"{c} = IF({where}, {incoming[c]}, {c})" for c in updated)
        return f"INSERT INTO {table} ({columns}) {rows} AS new ON DUPLICATE KEY UPDATE {sets}"

    def update_from(self, table: str, sets: str, source: str, alias: str, where: str) -> str:
        return f"UPDATE {table} JOIN {source} {alias} SET {sets} WHERE {where}"


def test_a_dialect_that_spells_the_upsert_otherwise_changes_every_merge_of_the_load() -> None:
    d = DuplicateKey()
    merges = [sql.owner_upsert(d), sql.location_upsert(d), sql.owner_upsert(d, sql.WRITTEN)]
    for statement in merges:
        assert "ON DUPLICATE KEY UPDATE" in statement and "ON CONFLICT" not in statement
        assert "excluded" not in statement  # the incoming row as the dialect names it
    assert 'new."Name"' in merges[0]
    restores = [s for _, s in journal.undo_steps(d) if s.startswith("UPDATE")]
    assert restores and all(
        " JOIN " in s and " FROM " not in s.split(" WHERE ")[0] for s in restores
    )


def test_the_load_statements_are_spelled_by_the_dialect_given() -> None:
    assert "IS DISTINCT FROM" in sql.owner_kinds(POSTGRES)
    assert "IS NOT" in sql.owner_kinds(SQLITE) and "DISTINCT" not in sql.owner_kinds(SQLITE)
    assert 'COLLATE "C"' in sql.owner_upsert(POSTGRES)
    assert "COLLATE BINARY" in sql.owner_upsert(SQLITE)
    assert sql.written_counts(POSTGRES, "U").startswith("WITH written AS (U RETURNING")


def test_the_journal_writes_its_key_rows_in_key_order_only_where_that_is_their_order() -> None:
    ordered, heap = journal.record_owners(SQLITE, True), journal.record_owners(SQLITE, False)
    assert ordered[0].endswith('ORDER BY k."Slug"') and "ORDER BY" not in heap[0]
    assert ordered[1] == heap[1]  # the wide before-images are not ordered


# -- UploadLog's and db init's statements ------------------------------------------------------

STATEMENTS = [
    (
        log.received(40, "u.csv", NOW),
        'INSERT INTO "UploadLog" ("RegionId", "FileName", "ProcessingState", '
        '"ProcessingStarted") VALUES (?, ?, ?, ?)',
        {"RegionId": 40, "FileName": "u.csv", "ProcessingState": 7, "ProcessingStarted": NOW},
    ),
    (
        log.state(7, 9),
        'UPDATE "UploadLog" SET "ProcessingState"=? WHERE "UploadLog"."UploadLogId" = ?',
        {"ProcessingState": 9, "UploadLogId_1": 7},
    ),
    (
        log.done(7, 10, NOW),
        'UPDATE "UploadLog" SET "ProcessingState"=?, "RowsProcessed"=?, "ProcessingEnded"=? '
        'WHERE "UploadLog"."UploadLogId" = ?',
        {"ProcessingState": 3, "RowsProcessed": 10, "ProcessingEnded": NOW, "UploadLogId_1": 7},
    ),
    (
        log.failed(7, "boom", NOW),
        'UPDATE "UploadLog" SET "ProcessingState"=?, "ProcessingEnded"=?, "ErrorMessage"=? '
        'WHERE "UploadLog"."UploadLogId" = ?',
        {"ProcessingState": 4, "ProcessingEnded": NOW, "ErrorMessage": "boom", "UploadLogId_1": 7},
    ),
    (
        log.abandoned(40, 7, (8, 9), "dead", NOW),
        'UPDATE "UploadLog" SET "ProcessingState"=?, "ProcessingEnded"=?, "ErrorMessage"=? '
        'WHERE "UploadLog"."RegionId" = ? AND "UploadLog"."UploadLogId" != ? '
        'AND "UploadLog"."ProcessingState" IN (?, ?)',
        {
            "ProcessingState": 4,
            "ProcessingEnded": NOW,
            "ErrorMessage": "dead",
            "RegionId_1": 40,
            "UploadLogId_1": 7,
            "ProcessingState_1_1": 8,
            "ProcessingState_1_2": 9,
        },
    ),
    (
        log.undone(7),
        'UPDATE "UploadLog" SET "ProcessingState"=? WHERE "UploadLog"."UploadLogId" = ?',
        {"ProcessingState": 11, "UploadLogId_1": 7},
    ),
    (
        log.processing_state(7),
        'SELECT "UploadLog"."ProcessingState" FROM "UploadLog" WHERE "UploadLog"."UploadLogId" = ?',
        {"UploadLogId_1": 7},
    ),
    (admin.probe(), "SELECT 1", {}),
    (admin.region_ids(), 'SELECT "Region"."RegionId" FROM "Region"', {}),
    (admin.regions(), 'SELECT "Region"."RegionId", "Region"."Name" FROM "Region"', {}),
    (
        admin.region_named(40),
        'SELECT "Region"."RegionId" FROM "Region" WHERE "Region"."RegionId" = ?',
        {"RegionId_1": 40},
    ),
    (
        admin.rename_region(40, "Roanoke"),
        'UPDATE "Region" SET "Name"=? WHERE "Region"."RegionId" = ?',
        {"Name": "Roanoke", "RegionId_1": 40},
    ),
    (
        admin.add_region(40, None),
        'INSERT INTO "Region" ("RegionId", "Name") VALUES (?, ?)',
        {"RegionId": 40, "Name": None},
    ),
    (
        admin.frequencies_of_region(40, 1, 2),
        'INSERT INTO "RegionListFrequency" ("Frequency", "ListId", "RegionId", "DividedBy") '
        'SELECT 1, "ListPriority"."ListPriorityId", 40, 2 FROM "ListPriority"',
        {},
    ),
    (
        admin.code_id("OO"),
        'SELECT "ListPriority"."ListPriorityId" FROM "ListPriority" '
        'WHERE "ListPriority"."Code" = ?',
        {"Code_1": "OO"},
    ),
    (
        admin.code_ids(["A", "B"]),
        'SELECT "ListPriority"."ListPriorityId" FROM "ListPriority" '
        'WHERE "ListPriority"."Code" IN (?, ?)',
        {"Code_1_1": "A", "Code_1_2": "B"},
    ),
    (
        admin.add_code("OO", 1, 2, 0),
        'INSERT INTO "ListPriority" ("Code", "Name", "PriorityLevel", "ProcessingOrder", '
        '"IsAbsentee") VALUES (?, ?, ?, ?, ?)',
        {"Code": "OO", "Name": "OO", "PriorityLevel": 1, "ProcessingOrder": 2, "IsAbsentee": 0},
    ),
    (admin.count(region), 'SELECT count(*) AS count_1 FROM "Region"', {}),
    (
        admin.journaled_regions(),
        'SELECT DISTINCT "PropmailJournal"."RegionId" FROM "PropmailJournal"',
        {},
    ),
    (admin.journaled_count(), 'SELECT count(*) AS count_1 FROM "PropmailJournal"', {}),
    (
        admin.journaled_region(7),
        'SELECT "PropmailJournal"."RegionId" FROM "PropmailJournal" '
        'WHERE "PropmailJournal"."UploadLogId" = ?',
        {"UploadLogId_1": 7},
    ),
    (
        admin.journaled_after(7),
        'SELECT "PropmailJournal"."UploadLogId", "PropmailJournal"."RegionId" '
        'FROM "PropmailJournal" WHERE "PropmailJournal"."UploadLogId" > ? '
        'ORDER BY "PropmailJournal"."UploadLogId"',
        {"UploadLogId_1": 7},
    ),
]


@pytest.mark.parametrize(("statement", "text", "params"), STATEMENTS)
def test_the_statements_of_upload_log_and_db_init_as_text(
    statement: ClauseElement, text: str, params: dict[str, Any]
) -> None:
    assert compiled(statement) == (text, params)


def test_one_uploadlog_row_is_read_with_every_column() -> None:
    text, params = compiled(log.row(7))
    assert text.startswith('SELECT "UploadLog"."UploadLogId", "UploadLog"."RegionId"')
    assert text.endswith('FROM "UploadLog" WHERE "UploadLog"."UploadLogId" = ?')
    assert params == {"UploadLogId_1": 7}


def test_a_claim_holds_the_region_row_with_an_update_lock_on_sql_server_only() -> None:
    engine = create_engine("sqlite://")  # never connected: the statements are only compiled
    locked = 'SELECT "Region"."RegionId" FROM "Region" WHERE "Region"."RegionId" = ?'
    assert compiled(Ledger(engine).region_row(40))[0] == locked
    hinted = compiled(MssqlLedger(engine).region_row(40), mssql.dialect())[0]
    assert "FROM [Region] WITH (UPDLOCK, ROWLOCK) WHERE" in hinted
