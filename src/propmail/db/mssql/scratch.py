"""`propmail selftest`'s scratch database on SQL Server, and the fault trigger it injects
(`propmail.db.faults`).

The shipped T-SQL names its objects ``dbo.``, so it cannot be installed into another schema:
a database ``propmail_selftest_<random>`` is created (the login needs CREATE DATABASE), the
procedures are installed into it, and it is dropped at the end. The scratch URL sets
``clock=client`` so the scenario's months are the clock the procedure uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import URL

from propmail.db.faults import MESSAGE, TRIGGER, Fault, scratch_name
from propmail.db.mssql.connect import connect_dbapi
from propmail.db.mssql.credentials import resolve
from propmail.errors import DatabaseUnavailable
from propmail.redact import display_url, redact


@contextmanager
def scratch_database(url: URL) -> Iterator[str]:
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


FAULT = Fault(
    create=[
        f"CREATE TRIGGER dbo.{TRIGGER} ON dbo.Location AFTER INSERT, UPDATE AS "
        f"BEGIN SET NOCOUNT ON; THROW 50099, N'{MESSAGE}', 1; END"
    ],
    drop=[f"DROP TRIGGER dbo.{TRIGGER}"],
)
