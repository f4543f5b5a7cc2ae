"""Database backends behind one seam (`propmail.db.backend.Backend`).

``connect(url)`` picks the backend from a SQLAlchemy URL: ``sqlite:///propmail.db`` (default),
``postgresql+psycopg://...``, ``mssql+mssqlpython://...`` or ``mssql+pyodbc://...``.

``backend.py`` is the seam, ``results.py`` what crosses it (`Batch` in, `LoadResult` and
`Preview` out), ``plan.py`` the generated-SQL load and dry run that ``sqlite.py`` and
``postgres.py`` follow, ``mssql/`` SQL Server through its own procedures.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from propmail.db.backend import Backend
from propmail.db.plan import SqlBackend
from propmail.db.results import Batch, CodeChange, LoadResult, Preview
from propmail.errors import InputError
from propmail.redact import display_url

DEFAULT_URL = "sqlite:///propmail.db"


def resolve_url(url: str | None) -> str:
    """--db, else $PROPMAIL_DB_URL, else the SQLite file propmail.db."""
    return url or os.environ.get("PROPMAIL_DB_URL") or DEFAULT_URL


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(
            "not a database URL (expected e.g. sqlite:///propmail.db)", option="--db"
        ) from None


def connect(url: str | None = None) -> Backend:
    parsed = parse_url(resolve_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        from propmail.db.sqlite import SqliteBackend

        return SqliteBackend.from_url(parsed)
    if backend == "postgresql":
        from propmail.db.postgres import PostgresBackend

        return PostgresBackend.from_url(parsed)
    if backend == "mssql":
        from propmail.db.mssql import MssqlBackend

        return MssqlBackend.from_url(parsed)
    raise InputError(
        f"unsupported database {backend!r} "
        f"(sqlite, postgresql or mssql; got {display_url(parsed)})",
        option="--db",
    )


def connect_sql(url: str | None = None) -> SqlBackend:
    """A SQLite or PostgreSQL backend, whose SQLAlchemy engine the caller may use directly."""
    backend = connect(url)
    if not isinstance(backend, SqlBackend):
        raise InputError(f"{backend.display_url} is not SQLite or PostgreSQL", option="--db")
    return backend


__all__ = [
    "DEFAULT_URL",
    "Backend",
    "Batch",
    "CodeChange",
    "LoadResult",
    "Preview",
    "SqlBackend",
    "connect",
    "connect_sql",
    "resolve_url",
]
