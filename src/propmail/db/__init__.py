"""Database backends behind one seam (`propmail.db.backend`).

``connect(url)`` picks the backend from a SQLAlchemy URL's scheme through `BACKENDS`, which
maps each scheme to the folder of its backend: ``sqlite:///propmail.db`` (default),
``postgresql+psycopg://...``, ``mssql+mssqlpython://...`` or ``mssql+pyodbc://...``. Every
folder has the same files (`backend.py`, `dialect.py`, `connect.py`, `scratch.py`, and
`ledger.py` where the batch ledger needs something of its own) and exposes the same names
(`BackendFolder`).

``backend.py`` is the seam, ``results.py`` and ``options.py`` what crosses it (`Batch` and
`LoadOptions` in, `LoadResult` and `Preview` out), ``plan.py`` the generated-SQL load and dry
run that SQLite and PostgreSQL follow, ``sql/`` its statements.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, cast

from propmail.errors import DatabaseUnavailable, InputError
from propmail.redact import display_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from propmail.db.backend import Admin, Backend, Capabilities, Database
    from propmail.db.faults import Fault
    from propmail.db.options import BaseCode, LoadOptions, NewListDefaults
    from propmail.db.plan import SqlBackend
    from propmail.db.results import Batch, CodeChange, Identical, LoadResult, Preview

# The seam's names, imported on first use (`__getattr__`): the command line reads the URLs
# below without loading SQLAlchemy or polars.
_NAMES = {
    "propmail.db.backend": ("Admin", "Backend", "Capabilities", "Database"),
    "propmail.db.faults": ("Fault",),
    "propmail.db.options": ("BaseCode", "LoadOptions", "NewListDefaults"),
    "propmail.db.plan": ("SqlBackend",),
    "propmail.db.results": ("Batch", "CodeChange", "Identical", "LoadResult", "Preview"),
}
_MODULE_OF = {name: module for module, names in _NAMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


DEFAULT_URL = "sqlite:///propmail.db"
# an empty in-memory database of the embedded backend (selftest's reference, scratch files)
EMBEDDED_URL = "sqlite://"

# the URL's scheme (SQLAlchemy's backend name) -> the folder of its backend under propmail.db
BACKENDS = {"sqlite": "sqlite", "postgresql": "postgres", "mssql": "mssql"}
# the scheme -> the extra that installs its drivers (the embedded backend's are in the base)
EXTRAS = {"postgresql": "postgres", "mssql": "mssql"}


class BackendFolder(Protocol):
    """What `propmail.db` finds in a backend's folder (its ``__init__``)."""

    CAPABILITIES: Capabilities
    FAULT: Fault  # selftest's fault trigger

    def open_backend(self, url: URL) -> Database: ...

    # selftest's empty scratch database beside `url`'s: its URL, dropped when the block ends
    scratch_database: Callable[[URL], AbstractContextManager[str]]


def resolve_url(url: str | None) -> str:
    """--db, else $PROPMAIL_DB_URL, else the SQLite file propmail.db."""
    return url or os.environ.get("PROPMAIL_DB_URL") or DEFAULT_URL


def parse_url(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(
            f"not a database URL (expected e.g. {DEFAULT_URL})", option="--db"
        ) from None


def folder(url: URL) -> BackendFolder:
    """The backend folder of the URL's scheme (imported on first use)."""
    name = BACKENDS.get(url.get_backend_name())
    if name is None:
        raise InputError(
            f"unsupported database {url.get_backend_name()!r} "
            f"({', '.join(BACKENDS)}; got {display_url(url)})",
            option="--db",
        )
    return cast(BackendFolder, importlib.import_module(f"propmail.db.{name}"))


def connect(url: str | None = None) -> Database:
    """The backend of `url`: InputError (exit status 2) for a driver no backend has,
    DatabaseUnavailable (4) naming the extra to install for a driver that is not installed."""
    from sqlalchemy.exc import NoSuchModuleError

    parsed = parse_url(resolve_url(url))
    try:
        return folder(parsed).open_backend(parsed)
    except NoSuchModuleError:
        raise InputError(
            f"unknown database driver {parsed.drivername!r} in {display_url(parsed)} "
            f"(e.g. {', '.join(EXAMPLE_DRIVERS)})",
            option="--db",
        ) from None
    except ImportError as exc:  # ModuleNotFoundError: the driver is not installed
        raise missing_driver(parsed, exc) from None


EXAMPLE_DRIVERS = ("sqlite", "postgresql+psycopg", "mssql+mssqlpython", "mssql+pyodbc")


def missing_driver(url: URL, exc: ImportError) -> DatabaseUnavailable:
    """The error of a URL whose driver is not installed, naming the extra that installs it.

    >>> from sqlalchemy.engine import make_url
    >>> error = missing_driver(make_url("postgresql://h/db"), ModuleNotFoundError(name="psycopg"))
    >>> str(error).split("; ")
    ['cannot use postgresql://h/db: its driver is not installed (psycopg)', \
'install it with: pip install "propmail[postgres]"']
    """
    extra = EXTRAS.get(url.get_backend_name())
    hint = f'; install it with: pip install "propmail[{extra}]"' if extra else ""
    return DatabaseUnavailable(
        f"cannot use {display_url(url)}: its driver is not installed ({exc.name or exc}){hint}"
    )


def connect_sql(url: str | None = None) -> SqlBackend:
    """A backend of the generated SQL (SQLite, PostgreSQL), whose steps the caller may use."""
    from propmail.db.plan import SqlBackend

    backend = connect(url)
    if not isinstance(backend, SqlBackend):
        raise InputError(f"{backend.display_url} is not SQLite or PostgreSQL", option="--db")
    return backend


def with_ssm_prefix(url: str | None, ssm_prefix: str | None) -> str:
    """The URL (default: SQL Server's, credentials from the environment) with its credentials
    read from AWS SSM Parameter Store under a prefix, the one secret store SQL Server takes."""
    from propmail.db.mssql.credentials import with_ssm_prefix  # the mssql folder on first use

    return with_ssm_prefix(parse_url(url or "mssql+mssqlpython://"), ssm_prefix)


def scratch(url: str | None) -> AbstractContextManager[str]:
    """The URL of an empty scratch database beside `url`'s, dropped when the block ends."""
    parsed = parse_url(resolve_url(url))
    return folder(parsed).scratch_database(parsed)


def fault(url: str) -> Fault:
    """The fault trigger `propmail selftest` injects into the database of `url`."""
    return folder(parse_url(url)).FAULT


__all__ = [
    "BACKENDS",
    "DEFAULT_URL",
    "EMBEDDED_URL",
    "Admin",
    "Backend",
    "BaseCode",
    "Batch",
    "Capabilities",
    "CodeChange",
    "Database",
    "Identical",
    "LoadOptions",
    "LoadResult",
    "NewListDefaults",
    "Preview",
    "SqlBackend",
    "connect",
    "connect_sql",
    "fault",
    "parse_url",
    "resolve_url",
    "scratch",
    "with_ssm_prefix",
]
