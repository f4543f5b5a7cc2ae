"""Stored rows read back in batches over one streaming query, whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
from sqlalchemy import Engine, select

from propmail.db import schema


def stream_rows(
    engine: Engine, table: str, columns: dict[str, pl.DataType], batch_rows: int
) -> Iterator[pl.DataFrame]:
    """`columns` of `table` in key order, one frame per `batch_rows` rows."""
    t = schema.metadata.tables[table]
    query = select(*(t.c[name] for name in columns)).order_by(*t.primary_key.columns)
    with engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
        for part in rows.partitions():
            yield pl.DataFrame(part, schema=columns, orient="row")
