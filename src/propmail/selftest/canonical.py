"""A canonical dump of every table: comparable across backends and across re-runs.

Surrogate ids (OwnerId, LocationId, ListPriorityId, ...) depend on sequences, which a rolled-back
load still advances, so references are replaced by the natural keys they point at (Owner.Slug,
ListPriority.Code) and the ids themselves are left out. Timestamps a load writes come from its
fixed clock and stay in; UploadLog.ProcessingStarted is the wall clock and is left out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, select

from propmail.db import schema

CANONICAL_TABLES = (
    "Region",
    "ListPriority",
    "RegionListFrequency",
    "Owner",
    "Location",
    "UploadLog",
)
DATA_TABLES = CANONICAL_TABLES[:-1]


def plain(value: Any) -> Any:
    """One value as every backend would give it: flags and whole floats as int, no tzinfo."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _without(table: Any, *names: str) -> list[Any]:
    return [c for c in table.columns if c.name not in names]


def canonical_query(table: str) -> Select[Any]:
    """The rows of `table` with references as natural keys, in a total order."""
    region, lp, rlf = schema.region, schema.list_priority, schema.region_list_frequency
    owner, location, log = schema.owner, schema.location, schema.upload_log
    if table == "Region":
        return select(*region.columns).order_by(region.c.RegionId)
    if table == "ListPriority":
        return select(*_without(lp, "ListPriorityId")).order_by(lp.c.Code)
    if table == "RegionListFrequency":
        cols = [lp.c.Code, *_without(rlf, "RegionListFrequencyId", "ListId")]
        query = select(*cols).select_from(rlf.join(lp, lp.c.ListPriorityId == rlf.c.ListId))
        return query.order_by(*cols)
    if table == "Owner":
        return select(*_without(owner, "OwnerId")).order_by(owner.c.Slug)
    if table == "Location":
        cols = [
            owner.c.Slug.label("OwnerSlug"),
            lp.c.Code.label("ListCode"),
            *_without(location, "LocationId", "OwnerId", "ListPriorityId"),
        ]
        joined = location.outerjoin(owner, owner.c.OwnerId == location.c.OwnerId).outerjoin(
            lp, lp.c.ListPriorityId == location.c.ListPriorityId
        )
        return select(*cols).select_from(joined).order_by(location.c.RegionId, location.c.PrimaryId)
    if table == "UploadLog":
        return select(*_without(log, "UploadLogId", "ProcessingStarted")).order_by(
            log.c.UploadLogId
        )
    raise KeyError(table)


def canonical(
    engine: Engine, tables: tuple[str, ...] = CANONICAL_TABLES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in canonical form, as plain Python values."""
    with engine.connect() as conn:
        return {
            name: [tuple(plain(v) for v in row) for row in conn.execute(canonical_query(name))]
            for name in tables
        }


def digest(dump: dict[str, list[tuple[Any, ...]]]) -> dict[str, str]:
    return {name: hashlib.sha256(repr(rows).encode()).hexdigest() for name, rows in dump.items()}
