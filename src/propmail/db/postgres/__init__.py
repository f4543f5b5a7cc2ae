"""PostgreSQL: `backend.py` (the class), `dialect.py` (how it spells the load's statements),
`connect.py` (the engine and the optional drivers), `scratch.py` (selftest's scratch schema and
fault trigger), `ledger.py` (the batch ledger's table)."""

from __future__ import annotations

from sqlalchemy.engine import URL

from propmail.db.postgres.backend import CAPABILITIES, PostgresBackend
from propmail.db.postgres.dialect import DIALECT, LOAD_WORK_MEM, REGION_LOCK_KEY
from propmail.db.postgres.scratch import FAULT, scratch_database


def open_backend(url: URL) -> PostgresBackend:
    return PostgresBackend.from_url(url)


__all__ = [
    "CAPABILITIES",
    "DIALECT",
    "FAULT",
    "LOAD_WORK_MEM",
    "REGION_LOCK_KEY",
    "PostgresBackend",
    "open_backend",
    "scratch_database",
]
