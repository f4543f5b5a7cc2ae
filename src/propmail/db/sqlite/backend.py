"""SQLite, the embedded default: one file, WAL mode, one writer at a time (BEGIN IMMEDIATE).

A load stages the upload's owners and locations as Arrow data through the ADBC SQLite driver
(`adbc-driver-sqlite`) into a scratch database file of its own, written and closed before the
load's connection attaches it, ahead of its transaction (SQLite attaches only outside one; and
ADBC links a SQLite of its own, whose locks this one does not see, so the two never have the
file open at once): the load still reads, compares and writes in its one transaction, and the
scratch file is removed when it ends. It lives beside the database (`scratch_file`), named
after it and the loading process: a load killed before it could remove its file (kill -9)
leaves it there, and the next load of the database removes it (`remove_stale`). Without the
driver, the rows go through `executemany` into temporary tables of the load's connection, as
they always did.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, Select
from sqlalchemy.engine import URL

from propmail.db import schema, sql
from propmail.db.backend import Capabilities
from propmail.db.plan import SqlBackend
from propmail.db.schema import Field
from propmail.db.sqlbase import STAGED_AHEAD, Staged, Tables, staged_ahead
from propmail.db.sqlite.connect import (
    CACHE_KIB,
    READ_CACHE_KIB,
    READ_ONLY,
    database_file,
    make_engine,
)
from propmail.db.sqlite.dialect import DIALECT
from propmail.progress import Step, no_step

log = logging.getLogger("propmail")

ARROW_ROWS = 200_000  # rows per Arrow batch staged
SCRATCH = "propmail_stage"  # the schema name of the attached scratch database
STAGE_INFIX = ".propmail-stage-"  # a scratch file: <database file><this><pid>-<random>.db
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


def scratch_file(database: Path | None) -> Path:
    """A new empty scratch file for one load: beside `database` (a file), named after it and
    this process; in the temporary folder for a database in memory."""
    if database is None:
        fd, name = tempfile.mkstemp(prefix="propmail-stage-", suffix=".db")
    else:
        prefix = f"{database.name}{STAGE_INFIX}{os.getpid()}-"
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".db", dir=database.parent)
    os.close(fd)  # an empty file is an empty SQLite database
    return Path(name)


def remove_stale(database: Path) -> list[Path]:
    """Remove the scratch files beside `database` whose process has ended (killed before it
    could remove its own); returns them."""
    removed = []
    start = f"{database.name}{STAGE_INFIX}"
    for name in os.listdir(database.parent) if database.parent.is_dir() else []:
        pid = name[len(start) :].partition("-")[0]
        if name.startswith(start) and pid.isdigit() and not _alive(int(pid)):
            (database.parent / name).unlink(missing_ok=True)
            removed.append(database.parent / name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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
            cur.execute(sql.create_stage_table(DIALECT, name, fields).replace("TEMP ", "", 1))
            cur.adbc_ingest(name, arrow_rows(frame, fields), mode="append")
        cur.execute("COMMIT")


# one writer at a time (BEGIN IMMEDIATE): the states are part of the load's transaction, the
# owners' dates refreshed by key, the journal's key tables clustered (WITHOUT ROWID)
CAPABILITIES = Capabilities("SQLite")


class SqliteBackend(SqlBackend):
    dialect = DIALECT
    capabilities = CAPABILITIES

    @classmethod
    def from_url(cls, url: URL) -> SqliteBackend:
        return cls(make_engine(url), url.render_as_string(hide_password=True), database_file(url))

    def read_arrow(self, query: Select[Any]) -> pl.DataFrame | None:
        """None: the caller reads through SQLAlchemy. ADBC links a SQLite library of its own, and
        a process holding one file through two SQLite libraries loses its locks when either
        closes the file (POSIX record locks belong to the process): the next connection of the
        load's library then fails with "disk I/O error". Staging ahead avoids it by writing a
        file of its own; a read of the database itself cannot."""
        return None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read a table through once (parity's region, verify-slugs' owners),
        with SQLite's default page cache: the load's (`CACHE_KIB`) would only fill with pages
        read once, some 250 MB of them over a 1M-row region. Its transaction only reads: a
        load of the region goes on beside it (`READ_ONLY`)."""
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")  # type: ignore[union-attr]
            conn.info[READ_ONLY] = True
            try:
                yield conn
            finally:
                conn.info.pop(READ_ONLY, None)
                raw.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # type: ignore[union-attr]

    @contextmanager
    def stage_ahead(self, conn: Connection, tables: Tables, step: Step = no_step) -> Iterator[None]:
        """Write `tables` as Arrow into a new scratch database file, then attach it to `conn`
        (outside a transaction, before the load's begins): `stage` finds them there. Nothing
        where ADBC is absent or there is nothing to stage."""
        adbc = adbc_driver()
        staged = tables() if adbc is not None else []
        if adbc is None or not staged:
            yield
            return
        if self.file is not None:
            for stale in remove_stale(self.file):
                log.info("removed the staging file of a load that was killed: %s", stale)
        name = str(scratch_file(self.file))
        raw = conn.connection.driver_connection
        try:
            # before the load's transaction, so before the region lock: not the step "staging"
            step("staging: Arrow file")
            # written and closed before the load's connection opens it: ADBC links its own
            # SQLite, whose locks the load's SQLite library does not see
            stage_arrow(adbc, name, staged)
            raw.execute(f"ATTACH DATABASE ? AS {SCRATCH}", (name,))  # type: ignore[union-attr]
            conn.info[STAGED_AHEAD] = {table for table, _, _ in staged}
            staged.clear()  # the frames are in the file now (a sorted one is a copy of its own)
            yield
        finally:
            attached = conn.info.pop(STAGED_AHEAD, None) is not None
            try:
                if attached:
                    raw.execute(f"DETACH DATABASE {SCRATCH}")  # type: ignore[union-attr]
            except sqlite3.Error:
                conn.invalidate()  # not put back in the pool with the file attached
            Path(name).unlink(missing_ok=True)

    def stage(
        self, conn: Connection, name: str, fields: tuple[Field, ...], frame: pl.DataFrame
    ) -> None:
        if name in staged_ahead(conn):
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
