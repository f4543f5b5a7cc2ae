"""Spreadsheets as people save them: separators, byte-order marks, encodings, sheets, title
rows and totals lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from propmail.cli import main
from propmail.errors import InputError
from propmail.read import read_upload

HEADER = [
    "LocationPrimaryId",
    "LocationAddress1",
    "LocationZip",
    "OwnerName",
    "OwnerAddress1",
    "OwnerZip",
]
ROWS = [
    ["P1", "1 MAIN ST", "27609", "RENÉE PEÑA", "1 MAIN ST", "27609"],
    ["P2", "2 OAK AVE", "27511", "O’BRIEN ANN", "9 ELM ST", "27511"],
]


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_the_separator_is_sniffed(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "up.csv"
    path.write_text("\n".join(separator.join(r) for r in [HEADER, *ROWS]) + "\n", encoding="utf-8")
    result = read_upload(path)
    assert result.frame["OwnerName"].to_list() == ["RENÉE PEÑA", "O’BRIEN ANN"]
    assert result.notes == ([] if separator == "," else [f"separator {separator!r}"])


def test_a_byte_order_mark_and_a_quoted_line_break_are_read(tmp_path: Path) -> None:
    path = tmp_path / "up.csv"
    lines = [",".join(HEADER), 'P1,"1 MAIN ST\nREAR",27609,LEE ANN,1 MAIN ST,27609']
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    frame = read_upload(path).frame
    assert frame["LocationPrimaryId"].to_list() == ["P1"]
    assert frame["LocationAddress1"].to_list() == ["1 MAIN ST\nREAR"]


@pytest.mark.parametrize(
    ("encoding", "named"), [("cp1252", "Windows-1252"), ("latin-1", "Latin-1")]
)
def test_a_legacy_encoding_is_decoded_and_named(tmp_path: Path, encoding: str, named: str) -> None:
    path = tmp_path / "up.csv"
    rows = [HEADER, ["P1", "1 MAIN ST", "27609", "RENÉE PEÑA", "1 MAIN ST", "27609"]]
    text = "\n".join(";".join(r) for r in rows) + "\n"
    # \x81 is undefined in Windows-1252, so this file can only be Latin-1
    data = text.encode(encoding) + (
        b"P2;2 A ST;27609;X\x81;2 A ST;27609\n" if encoding == "latin-1" else b""
    )
    path.write_bytes(data)
    result = read_upload(path)
    assert result.frame["OwnerName"][0] == "RENÉE PEÑA"
    assert result.notes == [f"text decoded as {named}", "separator ';'"]


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
    book.close()
    return path


def test_title_rows_and_a_totals_line_are_left_out_and_named(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "up.xlsx",
        {
            "Data": [
                ["Monthly list"],
                ["prepared 11/30/2026"],
                HEADER,
                *ROWS,
                [],
                ["Grand Total", "2"],
            ]
        },
    )
    result = read_upload(path)
    assert result.frame["LocationPrimaryId"].to_list() == ["P1", "P2"]
    assert result.header_row == 3
    assert result.notes == ["header row 3; title rows 1, 2 left out", "totals line left out: row 7"]


def test_the_first_sheet_a_layout_knows_is_read_unless_one_is_named(tmp_path: Path) -> None:
    other = [
        ["LocationPrimaryId", *HEADER[1:]],
        ["Q9", "9 ELM ST", "27601", "KIM BO", "9 ELM ST", "27601"],
    ]
    path = _workbook(
        tmp_path / "up.xlsx",
        {"Cover": [["About this file"]], "Data": [HEADER, *ROWS], "Old": other},
    )
    assert read_upload(path).frame["LocationPrimaryId"].to_list() == ["P1", "P2"]
    assert read_upload(path, sheet="Old").frame["LocationPrimaryId"].to_list() == ["Q9"]
    assert read_upload(path, sheet="3").frame["LocationPrimaryId"].to_list() == ["Q9"]
    with pytest.raises(
        InputError, match="no sheet 'Nope'; the workbook has 'Cover', 'Data', 'Old'"
    ):
        read_upload(path, sheet="Nope")


def test_a_sheet_the_workbook_lacks_exits_2_naming_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "up.xlsx", {"Data": [HEADER, *ROWS]})
    result = CliRunner().invoke(main, ["inspect", str(path), "--sheet", "Missing"])
    assert result.exit_code == 2
    assert "no sheet 'Missing'" in result.output


def test_a_last_data_row_that_begins_like_a_total_is_kept(tmp_path: Path) -> None:
    last = ["Total 9", "9 ELM ST", "27601", "TOTAL HOLDINGS LLC", "9 ELM ST", "27601"]
    path = _workbook(tmp_path / "up.xlsx", {"Data": [HEADER, *ROWS, last]})
    result = read_upload(path)
    assert result.frame["OwnerName"][-1] == "TOTAL HOLDINGS LLC"
    assert result.notes == []
