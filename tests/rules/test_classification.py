"""Classification flags against the labelled table tests/fixtures/classification_cases.csv."""

from __future__ import annotations

import doctest
from pathlib import Path

import polars as pl
import pytest

from propmail.rules import classification
from propmail.settings import load_rules

CASES = pl.read_csv(
    Path(__file__).parents[1] / "fixtures" / "classification_cases.csv", infer_schema=False
)
FLAGS = classification.FLAGS


@pytest.fixture(scope="module")
def derived() -> pl.DataFrame:
    return classification.derive(CASES.drop(*FLAGS, "note"), load_rules())


@pytest.mark.parametrize("i", range(CASES.height), ids=CASES["note"].to_list())
def test_case(derived: pl.DataFrame, i: int) -> None:
    expected = {flag: CASES[flag][i] == "1" for flag in FLAGS}
    actual = {flag: derived[flag][i] for flag in FLAGS}
    assert actual == expected, CASES["OwnerName"][i]


def test_table_covers_every_flag_both_ways() -> None:
    for flag in FLAGS:
        assert set(CASES[flag]) == {"0", "1"}, flag


def test_flags_are_boolean_and_never_null(derived: pl.DataFrame) -> None:
    for flag in FLAGS:
        assert derived[flag].dtype == pl.Boolean
        assert derived[flag].null_count() == 0


def test_without_first_and_last_name_columns() -> None:
    frame = pl.DataFrame({"OwnerName": ["CHURCH JOHN", "SMITH JOHN TR"]})
    out = classification.derive(frame, load_rules())
    assert out["IsChurch"].to_list() == [True, False]
    assert out["IsTrust"].to_list() == [False, True]


def test_patterns_are_built_once_per_rules() -> None:
    rules = load_rules()
    assert classification.patterns(rules.classification) is classification.patterns(
        rules.classification
    )


def test_keywords_are_escaped() -> None:
    assert classification.keyword_pattern(("A.B", "C+")) == r"\b(?:A B|C)\b"
    assert classification.keyword_pattern(()) is None


def test_rules_override_changes_the_result(tmp_path: Path) -> None:
    override = tmp_path / "rules.toml"
    override.write_text('[classification]\ntrust = ["FIDUCIARY"]\n', encoding="utf-8")
    frame = pl.DataFrame({"OwnerName": ["SMITH JOHN FIDUCIARY", "SMITH JOHN TR"]})
    default = classification.derive(frame, load_rules())["IsTrust"].to_list()
    changed = classification.derive(frame, load_rules(override))["IsTrust"].to_list()
    assert default == [False, True]
    assert changed == [True, False]  # the list replaces the default one


def test_docstring_example() -> None:
    assert doctest.testmod(classification).failed == 0
