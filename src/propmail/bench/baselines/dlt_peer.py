"""A data engineer's generic loader as a second peer: dlt, `write_disposition="merge"`.

propmail's own owner and location rows (the rules already applied: dlt computes nothing) are
merged by their keys (owners by Slug; locations by PrimaryId and RegionId) into tables of a
dlt dataset in a database of the same server, as a data engineer would load them: one
pipeline, its extract, normalize and load steps timed apart. dlt makes and evolves its own
tables (its types, its `_dlt_*` columns and state tables); propmail's legacy tables, their
surrogate ids, foreign keys and list codes are not dlt's to write.

dlt is the optional `bench` extra. PostgreSQL goes through dlt's `postgres` destination
(psycopg2, bulk COPY of its load files); SQLite through its `sqlalchemy` destination.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.engine import make_url

from propmail.progress import Step

DATASET = "dlt_peer"
OWNER_KEY = "Slug"
LOCATION_KEY = ("PrimaryId", "RegionId")


def available() -> str | None:
    """None when dlt can be imported, else why not (the `bench` extra is not installed)."""
    try:
        import dlt  # noqa: F401
    except ImportError as exc:
        return f"dlt is not installed (pip install 'propmail[bench]'): {exc}"
    return None


def destination(url: str) -> Any:
    """dlt's destination for a propmail database URL: `postgres` for PostgreSQL (its
    credentials need a password: a server with trust authentication is given a placeholder),
    `sqlalchemy` for SQLite."""
    from dlt.destinations import postgres, sqlalchemy

    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        plain = parsed.set(drivername="postgresql", password=parsed.password or "unused")
        return postgres(credentials=plain.render_as_string(hide_password=False))
    return sqlalchemy(credentials=url)


def load(
    url: str,
    owners: pl.DataFrame,
    locations: pl.DataFrame,
    region_id: int,
    now: datetime,
    work: Path,
    step: Step,
) -> dict[str, int]:
    """One dlt pipeline run merging the owners and the locations; the rows it loaded."""
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    if make_url(url).get_backend_name() == "sqlite":
        # one load worker: dlt's parallel workers lock each other out of one SQLite file
        # ("database is locked", retried without end at 20,000 rows)
        os.environ.setdefault("LOAD__WORKERS", "1")
    import dlt

    step("connect")
    pipeline = dlt.pipeline(
        pipeline_name=f"propmail_bench_{region_id}",
        destination=destination(url),
        dataset_name=DATASET,
        pipelines_dir=str(work / "dlt"),
    )
    stamped = locations.with_columns(
        pl.lit(region_id, pl.Int32).alias("RegionId"), pl.lit(now).alias("UpdatedDate")
    )
    resources = [
        dlt.resource(
            owners.to_arrow(), name="owner", write_disposition="merge", primary_key=OWNER_KEY
        ),
        dlt.resource(
            stamped.to_arrow(),
            name="location",
            write_disposition="merge",
            primary_key=list(LOCATION_KEY),
        ),
    ]
    step("extract")
    pipeline.extract(resources)
    step("normalize")
    pipeline.normalize()
    step("load (merge)")
    pipeline.load()
    return {"owners": owners.height, "locations": locations.height}
