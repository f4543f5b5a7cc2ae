"""The benchmark's input files: an N-row upload, three niche lists, and a month with changes.

Everything comes from `propmail.synth`, so a seed and N give the same bytes on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from propmail import synth

NICHE_TYPES = ("Liens", "Probate", "Foreclosure")
NICHE_FRACTION = 0.05
CHANGE_FRACTION = 0.10

# What changes from one month to the next for a changed row: a third are sales (a new owner,
# the old one becomes the grantor), the rest get new distress and mail-prep values.
OWNER_COLUMNS = (
    "OwnerName",
    "OwnerFirstName",
    "OwnerLastName",
    "OwnerAddress1",
    "OwnerAddress2",
    "OwnerCity",
    "OwnerState",
    "OwnerZip",
    "RequestStreet",
    "RequestCity",
    "RequestState",
    "RequestZip",
    "LocationSellDate",
    "LocationSellAmount",
)
DISTRESS_COLUMNS = (
    "EstLoanToValue",
    "EstEquity",
    "LienType",
    "BKDate",
    "DivorceDate",
    "PreFcRecordingDate",
    "Vacant",
    "ResponseNCOA",
    "FullAccuzipResponse",
)


@dataclass(frozen=True)
class Month:
    """One month's files: the upload and its niche lists (type -> path)."""

    upload: Path
    niches: dict[str, Path]

    def niche_specs(self) -> list[str]:
        return [f"{kind}={path}" for kind, path in self.niches.items()]


def niche_lists(frame: pl.DataFrame, seed: int) -> dict[str, pl.DataFrame]:
    """Three niche lists of 5 % of the upload each, by parcel id or by address only."""
    return {
        kind: synth.niche(frame, NICHE_FRACTION, seed + 100 + i)
        for i, kind in enumerate(NICHE_TYPES)
    }


def changed(frame: pl.DataFrame, fraction: float, seed: int) -> pl.DataFrame:
    """The next month's upload: `fraction` of the rows changed, the rest byte-identical.

    A changed row takes its new values from another row of the upload (vectorized, no new
    names to invent): a third of them are sales, the rest new distress and mail-prep data.
    """
    rng = np.random.default_rng(seed)
    n = frame.height
    picked = rng.random(n) < fraction
    sale = pl.Series(picked & (rng.random(n) < 1 / 3))
    update = pl.Series(picked) & ~sale
    donor = frame[rng.permutation(n).tolist()]
    return frame.with_columns(
        *[pl.when(sale).then(donor[c]).otherwise(pl.col(c)).alias(c) for c in OWNER_COLUMNS],
        pl.when(sale)
        .then(pl.col("OwnerName"))
        .otherwise(pl.col("LocationGrantor"))
        .alias("LocationGrantor"),
        *[pl.when(update).then(donor[c]).otherwise(pl.col(c)).alias(c) for c in DISTRESS_COLUMNS],
    )


def write_month(directory: Path, name: str, upload: pl.DataFrame, seed: int) -> Month:
    """Write `upload` and its three niche lists as CSV under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    upload_path = directory / f"{name}.csv"
    upload.write_csv(upload_path)
    niches = {}
    for kind, frame in niche_lists(upload, seed).items():
        path = directory / f"{name}-{kind}.csv"
        frame.write_csv(path)
        niches[kind] = path
    return Month(upload_path, niches)


@dataclass(frozen=True)
class Inputs:
    rows: int
    first: Month  # month 1, also loaded again unchanged
    changed: Month  # a later month with CHANGE_FRACTION of the rows changed
    subset: Month  # the first rows of month 1, for the guide's literal design
    subset_rows: int


def generate(directory: Path, rows: int, subset_rows: int, seed: int = 1) -> Inputs:
    upload = synth.upload(rows, seed)
    first = write_month(directory, "upload", upload, seed)
    later = write_month(
        directory, "upload-changed", changed(upload, CHANGE_FRACTION, seed + 1), seed
    )
    subset_rows = min(rows, subset_rows)
    subset = (
        first
        if subset_rows == rows
        else write_month(directory, "upload-subset", upload.head(subset_rows), seed)
    )
    return Inputs(rows, first, later, subset, subset_rows)
