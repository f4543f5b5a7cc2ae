"""The connection seam: the few things the SQL Server backend asks of a driver.

`Session` is what `MssqlBackend` talks to; `DriverSession` adapts a DB-API connection of
Microsoft's mssql-python (the default: installs from PyPI with its own driver) or of pyodbc
(needs an ODBC driver on the machine). Tests put a recording session at this seam instead of
imitating a driver.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa

from propmail.db.mssql.credentials import Settings
from propmail.errors import DatabaseUnavailable
from propmail.redact import redact

log = logging.getLogger(__name__)

Row = tuple[Any, ...]


class ConnectionFailed(DatabaseUnavailable):
    """No connection to SQL Server; nothing was written."""


class BulkCopyUnavailable(Exception):
    """The driver has no bulk copy; the backend stages JSON instead."""


class Session(Protocol):
    """One connection in autocommit mode: each batch commits on its own, and the procedures
    hold their own transactions."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one batch; the rows of its last result set (empty when it has none)."""

    def bulk_copy(self, table: str, columns: list[str], batches: list[pa.RecordBatch]) -> int:
        """Bulk-load Arrow record batches into `table`; rows copied. May raise
        `BulkCopyUnavailable`."""

    def close(self) -> None: ...


NATIVE_DRIVER_HINT = (
    "mssql-python could not load its bundled ODBC driver: install the system package libltdl7 "
    "(apt-get install libltdl7), or set MSSQL_PYTHON_NATIVE_PROVIDER=mssql-odbc to use its "
    "bundled driver that needs no system package"
)
PYODBC_HINT = (
    "mssql+pyodbc needs unixODBC and Microsoft's ODBC driver on this machine "
    "(or use mssql+mssqlpython://, which brings its own)"
)


def connect_dbapi(settings: Settings, autocommit: bool = True) -> Any:
    """A DB-API connection; errors come back as `ConnectionFailed` with the password masked."""
    try:
        if settings.driver == "mssqlpython":
            import mssql_python

            return mssql_python.connect(
                settings.connection_string(), autocommit=autocommit, timeout=settings.login_timeout
            )
        import pyodbc

        return pyodbc.connect(
            settings.connection_string(), autocommit=autocommit, timeout=settings.login_timeout
        )
    except ImportError as exc:
        hint = PYODBC_HINT if settings.driver == "pyodbc" else "pip install 'propmail[mssql]'"
        raise ConnectionFailed(
            f"cannot load the {settings.driver} driver ({redact(str(exc))}); {hint}"
        ) from None
    except Exception as exc:  # every driver error class: the message is all we keep
        detail = redact(str(exc))
        hint = f"; {NATIVE_DRIVER_HINT}" if "Failed to load the driver" in detail else ""
        raise ConnectionFailed(
            f"cannot connect to {settings.display()} "
            f"(login timeout {settings.login_timeout} s): {type(exc).__name__}: {detail}{hint}"
        ) from None


class DriverSession:
    """`Session` over a DB-API connection of mssql-python or pyodbc."""

    def __init__(self, connection: Any, settings: Settings) -> None:
        self.connection = connection
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings) -> DriverSession:
        return cls(connect_dbapi(settings), settings)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.connection.cursor()
        try:
            if self.settings.driver == "mssqlpython":
                # direct execution: install scripts (CREATE OR ALTER PROCEDURE) must not be
                # prepared, and every call here runs once
                cursor.execute(statement, *params, use_prepare=False)
            else:
                cursor.execute(statement, *params)
            rows: list[Row] = []
            while True:  # drain every result set: an error late in a batch surfaces here
                if cursor.description:
                    rows = [tuple(r) for r in cursor.fetchall()]
                if not cursor.nextset():
                    return rows
        finally:
            cursor.close()

    def bulk_copy(self, table: str, columns: list[str], batches: list[pa.RecordBatch]) -> int:
        if self.settings.driver != "mssqlpython":
            raise BulkCopyUnavailable(f"{self.settings.driver} has no bulk copy")
        cursor = self.connection.cursor()
        if not hasattr(cursor, "bulkcopy_arrow"):
            raise BulkCopyUnavailable("this mssql-python version has no bulkcopy_arrow")
        try:
            result = cursor.bulkcopy_arrow(
                table,
                batches,
                batch_size=max((b.num_rows for b in batches), default=0),
                timeout=0,  # the size of an upload, not a hung server, sets the duration
                column_mappings=columns,
                keep_nulls=True,
                # with constraints checked, bulk copy needs only INSERT permission, not ALTER
                check_constraints=True,
            )
        finally:
            cursor.close()
        return int(result.get("rows_copied", 0)) if isinstance(result, dict) else 0

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception as exc:  # closing a broken connection: nothing left to save
            log.debug("closing the SQL Server connection: %s", redact(str(exc)))
