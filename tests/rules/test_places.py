"""Composite place cells read by their values: every state and ZIP form real files write, one-line
addresses and foreign addresses named, never cut into US fields."""

from __future__ import annotations

import polars as pl
import pytest

from propmail.pipeline import foreign_mailing
from propmail.rules.places import address_line, city_state_zip


def _split(line: str) -> tuple[str | None, ...]:
    parts = city_state_zip(pl.col("line"))
    return pl.DataFrame({"line": [line]}).select(**parts).row(0)


@pytest.mark.parametrize(
    ("line", "city", "state"),
    [
        ("JERSEY CITY, NJ  07307", "JERSEY CITY", "NJ"),
        ("JERSEY CITY N J  07307", "JERSEY CITY", "NJ"),
        ("JERSEY CITY, N. J.  07307", "JERSEY CITY", "NJ"),
        ("JERSEY CITY, N.J.  07307", "JERSEY CITY", "NJ"),
        ("JERSEY CITY, NJ.  07307", "JERSEY CITY", "NJ"),
        ("JERSEY CITY, NEW JERSEY  07307", "JERSEY CITY", "NJ"),
        ("COLUMBUS, OHIO  43215", "COLUMBUS", "OH"),
        ("BOCA RATON, FLA.  33431", "BOCA RATON", "FL"),
        ("SAN DIEGO CALIF 92101", "SAN DIEGO", "CA"),
        ("JERSEY CITY  07305", "JERSEY CITY", "NJ"),  # no state: the ZIP's
        ("NEW YORK 10001", "NEW YORK", "NY"),  # a state's name alone is the city
        ("jersey city, n,j.  07304", "JERSEY CITY", "NJ"),
        ("KISSIMMEE , FLORDA  34744", "KISSIMMEE", "FL"),  # a misspelt state: the ZIP's
    ],
)
def test_every_state_form_is_read(line: str, city: str, state: str) -> None:
    assert _split(line)[:2] == (city, state)
    assert _split(line)[4] is None


@pytest.mark.parametrize(
    ("line", "zip5", "zip4"),
    [
        ("TRENTON NJ 8648", "08648", None),  # lost its leading zero
        ("RALEIGH NC 27609-6317", "27609", "6317"),
        ("RALEIGH NC 276096317", "27609", "6317"),  # +4 with no hyphen
        ("RALEIGH NC 27609 6317", "27609", "6317"),
        ("NEW YORK, NY  00000", None, None),  # a placeholder is no ZIP
    ],
)
def test_every_zip_form_is_read(line: str, zip5: str | None, zip4: str | None) -> None:
    assert _split(line)[2:4] == (zip5, zip4)


@pytest.mark.parametrize(
    ("line", "place"),
    [
        ("VANCOUVER BC V6K 1", "BRITISH COLUMBIA"),
        ("TORONTO, ONTARIO M5V 2T6", "ONTARIO"),
        ("PANTIN, FRANCE 93500  00000", "FRANCE"),
        ("GAN HAIM, ISRAEL  44910", "ISRAEL"),
        ("CANDIAC,QC,CANADA-J5R4K6  00000", "CANADA"),
    ],
)
def test_a_foreign_line_is_named_and_not_cut(line: str, place: str) -> None:
    city, state, zip5, zip4, foreign = _split(line)
    assert foreign == place
    assert (state, zip5, zip4) == (None, None, None)
    assert city == " ".join(line.upper().split())  # kept whole, as written


def test_a_us_town_named_like_a_country_stays_domestic() -> None:
    assert _split("LEBANON 03766") == ("LEBANON", "NH", "03766", None, None)
    assert _split("PERU, IN 46970")[:3] == ("PERU", "IN", "46970")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 OAK AVE APT 3, CARY, NC 27511", ("12 OAK AVE APT 3", "CARY", "NC", "27511")),
        ("9 ELM ST RALEIGH NC 27609-1234", ("9 ELM ST", "RALEIGH", "NC", "27609")),
        (
            "413 NEW YORK AVE # 2 JERSEY CITY NJ 07307",
            ("413 NEW YORK AVE # 2", "JERSEY CITY", "NJ", "07307"),
        ),
        ("77 MAIN ST", ("77 MAIN ST", None, None, None)),
    ],
)
def test_a_one_line_address_keeps_its_street_apart(line: str, expected: tuple) -> None:
    parts = address_line(pl.col("line"))
    row = pl.DataFrame({"line": [line]}).select(**parts).row(0, named=True)
    assert (row["street"], row["city"], row["state"], row["zip"]) == expected


def test_the_pipeline_names_a_foreign_mailing_address() -> None:
    frame = pl.DataFrame(
        {
            "OwnerCity": ["LONDON, N5 2AP ENGLAND", "CARY", "LEBANON"],
            "OwnerState": [None, "NC", None],
            "OwnerZip": [None, "27511", "03766"],
        }
    )
    assert foreign_mailing(frame).to_list() == ["ENGLAND", None, None]


def test_a_mailing_place_with_no_state_takes_it_from_its_zip() -> None:
    from propmail.rules.places import state_from_zip

    frame = pl.DataFrame(
        {
            "c": ["SEWELL N", None, "LE HAVRE FR", "CARY", "NOWHERE"],
            "s": [None, None, None, "NC", None],
            "z": ["08080", "08028", "76600", "27511", "00001"],
        }
    )
    got = frame.select(**state_from_zip(pl.col("c"), pl.col("s"), pl.col("z"))).rows()
    assert got == [
        ("SEWELL", "NJ"),  # the state cut to its first letter
        ("GLASSBORO", "NJ"),  # no city: the ZIP's
        ("LE HAVRE FR", None),  # abroad: not made a US state
        ("CARY", "NC"),  # a state given stays
        ("NOWHERE", None),  # a ZIP the table does not know
    ]


@pytest.mark.parametrize(
    ("line", "foreign"),
    [
        ("LE HAVRE FR 76600", "FRANCE"),
        ("MILANO IT", "ITALY"),
        ("WILMINGTON DE 19801", None),  # a state's code is never a country's
        ("SPRINGFIELD FR 62701", None),  # a US ZIP: a stray word, not abroad
    ],
)
def test_a_country_s_code_after_the_city_is_a_foreign_address(line: str, foreign: str) -> None:
    assert _split(line)[4] == foreign
