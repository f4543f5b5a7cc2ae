"""SQL Server 2016 SP1+: the production backend (see docs/sqlserver.md).

`backend.py` (the class), `dialect.py` (the T-SQL it sends; the installed scripts ship beside
it as .sql files), `connect.py` (the driver session), `credentials.py` (the URL, environment
and AWS SSM settings), `staging.py` (the rows as JSON chunks or Arrow), `scratch.py` (selftest's
scratch database and fault trigger), `ledger.py` (the batch ledger's table). The T-SQL is
installed by ``propmail db init --db mssql+mssqlpython://...``.
"""

from __future__ import annotations

from sqlalchemy.engine import URL

from propmail.db.mssql.backend import CAPABILITIES, MssqlBackend
from propmail.db.mssql.connect import ConnectionFailed
from propmail.db.mssql.credentials import Secret, Settings, resolve
from propmail.db.mssql.scratch import FAULT, scratch_database


def open_backend(url: URL) -> MssqlBackend:
    return MssqlBackend.from_url(url)


__all__ = [
    "CAPABILITIES",
    "FAULT",
    "ConnectionFailed",
    "MssqlBackend",
    "Secret",
    "Settings",
    "open_backend",
    "resolve",
    "scratch_database",
]
