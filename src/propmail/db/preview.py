"""The dry run: what a load would do to the database, computed read-only.

The upload is staged into temporary tables inside a transaction that is always rolled back;
the counts come from the very statements the load runs (`sql.owner_counts`,
`sql.location_counts`, `sql.missing_codes`), so the prediction and the load cannot drift
apart. Nothing persists: no owner, location or list code, not even an UploadLog row.

The parity view compares, for every location of the upload that the database already has,
its stored list code (last written by propmail or by the legacy procedure) with the code this
upload gives it, grouped by old code -> new code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

from propmail.db import schema, sql
from propmail.db.base import Backend, LoadResult
from propmail.db.schema import Field
from propmail.db.sql import _in_window as in_window  # the load's own update-window test
from propmail.progress import Step, no_step
from propmail.settings import Rules

# Stands in for the id of an owner or list code the load would create: no real id is negative.
PENDING_ID = -1
MAX_EXAMPLES = 5  # parcel ids shown per old code -> new code


@dataclass
class CodeChange:
    """Existing locations whose list code this upload changes from `old_code` to `new_code`."""

    old_code: str | None
    new_code: str
    locations: int
    frozen: int  # of those, outside the update window: the load leaves them as they are
    examples: list[str] = field(default_factory=list)  # parcel ids (PrimaryId)

    @property
    def changing(self) -> int:
        return self.locations - self.frozen


@dataclass
class Preview:
    """The dry run's diff against the database."""

    counts: LoadResult  # what the load would report; upload_log_id is None
    new_code_rows: dict[str, int]  # list code not in the database -> locations carrying it
    existing: int  # locations of the upload the database already has (this region)
    parity: list[CodeChange] = field(default_factory=list)

    @property
    def code_changes(self) -> int:
        """Existing locations whose stored list code differs from the new one."""
        return sum(c.locations for c in self.parity)

    @property
    def same_code(self) -> int:
        return self.existing - self.code_changes


def parity_sql(d: sql.Dialect, examples: int = MAX_EXAMPLES) -> str:
    """Existing locations whose code differs, per (old, new) pair, with a few parcel ids each.

    One row per example: old_code, new_code, locations, frozen, example.
    """
    q = d.q
    old, new = f"l.{q('PriorityCode')}", f"s.{q('PriorityCode')}"
    pair = f"PARTITION BY {old}, {new}"
    frozen = f"CASE WHEN {in_window(d, 'l')} THEN 0 ELSE 1 END"
    return (
        "SELECT old_code, new_code, locations, frozen, example FROM ("
        f"SELECT {old} AS old_code, {new} AS new_code, s.{q('PrimaryId')} AS example, "
        f"COUNT(*) OVER ({pair}) AS locations, SUM({frozen}) OVER ({pair}) AS frozen, "
        f"ROW_NUMBER() OVER ({pair} ORDER BY s.{q('PrimaryId')}) AS pick "
        f"FROM {sql.STAGE_LOCATION} s JOIN {q('Location')} l "
        f"ON l.{q('PrimaryId')} = s.{q('PrimaryId')} AND l.{q('RegionId')} = :region "
        f"WHERE {d.distinct(old, new)}) pairs WHERE pick <= {int(examples)}"
    )


def code_changes(rows: list[Any]) -> list[CodeChange]:
    """Rows of `parity_sql` -> one CodeChange per pair, largest first."""
    pairs: dict[tuple[str | None, str], CodeChange] = {}
    for old_code, new_code, locations, frozen, example in rows:
        change = pairs.setdefault(
            (old_code, new_code), CodeChange(old_code, new_code, int(locations), int(frozen))
        )
        change.examples.append(example)
    for change in pairs.values():
        change.examples.sort()
    return sorted(pairs.values(), key=lambda c: (-c.locations, c.old_code or "", c.new_code))


@contextmanager
def rolled_back(backend: Backend) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back whatever happens."""
    with backend.engine.connect() as conn:
        try:
            yield conn
        finally:
            conn.rollback()


def preview(
    backend: Backend,
    region_id: int,
    owners: pl.DataFrame,
    locations: pl.DataFrame,
    rules: Rules,
    now: datetime,
    step: Step = no_step,
) -> Preview:
    """The dry run on a backend that stages into temporary tables (SQLite, PostgreSQL)."""
    d = backend.dialect
    params = backend.load_params(region_id, rules, now)
    rows_per_code = dict(locations.group_by("PriorityCode").len().iter_rows())
    codes = pl.DataFrame({"Code": sorted(rows_per_code)}, schema={"Code": pl.String})
    counts = LoadResult(upload_log_id=None, region_id=region_id, rows_processed=locations.height)
    with rolled_back(backend) as conn:
        step("staging")
        backend.stage_upload(conn, owners, locations)
        backend.stage(conn, sql.STAGE_CODE, (Field("Code", schema.TEXT),), codes)
        step("list codes")
        counts.new_codes = list(conn.scalars(text(sql.missing_codes(d))))
        step("comparing owners")
        (counts.owners_inserted, counts.owners_updated, counts.owners_unchanged) = conn.execute(
            text(sql.owner_counts(d)), params
        ).one()
        step("comparing locations")
        (
            counts.locations_inserted,
            counts.locations_updated,
            counts.locations_unchanged,
            counts.locations_frozen,
        ) = conn.execute(text(sql.location_counts(d, PENDING_ID)), params).one()
        step("parity")
        parity = code_changes(list(conn.execute(text(parity_sql(d)), params)))
    return Preview(
        counts=counts,
        new_code_rows={code: int(rows_per_code[code]) for code in counts.new_codes},
        existing=counts.locations_updated + counts.locations_unchanged + counts.locations_frozen,
        parity=parity,
    )
