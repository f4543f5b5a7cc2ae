"""OwnerSlug in both styles against a labelled table; laws with hypothesis."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from propmail.rules.slug import owner_slug

CASES = list(csv.DictReader((Path(__file__).parents[1] / "fixtures" / "slug_cases.csv").open()))


def _frame(street: str | None, zip_: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {"OwnerAddress1": [street or None], "OwnerZip": [zip_ or None]},
        schema={"OwnerAddress1": pl.String, "OwnerZip": pl.String},
    )


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
@pytest.mark.parametrize("style", ["underscore", "propercase"])
def test_slug_cases(case: dict[str, str], style: str) -> None:
    got = owner_slug(_frame(case["street"], case["zip"]), style)[0]
    assert got == (case[style] or None)


def _tsql_proper_case(text: str) -> str:
    """The widely copied dbo.ProperCase, character by character (the reference)."""
    out, previous = [], " "
    for ch in text:
        out.append(ch.upper() if not previous.isalpha() else ch.lower())
        previous = ch
    return "".join(out)


street_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 _'-#&/.,", min_size=1, max_size=30
)
zips = st.from_regex(r"\A[0-9]{5}\Z")


@given(street_text, zips)
def test_propercase_matches_the_tsql_function(street: str, zip_: str) -> None:
    cleaned = street.strip().replace(".", "").replace(",", "").strip().upper()
    got = owner_slug(_frame(street, zip_), "propercase")[0]
    if not cleaned:
        assert got is None
    else:
        assert got == _tsql_proper_case(cleaned + "_" + zip_)


@given(street_text, zips)
def test_a_slug_never_loses_a_leading_zero(street: str, zip_: str) -> None:
    got = owner_slug(_frame(street, zip_), "underscore")[0]
    assert got is None or got.endswith("_" + zip_)
