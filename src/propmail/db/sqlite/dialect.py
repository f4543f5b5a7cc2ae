"""How SQLite spells the load's statements: the base `Dialect` as it is (``INSERT ... ON
CONFLICT``, ``UPDATE ... FROM``: SQLite 3.33+), timestamps bound as the text SQLAlchemy's
DateTime stores, no region lock (``BEGIN IMMEDIATE`` already holds the one write lock)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from propmail.db.sql.dialect import Dialect

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's DateTime stores on SQLite


class SqliteDialect(Dialect):
    name = "sqlite"

    def timestamp(self, moment: datetime) -> Any:
        return moment.strftime(TIMESTAMP_FORMAT)


DIALECT = SqliteDialect()
