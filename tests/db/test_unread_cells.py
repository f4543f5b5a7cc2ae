"""An unparseable cell never erases a stored value, on every backend, through `process`.

Month 1 stores a sale date and amount; month 2 has cells there that cannot be read (a date
`31/02/2024`, a number `abc`) and a good change in another column. The load keeps the stored
date and amount, writes the other change, and counts the cells; a row that differs only by
such a cell is not rewritten; `--strict` refuses month 2 and nothing changes. An owner's
column does the same: an error cell in OwnerCity, a ZIP+4 that does not parse.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from propmail.cli import main
from propmail.db import Backend
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from propmail.summary import summary_rows
from tests.conftest import BACKENDS, backend_url
from tests.db.helpers import MONTH1, MONTH2, by_key
from tests.read.samples import BASE, write_csv, write_xlsx

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


OWNER_HEADER = [*BASE, "OwnerAddress2", "OwnerCity", "OwnerMailingZip4"]
# parcel id -> owner street, ZIP (the owner's key) and its stored Address2, City, ZIP+4
OWNERS = {
    "P1": ("1 MAIN ST", "24016", "", "SALEM", "1234"),
    "P2": ("9 ELM ST", "24017", "", "VINTON", "5678"),
}


def _owner_row(pid: str, street: str, zip_: str, *cells: str) -> list[str]:
    row = {**BASE, "LocationPrimaryId": pid, "OwnerAddress1": street, "OwnerZip": zip_}
    return [*row.values(), *cells]


def _owner_months(tmp_path: Path) -> tuple[Path, Path]:
    """Month 1 stores two owners; month 2 (a workbook) rewrites the first (a new Address2)
    with an error cell in OwnerCity and a ZIP+4 that does not parse, gives the second a ZIP+4
    that does not parse and nothing else new, and brings a new owner with one."""
    first = write_csv(
        tmp_path / "m1.csv", OWNER_HEADER, [_owner_row(p, *o) for p, o in OWNERS.items()]
    )

    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, OWNER_HEADER)
        sheet.write_row(1, 0, _owner_row("P1", "1 MAIN ST", "24016", "APT 1", "", "12AB"))
        sheet.write_formula(1, OWNER_HEADER.index("OwnerCity"), "=NA()", None, "#N/A")
        sheet.write_row(2, 0, _owner_row("P2", "9 ELM ST", "24017", "", "VINTON", "abc"))
        sheet.write_row(3, 0, _owner_row("P3", "3 OAK ST", "24018", "", "ROANOKE", "x9"))

    return first, write_xlsx(tmp_path / "m2.xlsx", fill)


def _owner(backend: Backend, street: str) -> tuple[object, ...]:
    owners = by_key(backend, "Owner", "Address1")
    o = owners[street]
    return o["Address2"], o["City"], o["MailingZip4"]


def test_an_owner_cell_not_read_keeps_the_stored_owner_value(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    first, second = _owner_months(tmp_path)
    assert run_job(Inputs.gather(first), 40, backend=backend, now=MONTH1).load is not None
    preview = run_job(Inputs.gather(second), 40, backend=backend, now=MONTH2, dry_run=True)
    result = run_job(Inputs.gather(second), 40, backend=backend, now=MONTH2)
    assert result.upload.unparseable == {"OwnerCity": 1, "OwnerMailingZip4": 3}
    # the first owner is rewritten: its new Address2, its stored City and ZIP+4
    assert _owner(backend, "1 MAIN ST") == ("APT 1", "SALEM", "1234")
    assert _owner(backend, "9 ELM ST") == (None, "VINTON", "5678")
    assert _owner(backend, "3 OAK ST") == (None, "ROANOKE", None)  # a new owner: empty
    # the owners' three cells, not the new owner's; the dry run predicts them
    assert result.load is not None and result.load.cells_kept == 3
    assert preview.preview is not None and preview.preview.counts.cells_kept == 3
    rows = dict(summary_rows(result))
    assert rows["cells not read, stored value kept"] == "3"
    assert rows["unparseable OwnerCity (empty; a stored row keeps its value)"] == "1"
