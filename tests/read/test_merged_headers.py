"""Merged header cells: each column a merged cell covers gets a header (`propmail.read.merged`),
so exports saved with grouped headers are recognized by the layouts and read as the plain ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from propmail.cli import main
from propmail.inputs import Inputs
from propmail.job import prepare
from propmail.read import read_niche, read_upload, resolve_mapping
from tests.read import layout_files as lf
from tests.read.test_layouts import same


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("merged")
    data = lf.rows(120)
    return {
        "grouped": lf.write_list_provider_grouped(folder / "grouped.xlsx", data),
        "plain": lf.write_list_provider(folder / "plain.xlsx", data),
    }


def test_a_grouped_two_row_header_reads_as_group_plus_header(exports: dict[str, Path]) -> None:
    result = read_upload(exports["grouped"])
    assert result.layout == "list-provider"
    # the group label before each header under it: "Owner 1 First Name", "Mailing Unit #"
    assert result.headers == [f"{group} {h}".strip() for group, hs in lf.GROUPED for h in hs]
    assert result.headers[6] == "Owner 1 First Name"
    assert result.extra_columns == []  # no "(no header, column N)"
    assert result.header_row == 3
    assert (
        result.notes[0] == "header rows 2 and 3 (merged group cells above); title rows 1 left out"
    )
    # the rows without a site ZIP get the mailing one where the owner lives at the site
    assert result.notes[1:] == [
        "site ZIP, where the file gives none: the mailing ZIP where the mailing street is the "
        "site street (57 rows), else empty"
    ]


def test_a_grouped_export_gives_the_frames_of_the_plain_one(exports: dict[str, Path]) -> None:
    grouped, plain = prepare(Inputs(exports["grouped"]))[2], prepare(Inputs(exports["plain"]))[2]
    assert grouped.processed.height == 120
    same(grouped.processed, plain.processed)
    same(grouped.owners, plain.owners)
    same(grouped.locations, plain.locations)


def test_inspect_shows_the_composed_headers(exports: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["inspect", str(exports["grouped"])])
    assert result.exit_code == 0, result.output
    assert "  'Owner 1 First Name' -> OwnerName, OwnerFirstName" in result.output.splitlines()
    assert "(no header" not in result.output


def _book(path: Path, fill: object) -> Path:
    book = xlsxwriter.Workbook(str(path))
    fill(book.add_worksheet("Data"))  # type: ignore[operator]
    book.close()
    return path


def test_a_header_merged_across_columns_numbers_the_columns_after_the_first(
    tmp_path: Path,
) -> None:
    def fill(sheet: xlsxwriter.worksheet.Worksheet) -> None:
        sheet.write_row(0, 0, ["LocationPrimaryId", "OwnerName"])
        sheet.merge_range(0, 2, 0, 3, "Mailing Address")
        sheet.write_row(0, 4, ["OwnerZip", "LocationAddress1", "LocationZip"])
        sheet.write_row(1, 0, ["P1", "ANN LEE", "9 OAK AVE", "C/O BOB", "27609", "1 MAIN ST"])
        sheet.write_string(1, 6, "27609")

    result = read_upload(_book(tmp_path / "up.xlsx", fill))
    assert result.headers[2:4] == ["Mailing Address", "Mailing Address 2"]
    assert result.frame.select("OwnerAddress1", "OwnerAddress2").row(0) == ("9 OAK AVE", "C/O BOB")
    assert result.extra_columns == []


def test_a_lone_merged_title_just_above_the_headers_is_a_title_not_a_group(
    tmp_path: Path,
) -> None:
    header = ["LocationPrimaryId", "LocationAddress1", "LocationZip", "OwnerName"]
    header += ["OwnerAddress1", "OwnerZip"]

    def fill(sheet: xlsxwriter.worksheet.Worksheet) -> None:
        sheet.merge_range(0, 0, 0, 3, "Monthly list")
        sheet.write_row(1, 0, header)
        sheet.write_row(2, 0, ["P1", "1 MAIN ST", "27609", "ANN LEE", "1 MAIN ST", "27609"])

    result = read_upload(_book(tmp_path / "up.xlsx", fill))
    assert result.headers == header
    assert result.notes == ["header row 2; title rows 1 left out"]


def test_a_niche_list_with_grouped_headers_is_matched_by_them(tmp_path: Path) -> None:
    def fill(sheet: xlsxwriter.worksheet.Worksheet) -> None:
        sheet.merge_range(0, 0, 1, 0, "Parcel Number")
        sheet.merge_range(0, 1, 0, 2, "Property")
        sheet.write_row(1, 1, ["Address", "Zip"])
        sheet.merge_range(0, 3, 1, 3, "Lien Amount")
        sheet.write_row(2, 0, ["0001", "1 MAIN ST", "27609", "100"])

    result = read_niche(_book(tmp_path / "Liens.xlsx", fill))
    assert result.headers[:3] == ["Parcel Number", "Property Address", "Property Zip"]
    assert result.frame.select("LocationPrimaryId", "LocationAddress1", "LocationZip").rows() == [
        ("0001", "1 MAIN ST", "27609")
    ]


def test_a_mapping_written_for_a_grouped_export_reads_it_as_detection_does(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    written = tmp_path / "mapping.toml"
    result = CliRunner().invoke(
        main, ["inspect", str(exports["grouped"]), "--write-mapping", str(written)]
    )
    assert result.exit_code == 0, result.output
    assert '"Owner 1 First Name"' in written.read_text()
    by_file = prepare(Inputs(exports["grouped"], mapping=resolve_mapping(str(written))))[2]
    same(by_file.processed, prepare(Inputs(exports["grouped"]))[2].processed)
