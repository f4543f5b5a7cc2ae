"""The stack count: prefixes plus niche lists, read back from a final code."""

from __future__ import annotations

import polars as pl
import pytest

from propmail.rules import stack
from propmail.settings import Rules

SEPARATOR = " - "


@pytest.fixture
def prefixes(rules: Rules) -> list[str]:
    return [rule.prefix for rule in rules.prefixes]


@pytest.mark.parametrize(
    ("code", "count"),
    [
        ("OO", 0),
        ("ABS1", 0),
        ("HE-ABS1", 1),
        ("Liens-HE-ABS1", 2),
        ("NCOA_Drops-F&C-Vacant-ABS2", 3),  # prefixes need not be in rule order
        ("Probate - ABS3", 1),
        ("Probate - Liens - Liens-HE-OO", 4),  # a niche list and a prefix of one name: 2
        ("Bankrupcy-Divorce-PreFor-ABS1", 3),  # the legacy spelling is the prefix
        ("", 0),
    ],
)
def test_stack_count_is_prefixes_plus_niche_lists(
    code: str, count: int, prefixes: list[str]
) -> None:
    assert stack.stack_count(code, prefixes, SEPARATOR) == count


def test_a_base_code_is_never_read_as_a_prefix() -> None:
    # a base code spelled like a prefix stays the base: the code is on no list
    assert stack.stack_parts("HE-", ["HE-"], SEPARATOR) == ((), (), "HE-")
    assert stack.stack_parts("HE-HE-", ["HE-"], SEPARATOR) == ((), ("HE-",), "HE-")


def test_an_unknown_prefix_stays_in_the_base(prefixes: list[str]) -> None:
    assert stack.stack_parts("Zoning-HE-OO", prefixes, SEPARATOR) == ((), (), "Zoning-HE-OO")


def test_the_separator_is_the_setting() -> None:
    assert stack.stack_count("Probate|Liens|HE-OO", ["HE-"], "|") == 3
    assert stack.stack_count("Probate|HE-OO", ["HE-"], " - ") == 0


def test_a_column_is_counted_per_code_and_distributed(prefixes: list[str]) -> None:
    codes = pl.Series(["OO", "Liens - HE-OO", None, "HE-OO", "Liens - HE-OO"])
    counted = stack.stack_counts(codes, prefixes, SEPARATOR)
    assert counted.to_list() == [0, 2, 0, 1, 2]
    assert stack.distribution(codes, prefixes, SEPARATOR) == [
        {"lists": 0, "rows": 2},
        {"lists": 1, "rows": 1},
        {"lists": 2, "rows": 2},
    ]
