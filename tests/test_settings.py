"""The rules file: defaults load, overrides merge, every error names the bad key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from propmail.errors import SettingsError
from propmail.rules.codes import OPERATORS
from propmail.rules.priority import CONDITIONS
from propmail.rules.slug import STYLES
from propmail.settings import load_rules


def test_defaults_carry_the_legacy_codes() -> None:
    rules = load_rules()
    assert [r.code for r in rules.priority] == ["OO", "ABS1", "ABS2", "ABS3"]
    assert [p.prefix for p in rules.prefixes] == [
        "HE-",
        "Liens-",
        "Bankrupcy-",
        "Divorce-",
        "PreFor-",
        "F&C-",
        "Vacant-",
        "NCOA_Moves-",
        "NCOA_Drops-",
    ]
    assert rules.update_window_months == 6
    assert (rules.new_list.frequency, rules.new_list.divided_by, rules.new_list.is_absentee) == (
        26,
        4,
        2,
    )


def test_an_override_replaces_only_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text("[load]\nupdate_window_months = 3\n[slug]\nstyle = 'propercase'\n")
    rules = load_rules(path)
    assert (rules.update_window_months, rules.slug_style) == (3, "propercase")
    assert "TRUST" in rules.classification.trust


def test_names_settings_default_and_override(tmp_path: Path) -> None:
    assert load_rules().names.trustee_title is False
    path = tmp_path / "r.toml"
    path.write_text("[names]\ntrustee_title = true\n")
    assert load_rules(path).names.trustee_title is True


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[load]\nupdate_window_months = 'six'\n", "load.update_window_months"),
        ("[load]\nupdate_window_months = -1\n", "load.update_window_months"),
        ("[slug]\nstyle = 'camel'\n", "slug.style"),
        ("[[prefix]]\nprefix = 'X-'\ncolumn = 'LienType'\nop = 'gt'\n", "prefix[0].op"),
        ("[[prefix]]\nprefix = 'X-'\ncolumn = 'Nope'\nop = 'not_null'\n", "prefix[0].column"),
        ("[[prefix]]\nprefix = 'X-'\ncolumn = 'Vacant'\nop = 'eq'\n", "prefix[0].value"),
        ("[[priority]]\ncode = 'OO'\nwhen = 'import os'\nis_absentee = 0\n", "priority[0].when"),
        ("[classification]\ntrust = ['TR', 3]\n", "classification.trust[1]"),
        ("[new_list]\nfrequency = true\n", "new_list.frequency"),
        ("[journal]\nenabled = 'no'\n", "journal.enabled"),
        ("[journal]\nkeep_loads_per_region = 0\n", "journal.keep_loads_per_region: must be 1"),
        ("[journal]\nkeep = 2\n", "journal.keep: unknown key"),
        ("[names]\ntrustee_title = 'yes'\n", "names.trustee_title"),
        ("[names]\ntitle = true\n", "names.title"),
        ("[typo]\nx = 1\n", "typo"),
        ("priority = [1]\n", "priority[0]: expected a table"),
        ("[[prefix]]\nprefix = 'X-'\nall = []\n", "prefix[0].all: needs at least one condition"),
    ],
)
def test_errors_name_the_bad_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as info:
        load_rules(path)
    assert key in str(info.value)
    assert str(path) in str(info.value)


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[load\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_rules(bad)
    with pytest.raises(SettingsError, match="not found"):
        load_rules(tmp_path / "missing.toml")


def test_every_bad_key_is_reported_in_one_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        "[[prefix]]\nprefix = 'X-'\ncolumn = 'LienType'\nop = 'gt'\n"
        "[slug]\nstyle = 'camel'\n"
        "[load]\nupdate_window_months = -1\n"
    )
    with pytest.raises(SettingsError) as info:
        load_rules(path)
    operators = ", ".join(OPERATORS)
    assert str(info.value) == (
        f"file {path}: prefix[0].op: unknown operator 'gt' (expected one of {operators}); "
        "slug.style: unknown style 'camel' (expected one of underscore, propercase); "
        "load.update_window_months: must be 0 or more"
    )


def test_one_problem_per_key_and_every_item_of_a_list(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        "[classification]\ntrust = ['TR', 3, '']\n"
        "[[priority]]\ncode = ''\nwhen = 'always'\nis_absentee = 'no'\n"
        "[[prefix]]\nprefix = 'X-'\ncolumn = 'Vacant'\nop = 'in'\nvalues = 'Yes'\n"
    )
    with pytest.raises(SettingsError) as info:
        load_rules(path)
    problems = info.value.message.split("; ")
    assert [p.split(": ")[0] for p in problems] == [
        "classification.trust[1]",
        "classification.trust[2]",
        "priority[0].code",
        "priority[0].is_absentee",
        "prefix[0].values",
    ]
    assert problems[-1] == "prefix[0].values: expected a list, got 'Yes'"


def test_the_names_a_rule_may_use_come_from_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[priority]]\ncode = 'X'\nwhen = 'never'\nis_absentee = 0\n")
    with pytest.raises(SettingsError, match=re.escape(", ".join(CONDITIONS))):
        load_rules(path)
    assert set(STYLES) == {"underscore", "propercase"}
    assert {p.op for rule in load_rules().prefixes for p in rule.conditions} <= set(OPERATORS)
