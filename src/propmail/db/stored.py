"""Stored rows read back in batches over one streaming query, whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Select, select

from propmail.contract import (
    DATE,
    FLAG,
    INT,
    LOCATION,
    LONGTEXT,
    NUMBER,
    OWNER,
    STORED,
    TEXT,
    TIMESTAMP,
)
from propmail.db import schema

Bind = Engine | Connection  # an engine (a connection of its own) or the connection to read on


def _connection(bind: Bind) -> Any:
    return bind.connect() if isinstance(bind, Engine) else nullcontext(bind)


def _stream(
    bind: Bind, query: Select[Any], columns: dict[str, pl.DataType], batch_rows: int
) -> Iterator[pl.DataFrame]:
    """The rows of `query` as frames of `columns`, `batch_rows` at a time."""
    with _connection(bind) as conn:
        rows = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
        for part in rows.partitions():
            yield pl.DataFrame(part, schema=columns, orient="row")


def read_query(bind: Bind, query: Select[Any], columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of `query` as one frame of `columns`, read in batches over one streaming query."""
    parts = list(_stream(bind, query, columns, 100_000))
    return pl.concat(parts) if parts else pl.DataFrame(schema=columns)


def stream_rows(
    bind: Bind, table: str, columns: dict[str, pl.DataType], batch_rows: int
) -> Iterator[pl.DataFrame]:
    """`columns` of `table` in key order, one frame per `batch_rows` rows."""
    t = schema.metadata.tables[table]
    query = select(*(t.c[name] for name in columns)).order_by(*t.primary_key.columns)
    return _stream(bind, query, columns, batch_rows)


# polars types of the stored kinds, as read back
_POLARS: dict[str, pl.DataType] = {
    TEXT: pl.String(),
    LONGTEXT: pl.String(),
    FLAG: pl.Int64(),
    INT: pl.Int64(),
    NUMBER: pl.Float64(),
    DATE: pl.Date(),
    TIMESTAMP: pl.Datetime(),
}
# the columns of a region's stored row that name the location's owner and list code
OWNER_LINK, LIST_CODE = "Owner.Slug", "Location.ListPriorityId"


def region_columns() -> dict[str, pl.DataType]:
    """The columns `stream_region` yields: each stored column as ``Table.Column``."""
    columns: dict[str, pl.DataType] = {"Location.PrimaryId": pl.String()}
    columns[LIST_CODE] = pl.String()
    columns[OWNER_LINK] = pl.String()
    for c in STORED:
        if c.staged_only or c.name in ("PrimaryId", "Slug"):
            continue
        columns[f"{c.table}.{c.name}"] = _POLARS[c.kind]
    return columns


def _located() -> Select[Any]:
    """Every column of `region_columns`, from Location joined to its Owner and ListPriority."""
    loc, own, lp = schema.location, schema.owner, schema.list_priority
    tables = {LOCATION: loc, OWNER: own}
    picked = []
    for name in region_columns():
        if name == LIST_CODE:
            picked.append(lp.c.Code.label(name))
        elif name == OWNER_LINK:
            picked.append(own.c.Slug.label(name))
        else:
            table, column = name.split(".")
            picked.append(tables[table].c[column].label(name))
    return select(*picked).select_from(
        loc.outerjoin(own, own.c.OwnerId == loc.c.OwnerId).outerjoin(
            lp, lp.c.ListPriorityId == loc.c.ListPriorityId
        )
    )


def stream_region(bind: Bind, region_id: int, batch_rows: int) -> Iterator[pl.DataFrame]:
    """A region's locations with their owner's columns and the code of their ListPriorityId,
    in LocationId order, `batch_rows` at a time over one streaming query (a server-side cursor
    where the driver has one), so a region of any size is read in bounded memory."""
    loc = schema.location
    query = _located().where(loc.c.RegionId == region_id).order_by(loc.c.LocationId)
    return _stream(bind, query, region_columns(), batch_rows)


def read_parcel(engine: Engine, parcel: str) -> pl.DataFrame:
    """The stored locations of one parcel id (one per region), as `stream_region` gives them,
    with their ``Location.RegionId``."""
    loc = schema.location
    query = (
        _located()
        .add_columns(loc.c.RegionId.label("Location.RegionId"))
        .where(loc.c.PrimaryId == parcel)
        .order_by(loc.c.RegionId)
    )
    columns = {**region_columns(), "Location.RegionId": pl.Int64()}
    with engine.connect() as conn:
        return pl.DataFrame(conn.execute(query).all(), schema=columns, orient="row")
