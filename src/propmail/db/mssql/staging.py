"""Owners and locations as SQL Server staging rows: bounded JSON chunks, or Arrow for bulk copy.

NVARCHAR(MAX) holds at most 2 GB and stores text as UTF-16, where JSON's ASCII doubles in size,
so an upload is sent as JSON arrays of whole rows, none larger than a cap (100 MB by default),
each appended to the staging tables under the upload's key. Every row carries ``StageRow``,
its position in the upload, so the merge keeps the last row of a key whatever the chunking.
Everything here is vectorized: no Python loop runs per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from propmail.db.schema import STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS, TEXT, Field
from propmail.errors import InputError

MAX_PAYLOAD_BYTES = 100 * 1024 * 1024
MAX_PAYLOAD_ROWS = 250_000  # keeps a chunk's round trip short even for narrow rows
TEXT_LIMIT = 255  # NVARCHAR(255): longer text would be truncated by OPENJSON or refused

OWNER_COLUMNS = tuple(f.name for f in STAGE_OWNER_FIELDS)
LOCATION_COLUMNS = tuple(f.name for f in STAGE_LOCATION_FIELDS)
# JSON records use the guide's owners_df names, which call the owner key OwnerSlug.
OWNER_JSON_NAMES = {"Slug": "OwnerSlug"}


@dataclass(frozen=True)
class Payload:
    """One chunk: a JSON array of rows ``first_row`` .. ``first_row + rows - 1``."""

    first_row: int
    rows: int
    text: str

    @property
    def utf16_bytes(self) -> int:
        """Its size as an NVARCHAR value."""
        return len(self.text.encode("utf-16-le"))


def check_text(frame: pl.DataFrame, fields: tuple[Field, ...], name: str) -> None:
    """Refuse, before anything is sent, text longer than its NVARCHAR(255) column."""
    columns = [f.name for f in fields if f.kind == TEXT and f.name in frame.columns]
    if not columns or frame.height == 0:
        return
    longest = frame.select(pl.col(columns).str.len_chars().max())
    for column in columns:
        length = longest[column][0]
        if length is not None and length > TEXT_LIMIT:
            row = frame.select(pl.col(column).str.len_chars().gt(TEXT_LIMIT).arg_true().first())
            raise InputError(
                f"{length} characters; SQL Server's column holds {TEXT_LIMIT}",
                file=name,
                row=int(row.item()),
                column=column,
            )


def owner_rows(owners: pl.DataFrame) -> pl.DataFrame:
    return owners.select(OWNER_COLUMNS)


def location_rows(locations: pl.DataFrame) -> pl.DataFrame:
    return locations.select(LOCATION_COLUMNS)


def json_payloads(
    frame: pl.DataFrame,
    max_bytes: int = MAX_PAYLOAD_BYTES,
    max_rows: int = MAX_PAYLOAD_ROWS,
    names: dict[str, str] | None = None,
) -> Iterator[Payload]:
    """The frame as JSON arrays of records, in row order, each at most `max_bytes` in UTF-16.

    A record's UTF-16 size is at most twice its UTF-8 size, so that bound (plus its comma)
    is summed per row; a chunk starts where the running total crosses a multiple of
    ``max_bytes - 4 - largest row``, so even the row that crosses it still fits.
    """
    if frame.height == 0:
        return
    records = (
        frame.rename(names or {})
        .select(pl.struct(pl.all()).struct.json_encode().alias("record"))
        .get_column("record")
    )
    bound = records.str.len_bytes().cast(pl.Int64).to_numpy() * 2 + 2
    budget = max_bytes - 4 - int(bound.max())
    if budget <= 0:
        row = int(np.argmax(bound))
        raise InputError(
            f"one record needs up to {int(bound[row]):,} bytes, over the "
            f"{max_bytes:,}-byte payload cap",
            row=row,
        )
    offsets = np.cumsum(bound) - bound  # where each record starts in the stream
    by_size = offsets // budget
    by_count = np.arange(frame.height) // max_rows
    cuts = np.flatnonzero((np.diff(by_size) != 0) | (np.diff(by_count) != 0)) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), frame.height]
    for start, end in zip(starts, ends, strict=True):
        body = records.slice(start, end - start).str.join(",").item()
        yield Payload(first_row=start, rows=end - start, text=f"[{body}]")


def arrow_batches(
    frame: pl.DataFrame, upload_key: int, max_rows: int = MAX_PAYLOAD_ROWS
) -> tuple[list[str], list[pa.RecordBatch]]:
    """(staging columns, record batches) for the driver's bulk copy into a staging table."""
    keyed = frame.select(
        pl.lit(upload_key, pl.Int32).alias("UploadLogId"),
        pl.int_range(frame.height, dtype=pl.Int64).alias("StageRow"),
        pl.all(),
    )
    table = keyed.to_arrow(compat_level=pl.CompatLevel.oldest())
    return list(keyed.columns), table.to_batches(max_chunksize=max_rows)
