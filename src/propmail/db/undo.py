"""Undoing journaled loads inside one transaction (SQLite, PostgreSQL): which loads must be
undone first, and putting one load's rows back.

A load can be undone while its journal is kept and no later load wrote the same rows; with
`cascade` those later loads are undone first, newest first (found through their journals,
transitively: a load that overlaps one of them goes too). Just before a load's rows are put
back, `changed_since` makes sure nothing wrote them since, which also catches a load that kept
no journal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from propmail.db.results import Undone
from propmail.db.schema import State
from propmail.db.sql import admin, journal, log
from propmail.db.sql.dialect import Dialect
from propmail.errors import InputError


def region_of(conn: Connection, log_id: int) -> int:
    """The region of a journaled load; InputError naming why a load cannot be undone."""
    region = conn.scalar(admin.journaled_region(log_id))
    if region is not None:
        return int(region)
    state = conn.scalar(log.processing_state(log_id))
    if state is None:
        reason = "there is no such upload"
    elif state == State.UNDONE:
        reason = "it was undone already"
    elif state != State.DONE:
        reason = f"it did not complete (UploadLog state {state}): a failed load wrote nothing"
    else:
        reason = (
            "its journal is not kept (dropped by retention, [journal] keep_loads_per_region, "
            "or loaded with [journal] enabled = false)"
        )
    raise InputError(f"upload {log_id} cannot be undone: {reason}")


def _later(conn: Connection, log_id: int) -> list[tuple[int, int]]:
    """(UploadLogId, RegionId) of the journaled loads after `log_id`, oldest first."""
    return [(int(a), int(b)) for a, b in conn.execute(admin.journaled_after(log_id))]


def _overlap(conn: Connection, d: Dialect, log_id: int, later: int) -> int:
    return int(
        conn.execute(text(journal.overlap(d)), {"log_id": log_id, "later": later}).scalar_one()
    )


def plan(conn: Connection, d: Dialect, log_id: int, cascade: bool) -> list[tuple[int, int]]:
    """The loads to undo, newest first, as (UploadLogId, RegionId); `log_id` is last.

    Without `cascade`, InputError naming every later load that wrote rows of `log_id`.
    """
    return order(
        log_id,
        region_of(conn, log_id),
        _later(conn, log_id),
        lambda earlier, later: _overlap(conn, d, earlier, later),
        cascade,
    )


def order(
    log_id: int,
    region_id: int,
    later_loads: list[tuple[int, int]],
    overlap: Callable[[int, int], int],
    cascade: bool,
) -> list[tuple[int, int]]:
    """`plan` over what any backend reads: the journaled loads after `log_id` (oldest first)
    and how many rows a later load journaled of an earlier one's.

    >>> shared = {(1, 2): 5, (2, 3): 1}
    >>> order(1, 40, [(2, 40), (3, 41), (4, 40)], lambda a, b: shared.get((a, b), 0), True)
    [(3, 41), (2, 40), (1, 40)]
    """
    chosen = [(log_id, region_id)]
    blocking: list[tuple[int, int, int]] = []  # (later load, region, rows in common)
    for later, region in later_loads:
        # a later load is in the way if it wrote rows of any load already chosen before it
        ahead = [c for c, _ in chosen] if cascade else [log_id]
        common = sum(overlap(c, later) for c in ahead if c < later)
        if common:
            blocking.append((later, region, common))
            chosen.append((later, region))
    if blocking and not cascade:
        named = "; ".join(
            f"upload {later} (region {region}, {common} rows in common)"
            for later, region, common in blocking
        )
        raise InputError(
            f"upload {log_id} cannot be undone: later loads wrote its rows since: {named}; "
            "undo those first, or undo with --cascade (newest first)",
        )
    return sorted(chosen, reverse=True)


def undo_one(conn: Connection, d: Dialect, log_id: int, region_id: int) -> Undone:
    """Put back every row load `log_id` wrote, drop its journal, mark it undone. The locations
    it wrote are kept as they were before it and as it left them (`journal.keep_after_images`),
    so that `propmail changes` reads what the undo put back."""
    params: dict[str, Any] = {"log_id": log_id}
    since = int(conn.execute(text(journal.changed_since(d)), params).scalar_one())
    if since:
        raise InputError(
            f"upload {log_id} cannot be undone: {since} of the rows it wrote were written "
            "since by a load that kept no journal ([journal] enabled = false)",
        )
    done = Undone(upload_log_id=log_id, region_id=region_id)
    for statement in journal.keep_after_images(d):  # what `propmail changes` reads
        conn.execute(text(statement), params)
    for name, statement in journal.undo_steps(d):
        setattr(done, name, getattr(done, name) + conn.execute(text(statement), params).rowcount)
    for statement in journal.drop_undone(d):
        conn.execute(text(statement), params)
    conn.execute(log.undone(log_id))
    return done
