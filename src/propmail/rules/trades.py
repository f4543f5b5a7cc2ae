"""The trades a business names without a legal form (``RIVERSIDE FLORIST & NURSERY``).

The vocabulary is public, not a hand list: the Census Bureau's 2022 NAICS industry titles,
shipped as ``data/naics_2022_titles.csv`` (see ``data/README.md`` for source and licence). A
trade word is the last word of a title or of one of its parts (``Florists``; ``Plumbing``,
``Heating``, ``Air-Conditioning Contractors``), in the plural and the singular, with these
left out, so that a homeowner is never called a business by a word of his name:

- the titles of institutions that are not companies: educational services (61), hospitals
  (622), museums and historical sites (712), religious, civic and social organisations (813),
  public administration (92); their names keep the other rules;
- every word the US name tables know as a surname or a given name 500 times or more (`BAKER`,
  `MASON`, `CARPENTER`, `HOME` and `ESTATE` as in `ESTATES`...), read from the same
  ``data/name_frequencies.parquet`` the envelope name uses;
- words of three letters or fewer, and `GENERIC` words that name no trade on their own.

>>> "FLORIST" in trade_words() and "NURSERY" in trade_words()
True
>>> "BAKER" in trade_words() or "SCHOOL" in trade_words()
False
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import polars as pl

# Titles of institutions that are no companies, by NAICS code prefix.
NOT_COMPANIES = ("61", "622", "712", "813", "92")
# Words that end titles but name no trade by themselves (an organisation or a place may hold
# them): they make no business.
GENERIC = (
    "ACTIVITIES", "ACTIVITY", "COMMUNITY", "COMMUNITIES", "FOUNDATION", "SERVICES", "SERVICE",
    "INTERNATIONAL", "NATIONAL", "GENERAL", "PERSONAL", "INDIVIDUAL", "LOCAL", "CENTRAL",
    "SYSTEM", "SYSTEMS", "UNIT", "UNITS", "PART", "PARTS", "FORM", "FORMS", "TEAM", "TEAMS",
    "GROUP", "GROUPS", "HOUSES", "HOUSEHOLD", "HOUSEHOLDS", "PLACES", "LOTS", "DRIVE", "STATION",
    "STATIONS", "HIGHWAY", "WATER", "GROUND", "CHANGE", "LEAD", "PRODUCT", "PRODUCTS", "OFFICE",
    "OFFICES", "FACILITY", "FACILITIES", "OPERATION", "OPERATIONS", "ORGANIZATION",
    "ORGANIZATIONS", "INSTITUTION", "INSTITUTIONS", "SCHOOL", "CLUB", "CLUBS", "LIBRARY",
    "LIBRARIES", "UNIONS", "TRUSTS", "FUND", "FUNDS", "PROPERTY", "BUILDING", "BUILDINGS",
    "DWELLING", "DWELLINGS", "RESIDENTIAL", "ELDERLY", "DISABILITY", "DISABILITIES", "HUMANITY",
    "HUMANITIES", "SHELTER", "SHELTERS", "EMERGENCY", "SECURITY", "MATERIAL", "MATERIALS",
    "HOUSING", "APARTMENTS", "TOWNHOUSES", "CONDOMINIUMS", "CONDOMINIUM", "ASSOCIATION",
)  # fmt: skip
NAME_COUNT = 500  # a word the name tables count this often as a surname or a given name
_STOP = {"AND", "OF", "EXCEPT", "OTHER", "ALL", "THE", "FOR", "IN", "ON", "OR", "TO", "WITH", "BY"}


def _singular(word: str) -> str:
    if word.endswith("IES"):
        return word[:-3] + "Y"
    if word.endswith(("SSES", "SHES", "CHES", "XES")):
        return word[:-2]
    if word.endswith("S") and not word.endswith(("SS", "US")):
        return word[:-1]
    return word


def _heads(title: str) -> set[str]:
    """The last word of a title and of each of its parts."""
    plain = re.sub(r"\([^)]*\)", " ", title.upper())
    heads = set()
    for part in re.split(r",|\bAND\b|\bOR\b", plain):
        words = [w for w in re.findall(r"[A-Z]+", part) if w not in _STOP]
        if words:
            heads.add(words[-1])
    return heads


@cache
def trade_words() -> frozenset[str]:
    """Every trade word of the NAICS titles (see the module docstring), read once."""
    data = resources.files("propmail.rules").joinpath("data")
    with data.joinpath("naics_2022_titles.csv").open("rb") as handle:
        titles = pl.read_csv(handle, schema={"code": pl.String, "title": pl.String})
    with resources.as_file(data.joinpath("name_frequencies.parquet")) as path:
        counts = pl.read_parquet(path)
    names = set(
        counts.filter((pl.col("surname") >= NAME_COUNT) | (pl.col("given") >= NAME_COUNT))["name"]
    )
    words: set[str] = set()
    for code, title in titles.iter_rows():
        if code.startswith(NOT_COMPANIES):
            continue
        for head in _heads(title):
            words |= {head, _singular(head)}
    return frozenset(w for w in words if len(w) > 3 and w not in names and w not in GENERIC)


def trade_pattern() -> str:
    """One regex matching any trade word as a whole word."""
    return r"\b(?:" + "|".join(sorted(trade_words(), key=len, reverse=True)) + r")\b"
