"""`Inputs.gather`: the settings, the mapping and the files of an upload, checked once, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from propmail import synth
from propmail.errors import InputError, SettingsError
from propmail.inputs import Inputs
from propmail.read import ColumnMapping
from propmail.settings import load_rules


def _upload(tmp_path: Path) -> Path:
    path = tmp_path / "upload.csv"
    synth.upload(5, seed=1).write_csv(path)
    return path


def test_the_settings_are_read_before_any_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('[slug]\nstyle = "dashes"\n')
    with pytest.raises(SettingsError, match=r"slug\.style"):
        Inputs.gather(tmp_path / "missing.csv", rules=bad)


def test_every_file_is_checked_before_any_is_read(tmp_path: Path) -> None:
    with pytest.raises(InputError) as found:
        Inputs.gather(_upload(tmp_path), ["Liens=" + str(tmp_path / "liens.csv")])
    assert found.value.file is not None and found.value.file.endswith("liens.csv")


def test_a_rules_file_and_a_layout_name_are_read_once(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[slug]\nstyle = "propercase"\n')
    inputs = Inputs.gather(_upload(tmp_path), (), rules, "county")
    assert inputs.rules.slug_style == "propercase" and inputs.rules_path == rules
    assert isinstance(inputs.mapping, ColumnMapping) and inputs.sheet is None
    given = load_rules()
    again = Inputs.gather(inputs.upload, rules=given, mapping=inputs.mapping)
    assert again.rules is given and again.mapping is inputs.mapping and again.rules_path is None
