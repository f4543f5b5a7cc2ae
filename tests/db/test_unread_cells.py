"""An unparseable cell never erases a stored value, on every backend, through `process`.

Month 1 stores a sale date and amount; month 2 has cells there that cannot be read (a date
`31/02/2024`, a number `abc`) and a good change in another column. The load keeps the stored
date and amount, writes the other change, and counts the cells; a row that differs only by
such a cell is not rewritten; `--strict` refuses month 2 and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from propmail.cli import main
from tests.conftest import BACKENDS, backend_url
from tests.read.samples import BASE, write_csv

HEADER = [*BASE, "LocationCity", "LocationSellDate", "LocationSellAmount"]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = backend_url(request, request.param, tmp_path)
    init = CliRunner().invoke(main, ["db", "init", "--db", url, "--region", "40=Roanoke"])
    assert init.exit_code == 0, init.output
    return url


def _month(tmp_path: Path, name: str, rows: dict[str, tuple[str, str, str]]) -> Path:
    """rows: parcel id -> (city, sale date, sale amount)."""
    body = [[pid, *list(BASE.values())[1:], *cells] for pid, cells in rows.items()]
    return write_csv(tmp_path / name, HEADER, body)


def _process(url: str, path: Path, *extra: str) -> tuple[int, str]:
    out = CliRunner().invoke(main, ["process", str(path), "--region", "40", "--db", url, *extra])
    return out.exit_code, out.output


def _stored(url: str) -> dict[str, tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    'SELECT "PrimaryId", "City", "SellDate", "SellAmount", "ModifiedDate" '
                    'FROM "Location" ORDER BY "PrimaryId"'
                )
            ).all()
    finally:
        engine.dispose()
    return {r[0]: (r[1], _date(r[2]), r[3], r[4] is not None) for r in rows}


def _date(value: object) -> object:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def test_an_unparseable_cell_keeps_the_stored_value(url: str, tmp_path: Path) -> None:
    first = _month(
        tmp_path,
        "m1.csv",
        {"P1": ("SALEM", "2024-01-31", "120000"), "P2": ("VINTON", "3/15/2023", "$80,000")},
    )
    assert _process(url, first)[0] == 0
    second = _month(
        tmp_path,
        "m2.csv",
        {"P1": ("ROANOKE", "31/02/2024", "abc"), "P2": ("VINTON", "3/15/2023", "n/a")},
    )
    code, output = _process(url, second)
    assert code == 0, output
    assert "unparseable LocationSellDate" in output and "unparseable LocationSellAmount" in output
    stored = _stored(url)
    # P1: the city changed and is written; the date and amount that could not be read are kept
    assert stored["P1"] == ("ROANOKE", dt.date(2024, 1, 31), 120000.0, True)
    # P2 differs only by a cell that could not be read: not rewritten at all
    assert stored["P2"] == ("VINTON", dt.date(2023, 3, 15), 80000.0, False)


def test_strict_refuses_the_month_and_nothing_changes(url: str, tmp_path: Path) -> None:
    first = _month(tmp_path, "m1.csv", {"P1": ("SALEM", "2024-01-31", "120000")})
    assert _process(url, first)[0] == 0
    before = _stored(url)
    second = _month(tmp_path, "m2.csv", {"P1": ("ROANOKE", "31/02/2024", "abc")})
    code, output = _process(url, second, "--strict")
    assert code == 2, output
    assert _stored(url) == before
