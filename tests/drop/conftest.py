"""The mail drop through the command line, on every tested backend: a region loaded from a
small upload written here, then `propmail drop ...` and `propmail suppress ...`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from propmail.cli import main
from tests.conftest import BACKENDS, backend_url

REGION = 40
COLUMNS = (
    "LocationPrimaryId", "LocationAddress1", "LocationCity", "LocationState", "LocationZip",
    "OwnerName", "OwnerAddress1", "OwnerAddress2", "OwnerCity", "OwnerState", "OwnerZip",
    "DoNotMail", "ResponseNCOA", "LienType", "Vacant",
)  # fmt: skip


def row(parcel: str, owner: str | None = None, **values: str) -> dict[str, str]:
    """An upload row: parcel `parcel` owned by `owner` (an owner is its mailing address: rows
    of one owner share it), absentee (mailing state VA, site NC)."""
    who = owner or parcel
    base = {
        "LocationPrimaryId": parcel,
        "LocationAddress1": f"{100 + len(parcel)} {parcel} RD",
        "LocationCity": "RALEIGH",
        "LocationState": "NC",
        "LocationZip": "27601",
        "OwnerName": f"SMITH {who}",
        "OwnerAddress1": f"{len(who)} {who} ST",
        "OwnerAddress2": "",
        "OwnerCity": "ROANOKE",
        "OwnerState": "VA",
        "OwnerZip": "24016",
        "DoNotMail": "",
        "ResponseNCOA": "",
        "LienType": "",
        "Vacant": "",
    }
    return {**base, **values}


@dataclass
class Region:
    """A database with region 40, and how to run commands on it."""

    url: str
    folder: Path
    runner: CliRunner = field(default_factory=CliRunner)
    uploads: int = 0

    def run(self, *args: str, expect: int = 0) -> Result:
        result = self.runner.invoke(main, [*args, "--db", self.url], catch_exceptions=False)
        assert result.exit_code == expect, result.output + (result.stderr or "")
        return result

    def load(self, rows: list[dict[str, str]]) -> None:
        self.uploads += 1
        path = self.folder / f"upload{self.uploads}.csv"
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        self.run("process", str(path), "--region", str(REGION))

    @property
    def engine(self) -> Engine:
        return create_engine(self.url)

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        engine = self.engine
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def age_loads(self, days: int) -> None:
        """Move every load so far, and the rows it wrote, `days` into the past."""
        then = datetime.now() - timedelta(days=days)
        self.sql('UPDATE "Location" SET "InsertedDate" = :t, "UpdatedDate" = NULL', t=then)
        self.sql('UPDATE "UploadLog" SET "ProcessingStarted" = :t, "ProcessingEnded" = :t', t=then)

    def cadence(self, frequency: int, divided_by: int) -> None:
        self.sql(
            'UPDATE "RegionListFrequency" SET "Frequency" = :f, "DividedBy" = :d',
            f=frequency,
            d=divided_by,
        )

    def plan(self, on: str, *more: str) -> dict[str, Any]:
        """Plan a drop on `on`; its drop.json."""
        report = self.folder / f"proof-{on}-{len(list(self.folder.iterdir()))}"
        self.run(
            "drop", "plan", "--region", str(REGION), "--date", on, "--report", str(report), *more
        )
        proof: dict[str, Any] = json.loads((report / "drop.json").read_text())
        return proof

    def parcels(self, drop_id: int) -> list[str]:
        """The parcels of a drop's pieces, in piece order."""
        found = self.sql(
            'SELECT l."PrimaryId" FROM "MailPiece" p JOIN "Location" l '
            'ON l."LocationId" = p."LocationId" WHERE p."DropId" = :d ORDER BY p."PieceId"',
            d=drop_id,
        )
        return [r[0] for r in found]


@pytest.fixture(params=BACKENDS)
def region(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Region]:
    url = backend_url(request, request.param, tmp_path)
    made = Region(url, tmp_path)
    made.run("db", "init", "--region", f"{REGION}=Raleigh")
    yield made
