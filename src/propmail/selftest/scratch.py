"""Scratch databases that `propmail selftest` creates, loads and drops.

- SQLite: a file in a temporary directory.
- PostgreSQL: a schema ``propmail_selftest_<random>`` in the database of the URL, reached through
  ``search_path`` (propmail's SQL names its tables unqualified), dropped with CASCADE.
- SQL Server: the shipped T-SQL names its objects ``dbo.``, so it cannot be installed into
  another schema; a database ``propmail_selftest_<random>`` is created (the login needs
  CREATE DATABASE), the procedures are installed into it, and it is dropped at the end. The
  scratch URL sets ``clock=client`` so the scenario's months are the clock the procedure uses.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from propmail.db import parse_url, resolve_url
from propmail.errors import DatabaseUnavailable, InputError
from propmail.redact import display_url, redact


def scratch_name() -> str:
    return f"propmail_selftest_{secrets.token_hex(4)}"


@contextmanager
def sqlite_scratch(url: URL) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="propmail_selftest_") as folder:
        yield f"sqlite:///{Path(folder) / 'selftest.db'}"


@contextmanager
def postgres_scratch(url: URL) -> Iterator[str]:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = scratch_name()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise DatabaseUnavailable(
            f"cannot create a scratch schema in {display_url(url)}: {redact(reason)}"
        ) from None
    try:
        scoped = url.update_query_dict({"options": f"-csearch_path={name}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def mssql_scratch(url: URL) -> Iterator[str]:
    from propmail.db.mssql.credentials import resolve
    from propmail.db.mssql.session import connect_dbapi

    name = scratch_name()
    server = connect_dbapi(resolve(url), autocommit=True)
    try:
        try:
            server.cursor().execute(f"CREATE DATABASE [{name}]")
        except Exception as exc:  # every driver error class: the message is all we keep
            raise DatabaseUnavailable(
                f"cannot create the scratch database {name} on {display_url(url)} "
                f"(the login needs CREATE DATABASE): {redact(str(exc))}"
            ) from None
        try:
            scoped = url.set(database=name).update_query_dict({"clock": "client"})
            yield scoped.render_as_string(hide_password=False)
        finally:
            cursor = server.cursor()
            cursor.execute(f"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
            cursor.execute(f"DROP DATABASE [{name}]")
    finally:
        server.close()


SCRATCH: dict[str, Callable[[URL], AbstractContextManager[str]]] = {
    "sqlite": sqlite_scratch,
    "postgresql": postgres_scratch,
    "mssql": mssql_scratch,
}


def scratch(url: str | None) -> AbstractContextManager[str]:
    """The URL of an empty scratch database beside `url`'s, dropped when the block ends."""
    parsed = parse_url(resolve_url(url))
    maker = SCRATCH.get(parsed.get_backend_name())
    if maker is None:
        raise InputError(
            f"unsupported database {parsed.get_backend_name()!r} (sqlite, postgresql or mssql)",
            option="--db",
        )
    return maker(parsed)
