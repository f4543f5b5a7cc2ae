"""Classification flags against the labelled table tests/fixtures/classification_cases.csv."""

from __future__ import annotations

import doctest
import re
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
    return classification.derive(CASES.drop(*FLAGS, "note"), load_rules().classification)


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
    out = classification.derive(frame, load_rules().classification)
    assert out["IsChurch"].to_list() == [True, False]
    assert out["IsTrust"].to_list() == [False, True]


@pytest.mark.parametrize(
    ("name", "shaped"),
    [
        ("TEMPLE, ANDREW C", True),  # SURNAME, GIVEN
        ("BANK , JOHN & LAVONNE", True),  # a space before the comma
        ("BANKS III, ROY", True),  # a generational suffix before the comma
        ("O'HOLDING, MARY", True),  # an apostrophe in the surname
        ("TEMPLE ANDREW C", False),  # no comma
        ("GRACE TEMPLE, THE", False),  # two words before the comma
        ("TEMPLE, 1ST", False),  # no given name after the comma
    ],
)
def test_person_shaped(name: str, shaped: bool) -> None:
    assert (re.match(classification.PERSON_SHAPED, name) is not None) == shaped


def test_a_name_with_a_legal_form_is_not_person_shaped() -> None:
    frame = pl.DataFrame({"OwnerName": ["TEMPLE, ANDREW C", "TEMPLE, ANDREW C LLC"]})
    out = classification.derive(frame, load_rules().classification)
    # the name is a company's, and TEMPLE is read as a church word again
    assert out["IsChurch"].to_list() == [False, True]
    assert out["IsBusiness"].to_list() == [False, True]


def test_the_second_owner_line_is_read() -> None:
    frame = pl.DataFrame(
        {
            "OwnerName": ["TINDLEY TEMPLE UNITED", "720-22 CHESTNUT STREET", "SMITH JOHN"],
            "OwnerName2": ["METHODIST CHURCH", "CONDOMINIUM ASSOCIATION", None],
        }
    )
    out = classification.derive(frame, load_rules().classification)
    assert out["IsChurch"].to_list() == [True, False, False]
    assert out["IsBusiness"].to_list() == [False, True, False]
    assert out.columns == [*frame.columns, *FLAGS]


def test_person_names_is_a_setting(tmp_path: Path) -> None:
    override = tmp_path / "rules.toml"
    override.write_text("[classification]\nperson_names = []\n", encoding="utf-8")
    frame = pl.DataFrame({"OwnerName": ["TEMPLE, ANDREW C"]})
    assert classification.derive(frame, load_rules(override).classification)[
        "IsChurch"
    ].to_list() == [True]


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
    default = classification.derive(frame, load_rules().classification)["IsTrust"].to_list()
    changed = classification.derive(frame, load_rules(override).classification)["IsTrust"].to_list()
    assert default == [False, True]
    assert changed == [True, False]  # the list replaces the default one


def test_docstring_example() -> None:
    assert doctest.testmod(classification).failed == 0
