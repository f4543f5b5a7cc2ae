"""The Publication 28 tables ship with propmail: the base install needs no address library."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from propmail.rules import pub28

ROOT = Path(__file__).parents[2]


def test_the_base_install_does_not_depend_on_an_address_library() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if re.match(r"usaddress", d)]
    importing = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src").rglob("*.py")
        if re.search(r"^\s*(from|import) (scourgify|usaddress)", p.read_text(), re.MULTILINE)
    ]
    assert importing == []


def test_the_shipped_tables_are_the_ones_propmail_used() -> None:
    constants = pytest.importorskip("scourgify.address_constants")
    assert pub28.DIRECTIONAL_REPLACEMENTS == constants.DIRECTIONAL_REPLACEMENTS
    assert pub28.OCCUPANCY_TYPE_ABBREVIATIONS == constants.OCCUPANCY_TYPE_ABBREVIATIONS
    assert pub28.STREET_TYPE_ABBREVIATIONS == constants.STREET_TYPE_ABBREVIATIONS


def test_the_table_names_its_source_and_licence() -> None:
    data = ROOT / "src" / "propmail" / "rules" / "data"
    readme = (data / "README.md").read_text(encoding="utf-8")
    assert "# pub28.csv" in readme and "Publication 28" in readme and "MIT licence" in readme
    assert "MIT License" in (data / "pub28.LICENSE.txt").read_text(encoding="utf-8")
