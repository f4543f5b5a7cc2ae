"""Workbook specifics: cell types, serial dates and the 1904 system, number formats."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from click.testing import CliRunner

from propmail.cli import main
from propmail.contract import SOURCE_ROW
from propmail.read import read_upload, xlsx
from tests.read.samples import BASE, write_xlsx


def test_xlsx_cells(tmp_path: Path) -> None:
    header = [*BASE, "OwnerMailingZip4", "LocationSellDate", "BKDate", "EstLoanToValue"]
    header += ["EstEquity", "LocationAcres", "LocationSellAmount"]

    def fill(book: Any, sheet: Any) -> None:
        date = book.add_format({"num_format": "m/d/yyyy"})
        percent = book.add_format({"num_format": "0%"})
        money = book.add_format({"num_format": "$#,##0"})
        sheet.write_row(0, 0, header)
        # row 2: numbers where a careless reader would lose zeros or add ".0"
        sheet.write_string(1, 0, "000000006046")
        sheet.write_row(1, 1, ["JOHN SMITH", "1 MAIN ST"])
        sheet.write_number(1, 3, 2134)
        sheet.write_string(1, 4, "2 ELM ST")
        sheet.write_number(1, 5, 240161234)
        sheet.write_number(1, 6, 123)
        sheet.write_datetime(1, 7, dt.datetime(2024, 3, 5), date)
        sheet.write_number(1, 8, 45356)  # an unformatted serial
        sheet.write_number(1, 9, 0.45, percent)  # shows 45%
        sheet.write_number(1, 10, 120000, money)
        sheet.write_number(1, 11, 12.5)
        sheet.write_string(1, 12, "$120,000")
        # row 3: the same things typed as text
        sheet.write_number(2, 0, 6046)
        sheet.write_row(2, 1, ["JANE DOE", "2 MAIN ST", "02134", "3 ELM ST", "24016-1234"])
        sheet.write_row(2, 6, ["0123", "3/5/2024", "2024-03-05", "45%", "(1,200)", "", "n/a"])

    result = read_upload(write_xlsx(tmp_path / "up.xlsx", fill))
    frame = result.frame
    assert frame["LocationPrimaryId"].to_list() == ["000000006046", "6046"]
    assert frame["OwnerZip"].to_list() == ["02134", "02134"]
    assert frame["LocationZip"].to_list() == ["24016", "24016"]
    assert frame["OwnerMailingZip4"].to_list() == ["0123", "0123"]
    assert frame["LocationSellDate"].to_list() == [dt.date(2024, 3, 5)] * 2
    assert frame["BKDate"].to_list() == [dt.date(2024, 3, 5)] * 2
    assert frame["EstLoanToValue"].to_list() == [45.0, 45.0]
    assert frame["EstEquity"].to_list() == [120000.0, -1200.0]
    assert frame["LocationAcres"].to_list() == [12.5, None]
    assert frame["LocationSellAmount"].to_list() == [120000.0, None]
    assert frame[SOURCE_ROW].to_list() == [2, 3]
    assert result.unparseable == {"LocationSellAmount": 1}
    assert result.unparseable_examples == [(3, "LocationSellAmount", "n/a")]


@pytest.mark.parametrize("date1904", [False, True])
def test_xlsx_serial_dates_around_the_leap_year_bug_and_in_1904_workbooks(
    tmp_path: Path, date1904: bool
) -> None:
    serials = [0, 1, 59, 60, 61, 45356, 45356.75]
    base = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
    if date1904:  # no leap-year bug: every serial is a real day from 1904-01-01
        expected = [base + dt.timedelta(days=int(s)) for s in serials]
    else:  # 0-60 are refused: 60 is the fictitious 1900-02-29, 1-59 ambiguous with it
        expected = [None] * 4 + [base + dt.timedelta(days=int(s)) for s in serials[4:]]

    def fill(book: Any, sheet: Any) -> None:
        date = book.add_format({"num_format": "m/d/yyyy"})
        sheet.write_row(0, 0, [*BASE, "BKDate", "DivorceDate"])
        for i, serial in enumerate(serials, start=1):
            sheet.write_row(i, 0, [f"P{i}", *list(BASE.values())[1:]])
            sheet.write_number(i, 6, serial)  # General format: the raw serial
            sheet.write_number(i, 7, serial, date)  # shown as a date

    path = tmp_path / "up.xlsx"
    book = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    fill(book, book.add_worksheet())
    book.close()
    frame = read_upload(path).frame
    assert frame["BKDate"].to_list() == expected
    assert frame["DivorceDate"].to_list() == expected


def test_xlsx_percent_column_scales_only_fractions(tmp_path: Path) -> None:
    values = [0.45, "45%", "$1.00", "(1,200)", "1,234.5", "12 %"]

    def fill(book: Any, sheet: Any) -> None:
        percent = book.add_format({"num_format": "0%"})
        sheet.write_row(0, 0, [*BASE, "EstLoanToValue"])
        for i, value in enumerate(values, start=1):
            sheet.write_row(i, 0, [f"P{i}", *list(BASE.values())[1:]])
            if isinstance(value, float):
                sheet.write_number(i, 6, value, percent)
            else:
                sheet.write_string(i, 6, value)

    frame = read_upload(write_xlsx(tmp_path / "up.xlsx", fill)).frame
    assert frame["EstLoanToValue"].to_list() == [45.0, 45.0, 1.0, -1200.0, 1234.5, 12.0]


def test_xlsx_zero_padded_number_format_keeps_the_zeros(tmp_path: Path) -> None:
    def fill(book: Any, sheet: Any) -> None:
        padded = book.add_format({"num_format": "000000000000"})
        sheet.write_row(0, 0, list(BASE))
        sheet.write_number(1, 0, 6046, padded)
        sheet.write_row(1, 1, list(BASE.values())[1:])
        sheet.write_string(2, 0, "12-345")
        sheet.write_row(2, 1, list(BASE.values())[1:])

    result = read_upload(write_xlsx(tmp_path / "up.xlsx", fill))
    assert result.frame["LocationPrimaryId"].to_list() == ["000000006046", "12-345"]


def test_xlsx_header_below_blank_rows_and_offset_columns(tmp_path: Path) -> None:
    def fill(book: Any, sheet: Any) -> None:
        percent = book.add_format({"num_format": "0.00%"})
        sheet.write_row(2, 1, [*BASE, "EstLoanToValue"])  # header on sheet row 3, from B
        sheet.write_row(3, 1, list(BASE.values()))
        sheet.write_number(3, 7, 0.755, percent)
        sheet.write_row(5, 1, list(BASE.values()))  # row 5 is blank
        sheet.write_string(5, 7, "30%")

    result = read_upload(write_xlsx(tmp_path / "up.xlsx", fill))
    assert result.frame[SOURCE_ROW].to_list() == [4, 6]
    assert result.frame["EstLoanToValue"].to_list() == [75.5, 30.0]


def test_xlsx_blank_header_column_with_data_is_reported(tmp_path: Path) -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, [*BASE, "", "Notes"])
        sheet.write_row(1, 0, [*BASE.values(), "stray", "note"])

    result = read_upload(write_xlsx(tmp_path / "up.xlsx", fill))
    assert result.extra_columns == ["Notes", "(no header, column 7)"]


def test_number_formats_are_read_from_the_sheet_the_data_is_on(tmp_path: Path) -> None:
    """The data on the second sheet: its dates, 00000 ZIPs, zero-padded ids and percentages
    read as Excel shows them; the first sheet's formats in the same columns do not apply."""
    header = [*BASE, "LocationSellDate", "EstLoanToValue", "LocationAcres"]
    path = tmp_path / "up.xlsx"
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "mm/dd/yy"})
    zip5 = book.add_format({"num_format": "00000"})
    padded = book.add_format({"num_format": "000000000000"})
    percent = book.add_format({"num_format": "0%"})
    notes = book.add_worksheet("Read me")  # formats of its own where the data has none
    notes.write_string(0, 0, "Exported 11/30/2026")
    for row in range(1, 5):
        notes.write_number(row, len(header) - 1, 0.5, percent)
        notes.write_number(row, 3, 7, padded)
    data = book.add_worksheet("Data")
    data.write_string(0, 0, "Owners - data below")  # a title row: the header is row 2
    data.write_row(1, 0, header)
    for row, (parcel, owner_zip) in enumerate([(6046, 2134), (18, 501)], start=2):
        data.write_number(row, 0, parcel, padded)
        data.write_row(row, 1, ["ANN LEE", "1 MAIN ST"])
        data.write_number(row, 3, owner_zip, zip5)
        data.write_string(row, 4, "1 MAIN ST")
        data.write_number(row, 5, owner_zip, zip5)
        data.write_datetime(row, 6, dt.datetime(2024, 3, row), date)
        data.write_number(row, 7, 0.45, percent)
        data.write_number(row, 8, 2.5)
    book.close()

    result = read_upload(path)
    frame = result.frame
    assert result.sheet == "Data"
    assert frame["LocationPrimaryId"].to_list() == ["000000006046", "000000000018"]
    assert frame["OwnerZip"].to_list() == ["02134", "00501"]
    assert frame["LocationSellDate"].to_list() == [dt.date(2024, 3, 2), dt.date(2024, 3, 3)]
    assert frame["EstLoanToValue"].to_list() == [45.0, 45.0]
    assert frame["LocationAcres"].to_list() == [2.5, 2.5]  # unformatted here: not percent
    # a ZIP formatted 00000 shows its zeros in Excel: not reported as one that lost them
    inspected = CliRunner().invoke(main, ["inspect", str(path)])
    assert inspected.exit_code == 0, inspected.output
    assert "lost their leading zeros" not in inspected.output


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
@pytest.mark.parametrize("prefix", ["", "x:"])
def test_merged_cells_are_found_after_the_rows_whatever_the_blocks_and_prefix(
    monkeypatch: pytest.MonkeyPatch, chunk: int, prefix: str
) -> None:
    """The `<mergeCells>` element follows the sheet's rows; a block may cut it anywhere, and
    some writers prefix the spreadsheet namespace (`<x:mergeCells>`)."""
    monkeypatch.setattr(xlsx, "CHUNK", chunk)
    rows = "".join(f'<{prefix}row r="{r}"><{prefix}c r="A{r}"/></{prefix}row>' for r in range(50))
    part = (
        f"<{prefix}worksheet><{prefix}sheetData>{rows}</{prefix}sheetData>"
        f'<{prefix}mergeCells count="2"><{prefix}mergeCell ref="A1:B1"/>'
        f'<{prefix}mergeCell ref="C1:C2"/></{prefix}mergeCells><{prefix}pageMargins/>'
        f"</{prefix}worksheet>"
    ).encode()
    fragment = xlsx._merge_fragment(io.BytesIO(part))
    refs = [m.groups() for m in xlsx._MERGE_REF.finditer(fragment)]
    assert refs == [(b"A1", b"B1"), (b"C1", b"C2")]


def test_a_sheet_without_merged_cells_has_none(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "up.xlsx", lambda book, sheet: sheet.write_row(0, 0, list(BASE)))
    assert xlsx.merged_cells(path, "Sheet1", 1, 0) == []
