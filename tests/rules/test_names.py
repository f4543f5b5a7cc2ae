"""AlternateName against the labelled table tests/fixtures/alternate_name_cases.csv."""

from __future__ import annotations

import doctest
from dataclasses import replace
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
    return names.derive(
        classification.derive(frame, rules.classification), rules.names, rules.classification
    )


@pytest.mark.parametrize("i", range(CASES.height), ids=CASES["note"].to_list())
def test_case(derived: pl.DataFrame, i: int) -> None:
    assert derived["AlternateName"][i] == CASES["AlternateName"][i], CASES["OwnerName"][i]


def test_flags_are_computed_when_classification_did_not_run() -> None:
    rules = load_rules()
    frame = CASES.drop("AlternateName", "note")
    alone = names.derive(frame, rules.names, rules.classification)
    assert alone.columns == [*frame.columns, "AlternateName", "NameConfidence", "NameEvidence"]
    assert alone["AlternateName"].to_list() == CASES["AlternateName"].to_list()


def test_without_first_and_last_name_columns() -> None:
    frame = pl.DataFrame({"OwnerName": ["SMITH JOHN & MARY", "SMITH JOHN A", None]})
    rules = load_rules()
    out = names.derive(frame, rules.names, rules.classification)
    assert out["AlternateName"].to_list() == ["John & Mary Smith", "John A Smith", None]


def test_uses_the_flags_of_the_frame() -> None:
    # a person the flags call a business keeps its word order
    frame = pl.DataFrame({"OwnerName": ["SMITH JOHN & MARY"]})
    flags = {flag: False for flag in classification.FLAGS}
    rules = load_rules()
    person = names.derive(frame.with_columns(**flags), rules.names, rules.classification)
    business = names.derive(
        frame.with_columns(**{**flags, "IsBusiness": True}), rules.names, rules.classification
    )
    assert person["AlternateName"].item() == "John & Mary Smith"
    assert business["AlternateName"].item() == "Smith John & Mary"


def test_docstring_example() -> None:
    assert doctest.testmod(names).failed == 0


def _names(rows: dict[str, list[str | None]], trustee_title: bool = False) -> list[str | None]:
    rules = load_rules()
    rules = replace(rules, names=replace(rules.names, trustee_title=trustee_title))
    return names.derive(pl.DataFrame(rows), rules.names, rules.classification)[
        "AlternateName"
    ].to_list()


def test_the_second_owner_line_is_a_co_owner_a_spouse_or_a_continuation() -> None:
    out = _names(
        {
            "OwnerName": [
                "BAKER TOM",
                "BAKER TOM",
                "GREENE RUTH A TR",
                "RIVERBEND BAPTIST",
                "LEE ANN",
            ],
            "OwnerName2": ["OWUSU AMA", "JUNE", "RUTH A GREENE TRUST", "CHURCH OF GOD", None],
        }
    )
    assert out == [
        "Tom Baker & Ama Owusu",  # a second owner with her own surname
        "Tom & June Baker",  # given names only: the spouse
        "Ruth A Greene",  # the trustee's own trust printed once
        "Riverbend Baptist Church of God",  # a cut organisation continued
        "Ann Lee",
    ]


def test_a_column_written_surname_first_decides_the_rows_that_say_nothing() -> None:
    # KOVAC and ZELNIK are not in the frequency table; the column says surname first
    surname_first = ["KOVAC ZELNIK", "PARKER JOHN T", "DAVIS MARY & TOM", "NGUYEN ANH Q"]
    given_first = ["KOVAC ZELNIK", "JOHN T PARKER", "MARY A DAVIS", "ANH Q NGUYEN"]
    assert _names({"OwnerName": surname_first})[0] == "Zelnik Kovac"
    assert _names({"OwnerName": given_first})[0] == "Kovac Zelnik"


def test_a_listed_column_splits_on_commas() -> None:
    # a deed index lists whole names, each surname first, with commas
    out = _names(
        {"OwnerName": ["WEBB ANNA M ETA, WEBB PAUL ETA", "FORD LINDA TR, LINDA FORD TRUST"]}
    )
    assert out == ["Anna M & Paul Webb", "Linda Ford"]


def test_trustee_title_prints_the_capacity() -> None:
    rows = {"OwnerName": ["PARKER, JOHN T TRUSTEE", "PARKER, JOHN & MARY TRS", "PARKER, JOHN"]}
    assert _names(rows) == ["John T Parker", "John & Mary Parker", "John Parker"]
    titled = ["John T Parker, Trustee", "John & Mary Parker, Trustees", "John Parker"]
    assert _names(rows, trustee_title=True) == titled


def test_the_name_frequencies_are_read_once() -> None:
    table = names.name_frequencies()
    assert table is names.name_frequencies()
    assert table.columns == ["name", "surname", "given"]
    smith = table.filter(pl.col("name") == "SMITH").row(0, named=True)
    assert smith["surname"] > 100 * smith["given"]


@pytest.mark.parametrize(
    "owners",
    [
        # 4 of the 5 rows that show their order are surname first: the column is, so KOVAC
        # ZELNIK is too; counted once per distinct name, only 1 of 2 would be
        ["PARKER JOHN T"] * 4 + ["ANH Q NGUYEN", "KOVAC ZELNIK"],
        # 2 of 5 rows list whole names with commas: not a listed column; 2 of 3 distinct would be
        ["SMITH, JOHN"] * 3 + ["WEBB ANNA M, WEBB PAUL", "FORD LINDA, FORD TOM J"],
    ],
)
def test_repeated_owners_weigh_in_the_column_evidence_once_per_row(owners: list[str]) -> None:
    rules = load_rules()
    frame = pl.DataFrame({"OwnerName": owners})
    # the rule read row by row: every row its own owner, standing for one row
    row_by_row = classification.derive(frame, rules.classification).with_columns(
        pl.lit(1).alias(names.ROWS)
    )
    expected = names.envelopes(row_by_row, rules.names, rules.classification).to_list()
    assert (
        names.derive(frame, rules.names, rules.classification)["AlternateName"].to_list()
        == expected
    )
    # the duplicate rows are what decides: without them the column reads the other way
    distinct = names.derive(frame.unique(maintain_order=True), rules.names, rules.classification)
    by_name = dict(zip(distinct["OwnerName"], distinct["AlternateName"], strict=True))
    assert [by_name[o] for o in owners] != expected


def test_each_row_gets_the_name_of_its_own_owner_columns_and_flags() -> None:
    rules = load_rules()
    frame = pl.DataFrame(
        {
            "OwnerName": ["BAKER TOM", "BAKER TOM", "BAKER TOM", "BAKER TOM", "BAKER TOM", None],
            "OwnerName2": [None, "JUNE", "OWUSU AMA", None, None, None],
            "OwnerLastName": [None, None, None, "TOM", None, None],
            "IsBusiness": [False, False, False, False, True, False],
        }
    )
    flags = [pl.lit(False).alias(f) for f in classification.FLAGS if f != "IsBusiness"]
    out = names.derive(frame.with_columns(flags), rules.names, rules.classification)
    assert out["AlternateName"].to_list() == [
        "Tom Baker",
        "Tom & June Baker",
        "Tom Baker & Ama Owusu",
        "Baker Tom",  # the provider's last name says which word is the surname
        "Baker Tom",  # a business keeps its order
        None,
    ]


def test_two_owner_lines_sharing_a_given_name_keep_their_own_surnames() -> None:
    """A shared word of the two owner lines is the shared surname, unless it is far more often
    a given name (WILLIAM); the frequencies are looked up without accents (ZOË as ZOE)."""
    cases = [
        ("NGUYEN WILLIAM", "O’BRIEN WILLIAM", "William Nguyen & William O’Brien"),
        ("PEÑA ZOË", "O’BRIEN ZOË", "Zoë Peña & Zoë O’Brien"),
        ("SMITH JOHN", "SMITH MARY", "John & Mary Smith"),
        ("JOHN SMITH", "MARY SMITH", "John & Mary Smith"),
        ("JOHN SMITH", "JOHN JONES", "John Smith & John Jones"),
    ]
    frame = pl.DataFrame({"OwnerName": [c[0] for c in cases], "OwnerName2": [c[1] for c in cases]})
    rules = load_rules()
    out = names.derive(frame, rules.names, rules.classification)
    assert out["AlternateName"].to_list() == [c[2] for c in cases]
