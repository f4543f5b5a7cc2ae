"""PostgreSQL 15+: COPY into temporary staging tables, then set-based upserts.

A load stages the upload's owners and locations with binary COPY: `pgpq` (in the `postgres`
extra) encodes the frames' Arrow columns as PostgreSQL's binary COPY format, with the
staging tables' own column types, so no value becomes a Python object and none is written
as CSV text for the server to parse again. Where `pgpq` is not installed, the frames go
through COPY in CSV format as they always did.

Two loads of one region wait on a transaction-level advisory lock; list codes are created with
INSERT ... ON CONFLICT DO NOTHING (PostgreSQL's MERGE raises unique violations under
concurrent inserts by design).
"""

from __future__ import annotations

import io
import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from types import ModuleType
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, Engine, Select
from sqlalchemy.engine import URL

from propmail import redact
from propmail.db import compare, sql
from propmail.db.backend import Capabilities
from propmail.db.plan import SqlBackend
from propmail.db.postgres.connect import adbc_driver, binary_encoder, engine_url, make_engine
from propmail.db.postgres.dialect import DIALECT, LOAD_WORK_MEM
from propmail.db.postgres.ledger import PostgresLedger
from propmail.db.schema import Field, State

STATE_LOCK_TIMEOUT = "10s"  # how long writing a load's UploadLog state may wait for its row


log = logging.getLogger("propmail")

# the ADBC driver's size of a batch read (its default 16 MB); read ahead two at a time (at 1M
# rows, read and compared: 11.0 s one batch at a time, 7.6 s ahead, 6.9 s ahead with 32 MB
# batches, 70 MB more at the peak)
BATCH_BYTES_OPTION = "adbc.postgresql.batch_size_hint_bytes"
READ_BATCH_BYTES = 32 << 20
READ_AHEAD = 2
_DONE = object()  # the end of a stream read ahead


def prefetched(parts: Iterator[Any], depth: int = READ_AHEAD) -> Iterator[Any]:
    """`parts`, read up to `depth` ahead in a thread of their own while the caller works on
    the one before (the driver reads and decodes without the GIL). The reader's error is
    raised in the caller; a caller that stops early stops the reader before this returns."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for part in parts:
                if not put(part):
                    return
        except BaseException as exc:  # handed to the caller, raised there
            put(exc)
            return
        put(_DONE)

    reader = threading.Thread(target=read, name="propmail-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := ahead.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


# rows per piece of the COPY stream: the payload of the whole upload is never in memory at once
COPY_ROWS = 200_000
# rows per piece of a binary COPY: each piece is a slice's Arrow copy, its cast and its encoding
# at once (at 1M rows, 200,000-row pieces added 241 MB to the peak, 50,000-row ones 115 MB)
BINARY_ROWS = 50_000
# the Arrow type binary COPY sends for each column type of DIALECT: the encoder writes the
# Arrow type's PostgreSQL binary form, which the server reads only into that very type (a flag
# is SMALLINT, so int16); it also types a column that polars left all null
ARROW_TYPES = {
    "TEXT": pa.string(),
    "SMALLINT": pa.int16(),
    "INTEGER": pa.int32(),
    "DOUBLE PRECISION": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


def arrow_schema(fields: tuple[Field, ...]) -> pa.Schema:
    """The Arrow schema of a staging table: one column per field, of its COPY type."""
    return pa.schema([pa.field(f.name, ARROW_TYPES[DIALECT.type_of(f.kind)]) for f in fields])


def binary_chunks(
    pgpq: ModuleType, frame: pl.DataFrame, fields: tuple[Field, ...], rows: int = BINARY_ROWS
) -> Iterator[bytes]:
    """The frame as a binary COPY stream for a staging table of `fields`: header, then
    `rows` rows at a time, then the trailer. Flags become 0/1 (int16), an all-null column
    gets its field's type, and any other cast that would lose a value raises."""
    schema = arrow_schema(fields)
    encoder = pgpq.ArrowToPostgresBinaryEncoder(schema)
    yield encoder.write_header()
    columns = frame.select([f.name for f in fields])
    for offset in range(0, columns.height, rows):
        for batch in columns.slice(offset, rows).to_arrow().cast(schema).to_batches():
            yield encoder.write_batch(batch)
    yield encoder.finish()


def copy_chunks(frame: pl.DataFrame, rows: int = COPY_ROWS) -> Iterator[bytes]:
    """The frame's COPY payload (`copy_payload`), `rows` rows at a time."""
    for offset in range(0, frame.height, rows):
        yield copy_payload(frame.slice(offset, rows))


def copy_payload(frame: pl.DataFrame) -> bytes:
    """The frame as COPY text-format CSV: flags 0/1, NULL as an unquoted empty field."""
    frame = frame.with_columns(
        [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
    )
    buffer = io.BytesIO()
    frame.write_csv(
        buffer, include_header=False, null_value="", quote_style="non_numeric", float_precision=None
    )
    return buffer.getvalue()


CAPABILITIES = Capabilities(
    "PostgreSQL",
    compares_first=True,
    # 8, 9 and 10 are committed apart, and only after the region's advisory lock is held
    states_under_lock=(State.MERGING_OWNERS, State.MERGING_LOCATIONS, State.FINAL_UPDATES),
    # Only a load that closes this one's row as abandoned ever locks it, and it holds the
    # region's lock, so this load has lost it: waiting on that load's transaction, which may
    # itself wait on this load's, would hang both where no deadlock detector sees it.
    state_guard=f"SET LOCAL lock_timeout = '{STATE_LOCK_TIMEOUT}'",
    shared_owners=True,
    # owners found only refreshed before staging go to the one upsert by key, not staged
    owners_left_out=(sql.REFRESHED, sql.UNCHANGED),
    # the key tables are a heap: sorting the rows first cost more than it saved (1M rows)
    clustered_journal=False,
    ledger=PostgresLedger,
)


class PostgresBackend(SqlBackend):
    dialect = DIALECT
    capabilities = CAPABILITIES

    def __init__(self, engine: Engine, display_url: str) -> None:
        super().__init__(engine, display_url)
        if adbc_driver() is None:  # the stored rows cannot be read as Arrow: compared in SQL
            self.capabilities = replace(CAPABILITIES, compares_first=False)

    @classmethod
    def from_url(cls, url: URL) -> PostgresBackend:
        return cls(make_engine(url), engine_url(url).render_as_string(hide_password=True))

    def read_stored(self, region_id: int) -> Iterator[pl.DataFrame] | None:
        """The region's stored rows through ADBC (a binary COPY out, as Arrow), on a connection
        of its own: it sees what is committed, and the load holds the region's lock, so no
        other load changes the region's locations meanwhile. Owners are shared by every region:
        one another region's load writes after this read is one written after this load's
        comparison, as if that load had run after this one; the owners found changed are
        compared again in SQL."""
        adbc = adbc_driver()
        if adbc is None:
            return None
        uri = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            conn = adbc.connect(uri)
        except Exception as exc:  # the driver's own error types; the load goes on without it
            reason = redact.redact(" ".join(str(exc).split()))
            log.warning("the stored rows cannot be read as Arrow (%s): comparing in SQL", reason)
            return None
        statement = sql.stored_region(self.dialect, compare.stored_columns(), region_id)
        return self._read_arrow(conn, statement)

    def read_arrow(self, query: Select[Any]) -> pl.DataFrame | None:
        """Through the ADBC driver (a binary COPY out) on a connection of its own."""
        adbc = adbc_driver()
        if adbc is None:
            return None
        uri = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        statement = str(query.compile(self.engine, compile_kwargs={"literal_binds": True}))
        with closing(adbc.connect(uri)) as conn, closing(conn.cursor()) as cur:
            cur.execute(statement)
            return pl.from_arrow(cur.fetch_arrow_table())  # type: ignore[return-value]

    def _read_arrow(self, connection: Any, statement: str) -> Iterator[pl.DataFrame]:
        with closing(connection) as conn, closing(conn.cursor()) as cur:
            cur.execute(f"SET work_mem = '{LOAD_WORK_MEM}'")
            # the whole region is read: hash joins, whatever the statistics say (a region
            # loaded minutes ago, not analyzed yet, drew nested loops: 9-13 s against 5.5 s)
            cur.execute("SET enable_nestloop = off")
            cur.adbc_statement.set_options(**{BATCH_BYTES_OPTION: str(READ_BATCH_BYTES)})
            cur.execute(statement)
            frames = (pl.from_arrow(part) for part in cur.fetch_record_batch())
            yield from prefetched(frames)

    def stage(
        self, conn: Connection, name: str, fields: tuple[Field, ...], frame: pl.DataFrame
    ) -> None:
        conn.exec_driver_sql(sql.drop_stage_table(name, self.dialect))
        conn.exec_driver_sql(sql.create_stage_table(self.dialect, name, fields))
        columns = ", ".join(self.dialect.q(f.name) for f in fields)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        pgpq = binary_encoder()
        if pgpq is None:
            form, chunks = "csv", copy_chunks(frame)
        else:
            form, chunks = "binary", binary_chunks(pgpq, frame, fields)
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN (FORMAT {form})") as copy:
            for chunk in chunks:
                copy.write(chunk)
        self.analyze(conn, name)
        if name in (sql.STAGE_OWNER, sql.STAGE_LOCATION):
            self.staging = f"copy ({form})"
