"""The trades of the NAICS titles make a business of a name with no legal form, never of a
homeowner: a word of a person's name is no trade, and a person-shaped name is never one."""

from __future__ import annotations

import polars as pl
import pytest

from propmail.rules import classification, trades
from propmail.settings import load_rules


def business(*owners: str, first: str | None = None) -> list[bool]:
    frame = pl.DataFrame(
        {"OwnerName": list(owners), "OwnerFirstName": [first] * len(owners)},
        schema={"OwnerName": pl.String, "OwnerFirstName": pl.String},
    )
    return classification.derive(frame, load_rules().classification)["IsBusiness"].to_list()


def test_the_vocabulary_is_the_titles_trades_less_names_and_generic_words() -> None:
    words = trades.trade_words()
    assert {"FLORIST", "FLORISTS", "NURSERY", "BAKERY", "PLUMBING", "UTILITIES"} <= words
    # names, institutions that are no companies, and words that name no trade alone
    assert not {"BAKER", "MASON", "CARPENTER", "SCHOOL", "HOSPITAL", "SERVICES", "HOUSING"} & words


@pytest.mark.parametrize(
    "owner",
    ["RIVERSIDE FLORIST & NURSERY", "MAIN STREET BAKERY", "NORTHSIDE TIRE & AUTOMOTIVE",
     "LIBERTY UTILITIES"],
)  # fmt: skip
def test_a_name_closed_by_a_trade_is_a_business(owner: str) -> None:
    assert business(owner) == [True]


@pytest.mark.parametrize(
    "owner",
    [
        "BAKER JOHN",  # a surname that is a trade's name
        "MASON GREGORY & RUTH",
        "FLORIST, ANN",  # person-shaped: the word before the comma is her surname
        "SMITH JOHN ESTATE",  # another flag's word
        "SMITH FAMILY",
        "BAKERY",  # one word: nothing before the trade
        "PLUMBING JOHN A",  # the trade word does not close the name
    ],
)
def test_a_homeowner_is_no_business(owner: str) -> None:
    assert business(owner) == [False]


def test_a_name_the_provider_split_into_first_and_last_is_a_person() -> None:
    assert business("JOHN FLORIST", first="JOHN") == [False]
