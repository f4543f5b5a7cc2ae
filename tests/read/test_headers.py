"""Headers matched to canonical columns (user mapping, canonical name, default mapping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from propmail.contract import KEEP_STORED, NICHE_COLUMNS, REQUIRED, SOURCE_ROW
from propmail.errors import InputError
from propmail.read import ColumnMapping, read_niche, read_upload
from tests.read.samples import BASE, write_csv


def test_headers_match_case_insensitively_and_ignore_surrounding_spaces(tmp_path: Path) -> None:
    header = ["  locationprimaryid ", "OWNERNAME", "ownerAddress1", " OwnerZip", "LOCATIONaddress1"]
    header += ["locationzip", "Notes"]
    rows = [["P1", "A", "B", "24016", "C", "24016", "n"]]
    result = read_upload(write_csv(tmp_path / "up.csv", header, rows))
    assert result.frame.row(0, named=True)["OwnerName"] == "A"
    assert result.extra_columns == ["Notes"]


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    header = [c for c in BASE if c != "OwnerZip"]
    path = write_csv(tmp_path / "march.csv", header, [["x"] * len(header)])
    with pytest.raises(InputError) as info:
        read_upload(path)
    assert info.value.file == "march.csv"
    assert info.value.column == "OwnerZip"
    assert "march.csv" in str(info.value) and "OwnerZip" in str(info.value)


def test_every_required_column_is_checked(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "up.csv", ["Notes"], [["x"]])
    with pytest.raises(InputError) as info:
        read_upload(path)
    for column in REQUIRED:
        assert column in str(info.value)


def test_duplicate_headers_name_both(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "up.csv", [*BASE, " ownername"], [[*BASE.values(), "x"]])
    with pytest.raises(
        InputError, match="duplicate column headers 'OwnerName' and 'ownername'"
    ) as info:
        read_upload(path)
    assert info.value.file == "up.csv"


def test_two_ids_read_alike_holding_different_values_are_ambiguous(tmp_path: Path) -> None:
    header = [c for c in BASE if c != "LocationPrimaryId"] + ["APN", "PIN"]
    base = [v for c, v in BASE.items() if c != "LocationPrimaryId"]
    path = write_csv(tmp_path / "up.csv", header, [[*base, "101", "9001"], [*base, "102", "9002"]])
    with pytest.raises(InputError, match="'APN' and 'PIN' both read as LocationPrimaryId"):
        read_upload(path)


def test_niche_file_with_common_headers(tmp_path: Path) -> None:
    header = ["APN", "Site Address", "Zip", "Lien Amount"]
    path = write_csv(tmp_path / "liens.csv", header, [["000123", "1 MAIN ST", "2134", "5"]])
    result = read_niche(path)
    assert result.frame.columns == [*NICHE_COLUMNS, SOURCE_ROW, KEEP_STORED]
    assert result.frame.row(0) == ("000123", "1 MAIN ST", "02134", 2, None)
    assert result.extra_columns == ["Lien Amount"]


@pytest.mark.parametrize(
    "header", [["Parcel Number"], ["Property Address", "Zip Code"], ["Address", "Property Zip"]]
)
def test_niche_needs_an_id_or_an_address_and_zip(tmp_path: Path, header: list[str]) -> None:
    path = write_csv(tmp_path / "niche.csv", header, [["1"] * len(header)])
    assert read_niche(path).frame.height == 1


@pytest.mark.parametrize("header", [["Address"], ["Zip", "Owner"], ["Notes"]])
def test_niche_without_id_or_address_and_zip(tmp_path: Path, header: list[str]) -> None:
    path = write_csv(tmp_path / "probate.csv", header, [["1"] * len(header)])
    with pytest.raises(InputError, match="LocationPrimaryId") as info:
        read_niche(path)
    assert info.value.file == "probate.csv"


def test_niche_ignores_ambiguity_in_columns_it_does_not_read(tmp_path: Path) -> None:
    header = ["APN", "Owner", "Owner Name"]  # both default aliases of OwnerName
    result = read_niche(write_csv(tmp_path / "liens.csv", header, [["1", "A", "B"]]))
    assert result.extra_columns == ["Owner", "Owner Name"]


def test_vague_niche_headers_are_not_used_for_uploads(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "up.csv", [*BASE, "Zip"], [[*BASE.values(), "99999"]])
    result = read_upload(path)
    assert result.extra_columns == ["Zip"]
    assert result.frame["LocationZip"].to_list() == ["24016"]


def test_upload_aliases_from_the_default_mapping(tmp_path: Path) -> None:
    header = ["Parcel ID", "Owner Name", "Mailing Address", "Mail Zip", "Property Address"]
    header += ["Property Zip", "LTV"]
    path = write_csv(tmp_path / "up.csv", header, [["1", "A", "B", "24016", "C", "2134", "45%"]])
    row = read_upload(path).frame.row(0, named=True)
    assert (row["OwnerAddress1"], row["LocationZip"], row["EstLoanToValue"]) == ("B", "02134", 45)


def test_user_mapping_beats_canonical_name_beats_default_alias(tmp_path: Path) -> None:
    mapping = ColumnMapping(columns={"OwnerName": ("Full Owner",)})
    header = [*BASE, "Owner Name", "Full Owner"]
    path = write_csv(tmp_path / "up.csv", header, [[*BASE.values(), "ALIAS", "USER"]])
    assert read_upload(path, mapping).frame["OwnerName"].to_list() == ["USER"]
    result = read_upload(path)
    assert result.frame["OwnerName"].to_list() == ["JOHN SMITH"]
    assert result.extra_columns == ["Owner Name", "Full Owner"]


def test_user_mapping_can_move_a_default_alias(tmp_path: Path) -> None:
    # The default maps "Address" to LocationAddress1 in niche lists; this provider means the owner.
    mapping = ColumnMapping(columns={"OwnerAddress1": ("Address",)})
    path = write_csv(tmp_path / "n.csv", ["Parcel", "Address"], [["1", "PO BOX 1"]])
    assert read_niche(path).frame["LocationAddress1"].to_list() == ["PO BOX 1"]
    result = read_niche(path, mapping)
    assert result.frame["LocationAddress1"].to_list() == [None]
    assert result.extra_columns == ["Address"]
