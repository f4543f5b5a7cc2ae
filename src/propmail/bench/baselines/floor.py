"""The floor: what any loader of the same rows into the same tables must pay.

A bare read of the upload and niche files (text columns, nothing parsed), and a bare bulk load
of propmail's own owner and location rows into staging tables followed by one plain upsert per
table: no rules, no counting, no change detection, no UploadLog. The tables are propmail's
(`propmail.db.schema`: the same keys and foreign keys), so the database does the same work.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, insert, text

from propmail.db import connect_sql as connect
from propmail.db import schema
from propmail.db.plan import SqlBackend
from propmail.db.schema import LOCATION_FIELDS, OWNER_FIELDS, STAGE_LOCATION_FIELDS, Field
from propmail.db.sqlbase import Staged, no_tables, staged_ahead
from propmail.progress import Step

_SQL_TYPES = {
    schema.FLAG: "INTEGER",
    schema.INT: "INTEGER",
    schema.NUMBER: "DOUBLE PRECISION",
    schema.DATE: "DATE",
}


def bare_read(paths: list[Path]) -> int:
    """Read every file as text columns; returns the rows read."""
    return sum(pl.read_csv(p, infer_schema=False).height for p in paths)


def _q(name: str) -> str:
    return f'"{name}"'


def _cols(names: list[str], prefix: str = "") -> str:
    return ", ".join(prefix + _q(n) for n in names)


def _stage_table(name: str, fields: tuple[Field, ...], postgres: bool) -> str:
    types = {**_SQL_TYPES, schema.DATE: "DATE" if postgres else "TEXT"}
    columns = ", ".join(f"{_q(f.name)} {types.get(f.kind, 'TEXT')}" for f in fields)
    return f"CREATE TEMP TABLE {name} ({columns})"


def _plain(frame: pl.DataFrame, postgres: bool) -> pl.DataFrame:
    """Flags as 0/1; dates as ISO text for SQLite."""
    return frame.with_columns(
        [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
        + [
            pl.col(c).dt.strftime("%Y-%m-%d")
            for c, t in frame.schema.items()
            if t == pl.Date and not postgres
        ]
    )


def bulk_load(
    conn: Connection,
    name: str,
    fields: tuple[Field, ...],
    frame: pl.DataFrame,
    scratch: set[str] | None = None,
) -> None:
    """PostgreSQL: COPY of a CSV payload. SQLite: one executemany of the rows, unless the
    table is in `scratch` (bulk-inserted as Arrow into the attached scratch database)."""
    postgres = conn.dialect.name == "postgresql"
    if name in (scratch or ()):
        return  # written into the attached scratch database already
    conn.exec_driver_sql(_stage_table(name, fields, postgres))
    frame = _plain(frame.select([f.name for f in fields]), postgres)
    raw = conn.connection.driver_connection
    if postgres:
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
        with raw.cursor().copy(  # type: ignore[union-attr]
            f"COPY {name} ({_cols(frame.columns)}) FROM STDIN (FORMAT csv)"
        ) as copy:
            copy.write(buffer.getvalue())
        conn.exec_driver_sql(f"ANALYZE {name}")  # the same planner help propmail gives itself
    else:
        marks = ", ".join("?" for _ in fields)
        insert_rows = f"INSERT INTO {name} VALUES ({marks})"
        raw.executemany(insert_rows, frame.iter_rows())  # type: ignore[union-attr]


def upsert_owners() -> str:
    names = [f.name for f in OWNER_FIELDS]
    sets = ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in names if n != "Slug")
    return (
        f'INSERT INTO "Owner" ({_cols(names)}, "InsertedDate") '
        f"SELECT {_cols(names)}, :now FROM floor_owner WHERE true "
        f'ON CONFLICT ("Slug") DO UPDATE SET {sets}, "UpdatedDate" = :now'
    )


def insert_codes() -> str:
    return (
        'INSERT INTO "ListPriority" ("Code", "Name", "PriorityLevel", "ProcessingOrder", '
        '"IsAbsentee") SELECT DISTINCT "PriorityCode", "PriorityCode", 0, 0, 2 '
        'FROM floor_location WHERE true ON CONFLICT ("Code") DO NOTHING'
    )


def upsert_locations() -> str:
    names = [f.name for f in LOCATION_FIELDS]
    keyed = ["OwnerId", "ListPriorityId", *names[1:]]
    sets = ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in keyed)
    return (
        f'INSERT INTO "Location" ("RegionId", {_cols(names)}, "OwnerId", "ListPriorityId", '
        f'"InsertedDate") SELECT :region, {_cols(names, "s.")}, o."OwnerId", '
        f'lp."ListPriorityId", :now FROM floor_location s '
        f'JOIN "Owner" o ON o."Slug" = s."OwnerSlug" '
        f'JOIN "ListPriority" lp ON lp."Code" = s."PriorityCode" WHERE true '
        f'ON CONFLICT ("PrimaryId", "RegionId") DO UPDATE SET {sets}, "UpdatedDate" = :now'
    )


@contextmanager
def _transaction(
    backend: SqlBackend, arrow: bool, owners: pl.DataFrame, locations: pl.DataFrame, step: Step
) -> Iterator[Connection]:
    """The load's transaction, with the session settings propmail's load asks for (the same
    memory); with `arrow`, the two frames staged ahead of it as propmail stages (SQLite: as
    Arrow into an attached scratch database)."""

    def tables() -> list[Staged]:
        return [
            ("floor_owner", OWNER_FIELDS, owners.select([f.name for f in OWNER_FIELDS])),
            (
                "floor_location",
                STAGE_LOCATION_FIELDS,
                locations.select([f.name for f in STAGE_LOCATION_FIELDS]),
            ),
        ]

    with backend.transaction(tables if arrow else no_tables, lambda _: step("bulk load")) as conn:
        yield conn


def prepare_database(url: str, region_id: int) -> None:
    backend = connect(url)
    backend.create_schema()
    with backend.engine.begin() as conn:
        conn.execute(insert(schema.region).values(RegionId=region_id, Name="bench"))
    backend.dispose()


def load(
    url: str,
    owners: pl.DataFrame,
    locations: pl.DataFrame,
    region_id: int,
    now: datetime,
    step: Step,
    arrow: bool = False,
) -> None:
    """One transaction: bulk load both frames, then one upsert per table.

    The engine is propmail's (SQLite: WAL, foreign keys on), so both pay the same per row.
    With `arrow`, SQLite bulk-loads through ADBC into an attached scratch database, as
    propmail stages (PostgreSQL's bulk load is COPY either way).
    """
    backend = connect(url)
    engine = backend.engine
    params = {"now": backend.timestamp(now), "region": region_id}
    try:
        step("connect")
        with _transaction(backend, arrow, owners, locations, step) as conn:
            step("bulk load")
            scratch = staged_ahead(conn)
            bulk_load(conn, "floor_owner", OWNER_FIELDS, owners, scratch)
            bulk_load(conn, "floor_location", STAGE_LOCATION_FIELDS, locations, scratch)
            step("upsert owners")
            conn.execute(text(upsert_owners()), params)
            step("upsert locations")
            conn.execute(text(insert_codes()))
            conn.execute(text(upsert_locations()), params)
            step("commit")
    finally:
        engine.dispose()
