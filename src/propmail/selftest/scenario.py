"""The load scenario the differential tests and `propmail selftest` run: its files, its loads.

Two regions with niche lists: month 1 of region A, one upload of region B (reusing A's parcel
ids, since the key is PrimaryId and RegionId), rows of A aged past the update window, month 2
(changed rows, parcels gone, new parcels), a same-day rerun, and the same month a month later,
when rows inside the window are refreshed and aged rows stay frozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, update

from propmail import synth
from propmail.db import schema

MONTH1 = datetime(2026, 5, 4, 9, 30, 0)
MONTH2 = datetime(2026, 6, 4, 9, 30, 0)
MONTH3 = datetime(2026, 7, 9, 8, 15, 0)
AGED_AT = datetime(2025, 10, 1, 12, 0, 0)  # more than 6 months before month 2


@dataclass(frozen=True)
class Load:
    """One run of the monthly job: which file, niche lists, region and clock."""

    upload: str
    region: int
    now: datetime
    niches: tuple[str, ...] = ()

    def niche_specs(self, folder: Path) -> list[str]:
        """The niche lists as `--niche` gives them, with paths inside `folder`."""
        specs = []
        for spec in self.niches:
            kind, _, name = spec.rpartition("=")
            specs.append(f"{kind}={folder / name}" if kind else str(folder / name))
        return specs


@dataclass(frozen=True)
class Scenario:
    """The months of two regions, scaled by the rows of region A's month 1."""

    rows: int = 2500
    region_a: int = 40
    region_b: int = 41
    # the concurrent loads: two of region C at once, one each of D and E at once
    region_c: int = 42
    region_d: int = 43
    region_e: int = 44

    @property
    def regions(self) -> dict[int, str | None]:
        """The regions of the monthly loads."""
        return {self.region_a: "Roanoke", self.region_b: "Salem"}

    @property
    def all_regions(self) -> dict[int, str | None]:
        """The regions of the monthly loads and of the concurrent ones."""
        return {
            **self.regions,
            self.region_c: "Lynchburg",
            self.region_d: "Bedford",
            self.region_e: "Botetourt",
        }

    @property
    def aged(self) -> list[str]:
        """The parcels of region A pushed out of the update window after the first two loads."""
        return [f"{i:012d}" for i in range(1, self.rows * 3 // 25 + 1)]

    @property
    def gone(self) -> list[str]:
        """Parcels of month 1 that month 2 no longer lists (kept in the database as they are)."""
        return [f"{i:012d}" for i in range(self.rows * 24 // 25, self.rows + 1)]

    def loads(self) -> tuple[Load, ...]:
        a, b = self.region_a, self.region_b
        month2 = ("Liens_m2.csv", "Foreclosure_m2.csv")
        return (
            Load("month1.csv", a, MONTH1, ("Liens_m1.csv", "Probate=Probate_m1.csv")),
            Load("salem.csv", b, MONTH1 + timedelta(hours=1)),
            Load("month2.csv", a, MONTH2, month2),
            # the same month again the same day: nothing changes
            Load("month2.csv", a, MONTH2 + timedelta(hours=5), month2),
            # a month later: rows inside the window are refreshed, aged rows stay frozen
            Load("month2.csv", a, MONTH3, month2),
        )

    def write(self, folder: Path) -> None:
        """Month 1 and 2 of region A (with niche lists), and one upload of region B."""
        n = self.rows
        month1 = synth.upload(n, seed=21)
        month1.write_csv(folder / "month1.csv")
        synth.niche(month1, 0.06, seed=1).write_csv(folder / "Liens_m1.csv")
        synth.niche(month1, 0.04, seed=2).write_csv(folder / "Probate_m1.csv")

        kept = month1.filter(~pl.col("LocationPrimaryId").is_in(self.gone))
        changed = pl.col("LocationPrimaryId").str.slice(11, 1).is_in(["1", "2", "3"])
        new_parcels = synth.upload(n * 3 // 50, seed=23).with_columns(
            (pl.lit("N") + pl.col("LocationPrimaryId")).alias("LocationPrimaryId")
        )
        month2 = pl.concat(
            [
                kept.with_columns(
                    pl.when(changed)
                    .then(pl.lit("JUDGMENT"))
                    .otherwise("LienType")
                    .alias("LienType"),
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
        # region B reuses parcel ids of region A
        synth.upload(n * 8 // 25, seed=22).write_csv(folder / "salem.csv")
        for name, seed in (("region_c", 31), ("region_d", 32), ("region_e", 33)):
            synth.upload(n // 5, seed=seed).write_csv(folder / f"{name}.csv")

    def age(self, engine: Engine) -> None:
        """Push the `aged` parcels of region A out of the update window."""
        location = schema.location
        with engine.begin() as conn:
            conn.execute(
                update(location)
                .where(location.c.RegionId == self.region_a, location.c.PrimaryId.in_(self.aged))
                .values(InsertedDate=AGED_AT, UpdatedDate=None, ModifiedDate=None)
            )
