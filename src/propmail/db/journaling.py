"""The load journal's steps for the generated-SQL backends: inside a load, before each merge,
what it will write (`propmail.db.sql.journal`); its retention; the loads that can be undone.

Each step runs on the load's connection, in its transaction, so a load that fails journals
nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, text

from propmail.db.results import JournaledLoad
from propmail.db.sql import admin, journal
from propmail.db.sql.dialect import Dialect


def begin(conn: Connection, d: Dialect, log_id: int, params: dict[str, Any]) -> None:
    """The load's own journal row (a stale journal under its id dropped first)."""
    # SQLite gives a deleted UploadLog row's id out again: a journal under it is stale
    for statement in journal.drop(d):
        conn.execute(text(statement), {"log_id": log_id})
    conn.execute(text(journal.record_load(d)), {"log_id": log_id, **params})


def codes(conn: Connection, d: Dialect, log_id: int, created: list[str]) -> None:
    """The list codes the load created."""
    if not created:
        return
    ids = conn.scalars(admin.code_ids(created))
    conn.execute(text(journal.record_list(d)), [{"log_id": log_id, "list_id": int(i)} for i in ids])


def rows(conn: Connection, statements: list[str], log_id: int, params: dict[str, Any]) -> None:
    """Run the journal's `statements` of one merge (`journal.record_owners`, ...)."""
    for statement in statements:
        conn.execute(text(statement), {"log_id": log_id, **params})


def prune_region(conn: Connection, d: Dialect, region_id: int, keep: int) -> None:
    """Keep the journal of the region's newest `keep` loads."""
    for statement in journal.prune(d):
        conn.execute(text(statement), {"region": region_id, "keep": keep})


def prune(conn: Connection, d: Dialect, keep: int) -> int:
    """Keep the journal of the newest `keep` loads per region; returns loads dropped."""
    regions = list(conn.scalars(admin.journaled_regions()))
    before = conn.scalar(admin.journaled_count()) or 0
    for region_id in regions:
        prune_region(conn, d, int(region_id), keep)
    after = conn.scalar(admin.journaled_count()) or 0
    return int(before) - int(after)


def loads(engine: Engine, d: Dialect, region_id: int | None = None) -> list[JournaledLoad]:
    """The loads that can still be undone, newest first."""
    with engine.connect() as conn:
        found = conn.execute(text(journal.loads(d, region_id is not None)), {"region": region_id})
        return [JournaledLoad(*row) for row in found]
