"""Administration of the generated-SQL backends: `db init` (the regions and the base list
codes), the list codes a load or the library creates, the regions and counts stored.

Functions over a connection, run by `SqlBackend`; the statements are those of
`propmail.db.sql.admin` and `propmail.db.sql.load`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import polars as pl
from sqlalchemy import Connection, Engine, Index, inspect, text

from propmail.db import schema, sql
from propmail.db.options import LoadOptions, NewListDefaults
from propmail.db.schema import Field
from propmail.db.sql import admin
from propmail.db.sql.dialect import Dialect
from propmail.errors import InputError

log = logging.getLogger("propmail")

CODE_FIELDS = (Field("Code", schema.TEXT),)
# bulk-load a frame into a new temporary table: (connection, name, columns, rows)
Stage = Callable[[Connection, str, tuple[Field, ...], pl.DataFrame], None]


def init(
    conn: Connection, d: Dialect, regions: dict[int, str | None], options: LoadOptions
) -> list[str]:
    """The regions given (a new one gets the frequency row of every list that exists, an
    existing one its new name), then the base list codes that are missing; returns those."""
    new_list = options.new_list
    existing = set(conn.scalars(admin.region_ids()))
    for region_id, name in regions.items():
        if region_id in existing:
            if name:
                conn.execute(admin.rename_region(region_id, name))
            continue
        conn.execute(admin.add_region(region_id, name))
        conn.execute(
            admin.frequencies_of_region(region_id, new_list.frequency, new_list.divided_by)
        )
    created = []
    for base in options.base_codes:
        if conn.scalar(admin.code_id(base.code)) is not None:
            continue
        new_id = conn.execute(
            admin.add_code(
                base.code, new_list.priority_level, new_list.processing_order, base.is_absentee
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            text(sql.insert_frequencies(d, [new_id])),
            {"frequency": new_list.frequency, "divided_by": new_list.divided_by},
        )
        created.append(base.code)
    return created


def create_codes(
    conn: Connection, d: Dialect, stage: Stage, codes: list[str], new_list: NewListDefaults
) -> tuple[dict[str, int], list[str]]:
    """Get-or-create one ListPriorityId per code, in one batch; returns (ids, created)."""
    wanted = pl.DataFrame({"Code": sorted(set(codes))}, schema={"Code": pl.String})
    stage(conn, sql.STAGE_CODE, CODE_FIELDS, wanted)
    created = conn.execute(
        text(sql.insert_codes(d)),
        {
            "priority_level": new_list.priority_level,
            "processing_order": new_list.processing_order,
            "is_absentee": new_list.is_absentee,
        },
    ).all()
    for list_id, code in created:
        log.debug("new list code %r: ListPriorityId %s", code, list_id)
    if created:
        conn.execute(
            text(sql.insert_frequencies(d, [r[0] for r in created])),
            {"frequency": new_list.frequency, "divided_by": new_list.divided_by},
        )
    ids = {code: int(i) for code, i in conn.execute(text(sql.code_ids(d)))}
    conn.execute(text(sql.drop_stage_table(sql.STAGE_CODE, d)))
    return ids, sorted(r[1] for r in created)


def regions(engine: Engine) -> dict[int, str | None]:
    """RegionId -> Name of the regions stored."""
    with engine.connect() as conn:
        return {int(i): n for i, n in conn.execute(admin.regions())}


def counts(engine: Engine) -> dict[str, int]:
    """Rows per propmail table."""
    with engine.connect() as conn:
        return {t.name: int(conn.scalar(admin.count(t)) or 0) for t in schema.TABLES}


def require_region(engine: Engine, region_id: int, where: str) -> None:
    """InputError naming the command that adds the region, if it is not in `where`."""
    with engine.connect() as conn:
        found = conn.scalar(admin.region_named(region_id))
    if found is None:
        raise InputError(
            f"region {region_id} does not exist in {where}; "
            f"add it with: propmail db init --region {region_id}=NAME",
            option="--region",
        )


def described(index: Index) -> str:
    """An index as `db init` names it.

    >>> described(schema.FOREIGN_KEY_INDEXES[0])
    'IX_Location_OwnerId on Location(OwnerId)'
    """
    columns = ", ".join(c.name for c in index.columns)
    return f"{index.name} on {index.table.name}({columns})"  # type: ignore[union-attr]


def missing_indexes(engine: Engine) -> list[Index]:
    """The foreign-key indexes an existing Location lacks: those no index of Location starts
    with the column of (an index a DBA made under another name counts)."""
    found = inspect(engine)
    if not found.has_table(schema.location.name):
        return []
    leading = {
        ix["column_names"][0]
        for ix in found.get_indexes(schema.location.name)
        if ix["column_names"] and ix["column_names"][0]
    }
    return [ix for ix in schema.FOREIGN_KEY_INDEXES if ix.columns[0].name not in leading]


def add_indexes(engine: Engine) -> None:
    """Add the foreign-key indexes Location lacks."""
    for index in missing_indexes(engine):
        log.info("adding the index %s", described(index))
        index.create(engine)
