"""Cell text -> typed values: ZIPs, dates, numbers; unparseable values counted, never 0."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propmail.contract import SOURCE_ROW, Kind
from propmail.read import read_upload, values
from tests.read.samples import BASE, upload_csv, write_csv


def test_text_is_stripped_and_blank_is_null(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "OwnerCity", ["  ROANOKE  ", "", "   ", "\tSALEM"])
    assert result.frame["OwnerCity"].to_list() == ["ROANOKE", None, None, "SALEM"]
    assert result.unparseable == {}


def test_identifiers_keep_leading_zeros_and_dashes(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "LocationPrimaryId", ["000000006046", "12-345-678", "0.50"])
    assert result.frame["LocationPrimaryId"].to_list() == ["000000006046", "12-345-678", "0.50"]


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


_PLAIN_CELLS = (
    r"\$?[0-9]{1,20}(\.[0-9]{1,4})?%?|[0-9]{5}|[0-9]{1,2}/[0-9]{1,2}/(18|19|20|21)[0-9]{2}"
    r"|(18|19|20|21)[0-9]{2}-[0-9]{1,2}-[0-9]{1,2}|[0-9 $%.,()/-]{1,8}"
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.from_regex(_PLAIN_CELLS, fullmatch=True), min_size=1, max_size=40))
def test_cells_in_a_plain_form_read_as_their_full_pattern_reads_them(cells: list[str]) -> None:
    text = pl.DataFrame({SOURCE_ROW: range(len(cells)), "N": cells, "D": cells, "OwnerZip": cells})
    kinds = {"N": Kind.NUMBER, "D": Kind.DATE, "OwnerZip": Kind.ZIP5, "OwnerMailingZip4": Kind.ZIP4}
    for formats in ({}, {"N": "0%"}):
        shortcut = values.parsed_frame(text, kinds, formats)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(values, "_PLAIN", {})  # every cell through the regexes' groups
            assert shortcut.equals(values.parsed_frame(text, kinds, formats))
