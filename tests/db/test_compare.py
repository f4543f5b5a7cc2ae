"""Compare before writing: what a load writes follows from one comparison of the staged rows
with the stored ones; and how SQLite stages them (Arrow through ADBC, else executemany)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from propmail import synth
from propmail.db import Backend, Batch, connect
from propmail.db import sqlite as sqlite_backend
from propmail.job import prepare, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1, MONTH2, checksum

SAME_DAY = MONTH1.replace(hour=15)


def upload(folder: Path, name: str, frame: pl.DataFrame) -> Path:
    path = folder / name
    frame.write_csv(path)
    return path


def months(folder: Path) -> tuple[Path, Path]:
    """Month 1 of 200 parcels; month 2 the same but 20 parcels with a new sale amount."""
    first = synth.upload(200, seed=3)
    changed = first["LocationPrimaryId"].head(20)
    second = first.with_columns(
        pl.when(pl.col("LocationPrimaryId").is_in(changed.implode()))
        .then(pl.lit("123456"))
        .otherwise(pl.col("LocationSellAmount"))
        .alias("LocationSellAmount")
    )
    return upload(folder, "month1.csv", first), upload(folder, "month2.csv", second)


def journal_rows(
    backend: Backend, log_id: int, table: str = "PropmailJournalLocation"
) -> list[dict[str, object]]:
    with backend.engine.connect() as conn:
        rows = conn.execute(
            text(f'SELECT * FROM "{table}" WHERE "UploadLogId" = :i'), {"i": log_id}
        )
        return [dict(r._mapping) for r in rows]


def test_the_same_file_again_the_same_day_writes_nothing(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: None}, rules)
    p1, _ = months(tmp_path)
    run_job(p1, 40, backend=backend, now=MONTH1)
    data = ("Owner", "Location", "ListPriority", "RegionListFrequency")
    before = checksum(backend, data)
    again = run_job(p1, 40, backend=backend, now=SAME_DAY).load
    assert again is not None
    assert (again.locations_inserted, again.locations_updated) == (0, 0)
    assert again.locations_unchanged == 200
    assert (again.owners_inserted, again.owners_updated) == (0, 0)
    assert checksum(backend, data) == before
    for table in ("PropmailJournalLocation", "PropmailJournalLocationKey"):
        assert journal_rows(backend, again.upload_log_id or 0, table) == []


def test_next_month_journals_whole_rows_only_for_the_rows_that_change(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: None}, rules)
    p1, p2 = months(tmp_path)
    run_job(p1, 40, backend=backend, now=MONTH1)
    second = run_job(p2, 40, backend=backend, now=MONTH2).load
    assert second is not None and second.locations_updated == 200

    log_id = second.upload_log_id or 0
    changed = journal_rows(backend, log_id)
    refreshed = journal_rows(backend, log_id, "PropmailJournalLocationKey")
    assert [r["Inserted"] for r in changed] == [0] * 20
    assert [r["Inserted"] for r in refreshed] == [2] * 180
    # a changed row: its whole before-image, in the wide table; a refreshed one: its key, id
    # and two dates only, in the narrow one
    assert all(r["SellAmount"] is not None and r["OwnerId"] is not None for r in changed)
    assert all(r["InsertedDate"] is not None for r in changed)
    assert {r["PrimaryId"] for r in changed}.isdisjoint(r["PrimaryId"] for r in refreshed)
    for r in refreshed:
        assert r["LocationId"] is not None and r["ModifiedDate"] is None  # as month 1 left it
        assert r["UpdatedDate"] is None and r["RegionId"] == 40

    with backend.engine.connect() as conn:
        stamps = conn.execute(
            text('SELECT DISTINCT "UpdatedDate", "ModifiedDate" FROM "Location"')
        ).all()
    assert len(stamps) == 1  # every row refreshed or rewritten with the load's clock


def test_sqlite_stages_as_arrow_and_without_the_driver_as_before(
    rules: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p1, p2 = months(tmp_path)
    states = {}
    for staging in ("adbc", "executemany"):
        if staging == "executemany":
            monkeypatch.setattr(sqlite_backend, "adbc_driver", lambda: None)
        backend = connect(f"sqlite:///{tmp_path / staging}.db")
        backend.init({40: None}, rules)
        for path, now in ((p1, MONTH1), (p2, MONTH2)):
            result = run_job(path, 40, backend=backend, now=now)
            assert result.staging == staging
        states[staging] = checksum(backend, ("Owner", "Location", "ListPriority"))
        backend.dispose()
    assert states["adbc"] == states["executemany"]


def test_the_scratch_database_goes_with_the_load_even_when_it_fails(
    rules: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    backend = connect(f"sqlite:///{tmp_path / 'propmail.db'}")
    backend.init({40: None}, rules)
    p1, _ = months(tmp_path)

    def explode(step: str) -> None:
        if step == "merging locations":
            raise RuntimeError("injected fault")

    with pytest.raises(Exception, match="injected fault"):
        run_job(p1, 40, backend=backend, now=MONTH1, step=explode)
    run_job(p1, 40, backend=backend, now=MONTH1)
    backend.dispose()
    assert list(tmp_path.glob("propmail-stage-*")) == []


def test_owners_are_staged_in_the_byte_order_of_their_slugs(rules: Rules, tmp_path: Path) -> None:
    """The order of the Owner table's key (BINARY in SQLite, the upsert's COLLATE elsewhere),
    so the comparison walks its index; the upload's own order is not that one."""
    path = upload(tmp_path, "upload.csv", synth.upload(300, seed=4))
    _, _, processed = prepare(path, rules=rules)
    batch = Batch(40, processed.owners, processed.locations, rules, MONTH1)
    given = processed.owners["Slug"].to_list()
    staged = batch.staged_owners()["Slug"].to_list()
    assert given != sorted(given, key=str.encode)
    assert staged == sorted(given, key=str.encode)
    assert (
        batch.staged_locations()["PrimaryId"].to_list()
        == processed.locations["PrimaryId"].to_list()
    )
