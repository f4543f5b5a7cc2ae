"""A SQLite database from its URL: the engine, its session settings, the database file.

WAL mode, a long busy timeout (a second loader waits, it does not fail), foreign keys on, a
large page cache for the load's random lookups, and ``BEGIN IMMEDIATE`` for every transaction:
the write lock is taken up front, so two loads never interleave and never deadlock upgrading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL

# a connection's `info` key: its transactions only read (BEGIN, not BEGIN IMMEDIATE), so a read
# through a whole region (parity, verify-slugs) never holds the write lock a load waits for
READ_ONLY = "propmail_read_only"
CACHE_KIB = 256 * 1024  # page cache per connection
READ_CACHE_KIB = 2000  # SQLite's default, for a table read through once


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
        # take the write lock up front: two loads never interleave, no upgrade deadlock; a
        # connection that only reads takes none (WAL: it reads its snapshot beside a writer)
        conn.exec_driver_sql("BEGIN" if conn.info.get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def database_file(url: URL) -> Path | None:
    """The database file, absolute (None in memory)."""
    name = url.database
    if not name or name == ":memory:":
        return None
    return Path(name).expanduser().absolute()
