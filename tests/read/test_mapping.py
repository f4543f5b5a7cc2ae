"""The mapping file: the default loads, a user file is validated, every bad key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from propmail.errors import InputError, SettingsError
from propmail.read import default_mapping, load_mapping, read_upload
from tests.read.samples import BASE, write_csv


def test_default_mapping_loads_and_knows_niche_headers() -> None:
    mapping = default_mapping()
    assert "APN" in mapping.columns["LocationPrimaryId"]
    assert "Zip" in mapping.niche["LocationZip"]


def test_user_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "map.toml").write_text(
        '[columns]\nOwnerName = "Proprietor"\nlocationprimaryid = ["Folio", "Key"]\n'
    )
    mapping = load_mapping(tmp_path / "map.toml")
    assert mapping.columns == {"OwnerName": ("Proprietor",), "LocationPrimaryId": ("Folio", "Key")}
    header = [c for c in BASE if c not in ("OwnerName", "LocationPrimaryId")]
    header += ["PROPRIETOR", "folio"]
    path = write_csv(tmp_path / "up.csv", header, [["x"] * 4 + ["A", "007"]])
    frame = read_upload(path, mapping).frame
    assert frame["OwnerName"].to_list() == ["A"]
    assert frame["LocationPrimaryId"].to_list() == ["007"]
    with pytest.raises(InputError, match="missing required"):
        read_upload(path)  # without the mapping


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[columns]\nOwnerNmae = "Owner"\n', "columns.OwnerNmae: unknown canonical column; did"),
        ('[niche]\nOwnerName = "Owner"\n', "niche.OwnerName: unknown canonical column"),
        ('[colums]\nOwnerName = "Owner"\n', "colums: unknown table"),
        ("[columns]\nOwnerName = 5\n", "columns.OwnerName: expected a header"),
        ('[columns]\nOwnerName = ["A", ""]\n', "columns.OwnerName: expected a header"),
        ('[columns]\nOwnerName = "A"\nOwnerCity = " a "\n', "already mapped to OwnerName"),
        ("[columns\n", "not valid TOML"),
    ],
)
def test_bad_mapping_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "map.toml").write_text(text)
    with pytest.raises(SettingsError, match=message) as info:
        load_mapping(tmp_path / "map.toml")
    assert info.value.file == str(tmp_path / "map.toml")


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read mapping file"):
        load_mapping(tmp_path / "nope.toml")


def test_every_bad_key_of_a_mapping_file_is_reported_in_one_error(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text(
        '[columns]\nOwnerNmae = "Owner"\nOwnerCity = 5\n[niche]\nOwnerName = "X"\n[colums]\n'
    )
    with pytest.raises(SettingsError) as info:
        load_mapping(path)
    assert str(info.value) == (
        f"file {path}: colums: unknown table (expected one of block, columns, constants, first, "
        "from_mailing, join, layout, niche, split, units); "
        "columns.OwnerNmae: unknown canonical column; did you mean OwnerName?; "
        "columns.OwnerCity: expected a header or a list of headers; "
        "niche.OwnerName: unknown canonical column"
    )
