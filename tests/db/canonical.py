"""The canonical dump of `propmail.selftest.canonical`, taken from a backend."""

from __future__ import annotations

from typing import Any

from propmail.db import Backend
from propmail.selftest import canonical as _canonical
from propmail.selftest.canonical import CANONICAL_TABLES, canonical_query, digest

__all__ = ["CANONICAL_TABLES", "canonical", "canonical_query", "digest"]


def canonical(
    backend: Backend, tables: tuple[str, ...] = CANONICAL_TABLES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in canonical form, as plain Python values."""
    return _canonical.canonical(backend.engine, tables)  # type: ignore[attr-defined]
