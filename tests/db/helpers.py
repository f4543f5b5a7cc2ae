"""Helpers for database tests: canonical dumps of tables, a fixed clock."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from propmail.db import Backend, schema
from propmail.selftest.scenario import MONTH1, MONTH2

__all__ = ["MONTH1", "MONTH2", "by_key", "checksum", "dump"]


def dump(backend: Backend, table: str, without: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """Every row of a table, ordered by its key, as plain tuples (columns in `without` left out)."""
    t = schema.metadata.tables[table]
    cols = [c for c in t.columns if c.name not in without]
    with backend.engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(*t.primary_key.columns)).all()
    return [tuple(_plain(v) for v in row) for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def checksum(backend: Backend, tables: tuple[str, ...] | None = None) -> dict[str, str]:
    names = tables or tuple(t.name for t in schema.TABLES)
    return {n: hashlib.sha256(repr(dump(backend, n)).encode()).hexdigest() for n in names}


def by_key(backend: Backend, table: str, key: str) -> dict[Any, dict[str, Any]]:
    t = schema.metadata.tables[table]
    with backend.engine.connect() as conn:
        return {r._mapping[key]: dict(r._mapping) for r in conn.execute(select(t))}
