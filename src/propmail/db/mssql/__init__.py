"""SQL Server 2016 SP1+: the production backend (see docs/sqlserver.md).

The T-SQL ships beside this module as .sql files (schema and procedures) and is installed by
``propmail db init --db mssql+mssqlpython://...``.
"""

from __future__ import annotations

from propmail.db.mssql.backend import MssqlBackend
from propmail.db.mssql.credentials import Secret, Settings, resolve
from propmail.db.mssql.session import ConnectionFailed

__all__ = ["ConnectionFailed", "MssqlBackend", "Secret", "Settings", "resolve"]
