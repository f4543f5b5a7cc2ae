"""The base priority code (SPEC 3.5) against a labelled table, under the shipped rules and three
rule sets that reorder them or end them with `always`.

Each row of fixtures/priority_cases.csv names the rule set it runs under and, in `source`,
the part of the SPEC its label comes from.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from propmail.rules import priority
from propmail.settings import Rules, load_rules

CASES = list(csv.DictReader((Path(__file__).parents[1] / "fixtures" / "priority_cases.csv").open()))
TEXT = ("LocationState", "OwnerState", "LocationZip", "OwnerZip")

# rule set -> its [[priority]] rules in order: (code, when, is_absentee); None: rules.toml
RULE_SETS: dict[str, list[tuple[str, str, int]] | None] = {
    "default": None,
    "fallback": [("OO", "owner_occupied", 0), ("ABS1", "state_differs", 1), ("ALL", "always", 1)],
    "reversed": [
        ("ABS3", "same_zip", 1),
        ("ABS2", "zip_differs", 1),
        ("ABS1", "state_differs", 1),
        ("OO", "owner_occupied", 0),
    ],
    "always_first": [("ALL", "always", 1), ("OO", "owner_occupied", 0)],
}


@pytest.fixture(scope="module")
def rule_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rules]:
    loaded = {}
    for name, rules in RULE_SETS.items():
        if rules is None:
            loaded[name] = load_rules()
            continue
        path = tmp_path_factory.mktemp("rules") / f"{name}.toml"
        path.write_text(
            'replace = ["priority"]\n'
            + "".join(
                f'[[priority]]\ncode = "{code}"\nwhen = "{when}"\nis_absentee = {absentee}\n'
                for code, when, absentee in rules
            )
        )
        loaded[name] = load_rules(path)
    return loaded


def _frame(case: dict[str, str]) -> pl.DataFrame:
    occupied = {"true": True, "false": False, "": None}[case["IsOwnerOccupied"]]
    return pl.DataFrame(
        {"IsOwnerOccupied": [occupied], **{c: [case[c] or None] for c in TEXT}},
        schema={"IsOwnerOccupied": pl.Boolean, **dict.fromkeys(TEXT, pl.String)},
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rules']}: {c['note']}" for c in CASES])
def test_base_priority_code(case: dict[str, str], rule_sets: dict[str, Rules]) -> None:
    out = priority.derive(_frame(case), rule_sets[case["rules"]].priority)
    absentee = int(case["IsAbsentee"]) if case["IsAbsentee"] else None
    got = (out["BasePriorityCode"][0], out["IsAbsentee"][0])
    assert got == (case["BasePriorityCode"] or None, absentee), case["source"]


def test_the_table_covers_every_condition_and_every_rule_set() -> None:
    conditions = {when for rules in RULE_SETS.values() if rules for _, when, _ in rules}
    assert conditions == set(priority.CONDITIONS)
    assert {c["rules"] for c in CASES} == set(RULE_SETS)
    assert {"OO", "ABS1", "ABS2", "ABS3", ""} <= {c["BasePriorityCode"] for c in CASES}
    assert all(c["source"].startswith("SPEC") for c in CASES)


def test_without_a_site_zip_the_cities_decide_between_abs2_and_abs3() -> None:
    frame = pl.DataFrame(
        {
            "IsOwnerOccupied": [False, False, False, False],
            "LocationState": ["NJ"] * 4,
            "OwnerState": ["NJ"] * 4,
            "LocationZip": [None, None, "", "07302"],
            "OwnerZip": ["07306", "08902", "08902", "07302"],
            "LocationCity": ["JERSEY CITY", "JERSEY CITY", "Jersey City", "JERSEY CITY"],
            "OwnerCity": ["Jersey City", "NORTH BRUNSWICK", "NORTH BRUNSWICK", "HOBOKEN"],
        }
    )
    codes = priority.derive(frame, load_rules().priority)["BasePriorityCode"].to_list()
    # the ZIPs decide where the site has one, whatever the cities say
    assert codes == ["ABS3", "ABS2", "ABS2", "ABS3"]
