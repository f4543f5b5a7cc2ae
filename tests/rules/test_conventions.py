"""The conventions of docs/conventions.md for owner records of kinds the rules were not first
built on, one labelled row per case: tests/fixtures/convention_cases.csv (envelope name and
flags; each `upload` group read as one upload, since the column's evidence is part of the rule)
and tests/fixtures/convention_occupancy_cases.csv (IsOwnerOccupied). The rows are written in the
patterns of the conventions, not copied from a file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl
import pytest

from propmail.rules import classification, names, occupancy
from propmail.settings import load_rules

FIXTURES = Path(__file__).parents[1] / "fixtures"
CASES = pl.read_csv(FIXTURES / "convention_cases.csv", infer_schema=False)
OCCUPANCY = pl.read_csv(FIXTURES / "convention_occupancy_cases.csv", infer_schema=False)
OWNER = ("OwnerName", "OwnerName2", "OwnerFirstName", "OwnerLastName")
FLAGS = ("IsTrust", "IsBusiness", "IsEstate")


@cache
def named() -> pl.DataFrame:
    """Each case with what the rules derive for it (`got_*`), upload by upload."""
    rules = load_rules()
    out = []
    for (_,), group in CASES.with_row_index("case").group_by("upload", maintain_order=True):
        derived = names.derive(
            classification.derive(group.select(OWNER), rules.classification),
            rules.names,
            rules.classification,
        )
        out.append(
            group.with_columns(
                derived["AlternateName"].alias("got_AlternateName"),
                *(derived[f].cast(pl.Int8).cast(pl.String).alias(f"got_{f}") for f in FLAGS),
            )
        )
    return pl.concat(out).sort("case")


@pytest.mark.parametrize(
    "case",
    range(CASES.height),
    ids=[f"{p}: {n}" for p, n in CASES.select("pattern", "OwnerName").rows()],
)
def test_envelope_name_and_flags(case: int) -> None:
    row = named().row(case, named=True)
    got = {k: row[f"got_{k}"] for k in ("AlternateName", *FLAGS)}
    assert got == {k: row[k] for k in ("AlternateName", *FLAGS)}, row["OwnerName"]


@cache
def occupied() -> list[bool]:
    frame = OCCUPANCY.drop("pattern", "expected", "note")
    return occupancy.derive(frame, load_rules().occupancy)["IsOwnerOccupied"].to_list()


@pytest.mark.parametrize(
    "case",
    range(OCCUPANCY.height),
    ids=[f"{p}: {a}" for p, a in OCCUPANCY.select("pattern", "LocationAddress1").rows()],
)
def test_owner_occupancy(case: int) -> None:
    row = OCCUPANCY.row(case, named=True)
    assert occupied()[case] == (row["expected"] == "true"), row
