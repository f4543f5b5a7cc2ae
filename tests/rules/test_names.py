"""AlternateName against the labelled table tests/fixtures/alternate_name_cases.csv."""

from __future__ import annotations

import doctest
from pathlib import Path

import polars as pl
import pytest

from propmail.rules import classification, names
from propmail.settings import load_rules

CASES = pl.read_csv(
    Path(__file__).parents[1] / "fixtures" / "alternate_name_cases.csv", infer_schema=False
)


@pytest.fixture(scope="module")
def derived() -> pl.DataFrame:
    rules = load_rules()
    frame = CASES.drop("AlternateName", "note")
    return names.derive(classification.derive(frame, rules), rules)


@pytest.mark.parametrize("i", range(CASES.height), ids=CASES["note"].to_list())
def test_case(derived: pl.DataFrame, i: int) -> None:
    assert derived["AlternateName"][i] == CASES["AlternateName"][i], CASES["OwnerName"][i]


def test_flags_are_computed_when_classification_did_not_run() -> None:
    rules = load_rules()
    frame = CASES.drop("AlternateName", "note")
    alone = names.derive(frame, rules)
    assert alone.columns == [*frame.columns, "AlternateName"]
    assert alone["AlternateName"].to_list() == CASES["AlternateName"].to_list()


def test_without_first_and_last_name_columns() -> None:
    frame = pl.DataFrame({"OwnerName": ["SMITH JOHN & MARY", "SMITH JOHN A", None]})
    out = names.derive(frame, load_rules())
    assert out["AlternateName"].to_list() == ["John & Mary Smith", "Smith John A", None]


def test_uses_the_flags_of_the_frame() -> None:
    # a person the flags call a business keeps its word order
    frame = pl.DataFrame({"OwnerName": ["SMITH JOHN & MARY"]})
    flags = {flag: False for flag in classification.FLAGS}
    person = names.derive(frame.with_columns(**flags), load_rules())
    business = names.derive(frame.with_columns(**{**flags, "IsBusiness": True}), load_rules())
    assert person["AlternateName"].item() == "John & Mary Smith"
    assert business["AlternateName"].item() == "Smith John & Mary"


def test_docstring_example() -> None:
    assert doctest.testmod(names).failed == 0
