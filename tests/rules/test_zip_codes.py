"""The shipped ZIP code table: complete enough to fill a city and state from a ZIP."""

from __future__ import annotations

import polars as pl

from propmail.rules.zip_codes import states, zip_table


def test_every_zip_is_five_digits_and_unique() -> None:
    table = zip_table()
    assert table.height > 40_000
    assert table["zip"].str.contains(r"^\d{5}$").all()
    assert table["zip"].n_unique() == table.height


def test_a_zip_gives_its_city_state_and_county_and_the_cities_usps_accepts() -> None:
    table = zip_table().filter(pl.col("zip").is_in(["19145", "03784", "08648"]))
    got = {r["zip"]: (r["city"], r["state"], r["county"]) for r in table.iter_rows(named=True)}
    assert got == {
        "19145": ("PHILADELPHIA", "PA", "PHILADELPHIA COUNTY"),
        "03784": ("WEST LEBANON", "NH", "GRAFTON COUNTY"),
        "08648": ("LAWRENCE TOWNSHIP", "NJ", "MERCER COUNTY"),
    }
    lawrence = zip_table().filter(pl.col("zip") == "08648")["acceptable_cities"].item()
    assert "LAWRENCE" in lawrence.to_list()


def test_the_states_are_the_usps_codes() -> None:
    assert {"PA", "NJ", "NH", "WA", "DC", "PR"} <= states()
    assert not any(len(s) != 2 for s in states())
