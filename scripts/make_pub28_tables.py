"""Rebuild src/propmail/rules/data/pub28.csv from `usaddress-scourgify` (MIT licence), whose
tables transcribe USPS Publication 28: run once where it is installed, nothing at run time.

    pip install usaddress-scourgify==0.7.1
    python scripts/make_pub28_tables.py
"""

from __future__ import annotations

import csv
from pathlib import Path

from scourgify.address_constants import (
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)

TARGET = Path(__file__).parents[1] / "src" / "propmail" / "rules" / "data" / "pub28.csv"


def main() -> None:
    tables = {
        "directional": DIRECTIONAL_REPLACEMENTS,
        "unit": OCCUPANCY_TYPE_ABBREVIATIONS,
        "street_type": STREET_TYPE_ABBREVIATIONS,
    }
    with TARGET.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("table", "word", "abbreviation"))
        for name, table in tables.items():
            out.writerows((name, word, abbreviation) for word, abbreviation in table.items())


if __name__ == "__main__":
    main()
