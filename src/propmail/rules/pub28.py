"""USPS Publication 28's tables that address normalisation uses: the directionals, the
secondary unit designators (Appendix C2) and the street suffixes (Appendix C1), each a word ->
its standard abbreviation.

Shipped as package data (`data/pub28.csv`, see `data/README.md` for its source and licence),
read once per process.

>>> STREET_TYPE_ABBREVIATIONS["AVENUE"], DIRECTIONAL_REPLACEMENTS["NORTH"]
('AVE', 'N')
>>> OCCUPANCY_TYPE_ABBREVIATIONS["APARTMENT"]
'APT'
"""

from __future__ import annotations

import csv
from importlib import resources


def _tables() -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {"directional": {}, "unit": {}, "street_type": {}}
    text = resources.files("propmail.rules").joinpath("data/pub28.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        tables[row["table"]][row["word"]] = row["abbreviation"]
    return tables


_TABLES = _tables()
DIRECTIONAL_REPLACEMENTS: dict[str, str] = _TABLES["directional"]
OCCUPANCY_TYPE_ABBREVIATIONS: dict[str, str] = _TABLES["unit"]
STREET_TYPE_ABBREVIATIONS: dict[str, str] = _TABLES["street_type"]
