"""Crash safety of `propmail undo`: kill -9 anywhere in an undo of month 2 (SQLite and
PostgreSQL), and half-way through one of its statements (PostgreSQL).

An undo process (tests/db/crash_undo.py) numbers the points it passes: each SQL statement and
the commit. It is killed with SIGKILL paused at every one of them, and once while the server
runs its first DELETE for it, held half-way by a row lock the test takes first. After each kill
every data table equals, checksum for checksum, the state after month 2 and the upload is still
done; killed after the commit, the tables equal the state after month 1 and the upload is
undone. Then the undo runs to its end, which must give the state after month 1.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from propmail.db import Backend, connect
from propmail.db.schema import State
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import load_rules
from tests.conftest import BACKENDS, _postgres, backend_url
from tests.db.canonical import canonical
from tests.db.helpers import MONTH1, MONTH2
from tests.db.processes import ROOT, child_env, kill, wait_until
from tests.db.test_monthly import month_files

pytestmark = [pytest.mark.slow]

DATA = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location")
APP = "propmail-undo-crash"


def undoer(url: str, log_id: int, stop: int) -> subprocess.Popen[str]:
    app_url = make_url(url)
    if app_url.get_backend_name() == "postgresql":
        app_url = app_url.update_query_dict({"application_name": APP})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.db.crash_undo",
            app_url.render_as_string(hide_password=False),
            str(log_id),
            str(stop),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    made = create_engine(pg_url)
    yield made
    made.dispose()


@dataclass
class Months:
    """Month 1 and month 2 of region 40 loaded; the tables after each."""

    backend: Backend
    log_id: int  # month 2's
    after_month1: dict[str, list[tuple[Any, ...]]]
    after_month2: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, request.param, tmp_path)


def _months(url: str, folder: Path) -> Months:
    backend = connect(url)
    backend.init({40: "Roanoke"}, load_options(load_rules()))
    p1, p2 = month_files(folder)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    after_month1 = canonical(backend, DATA)
    second = run_job(Inputs.gather(p2), 40, backend=backend, now=MONTH2).load
    assert second is not None and second.upload_log_id is not None
    return Months(backend, second.upload_log_id, after_month1, canonical(backend, DATA))


@pytest.fixture
def months(url: str, tmp_path: Path) -> Iterator[Months]:
    made = _months(url, tmp_path)
    yield made
    made.backend.dispose()


@pytest.fixture
def pg_months(pg_url: str, tmp_path: Path) -> Iterator[Months]:
    _postgres(pg_url).dispose()
    made = _months(pg_url, tmp_path)
    yield made
    made.backend.dispose()


def test_kill_9_anywhere_in_an_undo_leaves_the_state_before_or_after_it(
    url: str, months: Months
) -> None:
    backend, log_id = months.backend, months.log_id
    after_month1, after_month2 = months.after_month1, months.after_month2

    def state() -> tuple[dict[str, list[tuple[object, ...]]], int]:
        return canonical(backend, DATA), int(backend.upload_log(log_id)["ProcessingState"])

    killed = []
    stop = 1
    while True:
        child = undoer(url, log_id, stop)
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("PAUSED"):
            child.communicate()
            assert child.returncode == 0
            break
        description = line.rstrip("\n").split("\t", 2)[2]
        kill(child)
        if description.startswith("after the undo"):
            assert state() == (after_month1, State.UNDONE)
            break
        assert state() == (after_month2, State.DONE), description
        killed.append(description)
        stop += 1
    assert any(d.startswith("before DELETE") for d in killed)
    assert any(d.startswith("before UPDATE") for d in killed)
    assert "before COMMIT" in killed


@pytest.mark.postgres
def test_kill_9_half_way_through_a_statement_of_an_undo_changes_nothing(
    pg_url: str, engine: Engine, pg_months: Months
) -> None:
    months = pg_months
    # the last month-2 parcel, locked: the undo's DELETE removes the rows before it, then waits
    with engine.connect() as blocker:
        blocker.execute(
            text(
                'SELECT 1 FROM "Location" WHERE "PrimaryId" = (SELECT MAX("PrimaryId") '
                'FROM "Location" WHERE "PrimaryId" LIKE \'N%\') FOR UPDATE'
            )
        )
        child = undoer(pg_url, months.log_id, 10_000)

        def waiting() -> bool:
            with engine.connect() as conn:
                return bool(
                    conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app "
                            "AND wait_event_type = 'Lock' AND query LIKE 'DELETE%'"
                        ),
                        {"app": APP},
                    )
                )

        wait_until(waiting, "the undo waiting in its DELETE", [child])
        kill(child)
        blocker.rollback()
    assert canonical(months.backend, DATA) == months.after_month2
    months.backend.undo(months.log_id)
    assert canonical(months.backend, DATA) == months.after_month1
