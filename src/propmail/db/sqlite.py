"""SQLite, the embedded default: one file, WAL mode, one writer at a time (BEGIN IMMEDIATE).

A load stages the upload's owners and locations as Arrow data through the ADBC SQLite driver
(`adbc-driver-sqlite`) into a scratch database file of its own, written and closed before the
load's connection attaches it, ahead of its transaction (SQLite attaches only outside one; and
ADBC links a SQLite of its own, whose locks this one does not see, so the two never have the
file open at once): the load still reads, compares and writes in its one transaction, and the
scratch file is removed when it ends. Without the driver, the rows go through `executemany`
into temporary tables of the load's connection, as they always did.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, Engine, create_engine, event, update
from sqlalchemy.engine import URL

from propmail.db import schema, sql
from propmail.db.plan import SqlBackend
from propmail.db.results import Batch
from propmail.db.schema import OWNER_FIELDS, STAGE_LOCATION_FIELDS, Field
from propmail.db.stored import stream_region, stream_rows
from propmail.progress import Step, no_step

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's DateTime stores on SQLite
CACHE_KIB = 256 * 1024  # page cache per connection
READ_CACHE_KIB = 2000  # SQLite's default, for a table read through once
ARROW_ROWS = 200_000  # rows per Arrow batch staged
SCRATCH = "propmail_stage"  # the schema name of the attached scratch database
# where a column is all null, polars has no type for it; Arrow needs one
ARROW_TYPES = {
    schema.TEXT: pl.String,
    schema.LONGTEXT: pl.String,
    schema.FLAG: pl.Int8,
    schema.INT: pl.Int64,
    schema.NUMBER: pl.Float64,
    schema.DATE: pl.String,
    schema.TIMESTAMP: pl.String,
}


def adbc_driver() -> ModuleType | None:
    """The ADBC SQLite driver's DB-API module, or None where it is not installed."""
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:
        return None
    return adbc


def stage_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Flags as 0/1, dates as ISO text: the values SQLite stores."""
    return frame.with_columns(
        [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )


def arrow_rows(
    frame: pl.DataFrame, fields: tuple[Field, ...], rows: int = ARROW_ROWS
) -> pa.RecordBatchReader:
    """The staged values of `stage_rows` as a stream of Arrow batches, each column with a
    type; converted `rows` rows at a time, so the whole upload is never copied at once."""
    staged = stage_rows(frame)
    kinds = {f.name: f.kind for f in fields}
    staged = staged.with_columns(
        [pl.col(c).cast(ARROW_TYPES[kinds[c]]) for c, t in staged.schema.items() if t == pl.Null]
    )

    def batches() -> Iterator[pa.RecordBatch]:
        for offset in range(0, staged.height, rows):
            yield from staged.slice(offset, rows).to_arrow().to_batches()

    return pa.RecordBatchReader.from_batches(staged.head(0).to_arrow().schema, batches())


Staged = tuple[str, tuple[Field, ...], pl.DataFrame]  # a staging table: name, columns, rows


def upload_tables(batch: Batch | None) -> list[Staged]:
    """The staging tables of an upload's owners and locations (none without a batch)."""
    if batch is None:
        return []
    return [
        (sql.STAGE_OWNER, OWNER_FIELDS, batch.staged_owners()),
        (sql.STAGE_LOCATION, STAGE_LOCATION_FIELDS, batch.staged_locations()),
    ]


def stage_arrow(adbc: ModuleType, scratch: str, tables: list[Staged]) -> None:
    """Bulk-insert each frame of `tables` as Arrow into its table of the database file
    `scratch`, with the column types of the temporary staging tables (the same affinities,
    so the same stored values)."""
    with closing(adbc.connect(scratch, autocommit=True)) as side, closing(side.cursor()) as cur:
        # a scratch file: no journal, no syncing to disk
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN")
        for name, fields, frame in tables:
            cur.execute(sql.create_stage_table(sql.SQLITE, name, fields).replace("TEMP ", "", 1))
            cur.adbc_ingest(name, arrow_rows(frame, fields), mode="append")
        cur.execute("COMMIT")


def make_engine(url: URL) -> Engine:
    """The engine; nothing is created on disk until a connection is made."""
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=600000")  # wait for another loader, not fail
        cursor.execute("PRAGMA foreign_keys=ON")
        # a load looks up a million keys at random: keep the indexes in memory (default 2 MB)
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # take the write lock up front: two loads never interleave, no upgrade deadlock
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SqliteBackend(SqlBackend):
    dialect = sql.SQLITE

    @classmethod
    def from_url(cls, url: URL) -> SqliteBackend:
        return cls(make_engine(url), url.render_as_string(hide_password=True))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read_once(self) -> Iterator[Connection]:
        """A connection to read a table through once (parity's region, verify-slugs' owners),
        with SQLite's default page cache: the load's (`CACHE_KIB`) would only fill with pages
        read once, some 250 MB of them over a 1M-row region."""
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")  # type: ignore[union-attr]
            try:
                yield conn
            finally:
                raw.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # type: ignore[union-attr]

    def read_rows(
        self, table: str, columns: dict[str, pl.DataType], batch_rows: int
    ) -> Iterator[pl.DataFrame]:
        with self.read_once() as conn:
            yield from stream_rows(conn, table, columns, batch_rows)

    def read_region(self, region_id: int, batch_rows: int) -> Iterator[pl.DataFrame]:
        with self.read_once() as conn:
            yield from stream_region(conn, region_id, batch_rows)

    @contextmanager
    def load_transaction(
        self, batch: Batch | None = None, step: Step = no_step
    ) -> Iterator[Connection]:
        with (
            self.engine.connect() as conn,
            self.scratch(conn, upload_tables(batch), step),
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def rolled_back(self, batch: Batch | None = None) -> Iterator[Connection]:
        with self.engine.connect() as conn, self.scratch(conn, upload_tables(batch)):
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def scratch(
        self, conn: Connection, tables: list[Staged], step: Step = no_step
    ) -> Iterator[None]:
        """Write `tables` as Arrow into a new scratch database file, then attach it to `conn`
        (outside a transaction, before the load's begins): `stage` finds them there. Nothing
        where ADBC is absent or there is nothing to stage."""
        adbc = adbc_driver()
        if adbc is None or not tables:
            yield
            return
        fd, name = tempfile.mkstemp(prefix="propmail-stage-", suffix=".db")
        os.close(fd)  # an empty file is an empty SQLite database
        raw = conn.connection.driver_connection
        try:
            # before the load's transaction, so before the region lock: not the step "staging"
            step("staging: Arrow file")
            # written and closed before the load's connection opens it: ADBC links its own
            # SQLite, whose locks the load's SQLite library does not see
            stage_arrow(adbc, name, tables)
            raw.execute(f"ATTACH DATABASE ? AS {SCRATCH}", (name,))  # type: ignore[union-attr]
            conn.info[SCRATCH] = {table for table, _, _ in tables}
            tables.clear()  # the frames are in the file now (a sorted one is a copy of its own)
            yield
        finally:
            attached = conn.info.pop(SCRATCH, None) is not None
            try:
                if attached:
                    raw.execute(f"DETACH DATABASE {SCRATCH}")  # type: ignore[union-attr]
            except sqlite3.Error:
                conn.invalidate()  # not put back in the pool with the file attached
            Path(name).unlink(missing_ok=True)

    def exists(self) -> bool:
        """Connecting would create a missing file; every command but `db init` asks first."""
        path = self.path
        return path is None or path.is_file()

    @property
    def path(self) -> Path | None:
        """The database file, absolute (None in memory)."""
        name = self.engine.url.database
        if not name or name == ":memory:":
            return None
        return Path(name).expanduser().absolute()

    @property
    def where(self) -> str:
        return f"the SQLite file {self.path}" if self.path else self.display_url

    def create_schema(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        super().create_schema()

    def lock_region(self, conn: Connection, region_id: int) -> None:
        """BEGIN IMMEDIATE already holds the database's single write lock."""

    def stage(
        self, conn: Connection, name: str, fields: tuple[Field, ...], frame: pl.DataFrame
    ) -> None:
        if name in conn.info.get(SCRATCH, ()):
            self.staging = "adbc"  # written into the attached scratch database already
            return
        conn.exec_driver_sql(sql.drop_stage_table(name, self.dialect))
        conn.exec_driver_sql(sql.create_stage_table(self.dialect, name, fields))
        rows = stage_rows(frame).iter_rows()
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            sql.stage_insert(self.dialect, name, fields), rows
        )
        if name in (sql.STAGE_OWNER, sql.STAGE_LOCATION):
            self.staging = "executemany"

    def timestamp(self, moment: datetime) -> Any:
        return moment.strftime(TIMESTAMP_FORMAT)

    def set_state(self, log_id: int, state: int, conn: Connection | None = None) -> None:
        if conn is None:
            super().set_state(log_id, state)
            return
        # SQLite has one writer: inside the load the state is part of its transaction,
        # so readers see 7 and then 3 (or 4); 8, 9 and 10 never show on their own.
        conn.execute(
            update(schema.upload_log)
            .where(schema.upload_log.c.UploadLogId == log_id)
            .values(ProcessingState=state)
        )
