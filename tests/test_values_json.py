"""Values that must not pass for data, JSON every parser reads, and files written whole.

- a number that overflows to infinity (`1e309`) does not parse;
- Excel error cells (`#DIV/0!`, `#N/A`), of .xlsx and .xls workbooks, and out-of-range date
  serials are counted as unparseable, with their text;
- `--strict` refuses an upload with a cell that does not parse;
- every JSON propmail prints or writes parses with a strict parser, even over a database that
  holds an infinity (stored before the reader refused them);
- a row with no owner name is rejected: it cannot be mailed;
- a report that cannot be written whole (a full disk) leaves no truncated file.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from propmail.cli import main
from propmail.contract import KEEP_STORED
from propmail.read import read_upload
from tests.read.samples import BASE, upload_csv, write_csv, write_xlsx


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_a_number_that_overflows_to_infinity_does_not_parse(tmp_path: Path) -> None:
    result = upload_csv(tmp_path, "LocationSellAmount", ["1e309", "-1E400", "1.5e308", "12"])
    assert result.frame["LocationSellAmount"].to_list() == [None, None, 1.5e308, 12.0]
    assert result.unparseable == {"LocationSellAmount": 2}
    assert (2, "LocationSellAmount", "1e309") in result.unparseable_examples


def test_excel_error_cells_and_out_of_range_serials_are_unparseable_with_their_text(
    tmp_path: Path,
) -> None:
    def fill(book: Any, sheet: Any) -> None:
        dated = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, [*BASE, "LocationSellDate", "LocationSellAmount"])
        sheet.write_row(1, 0, list(BASE.values()))
        sheet.write_formula(1, 6, "=1/0", None, "#DIV/0!")
        sheet.write_formula(1, 7, "=NA()", None, "#N/A")
        sheet.write_row(2, 0, list(BASE.values()))
        sheet.write_number(2, 6, 3_000_000, dated)  # year 10113
        sheet.write_number(2, 7, 5)
        sheet.write_row(3, 0, list(BASE.values()))
        sheet.write_number(3, 6, 45_000, dated)
        sheet.write_formula(3, 1, "=1/0", None, "#DIV/0!")  # OwnerName

    result = read_upload(write_xlsx(tmp_path / "up.xlsx", fill))
    assert result.frame["LocationSellDate"].null_count() == 2
    assert result.unparseable == {"LocationSellDate": 2, "LocationSellAmount": 1, "OwnerName": 1}
    examples = set(result.unparseable_examples)
    assert {(2, "LocationSellDate", "#DIV/0!"), (2, "LocationSellAmount", "#N/A")} <= examples
    assert (4, "OwnerName", "#DIV/0!") in examples
    assert any(r == 3 and c == "LocationSellDate" and "10113" in t for r, c, t in examples)
    # each row names the cells it could not read: a stored location keeps its value there
    assert result.frame[KEEP_STORED].to_list() == [
        "|LocationSellAmount|LocationSellDate|",
        "|LocationSellDate|",
        "|OwnerName|",
    ]


XLS_ERRORS = Path(__file__).parent / "fixtures" / "xls" / "errors.xls"  # scripts/make_xls_errors.py


def test_excel_error_cells_of_an_xls_workbook_are_unparseable_with_their_text() -> None:
    """A .xls workbook's error cells, given as empty by calamine too, counted as in .xlsx."""
    result = read_upload(XLS_ERRORS)
    assert result.unparseable == {"OwnerCity": 1, "LocationSellDate": 1, "LocationSellAmount": 1}
    assert set(result.unparseable_examples) == {
        (3, "LocationSellAmount", "#DIV/0!"),
        (4, "OwnerCity", "#N/A"),
        (4, "LocationSellDate", "#VALUE!"),
    }
    assert result.frame[KEEP_STORED].to_list() == [
        None,
        "|LocationSellAmount|",
        "|LocationSellDate|OwnerCity|",
    ]


def test_each_row_names_the_cells_it_could_not_read(tmp_path: Path) -> None:
    base = {k: v for k, v in BASE.items() if k != "OwnerZip"}
    header = [*base, "LocationSellDate", "BKDate", "OwnerZip", "OwnerMailingZip4"]
    rows = [
        [*base.values(), "31/02/2024", "abc", "24016", "12"],  # two cells not read
        [*base.values(), "2024-02-01", "", "24016", ""],  # read; a blank is no failure
        [*base.values(), "", "", "24016-1234", "ZZZZ"],  # the ZIP's +4 fills OwnerMailingZip4
        [*base.values(), "", "", "24016", "ZZZZ"],
    ]
    result = read_upload(write_csv(tmp_path / "up.csv", header, rows))
    assert result.frame[KEEP_STORED].to_list() == [
        "|LocationSellDate|BKDate|",
        None,
        None,
        "|OwnerMailingZip4|",
    ]


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    init = CliRunner().invoke(main, ["db", "init", "--db", url, "--region", "40=Roanoke"])
    assert init.exit_code == 0, init.output
    return url


def _upload(tmp_path: Path, extra: dict[str, list[str]], name: str = "up.csv") -> Path:
    ids = [f"P{i}" for i in range(len(next(iter(extra.values()))))]
    rows = [
        [i, *list(BASE.values())[1:], *(v[n] for v in extra.values())] for n, i in enumerate(ids)
    ]
    return write_csv(tmp_path / name, [*BASE, *extra], rows)


def test_strict_refuses_an_upload_with_a_cell_that_does_not_parse(tmp_path: Path) -> None:
    url = _db(tmp_path)
    path = _upload(tmp_path, {"LocationSellDate": ["2024-01-31", "31/02/2024"]})
    args = ["process", str(path), "--region", "40", "--db", url]
    refused = CliRunner().invoke(main, [*args, "--strict"])
    assert refused.exit_code == 2, refused.output
    assert "LocationSellDate 1" in refused.output and "'31/02/2024'" in refused.output
    with sqlite3.connect(tmp_path / "p.db") as conn:
        assert conn.execute('SELECT COUNT(*) FROM "UploadLog"').fetchone() == (0,)
    assert CliRunner().invoke(main, args).exit_code == 0


def test_every_json_output_parses_strictly_over_a_stored_infinity(tmp_path: Path) -> None:
    url = _db(tmp_path)
    path = _upload(tmp_path, {"LocationSellAmount": ["100", "200"]})
    runner = CliRunner()
    assert runner.invoke(main, ["process", str(path), "--region", "40", "--db", url]).exit_code == 0
    with sqlite3.connect(tmp_path / "p.db") as conn:  # as an earlier propmail stored 1e309
        conn.execute('UPDATE "Location" SET "SellAmount" = 9e999, "Acres" = -9e999')
    outputs = {
        "explain --json": runner.invoke(
            main, ["explain", str(path), "--parcel", "P0", "--db", url, "--json"]
        ).output,
        "changes --json": runner.invoke(
            main, ["changes", "--region", "40", "--db", url, "--json"]
        ).output,
    }
    for args, folder, name in (
        (["process", str(path), "--region", "40", "--db", url, "--dry-run"], "r", "report.json"),
        (["parity", str(path), "--region", "40", "--db", url], "p", "parity.json"),
        (["changes", "--region", "40", "--db", url], "c", "changes.json"),
    ):
        done = runner.invoke(main, [*args, "--report", str(tmp_path / folder)])
        assert done.exit_code == 0, done.output
        outputs[name] = (tmp_path / folder / name).read_text(encoding="utf-8")
    for what, text in outputs.items():
        assert _strict(text), what  # raises on Infinity / NaN
    assert _strict(outputs["explain --json"])["database"][0]["Location.SellAmount"] is None


def test_a_row_with_no_owner_name_is_rejected_with_its_reason(tmp_path: Path) -> None:
    url = _db(tmp_path)
    path = write_csv(
        tmp_path / "up.csv",
        list(BASE),
        [list(BASE.values()), ["P2", "", *list(BASE.values())[2:]]],
    )
    report = tmp_path / "report"
    args = ["process", str(path), "--region", "40", "--db", url, "--report", str(report)]
    assert CliRunner().invoke(main, args).exit_code == 0
    rejects = (report / "rejects.csv").read_text(encoding="utf-8-sig")
    assert "no owner name (OwnerName)" in rejects and "cannot be mailed" in rejects
    with sqlite3.connect(tmp_path / "p.db") as conn:
        assert conn.execute('SELECT "PrimaryId" FROM "Location"').fetchall() == [("P1",)]


class _FullDisk:
    """A file that takes half of what is written to it, then fails as a full disk does."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, data: Any) -> int:
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *_: object) -> None:
        self.real.close()


def test_a_report_that_cannot_be_written_whole_leaves_no_truncated_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _db(tmp_path)
    path = _upload(tmp_path, {"LocationSellAmount": [str(i) for i in range(200)]})
    opened = Path.open

    def open_on_a_full_disk(self: Path, *args: Any, **kwargs: Any) -> Any:
        real = opened(self, *args, **kwargs)
        writing = "report.html" in self.name and any("w" in str(a) for a in args)
        return _FullDisk(real) if writing else real

    monkeypatch.setattr(Path, "open", open_on_a_full_disk)
    report = tmp_path / "report"
    args = ["process", str(path), "--region", "40", "--db", url, "--dry-run", "--report"]
    done = CliRunner().invoke(main, [*args, str(report)])
    assert done.exit_code != 0 and "No space left" in done.output, done.output
    left = sorted(p.name for p in report.iterdir())
    assert "report.html" not in left and not [n for n in left if n.endswith(".partial")]
    # a report written before is left as it was, not truncated
    (report / "report.html").write_bytes(b"<html>the earlier report</html>")
    assert CliRunner().invoke(main, [*args, str(report)]).exit_code != 0
    assert (report / "report.html").read_bytes() == b"<html>the earlier report</html>"


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_nan_and_infinity_words_do_not_parse_either(tmp_path: Path, value: str) -> None:
    result = upload_csv(tmp_path, "EstEquity", [value])
    assert result.unparseable == {"EstEquity": 1}
