"""Differential: the same months loaded into SQLite and PostgreSQL leave identical tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import text

from propmail import synth
from propmail.db import Backend, connect
from propmail.job import run_job
from propmail.settings import Rules
from tests.conftest import backend_url
from tests.db.canonical import canonical
from tests.db.helpers import MONTH1, MONTH2

MONTH3 = datetime(2026, 7, 9, 8, 15, 0)


@dataclass(frozen=True)
class Load:
    """One run of the monthly job: which file, niche lists, region and clock."""

    upload: str
    region: int
    now: datetime
    niches: tuple[str, ...] = ()


def write_months(folder: Path) -> None:
    """Month 1 and 2 of region 40 (with niche lists), and one upload of region 41."""
    month1 = synth.upload(2500, seed=21)
    month1.write_csv(folder / "month1.csv")
    synth.niche(month1, 0.06, seed=1).write_csv(folder / "Liens_m1.csv")
    synth.niche(month1, 0.04, seed=2).write_csv(folder / "Probate_m1.csv")

    kept = month1.filter(
        ~pl.col("LocationPrimaryId").is_in([f"{i:012d}" for i in range(2400, 2501)])
    )
    changed = pl.col("LocationPrimaryId").str.slice(11, 1).is_in(["1", "2", "3"])
    new_parcels = synth.upload(150, seed=23).with_columns(
        (pl.lit("N") + pl.col("LocationPrimaryId")).alias("LocationPrimaryId")
    )
    month2 = pl.concat(
        [
            kept.with_columns(
                pl.when(changed).then(pl.lit("JUDGMENT")).otherwise("LienType").alias("LienType"),
                pl.when(changed).then(pl.lit("Yes")).otherwise("Vacant").alias("Vacant"),
                pl.when(changed)
                .then(pl.col("OwnerName") + " JR")
                .otherwise("OwnerName")
                .alias("OwnerName"),
            ),
            new_parcels,
        ]
    )
    month2.write_csv(folder / "month2.csv")
    synth.niche(month2, 0.05, seed=3).write_csv(folder / "Liens_m2.csv")
    synth.niche(month2, 0.03, seed=4).write_csv(folder / "Foreclosure_m2.csv")

    # region 41 reuses parcel ids of region 40 (the key is PrimaryId and RegionId)
    synth.upload(800, seed=22).write_csv(folder / "salem.csv")


LOADS = (
    Load("month1.csv", 40, MONTH1, ("Liens_m1.csv", "Probate=Probate_m1.csv")),
    Load("salem.csv", 41, MONTH1 + timedelta(hours=1)),
    Load("month2.csv", 40, MONTH2, ("Liens_m2.csv", "Foreclosure_m2.csv")),
    # the same month again the same day: nothing changes
    Load("month2.csv", 40, MONTH2 + timedelta(hours=5), ("Liens_m2.csv", "Foreclosure_m2.csv")),
    # and a month later: rows inside the window are refreshed, aged rows stay frozen
    Load("month2.csv", 40, MONTH3, ("Liens_m2.csv", "Foreclosure_m2.csv")),
)

AGED = [f"{i:012d}" for i in range(1, 301)]


def age(backend: Backend) -> None:
    """Push 300 parcels of region 40 out of the update window."""
    ids = ", ".join(f"'{p}'" for p in AGED)
    with backend.engine.begin() as conn:
        conn.execute(
            text(
                'UPDATE "Location" SET "InsertedDate" = :old, "UpdatedDate" = NULL, '
                f'"ModifiedDate" = NULL WHERE "RegionId" = 40 AND "PrimaryId" IN ({ids})'
            ),
            {"old": backend.timestamp(datetime(2025, 10, 1, 12, 0, 0))},
        )


def run(backend: Backend, folder: Path, load: Load) -> dict[str, Any]:
    niches = [
        spec.split("=", 1)[0] + "=" + str(folder / spec.split("=", 1)[1])
        if "=" in spec
        else str(folder / spec)
        for spec in load.niches
    ]
    result = run_job(folder / load.upload, load.region, niches, backend=backend, now=load.now).load
    assert result is not None
    counts = result.as_dict()
    counts.pop("upload_log_id")
    return counts


@pytest.mark.postgres
def test_sqlite_and_postgresql_end_with_identical_tables(
    request: pytest.FixtureRequest, rules: Rules, tmp_path: Path
) -> None:
    write_months(tmp_path)
    backends = {
        kind: connect(backend_url(request, kind, tmp_path)) for kind in ("sqlite", "postgresql")
    }
    try:
        for b in backends.values():
            b.init({40: "Roanoke", 41: "Salem"}, rules)
        compared = 0
        for i, load in enumerate(LOADS):
            results = {kind: run(b, tmp_path, load) for kind, b in backends.items()}
            assert results["sqlite"] == results["postgresql"], load
            if i == 1:
                for b in backends.values():
                    age(b)
            dumps = {kind: canonical(b) for kind, b in backends.items()}
            for table, rows in dumps["sqlite"].items():
                assert rows == dumps["postgresql"][table], f"{table} differs after {load}"
                compared += len(rows)
        final = dumps["postgresql"]
        # the comparison covered every kind of row the months produce: both regions, parcels
        # absent from month 2 (kept), new parcels, niche codes, frozen and refreshed rows
        assert len(final["Location"]) == 2500 + 150 + 800
        assert any(" - " in row[1] for row in final["Location"])
        assert results["postgresql"]["locations_frozen"] == len(AGED)
        assert results["postgresql"]["locations_updated"] > 0
        assert len(final["UploadLog"]) == len(LOADS)
        print(f"\ndifferential: {compared} rows compared over {len(LOADS)} loads, identical")
    finally:
        for b in backends.values():
            b.dispose()
