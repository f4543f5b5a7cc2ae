"""SQLite, the embedded default: `backend.py` (the class), `dialect.py` (how it spells the load's
statements), `connect.py` (the engine and its session settings), `scratch.py` (selftest's
scratch file and fault trigger). The batch ledger needs nothing of its own here."""

from __future__ import annotations

from sqlalchemy.engine import URL

from propmail.db.sqlite.backend import CAPABILITIES, SqliteBackend
from propmail.db.sqlite.scratch import FAULT, scratch_database


def open_backend(url: URL) -> SqliteBackend:
    return SqliteBackend.from_url(url)


__all__ = ["CAPABILITIES", "FAULT", "SqliteBackend", "open_backend", "scratch_database"]
