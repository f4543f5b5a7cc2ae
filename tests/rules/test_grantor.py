"""OwnerGrantorMatch against the labelled table tests/fixtures/grantor_cases.csv."""

from __future__ import annotations

import doctest
from pathlib import Path

import polars as pl
import pytest

from propmail.rules import grantor
from propmail.settings import load_rules

CASES = pl.read_csv(
    Path(__file__).parents[1] / "fixtures" / "grantor_cases.csv", infer_schema=False
)


@pytest.fixture(scope="module")
def derived() -> pl.DataFrame:
    return grantor.derive(CASES.drop("OwnerGrantorMatch", "note"), load_rules().classification)


@pytest.mark.parametrize("i", range(CASES.height), ids=CASES["note"].to_list())
def test_case(derived: pl.DataFrame, i: int) -> None:
    expected = CASES["OwnerGrantorMatch"][i] == "1"
    assert derived["OwnerGrantorMatch"][i] == expected, (
        CASES["OwnerName"][i],
        CASES["LocationGrantor"][i],
    )


def test_match_is_boolean_and_never_null(derived: pl.DataFrame) -> None:
    assert derived["OwnerGrantorMatch"].dtype == pl.Boolean
    assert derived["OwnerGrantorMatch"].null_count() == 0


def test_missing_grantor_column_is_no_match() -> None:
    out = grantor.derive(pl.DataFrame({"OwnerName": ["SMITH JOHN"]}), load_rules().classification)
    assert out["OwnerGrantorMatch"].to_list() == [False]


def test_symmetric(derived: pl.DataFrame) -> None:
    swapped = CASES.select(
        pl.col("LocationGrantor").alias("OwnerName"), pl.col("OwnerName").alias("LocationGrantor")
    )
    again = grantor.derive(swapped, load_rules().classification)
    assert again["OwnerGrantorMatch"].to_list() == derived["OwnerGrantorMatch"].to_list()


def test_trust_words_of_a_rules_override_are_dropped(tmp_path: Path) -> None:
    override = tmp_path / "rules.toml"
    override.write_text('[classification]\ntrust = ["FIDUCIARY"]\n', encoding="utf-8")
    frame = pl.DataFrame({"OwnerName": ["SMITH FIDUCIARY"], "LocationGrantor": ["SMITH JOHN"]})
    assert grantor.derive(frame, load_rules().classification)["OwnerGrantorMatch"].item() is False
    assert (
        grantor.derive(frame, load_rules(override).classification)["OwnerGrantorMatch"].item()
        is True
    )


def test_docstring_example() -> None:
    assert doctest.testmod(grantor).failed == 0
