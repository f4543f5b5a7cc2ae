"""Base priority code and the enhanced list code, against labelled tables."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from propmail.rules import codes, priority
from propmail.settings import Rules, load_rules

FIXTURES = Path(__file__).parents[1] / "fixtures"
CASES = list(csv.DictReader((FIXTURES / "enhanced_code_cases.csv").open()))
TEXT = ("LienType", "BKDate", "DivorceDate", "PreFcRecordingDate", "Vacant", "ResponseNCOA")


def _frame(case: dict[str, str]) -> pl.DataFrame:
    def number(v: str) -> float | None:
        return float(v) if v else None

    return pl.DataFrame(
        {
            "BasePriorityCode": [case["base"]],
            "EstLoanToValue": [number(case["EstLoanToValue"])],
            "EstEquity": [number(case["EstEquity"])],
            **{c: [case[c] or None] for c in TEXT},
        },
        schema={
            "BasePriorityCode": pl.String,
            "EstLoanToValue": pl.Float64,
            "EstEquity": pl.Float64,
            **{c: pl.String for c in TEXT},
        },
    )


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_enhanced_code(case: dict[str, str], rules: Rules) -> None:
    assert (
        codes.derive(_frame(case), rules.prefixes, rules.ncoa)["EnhancedCode"][0]
        == case["expected"]
    )


def test_ncoa_codes_that_are_not_drops_are_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[ncoa]\nnot_drops = []\n")  # the legacy reading
    case = {**{k: "" for k in CASES[0]}, "base": "ABS1", "ResponseNCOA": "00"}
    changed, defaults = load_rules(path), load_rules()
    assert codes.derive(_frame(case), defaults.prefixes, defaults.ncoa)["EnhancedCode"][0] == "ABS1"
    assert (
        codes.derive(_frame(case), changed.prefixes, changed.ncoa)["EnhancedCode"][0]
        == "NCOA_Drops-ABS1"
    )


def test_prefix_order_is_data(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'replace = ["prefix"]\n'
        '[[prefix]]\nprefix = "Liens-"\ncolumn = "LienType"\nop = "not_null"\n'
        '[[prefix]]\nprefix = "HE-"\ncolumn = "EstLoanToValue"\nop = "between"\n'
        "low = 0\nhigh = 50\n"
    )
    case = {**{k: "" for k in CASES[0]}, "base": "ABS1", "EstLoanToValue": "40", "LienType": "TAX"}
    changed = load_rules(path)
    assert codes.derive(_frame(case), changed.prefixes, changed.ncoa)["EnhancedCode"][0] == (
        "HE-Liens-ABS1"
    )


PRIORITY = [
    # occupied, loc state, owner state, loc zip, owner zip, code, absentee
    (True, "VA", "VA", "24016", "24016", "OO", 0),
    (True, "VA", "NC", "24016", "27601", "OO", 0),
    (False, "VA", "NC", "24016", "27601", "ABS1", 1),
    (False, "VA", " nc ", "24016", "27601", "ABS1", 1),
    (False, "VA", "va", "24016", "24018", "ABS2", 1),
    (False, "VA", "VA", "24016", "24016", "ABS3", 1),
    (False, "VA", None, "24016", "24018", "ABS2", 1),
    (False, "VA", None, "24016", None, "ABS3", 1),
    (False, "MA", "MA", "02134", "02134", "ABS3", 1),
]


@pytest.mark.parametrize("case", PRIORITY)
def test_base_priority(case: tuple, rules: Rules) -> None:
    occupied, ls, os_, lz, oz, code, absentee = case
    frame = pl.DataFrame(
        {
            "IsOwnerOccupied": [occupied],
            "LocationState": [ls],
            "OwnerState": [os_],
            "LocationZip": [lz],
            "OwnerZip": [oz],
        },
        schema={
            "IsOwnerOccupied": pl.Boolean,
            "LocationState": pl.String,
            "OwnerState": pl.String,
            "LocationZip": pl.String,
            "OwnerZip": pl.String,
        },
    )
    out = priority.derive(frame, rules.priority)
    assert (out["BasePriorityCode"][0], out["IsAbsentee"][0]) == (code, absentee)


def test_first_matching_rule_wins_and_gaps_give_null(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'replace = ["priority"]\n'
        '[[priority]]\ncode = "ABS1"\nwhen = "state_differs"\nis_absentee = 1\n'
    )
    frame = pl.DataFrame(
        {
            "IsOwnerOccupied": [False, True],
            "LocationState": ["VA", "VA"],
            "OwnerState": ["NC", "VA"],
            "LocationZip": ["1", "1"],
            "OwnerZip": ["2", "1"],
        }
    )
    assert priority.derive(frame, load_rules(path).priority)["BasePriorityCode"].to_list() == [
        "ABS1",
        None,
    ]
