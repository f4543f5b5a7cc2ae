"""The command line end to end on SQLite: exit codes, messages, the example data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from propmail.cli import exit_status, main
from propmail.errors import DatabaseUnavailable, InputError, LoadError, SettingsError

EXAMPLES = Path(__file__).parents[1] / "examples"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "propmail.db"
    url = f"sqlite:///{path}"
    result = run("db", "init", "--db", url, "--region", "40=Roanoke", "--region", "41")
    assert result.exit_code == 0, result.output
    return url, path


def query(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_example_upload_loads_every_derived_field(db: tuple[str, Path]) -> None:
    url, path = db
    result = run(
        "process",
        str(EXAMPLES / "upload.xlsx"),
        "--region",
        "40",
        "--db",
        url,
        "--niche",
        str(EXAMPLES / "Liens.csv"),
        "--niche",
        f"Probate={EXAMPLES / 'Probate.xlsx'}",
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert "rows read" in result.output and "310" in result.output
    assert query(path, 'SELECT COUNT(*) FROM "Location"') == [(308,)]
    # ZIP stored as an Excel number comes back with its leading zero; ZIP+4 split off
    row = query(
        path,
        "SELECT l.Zip, l.IsOwnerOccupied, l.PriorityCode, o.Slug, o.Zip, "
        "o.MailingZip4, o.AlternateName, l.OwnerGrantorMatch FROM Location l "
        'JOIN Owner o ON o.OwnerId = l.OwnerId WHERE l.PrimaryId = "000000006046"',
    )
    assert row == [
        (
            "02134",
            1,
            "Liens - Liens-HE-OO",
            "123_N_MAIN_ST_02134",
            "02134",
            "1234",
            "John & Mary Smith",
            1,
        )
    ]
    assert query(
        path, "SELECT PriorityCode, SellDate FROM Location WHERE PrimaryId = '12-345-678'"
    ) == [("Bankrupcy-ABS3", None)]
    assert query(
        path, "SELECT IsChurch, IsBusiness, IsTrust FROM Location WHERE PrimaryId = '000000007002'"
    ) == [(1, 1, 0)]
    assert (
        query(
            path,
            "SELECT IsChurch, IsBusiness, IsTrust FROM Location "
            "WHERE PrimaryId IN ('000000007001', '000000007004')",
        )
        == [(0, 0, 0)] * 2
    )
    # blank owner street: rejected, not merged; duplicate parcel: the later row wins
    assert query(path, "SELECT COUNT(*) FROM Location WHERE PrimaryId = '000000007005'") == [(0,)]
    assert query(
        path,
        "SELECT o.Name FROM Location l JOIN Owner o ON o.OwnerId = l.OwnerId "
        "WHERE l.PrimaryId = '000000007006'",
    ) == [("SUNRISE REAL ESTATE LLC",)]
    # every location's ListPriorityId names its code; no empty slug anywhere
    assert query(
        path,
        "SELECT COUNT(*) FROM Location l JOIN ListPriority lp "
        "ON lp.ListPriorityId = l.ListPriorityId "
        "WHERE lp.Code <> l.PriorityCode",
    ) == [(0,)]
    assert query(
        path,
        "SELECT COUNT(*) FROM Owner WHERE Slug IS NULL OR Slug = '' "
        "OR Slug LIKE '\\_%' ESCAPE '\\' OR Slug LIKE '%\\_' ESCAPE '\\'",
    ) == [(0,)]
    assert query(path, "SELECT ProcessingState, RowsProcessed FROM UploadLog") == [(3, 308)]


def test_missing_required_column_exits_2_and_touches_nothing(
    tmp_path: Path, db: tuple[str, Path]
) -> None:
    url, path = db
    upload = tmp_path / "upload.csv"
    upload.write_text(
        "LocationPrimaryId,OwnerName,OwnerAddress1,OwnerZip,LocationZip\n"
        "1,A,1 Main St,24016,24016\n"
    )
    result = run("process", str(upload), "--region", "40", "--db", url)
    assert result.exit_code == 2
    assert "upload.csv" in result.stderr and "LocationAddress1" in result.stderr
    assert "Traceback" not in result.stderr
    assert query(path, "SELECT COUNT(*) FROM UploadLog") == [(0,)]


def test_a_file_that_is_not_a_spreadsheet_exits_2(tmp_path: Path, db: tuple[str, Path]) -> None:
    url, path = db
    fake = tmp_path / "upload.xlsx"
    fake.write_text("this is not a workbook\n")
    result = run("process", str(fake), "--region", "40", "--db", url)
    assert result.exit_code == 2
    assert "upload.xlsx" in result.stderr
    assert query(path, "SELECT COUNT(*) FROM UploadLog") == [(0,)]


def test_unknown_region_exits_2(db: tuple[str, Path]) -> None:
    url, _ = db
    result = run("process", str(EXAMPLES / "upload.csv"), "--region", "99", "--db", url)
    assert result.exit_code == 2
    assert "region 99" in result.stderr


def test_a_failed_load_exits_1_and_records_state_4(db: tuple[str, Path]) -> None:
    url, path = db
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON Location "
            "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
        )
    result = run("process", str(EXAMPLES / "upload.csv"), "--region", "40", "--db", url)
    assert result.exit_code == 1
    assert "disk quota exceeded" in result.stderr
    assert query(path, "SELECT ProcessingState FROM UploadLog") == [(4,)]
    assert query(path, "SELECT COUNT(*) FROM Owner") == [(0,)]
    assert query(path, "SELECT COUNT(*) FROM ListPriority") == [(4,)]


def test_db_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.db"
    monkeypatch.setenv("PROPMAIL_DB_URL", f"sqlite:///{path}")
    assert run("db", "init", "--region", "7=Test").exit_code == 0
    assert query(path, "SELECT RegionId, Name FROM Region") == [(7, "Test")]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("process", str(EXAMPLES / "upload.csv")).exit_code == 2  # no --region
    assert run("db", "init", "--region", "forty").exit_code == 2


def test_exit_status_per_error() -> None:
    assert exit_status(LoadError("rolled back")) == 1
    assert exit_status(InputError("bad row", row=3)) == 2
    assert exit_status(SettingsError("bad key")) == 2
    assert exit_status(DatabaseUnavailable("connection refused")) == 4
