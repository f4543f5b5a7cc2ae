"""What a range of loads of one region changed, read from the journal and the stored rows
(`propmail.db.sql.changes`), for `propmail changes`: which loads, then the rows, as frames.

Read-only: every query is a SELECT on a connection of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from propmail.db.schema import State
from propmail.db.sql import changes as sql
from propmail.errors import InputError


@dataclass(frozen=True)
class Load:
    """One load of the region: its UploadLog row and, while it is kept, its journal's clock."""

    upload_log_id: int
    file_name: str | None
    state: int
    started: datetime | None
    loaded_at: datetime | None  # None: not journaled (or its journal was dropped)


@dataclass(frozen=True)
class Span:
    """The loads first..last of one region that `changes` compares, and the moments its
    queries need."""

    region_id: int
    loads: tuple[Load, ...]  # first..last, oldest first
    previous: Load | None  # the region's load before the first (None: the region's first)
    later: bool  # a journaled load after the last holds the state the range left

    @property
    def undone(self) -> bool:
        """The (one) load was undone: the stored rows are as they were before it."""
        return self.last.state == State.UNDONE

    @property
    def first(self) -> Load:
        return self.loads[0]

    @property
    def last(self) -> Load:
        return self.loads[-1]


@dataclass
class ChangeRows:
    """What the range changed, as read: one frame per part (`propmail.changes` reads them)."""

    span: Span
    moves: pl.DataFrame  # sql.moves' columns
    gone: pl.DataFrame  # PrimaryId, OwnerId, PriorityCode, ResponseNCOA
    codes_now: pl.DataFrame  # PriorityCode, locations: the region as stored now
    moves_after: pl.DataFrame  # sql.moves of the journaled loads after the range, if any


MOVE_SCHEMA: dict[str, Any] = {
    "PrimaryId": pl.String,
    "IsNew": pl.Int8,
    "Stored": pl.Int8,
    "OldOwnerId": pl.Int64,
    "OldPriorityCode": pl.String,
    "OldResponseNCOA": pl.String,
    "NewOwnerId": pl.Int64,
    "NewPriorityCode": pl.String,
    "NewResponseNCOA": pl.String,
    "OldOwnerName": pl.String,
    "NewOwnerName": pl.String,
}
GONE_SCHEMA: dict[str, Any] = {
    "PrimaryId": pl.String,
    "OwnerId": pl.Int64,
    "PriorityCode": pl.String,
    "ResponseNCOA": pl.String,
}
CODES_SCHEMA: dict[str, Any] = {"PriorityCode": pl.String, "locations": pl.Int64}


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _rejected(message: str, option: str) -> InputError:
    return InputError(message, option=option)


def span(conn: Connection, region_id: int, load: int | None, since: int | None) -> Span:
    """The loads `since`..`load` of the region (default: its last completed load alone);
    InputError naming the option when a load is not the region's or its journal is gone."""
    every = [Load(*row) for row in conn.execute(sql.region_loads(region_id))]
    if not every:
        raise _rejected(f"region {region_id} has no completed load", "--region")
    ids = [x.upload_log_id for x in every]
    done = [x for x in every if x.state == State.DONE]
    last_id = load if load is not None else (done[-1].upload_log_id if done else ids[-1])
    first_id = since if since is not None else last_id
    for option, wanted in (("--load", last_id), ("--since", first_id)):
        if wanted not in ids:
            raise _rejected(
                f"upload {wanted} is not a completed load of region {region_id}", option
            )
    if first_id > last_id:
        raise _rejected(f"upload {first_id} comes after upload {last_id}", "--since")
    chosen = tuple(x for x in every if first_id <= x.upload_log_id <= last_id)
    unjournaled = [x.upload_log_id for x in chosen if x.loaded_at is None]
    if unjournaled:
        listed = ", ".join(map(str, unjournaled))
        raise _rejected(
            f"the journal of upload {listed} is not kept (retention, [journal] "
            "keep_loads_per_region, or [journal] enabled = false): its changes cannot be read",
            "--load" if last_id in unjournaled else "--since",
        )
    undone = [x.upload_log_id for x in chosen if x.state == State.UNDONE]
    if undone and len(chosen) > 1:
        raise _rejected(
            f"upload {undone[0]} was undone: read it alone (--load {undone[0]}, no --since)",
            "--since",
        )
    before = [x for x in every if x.upload_log_id < first_id and x.state == State.DONE]
    later = any(x.loaded_at is not None for x in every if x.upload_log_id > last_id)
    return Span(region_id, chosen, before[-1] if before else None, later)


def _frame(conn: Connection, query: Any, columns: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(conn.execute(query).all(), schema=columns, orient="row")


def read(
    engine: Engine,
    region_id: int,
    load: int | None = None,
    since: int | None = None,
    key_tables: bool = True,
) -> ChangeRows:
    """What the loads `since`..`load` of the region changed (see `span`)."""
    with engine.connect() as conn:
        found = span(conn, region_id, load, since)
        first, last = found.first.upload_log_id, found.last.upload_log_id
        query = sql.moves(region_id, first, last, key_tables, found.later, found.undone)
        moves = _frame(conn, query, MOVE_SCHEMA)
        gone = pl.DataFrame(schema=GONE_SCHEMA)
        previous = found.previous
        # the clock the previous load wrote into its rows (its UploadLog row's, once its
        # journal is dropped: the same clock but for a load given another, as in tests)
        seen = (previous.loaded_at or previous.started) if previous is not None else None
        if seen is not None:
            query = sql.gone(
                region_id,
                last,
                _day(seen),
                _day(_clock(found.first)),
                _day(_clock(found.last)),
                key_tables,
                found.later and not found.undone,
                found.undone,
            )
            gone = _frame(conn, query, GONE_SCHEMA)
        after = pl.DataFrame(schema=MOVE_SCHEMA)
        if found.later:
            newest = conn.execute(sql.region_loads(region_id)).all()[-1][0]
            after = _frame(conn, sql.moves(region_id, last + 1, newest, key_tables), MOVE_SCHEMA)
        codes = _frame(conn, sql.code_counts(region_id), CODES_SCHEMA)
    return ChangeRows(found, moves, gone, codes, after)


def _clock(load: Load) -> datetime:
    """The clock a journaled load wrote into the rows."""
    assert load.loaded_at is not None  # `span` keeps journaled loads only
    return load.loaded_at
