"""The rules file: defaults load, overrides merge, every error names the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from propmail.errors import SettingsError
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
        ("[typo]\nx = 1\n", "typo"),
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
