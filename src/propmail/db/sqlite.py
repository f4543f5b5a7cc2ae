"""SQLite, the embedded default: one file, WAL mode, one writer at a time (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, create_engine, event, update
from sqlalchemy.engine import URL

from propmail.db import schema, sql
from propmail.db.plan import SqlBackend
from propmail.db.schema import Field

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's DateTime stores on SQLite
CACHE_KIB = 256 * 1024  # page cache per connection


def stage_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Flags as 0/1, dates as ISO text: the values SQLite stores."""
    return frame.with_columns(
        [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )


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
        conn.exec_driver_sql(sql.drop_stage_table(name))
        conn.exec_driver_sql(sql.create_stage_table(self.dialect, name, fields))
        rows = stage_rows(frame).iter_rows()
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            sql.stage_insert(self.dialect, name, fields), rows
        )

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
