"""Owner and location frames shaped as the pipeline hands them to a backend, built vectorized
(a million rows in a second or two)."""

from __future__ import annotations

from datetime import date

import polars as pl

from propmail.db.schema import DATE, FLAG, NUMBER, STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS, Field

_DTYPES = {FLAG: pl.Boolean, NUMBER: pl.Float64, DATE: pl.Date}


def _typed(frame: pl.DataFrame, fields: tuple[Field, ...]) -> pl.DataFrame:
    return frame.select(
        pl.col(f.name).cast(_DTYPES.get(f.kind, pl.String))
        if f.name in frame.columns
        else pl.lit(None, _DTYPES.get(f.kind, pl.String)).alias(f.name)
        for f in fields
    )


def locations(n: int, owners: int | None = None) -> pl.DataFrame:
    owners = owners or max(1, n * 3 // 4)
    i = pl.int_range(n, dtype=pl.Int64)
    house = (i * 7919 % 9000 + 100).cast(pl.String)
    owner = (i % owners).cast(pl.String)
    frame = pl.select(
        i.cast(pl.String).str.zfill(12).alias("PrimaryId"),
        pl.concat_str(pl.lit("OWNER"), owner, pl.lit("_ST_24016")).alias("OwnerSlug"),
        pl.when(i % 5 == 0)
        .then(pl.lit("Liens - ABS1"))
        .otherwise(pl.lit("OO"))
        .alias("PriorityCode"),
        (i % 2 == 0).alias("IsOwnerOccupied"),
        (i % 11 == 0).alias("IsTrust"),
        (i % 97 == 0).alias("IsChurch"),
        (i % 13 == 0).alias("IsBusiness"),
        (i % 17 == 0).alias("OwnerGrantorMatch"),
        pl.concat_str(house, pl.lit(" NORTH MAIN STREET APT "), (i % 40).cast(pl.String)).alias(
            "Address1"
        ),
        pl.lit("ROANOKE").alias("City"),
        pl.lit("VA").alias("State"),
        pl.lit("02134").alias("Zip"),
        pl.lit("ROANOKE CITY").alias("County"),
        pl.lit("GRANDIN VILLAGE").alias("Neighborhood"),
        (i % 100 / 7).alias("Acres"),
        pl.lit(date(2019, 6, 30)).alias("SellDate"),
        (i * 13 % 500_000 + 0.5).alias("SellAmount"),
        pl.lit("SMITH JOHN & MARY").alias("Grantor"),
        (i % 120).cast(pl.Float64).alias("EstLoanToValue"),
        (i * 31 % 250_000).cast(pl.Float64).alias("EstEquity"),
        pl.when(i % 5 == 0).then(pl.lit("TAX")).alias("LienType"),
        pl.when(i % 50 == 0).then(pl.lit(date(2024, 2, 29))).alias("BKDate"),
        pl.lit(None, pl.Date).alias("DivorceDate"),
        pl.lit(None, pl.Date).alias("PreFcRecordingDate"),
        pl.when(i % 9 == 0).then(pl.lit("Yes")).alias("Vacant"),
        pl.when(i % 30 == 0).then(pl.lit("A")).alias("ResponseNCOA"),
    )
    return _typed(frame, STAGE_LOCATION_FIELDS)


def owners_of(locations: pl.DataFrame) -> pl.DataFrame:
    slugs = locations.select(pl.col("OwnerSlug").unique(maintain_order=True).alias("Slug"))
    frame = slugs.with_columns(
        pl.concat_str(pl.lit("O'BRIEN "), pl.col("Slug").str.slice(5, 6)).alias("Name"),
        pl.lit("PAT").alias("FirstName"),
        pl.lit("O'BRIEN").alias("LastName"),
        pl.lit("10 ELM ST").alias("Address1"),
        pl.lit("ROANOKE").alias("City"),
        pl.lit("VA").alias("State"),
        pl.lit("24016").alias("Zip"),
        pl.lit("10 ELM ST ROANOKE VA 24016").alias("FullAddress"),
        pl.lit(False).alias("IsBusiness"),
        pl.lit("Pat O'Brien").alias("AlternateName"),
        pl.lit("1234").alias("MailingZip4"),
        pl.lit("ROANOKE CITY").alias("MailingCounty"),
        pl.lit("10 ELM ST_ROANOKE_VA_24016").alias("AccuzipRequest"),
        pl.lit('{"status": "ok", "dpv": "Y"}').alias("AccuzipResponse"),
    )
    return _typed(frame, STAGE_OWNER_FIELDS)


def upload(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(owners, locations) of an n-location upload."""
    loc = locations(n)
    return owners_of(loc), loc
