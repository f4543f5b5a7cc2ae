"""The occupancy conventions' limits: what a unit without a designator, a site without a house
number and a postal town stand-in must not match (docs/conventions.md)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from propmail.rules import occupancy
from propmail.settings import load_rules

COLUMNS = ("LocationAddress1", "LocationCity", "LocationState", "LocationZip",
           "OwnerAddress1", "OwnerCity", "OwnerState", "OwnerZip")  # fmt: skip


def occupied(*rows: tuple[str | None, ...], postal_town: bool = True) -> list[bool]:
    frame = pl.DataFrame([dict(zip(COLUMNS, r, strict=True)) for r in rows],
                         schema=dict.fromkeys(COLUMNS, pl.String))  # fmt: skip
    settings = replace(load_rules().occupancy, postal_town=postal_town)
    return occupancy.derive(frame, settings)["IsOwnerOccupied"].to_list()


@pytest.mark.parametrize(
    "row",
    [
        # two units written on both sides, one without a designator: two places
        ("730 STATE ST S A2", "KENT", "WA", "98032", "730 STATE ST S #B", "KENT", "WA", "98032"),
        # a number after a route is the road's name, not a unit
        ("86 NH ROUTE 4A", "LEBANON", "NH", None, "86 NH ROUTE 4", "LEBANON", "NH", "03766"),
        # a site with no house number against another lot without one on another road
        ("0 MILL RD", "LEBANON", "NH", "03766", "0 RIVER RD", "LEBANON", "NH", "03766"),
        # the mailing ZIP's county is another county: no stand-in
        ("12 RIVER RD", "LEBANON", "NH", None, "12 RIVER RD", "CONCORD", "NH", "03301"),
        # a unit without a designator is a unit: another unit is another place
        ("123 MAIN ST 5", "CONCORD", "NH", "03301", "123 MAIN ST #6", "CONCORD", "NH", "03301"),
    ],
)  # fmt: skip
def test_what_is_not_the_same_place(row: tuple[str | None, ...]) -> None:
    assert occupied(row) == [False]


def test_the_postal_town_stand_in_is_a_setting() -> None:
    row = ("12 RIVER RD", "LEBANON", "NH", None, "12 RIVER RD", "WEST LEBANON", "NH", "03784")
    assert occupied(row) == [True]
    assert occupied(row, postal_town=False) == [False]
