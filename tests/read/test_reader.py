"""The reader end to end: the canonical frame, row numbers, encodings, unreadable files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from propmail.contract import KEEP_STORED, SOURCE_ROW, UPLOAD_COLUMNS, Kind
from propmail.errors import InputError
from propmail.read import read_upload
from tests.read.samples import BASE, upload_csv, write_csv, write_xlsx


def test_frame_has_every_canonical_column_typed_in_order(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "Vacant", ["Yes"])
    assert result.frame.columns == [*UPLOAD_COLUMNS, SOURCE_ROW, KEEP_STORED]
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
