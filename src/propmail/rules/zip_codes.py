"""The US ZIP code table: a ZIP's city, the other city names USPS accepts for it, state and county.

Shipped as package data (`data/zip_codes.parquet`, see `data/README.md` for its source and licence)
and read once per process. Readers use it to fill or check a city and state from a ZIP; rules use it
to tell whether two places are the same locality.

>>> table = zip_table()
>>> table.filter(pl.col("zip") == "07302").select("city", "state", "county").row(0)
('JERSEY CITY', 'NJ', 'HUDSON COUNTY')
>>> "NJ" in states()
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import polars as pl


@cache
def zip_table() -> pl.DataFrame:
    """Every ZIP code: zip, kind, active, city, acceptable_cities, state, county."""
    with resources.files("propmail.rules").joinpath("data/zip_codes.parquet").open("rb") as f:
        return pl.read_parquet(f)


@cache
def states() -> frozenset[str]:
    """The USPS state and territory codes the table knows (50 states, DC, territories, AA/AE/AP)."""
    return frozenset(zip_table()["state"].unique().to_list())
