"""The mail drop's tables (`schema.mail_drop`, `mail_piece`, `suppression`): what a drop reads
from a region and writes, in SQLAlchemy Core over the backend's engine, so every backend runs the
same statements (SQL Server's are parse-checked in tests/mssql). No round trip per row: a
region is read in one query (as Arrow where the backend can), the pieces inserted 1,000 to a
statement.

A commit and a cancel run in one transaction that first writes the region's row (taking its
row lock on every backend), so two commits of one region are serialised and the second sees the
first's pieces (`overlapping`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Update,
    and_,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)

from propmail.db import schema, stored
from propmail.db.backend import Database
from propmail.db.schema import DropState
from propmail.errors import InputError

drop_t, piece_t, supp_t = schema.mail_drop, schema.mail_piece, schema.suppression

# the columns `candidates` reads: a region's locations with what the selection needs of them
CANDIDATE_COLUMNS: dict[str, pl.DataType] = {
    "LocationId": pl.Int64(),
    "PrimaryId": pl.String(),
    "OwnerId": pl.Int64(),
    "ListPriorityId": pl.Int64(),
    "Code": pl.String(),
    "PriorityLevel": pl.Int64(),
    "ProcessingOrder": pl.Int64(),
    "Frequency": pl.Int64(),
    "DividedBy": pl.Int64(),
    "ResponseNCOA": pl.String(),
    "InsertedDate": pl.Datetime(),
    "UpdatedDate": pl.Datetime(),
    "Slug": pl.String(),
    "AlternateName": pl.String(),
    "MailingAddress1": pl.String(),
    "MailingCity": pl.String(),
    "MailingState": pl.String(),
    "MailingZip": pl.String(),
    "DoNotMail": pl.String(),
    "LastTouch": pl.Date(),
    "Touches": pl.Int64(),
}

# the columns of a drop's pieces as `pieces` reads them (the export's and the proof's sample)
PIECE_COLUMNS: dict[str, pl.DataType] = {
    "PieceId": pl.Int64(),
    "OwnerId": pl.Int64(),
    "OwnerSlug": pl.String(),
    "LocationId": pl.Int64(),
    "PrimaryId": pl.String(),
    "ListCode": pl.String(),
    "ListPriorityId": pl.Int64(),
    "TouchNumber": pl.Int64(),
    "DropDate": pl.Date(),
    "EnvelopeName": pl.String(),
    "OwnerName": pl.String(),
    "MailingAddress1": pl.String(),
    "MailingAddress2": pl.String(),
    "MailingCity": pl.String(),
    "MailingState": pl.String(),
    "MailingZip": pl.String(),
    "MailingZip4": pl.String(),
    "PropertyAddress1": pl.String(),
    "PropertyCity": pl.String(),
    "PropertyState": pl.String(),
    "PropertyZip": pl.String(),
}

SUPPRESSION_COLUMNS: dict[str, pl.DataType] = {
    "KeyKind": pl.String(),
    "KeyValue": pl.String(),
    "Reason": pl.String(),
}


# pieces per multi-row INSERT (SQL Server takes at most 1,000 rows in one VALUES; an executemany
# sends one statement per piece, a round trip each on PostgreSQL's pipeline)
PIECES_PER_INSERT = 1000
PIECE_FIELDS = ("OwnerId", "LocationId", "ListPriorityId", "TouchNumber")


@dataclass(frozen=True)
class DropRow:
    """One MailDrop row."""

    drop_id: int
    region_id: int
    drop_date: date
    state: str
    pieces: int
    created: datetime
    committed: datetime | None
    settings: str | None


def require_tables(engine: Engine, where: str) -> None:
    """InputError naming `propmail db init` if the drop's tables are missing."""
    names = set(inspect(engine).get_table_names())
    missing = [t.name for t in schema.DROP_TABLES if t.name not in names]
    if missing:
        raise InputError(
            f"{where} has no {', '.join(missing)} table; add them with: propmail db init --db URL"
        )


def latest_load_query(region_id: int) -> Select[Any]:
    log = schema.upload_log
    return select(func.max(log.c.ProcessingEnded)).where(
        log.c.RegionId == region_id, log.c.ProcessingState == schema.State.DONE
    )


def latest_load(engine: Engine, region_id: int) -> datetime | None:
    """When the region's newest completed load ended (the clock it wrote into its rows)."""
    with engine.connect() as conn:
        found = conn.scalar(latest_load_query(region_id))
    return found if isinstance(found, datetime) or found is None else _as_datetime(found)


def _as_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def candidates(db: Database, region_id: int) -> pl.DataFrame:
    """Every location of the region with its owner, list code, cadence row and touches (the
    committed pieces of the region's drops), as `CANDIDATE_COLUMNS`: read as Arrow where the
    backend can (`Database.read_arrow`), else through SQLAlchemy."""
    query = candidates_query(region_id)
    frame = db.read_arrow(query)
    if frame is None:
        return stored.read_query(db.engine, query, CANDIDATE_COLUMNS)
    return conformed(frame, CANDIDATE_COLUMNS)


def conformed(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame read as Arrow in `columns`' names and types (by position): dates and times a
    driver gives as text (SQLite) parsed as SQLAlchemy stores them."""
    exprs = []
    for (name, wanted), got in zip(columns.items(), frame.columns, strict=True):
        column = pl.col(got)
        if frame.schema[got] == pl.String and wanted == pl.Datetime():
            column = column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False)
        elif frame.schema[got] == pl.String and wanted == pl.Date():
            column = column.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        exprs.append(column.cast(wanted, strict=False).alias(name))
    return frame.select(exprs)


def candidates_query(region_id: int) -> Select[Any]:
    loc, own, lp, freq = (
        schema.location,
        schema.owner,
        schema.list_priority,
        schema.region_list_frequency,
    )
    cadence = (
        select(
            freq.c.ListId,
            func.min(freq.c.Frequency).label("Frequency"),
            func.min(freq.c.DividedBy).label("DividedBy"),
        )
        .where(freq.c.RegionId == region_id)
        .group_by(freq.c.ListId)
        .subquery("cadence")
    )
    touches = (
        select(
            piece_t.c.LocationId,
            func.max(drop_t.c.DropDate).label("LastTouch"),
            func.count().label("Touches"),
        )
        .select_from(piece_t.join(drop_t, drop_t.c.DropId == piece_t.c.DropId))
        .where(drop_t.c.RegionId == region_id, drop_t.c.State == DropState.COMMITTED)
        .group_by(piece_t.c.LocationId)
        .subquery("touches")
    )
    query = (
        select(
            loc.c.LocationId,
            loc.c.PrimaryId,
            loc.c.OwnerId,
            loc.c.ListPriorityId,
            lp.c.Code,
            lp.c.PriorityLevel,
            lp.c.ProcessingOrder,
            cadence.c.Frequency,
            cadence.c.DividedBy,
            loc.c.ResponseNCOA,
            loc.c.InsertedDate,
            loc.c.UpdatedDate,
            own.c.Slug,
            own.c.AlternateName,
            own.c.Address1,
            own.c.City,
            own.c.State,
            own.c.Zip,
            own.c.DoNotMail,
            touches.c.LastTouch,
            touches.c.Touches,
        )
        .select_from(
            loc.outerjoin(own, own.c.OwnerId == loc.c.OwnerId)
            .outerjoin(lp, lp.c.ListPriorityId == loc.c.ListPriorityId)
            .outerjoin(cadence, cadence.c.ListId == loc.c.ListPriorityId)
            .outerjoin(touches, touches.c.LocationId == loc.c.LocationId)
        )
        .where(loc.c.RegionId == region_id)
        .order_by(loc.c.LocationId)
    )
    return query


def suppressions(engine: Engine, on: date) -> pl.DataFrame:
    """The suppression list in force on `on` (rows not expired), as `SUPPRESSION_COLUMNS`."""
    return stored.read_query(engine, suppressions_query(on), SUPPRESSION_COLUMNS)


def suppressions_query(on: date) -> Select[Any]:
    return select(supp_t.c.KeyKind, supp_t.c.KeyValue, supp_t.c.Reason).where(
        (supp_t.c.ExpiresDate.is_(None)) | (supp_t.c.ExpiresDate >= on)
    )


def record_plan(
    engine: Engine,
    region_id: int,
    drop_date: date,
    pieces: pl.DataFrame,
    settings: str,
    now: datetime,
) -> int:
    """Write a planned drop and its pieces (columns OwnerId, LocationId, ListPriorityId,
    TouchNumber, in rank order), in one transaction; returns its DropId."""
    with engine.begin() as conn:
        drop_id = conn.execute(
            insert(drop_t).values(
                RegionId=region_id,
                DropDate=drop_date,
                State=DropState.PLANNED,
                Pieces=pieces.height,
                CreatedDate=now,
                Settings=settings,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        for statement in insert_pieces(conn, int(drop_id), pieces):
            conn.exec_driver_sql(statement)
    return int(drop_id)


def insert_pieces(conn: Connection, drop_id: int, pieces: pl.DataFrame) -> Iterator[str]:
    """The pieces as multi-row INSERTs of `PIECES_PER_INSERT` rows, their values integers
    written into the text by polars (no bind parameter, no Python object per row)."""
    prepare = conn.dialect.identifier_preparer
    names = ("DropId", *PIECE_FIELDS)
    head = (
        f"INSERT INTO {prepare.format_table(piece_t)} "
        f"({', '.join(prepare.quote(n) for n in names)}) VALUES "
    )
    values = [pl.lit(str(drop_id))]
    values += [pl.col(n).cast(pl.Int64).cast(pl.String).fill_null("NULL") for n in PIECE_FIELDS]
    rows = pieces.select(
        pl.concat_str([pl.lit("("), pl.concat_str(values, separator=", "), pl.lit(")")])
    ).to_series()
    for start in range(0, rows.len(), PIECES_PER_INSERT):
        yield head + ", ".join(rows.slice(start, PIECES_PER_INSERT).to_list())


def drop_row(conn: Connection | Engine, drop_id: int) -> DropRow:
    """One drop; InputError naming `drop list` if there is none."""
    query = select(drop_t).where(drop_t.c.DropId == drop_id)
    if isinstance(conn, Engine):
        with conn.connect() as c:
            row = c.execute(query).first()
    else:
        row = conn.execute(query).first()
    if row is None:
        raise InputError(f"there is no drop {drop_id} (propmail drop list shows the drops)")
    return _drop(row._mapping)


def _drop(m: Any) -> DropRow:
    drop_date = m["DropDate"]
    return DropRow(
        drop_id=int(m["DropId"]),
        region_id=int(m["RegionId"]),
        drop_date=drop_date if isinstance(drop_date, date) else date.fromisoformat(drop_date),
        state=str(m["State"]),
        pieces=int(m["Pieces"]),
        created=m["CreatedDate"],
        committed=m["CommittedDate"],
        settings=m["Settings"],
    )


def drops(engine: Engine, region_id: int | None = None) -> list[DropRow]:
    """Every drop (of one region), newest first."""
    query = select(drop_t).order_by(drop_t.c.DropId.desc())
    if region_id is not None:
        query = query.where(drop_t.c.RegionId == region_id)
    with engine.connect() as conn:
        return [_drop(r._mapping) for r in conn.execute(query)]


@contextmanager
def _region_held(engine: Engine, region_id: int) -> Iterator[Connection]:
    """A transaction that holds the region's row lock (a write of its row to itself)."""
    with engine.begin() as conn:
        conn.execute(region_lock(region_id))
        yield conn


def region_lock(region_id: int) -> Update:
    """The region's row written to itself: its row lock, held until the transaction ends."""
    region = schema.region
    return update(region).where(region.c.RegionId == region_id).values(Name=region.c.Name)


def overlapping(conn: Connection, drop: DropRow) -> tuple[int, int] | None:
    """The first drop of the region committed after `drop` was planned that shares a location
    with it, and how many: (DropId, pieces in common)."""
    row = conn.execute(overlapping_query(drop)).first()
    return None if row is None else (int(row[0]), int(row[1]))


def overlapping_query(drop: DropRow) -> Select[Any]:
    mine, theirs, other = piece_t.alias("mine"), piece_t.alias("theirs"), drop_t.alias("other")
    query = (
        select(other.c.DropId, func.count())
        .select_from(
            mine.join(theirs, theirs.c.LocationId == mine.c.LocationId).join(
                other, other.c.DropId == theirs.c.DropId
            )
        )
        .where(
            mine.c.DropId == drop.drop_id,
            other.c.DropId != drop.drop_id,
            other.c.RegionId == drop.region_id,
            other.c.State == DropState.COMMITTED,
            other.c.CommittedDate >= drop.created,
        )
        .group_by(other.c.DropId)
        .order_by(other.c.DropId)
    )
    return query


def commit(engine: Engine, drop_id: int, now: datetime) -> DropRow:
    """Make a planned drop's touches count; InputError if it is not planned, or if a drop
    committed since it was planned shares a location with it (naming that drop)."""
    drop = drop_row(engine, drop_id)
    with _region_held(engine, drop.region_id) as conn:
        drop = drop_row(conn, drop_id)
        if drop.state != DropState.PLANNED:
            raise InputError(f"drop {drop_id} is {drop.state}; only a planned drop is committed")
        clash = overlapping(conn, drop)
        if clash is not None:
            other, common = clash
            raise InputError(
                f"drop {drop_id} was not committed: drop {other} of region {drop.region_id}, "
                f"committed after drop {drop_id} was planned, mails {common:,} of the same "
                f"locations; cancel drop {drop_id} and plan again"
            )
        conn.execute(
            update(drop_t)
            .where(drop_t.c.DropId == drop_id)
            .values(State=DropState.COMMITTED, CommittedDate=now)
        )
        return drop_row(conn, drop_id)


def cancel(engine: Engine, drop_id: int) -> DropRow:
    """Undo a planned or committed drop: its pieces deleted (its touches no longer count), its
    row kept as cancelled."""
    drop = drop_row(engine, drop_id)
    with _region_held(engine, drop.region_id) as conn:
        drop = drop_row(conn, drop_id)
        if drop.state == DropState.CANCELLED:
            raise InputError(f"drop {drop_id} is already cancelled")
        conn.execute(delete(piece_t).where(piece_t.c.DropId == drop_id))
        conn.execute(
            update(drop_t).where(drop_t.c.DropId == drop_id).values(State=DropState.CANCELLED)
        )
        return drop_row(conn, drop_id)


def pieces(engine: Engine, drop_id: int, limit: int | None = None) -> pl.DataFrame:
    """A drop's pieces in rank order with what prints on them, as `PIECE_COLUMNS`."""
    return stored.read_query(engine, pieces_query(drop_id, limit), PIECE_COLUMNS)


def pieces_query(drop_id: int, limit: int | None = None) -> Select[Any]:
    loc, own, lp = schema.location, schema.owner, schema.list_priority
    query = (
        select(
            piece_t.c.PieceId,
            piece_t.c.OwnerId,
            own.c.Slug,
            piece_t.c.LocationId,
            loc.c.PrimaryId,
            lp.c.Code,
            piece_t.c.ListPriorityId,
            piece_t.c.TouchNumber,
            drop_t.c.DropDate,
            own.c.AlternateName,
            own.c.Name,
            own.c.Address1,
            own.c.Address2,
            own.c.City,
            own.c.State,
            own.c.Zip,
            own.c.MailingZip4,
            loc.c.Address1,
            loc.c.City,
            loc.c.State,
            loc.c.Zip,
        )
        .select_from(
            piece_t.join(drop_t, drop_t.c.DropId == piece_t.c.DropId)
            .outerjoin(loc, loc.c.LocationId == piece_t.c.LocationId)
            .outerjoin(own, own.c.OwnerId == piece_t.c.OwnerId)
            .outerjoin(lp, lp.c.ListPriorityId == piece_t.c.ListPriorityId)
        )
        .where(piece_t.c.DropId == drop_id)
        .order_by(piece_t.c.PieceId)
    )
    if limit is not None:
        query = query.limit(limit)
    return query


# -- the suppression list ----------------------------------------------------------------------


def add_suppressions(
    engine: Engine,
    keys: pl.DataFrame,
    reason: str,
    source: str,
    expires: date | None,
    now: datetime,
) -> int:
    """Add `keys` (KeyKind, KeyValue) to the list; a key already there takes the new reason,
    file and expiry. Returns the keys written."""
    rows = [
        {
            "KeyKind": kind,
            "KeyValue": value,
            "Reason": reason,
            "SourceFile": source,
            "AddedDate": now,
            "ExpiresDate": expires,
        }
        for kind, value in keys.unique(maintain_order=True).iter_rows()
    ]
    with engine.begin() as conn:
        _delete_keys(conn, keys)
        if rows:
            conn.execute(insert(supp_t), rows)
    return len(rows)


def _delete_keys(conn: Connection, keys: pl.DataFrame) -> int:
    removed = 0
    for (kind,), part in keys.group_by(["KeyKind"]):
        values = part["KeyValue"].unique().to_list()
        for start in range(0, len(values), 500):  # bound the IN list (SQL Server: 2,100 params)
            chunk = values[start : start + 500]
            result = conn.execute(
                delete(supp_t).where(and_(supp_t.c.KeyKind == kind, supp_t.c.KeyValue.in_(chunk)))
            )
            removed += result.rowcount or 0
    return removed


def remove_suppressions(engine: Engine, keys: pl.DataFrame) -> int:
    """Take `keys` (KeyKind, KeyValue) off the list; returns the rows removed."""
    with engine.begin() as conn:
        return _delete_keys(conn, keys)


def list_suppressions(engine: Engine) -> list[dict[str, Any]]:
    """Every suppression row, oldest first."""
    with engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(select(supp_t).order_by(supp_t.c.SuppressionId))
        ]
