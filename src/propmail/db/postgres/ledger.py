"""The batch ledger on PostgreSQL: a column added to a ledger of an earlier version tolerates
another worker adding it at the same time."""

from __future__ import annotations

from propmail.db.ledger import Ledger


class PostgresLedger(Ledger):
    add_column_guard = " IF NOT EXISTS"  # a racing create
