from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from propmail.contract import NICHE_COLUMNS, REQUIRED, SOURCE_ROW, UPLOAD_COLUMNS, Kind
from propmail.errors import InputError, SettingsError
from propmail.read import (
    ColumnMapping,
    ReadResult,
    default_mapping,
    load_mapping,
    read_niche,
    read_upload,
)

BASE = {
    "LocationPrimaryId": "P1",
    "OwnerName": "JOHN SMITH",
    "OwnerAddress1": "1 MAIN ST",
    "OwnerZip": "24016",
    "LocationAddress1": "1 MAIN ST",
    "LocationZip": "24016",
}


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def upload_csv(tmp_path: Path, column: str, values: list[str]) -> ReadResult:
    """An upload with the required columns filled in and `column` holding `values`."""
    base = {k: v for k, v in BASE.items() if k != column}
    header = [*base, column]
    rows = [[*base.values(), v] for v in values]
    return read_upload(write_csv(tmp_path / "up.csv", header, rows))


def write_xlsx(path: Path, fill: Callable[[Any, Any], None]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    fill(book, book.add_worksheet())
    book.close()
    return path


# --- the frame -----------------------------------------------------------------------


def test_frame_has_every_canonical_column_typed_in_order(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "Vacant", ["Yes"])
    assert result.frame.columns == [*UPLOAD_COLUMNS, SOURCE_ROW]
    expected: dict[Kind, type[pl.DataType]] = {
        Kind.TEXT: pl.String,
        Kind.ZIP5: pl.String,
        Kind.ZIP4: pl.String,
        Kind.DATE: pl.Date,
        Kind.NUMBER: pl.Float64,
    }
    for name, kind in UPLOAD_COLUMNS.items():
        assert result.frame.schema[name] == expected[kind], name
    assert result.frame.schema[SOURCE_ROW] == pl.Int64
    assert result.source == "up.csv"
    present = {*BASE, "Vacant"}
    assert result.missing_columns == [c for c in UPLOAD_COLUMNS if c not in present]
    assert result.frame["LocationCity"].null_count() == 1  # missing -> all null


def test_row_numbers_are_spreadsheet_rows_and_blank_rows_are_dropped(tmp_path: Path) -> None:
    header = list(BASE)
    rows = [list(BASE.values()), [""] * 6, [" "] * 6, [*list(BASE.values())[:-1], "02134"]]
    result = read_upload(write_csv(tmp_path / "up.csv", header, rows))
    assert result.frame[SOURCE_ROW].to_list() == [2, 5]
    assert result.frame["LocationZip"].to_list() == ["24016", "02134"]


def test_headers_match_case_insensitively_and_ignore_surrounding_spaces(tmp_path: Path) -> None:
    header = ["  locationprimaryid ", "OWNERNAME", "ownerAddress1", " OwnerZip", "LOCATIONaddress1"]
    header += ["locationzip", "Notes"]
    rows = [["P1", "A", "B", "24016", "C", "24016", "n"]]
    result = read_upload(write_csv(tmp_path / "up.csv", header, rows))
    assert result.frame.row(0, named=True)["OwnerName"] == "A"
    assert result.extra_columns == ["Notes"]


def test_text_is_stripped_and_blank_is_null(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "OwnerCity", ["  ROANOKE  ", "", "   ", "\tSALEM"])
    assert result.frame["OwnerCity"].to_list() == ["ROANOKE", None, None, "SALEM"]
    assert result.unparseable == {}


def test_identifiers_keep_leading_zeros_and_dashes(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "LocationPrimaryId", ["000000006046", "12-345-678", "0.50"])
    assert result.frame["LocationPrimaryId"].to_list() == ["000000006046", "12-345-678", "0.50"]


# --- values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "zip5", "zip4"),
    [
        ("02134", "02134", None),
        ("2134", "02134", None),
        ("2134.0", "02134", None),
        ("501", "00501", None),
        ("24016-1234", "24016", "1234"),
        ("240161234", "24016", "1234"),
        ("21341234", "02134", "1234"),  # a ZIP+4 that lost its leading zero
        ("00501-0001", "00501", "0001"),
    ],
)
def test_zip5(tmp_path: Path, raw: str, zip5: str, zip4: str | None) -> None:
    result = upload_csv(tmp_path, "OwnerZip", [raw])
    assert result.frame["OwnerZip"].to_list() == [zip5]
    assert result.frame["OwnerMailingZip4"].to_list() == [zip4]
    assert result.unparseable == {}


@pytest.mark.parametrize("raw", ["12", "123456", "ABCDE", "2401-61234", "24016-12", "24016.5"])
def test_zip5_garbage_is_null_and_counted(tmp_path: Path, raw: str) -> None:
    result = upload_csv(tmp_path, "LocationZip", [raw, "24016"])
    assert result.frame["LocationZip"].to_list() == [None, "24016"]
    assert result.unparseable == {"LocationZip": 1}
    assert result.unparseable_examples == [(2, "LocationZip", raw)]


def test_plus4_fills_only_an_empty_mailing_zip4(tmp_path: Path) -> None:
    header = [*BASE, "OwnerMailingZip4"]
    base = {k: v for k, v in BASE.items() if k != "OwnerZip"}
    rows = [[*base.values(), "24016-1234", zip4] for zip4 in ("", "9999")]
    header = [*base, "OwnerZip", "OwnerMailingZip4"]
    result = read_upload(write_csv(tmp_path / "up.csv", header, rows))
    assert result.frame["OwnerMailingZip4"].to_list() == ["1234", "9999"]
    assert result.frame["OwnerZip"].to_list() == ["24016", "24016"]


def test_zip4(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "OwnerMailingZip4", ["1234", "123", "7.0", "12345", "12a4", ""])
    assert result.frame["OwnerMailingZip4"].to_list() == ["1234", "0123", "0007", None, None, None]
    assert result.unparseable == {"OwnerMailingZip4": 2}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024-03-05 13:30:00", dt.date(2024, 3, 5)),
        ("2024-03-05T13:30:00Z", dt.date(2024, 3, 5)),
        ("3/5/2024", dt.date(2024, 3, 5)),
        ("03/05/2024", dt.date(2024, 3, 5)),
        ("3/5/2024 12:00:00 AM", dt.date(2024, 3, 5)),
        ("45356", dt.date(2024, 3, 5)),  # Excel serial
        ("45356.75", dt.date(2024, 3, 5)),  # serial with a time of day
        ("61", dt.date(1900, 3, 1)),
        ("1900-03-01", dt.date(1900, 3, 1)),
        ("12/31/2199", dt.date(2199, 12, 31)),
    ],
)
def test_date(tmp_path: Path, raw: str, expected: dt.date) -> None:
    result = upload_csv(tmp_path, "BKDate", [raw])
    assert result.frame["BKDate"].to_list() == [expected]
    assert result.unparseable == {}


@pytest.mark.parametrize(
    "raw",
    [
        "60",
        "59",
        "1",
        "0",
        "1899-12-30",
        "1900-02-28",
        "1850-06-01",
        "2200-01-01",
        "2/30/2024",
        "13/1/2024",
        "2024-13-01",
        "0001-01-01",
        "garbage",
        "5/3/24",
        "9999999",
    ],
)
def test_date_garbage_is_null_and_counted(tmp_path: Path, raw: str) -> None:
    # 60 is Excel's fictitious 1900-02-29 and 1-59 are ambiguous with it; 0 and 1899-12-30
    # are how many systems write "no date"; 5/3/24 has a two-digit year.
    result = upload_csv(tmp_path, "DivorceDate", [raw])
    assert result.frame["DivorceDate"].to_list() == [None]
    assert result.unparseable == {"DivorceDate": 1}
    assert result.unparseable_examples == [(2, "DivorceDate", raw)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("45%", 45.0),
        ("45 %", 45.0),
        ("12.5%", 12.5),
        ("$120,000", 120000.0),
        ("$ 1,234,567.89", 1234567.89),
        ("(1,200)", -1200.0),
        ("($1,200.50)", -1200.5),
        ("-3.5", -3.5),
        ("-$3.5", -3.5),
        ("0", 0.0),
        ("1.5E+05", 150000.0),
        (".5", 0.5),
    ],
)
def test_number(tmp_path: Path, raw: str, expected: float) -> None:
    result = upload_csv(tmp_path, "EstLoanToValue", [raw])
    assert result.frame["EstLoanToValue"].to_list() == [expected]
    assert result.unparseable == {}


@pytest.mark.parametrize("raw", ["abc", "12,34", "1.2.3", "(5", "nan", "inf", "-", "$", "5%5"])
def test_number_garbage_is_null_and_counted_never_zero(tmp_path: Path, raw: str) -> None:
    result = upload_csv(tmp_path, "EstEquity", [raw, ""])
    assert result.frame["EstEquity"].to_list() == [None, None]
    assert result.unparseable == {"EstEquity": 1}  # the blank is not counted


def test_unparseable_examples_are_capped(tmp_path: Path) -> None:
    header = [*BASE, "EstEquity", "BKDate", "LocationAcres", "DivorceDate", "PreFcRecordingDate"]
    header += ["LocationSellAmount"]
    rows = [[*BASE.values(), *["x"] * 6] for _ in range(50)]
    result = read_upload(write_csv(tmp_path / "up.csv", header, rows))
    assert result.unparseable == {c: 50 for c in header[6:]}
    assert len(result.unparseable_examples) == 100
    assert sum(1 for _, c, _ in result.unparseable_examples if c == "EstEquity") == 20


# --- csv encodings -------------------------------------------------------------------


def test_csv_with_utf8_bom(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "up.csv", list(BASE), [list(BASE.values())], "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_upload(path).frame["LocationPrimaryId"].to_list() == ["P1"]


def test_csv_in_windows_1252(tmp_path: Path) -> None:
    row = {**BASE, "OwnerName": "JOSÉ O’BRIEN"}
    path = write_csv(tmp_path / "up.csv", list(row), [list(row.values())], "cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert read_upload(path).frame["OwnerName"].to_list() == ["JOSÉ O’BRIEN"]


# --- xlsx ----------------------------------------------------------------------------


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


# --- parquet -------------------------------------------------------------------------


def test_parquet_is_cast_to_the_canonical_kinds(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "LocationPrimaryId": [6046.0, 12.5],
            "OwnerName": ["A", "B"],
            "OwnerAddress1": ["1 MAIN", "2 MAIN"],
            "OwnerZip": [2134, 24016],
            "LocationAddress1": ["1 ELM", "2 ELM"],
            "LocationZip": ["02134", " 24016 "],
            "BKDate": [dt.date(2024, 3, 5), None],
            "DivorceDate": [dt.datetime(2024, 3, 5, 13, 30), None],
            "EstEquity": [1.5, None],
            "EstLoanToValue": [45, 0],
        }
    )
    frame.write_parquet(tmp_path / "up.parquet")
    result = read_upload(tmp_path / "up.parquet")
    out = result.frame
    assert out["LocationPrimaryId"].to_list() == ["6046", "12.5"]
    assert out["OwnerZip"].to_list() == ["02134", "24016"]
    assert out["LocationZip"].to_list() == ["02134", "24016"]
    assert out["BKDate"].to_list() == [dt.date(2024, 3, 5), None]
    assert out["DivorceDate"].to_list() == [dt.date(2024, 3, 5), None]
    assert out["EstEquity"].to_list() == [1.5, None]
    assert out["EstLoanToValue"].to_list() == [45.0, 0.0]
    assert out[SOURCE_ROW].to_list() == [2, 3]
    assert result.unparseable == {}


# --- errors --------------------------------------------------------------------------


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


def test_two_aliases_of_one_column_are_ambiguous(tmp_path: Path) -> None:
    header = [c for c in BASE if c != "LocationPrimaryId"] + ["APN", "Parcel ID"]
    path = write_csv(tmp_path / "up.csv", header, [["x"] * len(header)])
    with pytest.raises(InputError, match="'APN' and 'Parcel ID'"):
        read_upload(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("up.xlsx", b"LocationPrimaryId,OwnerName\n1,2\n", "Excel workbook"),
        ("up.xls", b"not a workbook at all", "Excel workbook"),
        ("up.parquet", b"PAR1 nonsense", "parquet"),
        ("up.txt", b"a,b\n", "unsupported file type"),
        ("up.csv", b"", "empty"),
        ("up.csv", b"\n\n", "empty"),
        ("up.csv", b"LocationPrimaryId,OwnerName\n1,2,3\n", "more fields than the header"),
        ("up.csv", b",".join(k.encode() for k in BASE) + b"\n", "no data rows"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_upload(path)
    assert info.value.file == name
    assert "Traceback" not in str(info.value)


def test_truncated_xlsx(tmp_path: Path) -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, list(BASE))
        sheet.write_row(1, 0, list(BASE.values()))

    path = write_xlsx(tmp_path / "up.xlsx", fill)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputError, match="cannot read as an Excel workbook"):
        read_upload(path)


def test_empty_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "up.xlsx", lambda book, sheet: None)
    with pytest.raises(InputError, match="empty"):
        read_upload(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_upload(tmp_path / "nope.csv")


# --- mapping -------------------------------------------------------------------------


def test_default_mapping_loads_and_knows_niche_headers() -> None:
    mapping = default_mapping()
    assert "APN" in mapping.columns["LocationPrimaryId"]
    assert "Zip" in mapping.niche["LocationZip"]


def test_niche_file_with_common_headers(tmp_path: Path) -> None:
    header = ["APN", "Site Address", "Zip", "Lien Amount"]
    path = write_csv(tmp_path / "liens.csv", header, [["000123", "1 MAIN ST", "2134", "5"]])
    result = read_niche(path)
    assert result.frame.columns == [*NICHE_COLUMNS, SOURCE_ROW]
    assert result.frame.row(0) == ("000123", "1 MAIN ST", "02134", 2)
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


# --- properties ----------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.from_regex(r"[0-9]{5}", fullmatch=True), min_size=1, max_size=30))
def test_any_five_digit_zip_survives_a_csv_round_trip(zips: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in BASE.items() if k != "LocationZip"}
        rows = [[*base.values(), z] for z in zips]
        path = write_csv(Path(tmp) / "up.csv", [*base, "LocationZip"], rows)
        result = read_upload(path)
    assert result.frame["LocationZip"].to_list() == zips
    assert result.unparseable == {}
