"""Stored rows read back in batches over one streaming query, whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, Select, select, type_coerce
from sqlalchemy.types import NullType

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
            yield _frame(part, columns)


def _frame(rows: Sequence[Any], columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """`rows` as a frame of `columns`. A legacy column of another type than the contract's (a
    timestamp or text where it has a date, an amount kept as text) is read as the contract's
    type: each column taken as what it holds, then converted, its unreadable values null."""
    try:
        return pl.DataFrame(rows, schema=columns, orient="row")
    except pl.exceptions.ComputeError:
        values = list(zip(*rows, strict=True))
        loose = [pl.Series(n, v, strict=False) for n, v in zip(columns, values, strict=True)]
        return pl.DataFrame([_as(s, columns[s.name]) for s in loose])


def _as(values: pl.Series, wanted: pl.DataType) -> pl.Series:
    """A column read as what it holds, as the type `wanted`."""
    if values.dtype == wanted:
        return values
    if wanted == pl.Date() and values.dtype == pl.String:
        return values.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if wanted == pl.Date() and isinstance(values.dtype, pl.Datetime):
        return values.dt.date()
    if wanted == pl.Float64() and values.dtype == pl.String:
        return values.str.replace_all(r"[$,\s]", "").cast(pl.Float64, strict=False)
    return values.cast(wanted, strict=False)


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
    columns = region_columns()
    picked = []
    for name in columns:
        if name == LIST_CODE:
            picked.append(lp.c.Code.label(name))
        elif name == OWNER_LINK:
            picked.append(own.c.Slug.label(name))
        else:
            table, column = name.split(".")
            stored: ColumnElement[Any] = tables[table].c[column]
            if columns[name] == pl.Float64():
                # the driver's own value (a float, a Decimal, a legacy column's text), which
                # `_frame` reads as a number: no conversion of the column type's that could fail
                stored = type_coerce(stored, NullType())
            picked.append(stored.label(name))
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
        return _frame(conn.execute(query).all(), columns)
