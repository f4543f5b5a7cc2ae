"""A synthetic national file for measuring `propmail split`: ROWS rows of 12 text columns over
COUNTIES county FIPS codes, written in chunks (the generator's memory stays small), and the
regions table mapping each county to a RegionId.

    python scripts/make_national.py 20000000 300 /tmp/national.csv /tmp/regions.csv
    /usr/bin/time -v propmail split /tmp/national.csv --by CountyFips \
        --regions /tmp/regions.csv --out /tmp/national-split
"""

from __future__ import annotations

import sys

import numpy as np
import polars as pl

CHUNK = 1_000_000


def chunk(start: int, rows: int, counties: list[str], rng: np.random.Generator) -> pl.DataFrame:
    ids = np.arange(start, start + rows)
    number = rng.integers(1, 9999, rows)
    return pl.DataFrame(
        {
            "PropertyId": ids,
            "CountyFips": rng.choice(counties, rows),
            "SiteNumber": number,
            "SiteStreet": rng.choice(["MAIN ST", "OAK AVE", "ELM RD", "PINE LN", "CEDAR CT"], rows),
            "SiteCity": rng.choice(["SALEM", "ROANOKE", "VINTON", "TROUTVILLE"], rows),
            "SiteZip": rng.integers(10000, 99999, rows),
            "OwnerFirst": rng.choice(["JOHN", "MARY", "JAMES", "LINDA", "ROBERT"], rows),
            "OwnerLast": rng.choice(["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES"], rows),
            "MailNumber": rng.integers(1, 9999, rows),
            "MailStreet": rng.choice(["MAIN ST", "PO BOX 12", "2ND ST", "BROAD ST"], rows),
            "MailZip": rng.integers(10000, 99999, rows),
            "AssessedValue": rng.integers(10_000, 900_000, rows),
        }
    ).with_columns(pl.all().cast(pl.String))


def main(rows: int, county_count: int, national: str, regions: str) -> None:
    rng = np.random.default_rng(15)
    counties = [f"{fips:05d}" for fips in rng.choice(56_999, county_count, replace=False) + 1000]
    pl.DataFrame({"CountyFips": counties, "RegionId": range(1, county_count + 1)}).write_csv(
        regions
    )
    with open(national, "wb") as out:
        for start in range(0, rows, CHUNK):
            part = chunk(start, min(CHUNK, rows - start), counties, rng)
            part.write_csv(out, include_header=start == 0)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4])
