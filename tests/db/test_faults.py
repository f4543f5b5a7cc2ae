"""Faults in the middle of a load: the database is left exactly as it was, UploadLog says 4.

tests/db/test_upload_log.py raises between the stages (through the job's `step` callback);
here the database itself fails inside a statement (a trigger raises while the owners, the
list codes, the locations or the final UploadLog row are written), staging breaks halfway,
and an operator presses Ctrl-C. Every case runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from propmail import synth
from propmail.db import Backend, schema
from propmail.errors import LoadError
from propmail.inputs import Inputs
from propmail.job import run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1, MONTH2, checksum

DATA = ("Owner", "Location", "ListPriority", "RegionListFrequency", "Region")


def upload(tmp_path: Path, seed: int, n: int = 300) -> Path:
    path = tmp_path / f"upload{seed}.csv"
    synth.upload(n, seed=seed).write_csv(path)
    return path


@pytest.fixture
def loaded(backend: Backend, rules: Rules, tmp_path: Path) -> Iterator[Backend]:
    """A database holding month 1; month 2 (seed 2) updates owners and adds locations."""
    backend.init({40: "Roanoke", 41: None}, rules)
    run_job(Inputs.gather(upload(tmp_path, seed=1)), 40, backend=backend, now=MONTH1)
    yield backend


def last_log(backend: Backend) -> Any:
    with backend.engine.connect() as conn:
        return conn.execute(
            select(schema.upload_log).order_by(schema.upload_log.c.UploadLogId.desc())
        ).first()


# --- a trigger that raises: the database fails inside a statement ------------------------------


def raise_on(
    conn: Connection, dialect: str, table: str, events: str, when: str, message: str
) -> None:
    """A trigger on `table` that fails the statement with `message` (when `when` holds)."""
    if dialect == "sqlite":
        for event in events.split(" OR "):
            conn.exec_driver_sql(
                f'CREATE TRIGGER "fault_{table}_{event}" BEFORE {event} ON "{table}" '
                f"WHEN {when} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        return
    conn.exec_driver_sql(
        f'CREATE FUNCTION "fault_{table}"() RETURNS trigger LANGUAGE plpgsql AS $$ '
        f"BEGIN RAISE EXCEPTION '{message}'; END $$"
    )
    conn.exec_driver_sql(
        f'CREATE TRIGGER "fault_{table}" BEFORE {events} ON "{table}" FOR EACH ROW '
        f'WHEN ({when}) EXECUTE FUNCTION "fault_{table}"()'
    )


def drop_fault(conn: Connection, dialect: str, table: str, events: str) -> None:
    if dialect == "sqlite":
        for event in events.split(" OR "):
            conn.exec_driver_sql(f'DROP TRIGGER "fault_{table}_{event}"')
        return
    conn.exec_driver_sql(f'DROP TRIGGER "fault_{table}" ON "{table}"')
    conn.exec_driver_sql(f'DROP FUNCTION "fault_{table}"()')


# (table, events, condition, what fails)
DATABASE_FAULTS = {
    "creating list codes": ("ListPriority", "INSERT", "true", "list codes"),
    "merging owners": ("Owner", "INSERT OR UPDATE", "true", "owner merge"),
    "merging locations (owners already merged)": (
        "Location",
        "INSERT OR UPDATE",
        "true",
        "location merge",
    ),
    "final updates (UploadLog set to done)": (
        "UploadLog",
        "UPDATE",
        'NEW."ProcessingState" = 3',
        "final update",
    ),
}


@pytest.mark.parametrize("fault", list(DATABASE_FAULTS))
def test_a_database_error_inside_a_stage_rolls_everything_back(
    loaded: Backend, tmp_path: Path, fault: str
) -> None:
    table, events, when, what = DATABASE_FAULTS[fault]
    dialect = loaded.dialect.name
    when = when.replace("true", "1") if dialect == "sqlite" else when
    message = f"injected fault in {what}"
    before = checksum(loaded, DATA)
    with loaded.engine.begin() as conn:
        raise_on(conn, dialect, table, events, when, message)

    with pytest.raises(LoadError, match=message):
        run_job(Inputs.gather(upload(tmp_path, seed=2)), 40, backend=loaded, now=MONTH2)

    assert checksum(loaded, DATA) == before
    log = last_log(loaded)
    assert (log.ProcessingState, log.RowsProcessed) == (4, None)
    assert message in log.ErrorMessage
    assert log.ProcessingEnded is not None

    # the fault gone, the same upload loads: no lock, staging table or half-state was left
    with loaded.engine.begin() as conn:
        drop_fault(conn, dialect, table, events)
    retry = run_job(Inputs.gather(upload(tmp_path, seed=2)), 40, backend=loaded, now=MONTH2).load
    assert retry is not None
    assert retry.processing_state == 3
    assert retry.locations_inserted + retry.locations_updated + retry.locations_unchanged == 300
    assert checksum(loaded, DATA) != before


# --- faults raised by Python in the middle of a step -------------------------------------------


def test_staging_that_breaks_halfway(
    loaded: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Owners staged, then the locations' bulk load fails (a dropped connection, a full disk)."""
    before = checksum(loaded, DATA)
    real_stage = loaded.stage
    staged: list[str] = []

    def stage(conn: Connection, name: str, *args: Any) -> None:
        if staged:
            raise OSError(f"injected fault staging {name} after {staged}")
        real_stage(conn, name, *args)
        staged.append(name)

    monkeypatch.setattr(loaded, "stage", stage)
    with pytest.raises(LoadError, match="injected fault staging stage_location"):
        run_job(Inputs.gather(upload(tmp_path, seed=2)), 40, backend=loaded, now=MONTH2)
    assert checksum(loaded, DATA) == before
    assert last_log(loaded).ProcessingState == 4


@pytest.mark.parametrize("stage", ["merging locations", "dropping staging tables"])
def test_ctrl_c_in_the_middle_rolls_back_and_records_state_4(
    loaded: Backend, tmp_path: Path, stage: str
) -> None:
    before = checksum(loaded, DATA)

    def interrupt(step: str) -> None:
        if step == stage:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(
            Inputs.gather(upload(tmp_path, seed=2)), 40, backend=loaded, now=MONTH2, step=interrupt
        )
    assert checksum(loaded, DATA) == before
    log = last_log(loaded)
    assert log.ProcessingState == 4
    assert log.ErrorMessage == "interrupted by the operator; nothing was written"


def test_a_failed_load_leaves_no_staging_table(loaded: Backend, tmp_path: Path) -> None:
    def explode(step: str) -> None:
        if step == "final updates":
            raise RuntimeError("injected fault")

    with pytest.raises(LoadError):
        run_job(
            Inputs.gather(upload(tmp_path, seed=2)), 40, backend=loaded, now=MONTH2, step=explode
        )
    with loaded.engine.connect() as conn:
        if loaded.dialect.name == "sqlite":
            temp = conn.execute(text("SELECT name FROM sqlite_temp_master")).all()
        else:
            temp = conn.execute(
                text(
                    "SELECT relname FROM pg_class "
                    "WHERE relname LIKE 'stage_%' AND relpersistence = 't'"
                )
            ).all()
    assert temp == []
