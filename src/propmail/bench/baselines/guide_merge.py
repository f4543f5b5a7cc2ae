"""The guide's handoff to the database: owners and locations as one JSON payload each, merged
in one call by the SQL of its ``ProcessPythonEnhancedData`` (SQLite has no MERGE: the same
statements as INSERT ... ON CONFLICT).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from propmail.bench.baselines.guide_fields import create_owner_slugs, number
from propmail.contract import KEEP_STORED, OWNER, stored
from propmail.db.plan import months_before
from propmail.db.schema import LOCATION_FIELDS, OWNER_FIELDS, Field
from propmail.pipeline import LOCATION_COLUMNS
from propmail.progress import Step

# propmail's own owner columns, less those the guide makes itself (the slug, the two built ones)
OWNER_SOURCE = {
    c.name: c.source
    for c in stored(OWNER)
    if c.name not in ("Slug", "FullAddress", "AccuzipRequest") and not c.staged_only
}
# propmail's own location columns (the guide has no staged-only ones); the guide keeps its
# final code in PriorityCode
LOCATION_SOURCE = {
    **{k: v for k, v in LOCATION_COLUMNS.items() if k not in ("OwnerSlug", KEEP_STORED)},
    "PriorityCode": "PriorityCode",
}
NUMBERS = ("Acres", "SellAmount", "EstLoanToValue", "EstEquity")


def generate_database_ready_output(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    slugs = create_owner_slugs(df)
    owners = pd.DataFrame({k: df[v] for k, v in OWNER_SOURCE.items()})
    owners["OwnerSlug"] = slugs
    owners["AccuzipRequest"] = (
        df["RequestStreet"].fillna("")
        + "_"
        + df["RequestCity"].fillna("")
        + "_"
        + df["RequestState"].fillna("")
        + "_"
        + df["RequestZip"].fillna("")
    )
    # one owner per slug: the guide sends every row, and a MERGE that meets a slug twice fails
    # (a groupby max over object strings, the legacy MAX(), takes minutes on 1M rows)
    owners = owners.drop_duplicates("OwnerSlug", keep="last")
    locations = pd.DataFrame({k: df[v] for k, v in LOCATION_SOURCE.items()})
    locations["OwnerSlug"] = slugs
    locations["ListPriorityId"] = df["ListPriorityId"].astype(int)
    for column in NUMBERS:
        locations[column] = number(locations[column])
    return owners, locations.drop_duplicates("PrimaryId", keep="last")


def _json_columns(fields: tuple[Field, ...], extra: tuple[str, ...]) -> list[str]:
    return [f.name for f in fields if f.name not in ("Slug", "FullAddress")] + list(extra)


def merge_statements(postgres: bool) -> list[str]:
    """The guide's procedure body: parse the JSON, MERGE Owner, MERGE Location, final update."""
    owner_cols = _json_columns(OWNER_FIELDS, ("OwnerSlug",))
    location_cols = _json_columns(LOCATION_FIELDS, ("OwnerSlug", "ListPriorityId"))
    q = '"{}"'.format
    p = "%(now)s" if postgres else ":now"
    cutoff, region, mark = (
        ("%(cutoff)s", "%(region)s", "%s") if postgres else (":cutoff", ":region", "?")
    )

    def parse(table: str, cols: list[str], payload: str) -> str:
        if postgres:
            typed = ", ".join(f"{q(c)} text" for c in cols)
            return (
                f"CREATE TEMP TABLE {table} AS SELECT * FROM "
                f"json_to_recordset({payload}::json) AS s({typed})"
            )
        picks = ", ".join(f"value ->> '$.{c}' AS {q(c)}" for c in cols)
        return f"CREATE TEMP TABLE {table} AS SELECT {picks} FROM json_each({payload})"

    def cast(col: str, kind: str) -> str:
        if not postgres:
            return f"s.{q(col)}"
        sql_type = {"flag": "boolean::int", "number": "float8", "date": "date", "int": "int"}
        return f"s.{q(col)}::{sql_type[kind]}" if kind in sql_type else f"s.{q(col)}"

    kinds = {f.name: f.kind for f in (*OWNER_FIELDS, *LOCATION_FIELDS)} | {"ListPriorityId": "int"}
    owner_data = [c for c in owner_cols if c != "OwnerSlug"]
    owner_values = ", ".join(cast(c, kinds[c]) for c in owner_data)
    location_data = [c for c in location_cols if c != "OwnerSlug"]
    location_values = ", ".join(cast(c, kinds[c]) for c in location_data)
    window = (
        f'(l."InsertedDate" >= {cutoff} OR l."UpdatedDate" >= {cutoff})'
        if postgres
        else f'("Location"."InsertedDate" >= {cutoff} OR "Location"."UpdatedDate" >= {cutoff})'
    )
    if postgres:
        owners = (
            'MERGE INTO "Owner" o USING py_owners s ON s."OwnerSlug" = o."Slug" '
            "WHEN MATCHED THEN UPDATE SET "
            + ", ".join(f"{q(c)} = {cast(c, kinds[c])}" for c in owner_data)
            + f', "ModifiedDate" = {p}, "UpdatedDate" = {p} '
            f'WHEN NOT MATCHED THEN INSERT ({", ".join(map(q, owner_data))}, "Slug", '
            f'"InsertedDate") VALUES ({owner_values}, s."OwnerSlug", {p})'
        )
        locations = (
            f'MERGE INTO "Location" l USING (SELECT pl.*, o."OwnerId" FROM py_locations pl '
            f'JOIN "Owner" o ON pl."OwnerSlug" = o."Slug") s '
            f'ON s."PrimaryId" = l."PrimaryId" AND l."RegionId" = {region} '
            f"WHEN MATCHED AND {window} THEN UPDATE SET "
            + ", ".join(f"{q(c)} = {cast(c, kinds[c])}" for c in location_data)
            + f', "OwnerId" = s."OwnerId", "ModifiedDate" = {p}, "UpdatedDate" = {p} '
            f'WHEN NOT MATCHED THEN INSERT ("RegionId", {", ".join(map(q, location_data))}, '
            f'"OwnerId", "InsertedDate") VALUES ({region}, {location_values}, s."OwnerId", {p})'
        )
    else:
        owners = (
            f'INSERT INTO "Owner" ({", ".join(map(q, owner_data))}, "Slug", "InsertedDate") '
            f'SELECT {owner_values}, s."OwnerSlug", {p} FROM py_owners s WHERE true '
            f'ON CONFLICT ("Slug") DO UPDATE SET '
            + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in owner_data)
            + f', "ModifiedDate" = {p}, "UpdatedDate" = {p}'
        )
        locations = (
            f'INSERT INTO "Location" ("RegionId", {", ".join(map(q, location_data))}, "OwnerId", '
            f'"InsertedDate") SELECT {region}, {location_values}, o."OwnerId", {p} '
            f'FROM py_locations s JOIN "Owner" o ON s."OwnerSlug" = o."Slug" WHERE true '
            f'ON CONFLICT ("PrimaryId", "RegionId") DO UPDATE SET '
            + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in [*location_data, "OwnerId"])
            + f', "ModifiedDate" = {p}, "UpdatedDate" = {p} WHERE {window}'
        )
    full_address = (
        "UPDATE \"Owner\" SET \"FullAddress\" = REPLACE(\"Address1\", '''', '') || ' ' || "
        "REPLACE(\"City\", '''', '') || ' ' || REPLACE(\"State\", '''', '') || ' ' || "
        "REPLACE(\"Zip\", '''', '') WHERE \"OwnerId\" IN (SELECT DISTINCT \"OwnerId\" "
        f'FROM "Location" WHERE "RegionId" = {region})'
    )
    return [
        parse("py_owners", owner_cols, mark),
        parse("py_locations", location_cols, mark),
        owners,
        locations,
        full_address,
    ]


def insert_processed_data(
    connect: Callable[[], Any],
    postgres: bool,
    owners: pd.DataFrame,
    locations: pd.DataFrame,
    region_id: int,
    now: datetime,
    step: Step,
) -> None:
    """Both frames as one JSON payload each, merged in one call (one transaction)."""
    step("JSON payload")
    owners_json = owners.to_json(orient="records", date_format="iso")
    locations_json = locations.to_json(orient="records", date_format="iso")
    step("merge (one call)")
    parse_owners, parse_locations, *rest = merge_statements(postgres)
    stamp: Any = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    cutoff = months_before(now, 6)
    params = {
        "now": stamp,
        "region": region_id,
        "cutoff": cutoff if postgres else cutoff.strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    conn = connect()
    try:
        cur = conn.cursor()
        cur.execute(parse_owners, (owners_json,))
        cur.execute(parse_locations, (locations_json,))
        for statement in rest:
            cur.execute(statement, params)
        conn.commit()
    finally:
        conn.close()
