"""kill -9 of a batch of three workers mid-way, then the same batch again: the tables of a clean
run, and no job loaded twice (the ledger knows the UploadLogId of a load that committed before
the kill); a worker that dies alone takes only its own job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from propmail.batch import ledger
from propmail.batch.manifest import load_manifest
from propmail.batch.run import exit_status, job_hash, run_batch
from propmail.db import connect, schema
from propmail.db.schema import State
from propmail.errors import ABANDONED
from tests.batch.data import REGIONS, init, one_by_one, tables, write_month
from tests.batch.dying import DOOMED, run_one_or_die
from tests.batch.test_batch import _reset_to_empty, url  # noqa: F401  (the url fixture)
from tests.db.helpers import MONTH1

ROOT = Path(__file__).resolve().parents[2]


def _progress(db: str) -> tuple[int, int, int]:
    """Jobs done, running, and of those loading (their UploadLog row opened), by the ledger."""
    backend = connect(db)
    try:
        ledger.create(backend.ledger)
        entries = list(ledger.entries(backend.ledger).values())
    finally:
        backend.dispose()
    running = [e for e in entries if e.state == ledger.RUNNING]
    loading = sum(e.upload_log_id is not None for e in running)
    return sum(e.state == ledger.DONE for e in entries), len(running), loading


def _done_logs(db: str) -> list[int]:
    backend = connect(db)
    log = schema.upload_log
    with backend.engine.connect() as conn:
        rows = conn.execute(select(log.c.RegionId).where(log.c.ProcessingState == State.DONE))
        regions = sorted(r[0] for r in rows)
    backend.dispose()
    return regions


@pytest.mark.slow
def test_a_killed_batch_rerun_equals_a_clean_run(url: str, tmp_path: Path) -> None:  # noqa: F811
    path = write_month(tmp_path)
    manifest = load_manifest(path)
    _reset_to_empty(url)
    init(url)
    run_batch(manifest, url, jobs=3, now=MONTH1)
    clean = tables(url)
    clean.pop("UploadLog")

    _reset_to_empty(url)
    init(url)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.batch.runner", str(path), url],
        cwd=ROOT,
        start_new_session=True,  # its workers are in its process group, killed with it
    )
    # killed once a job is done and the three workers' jobs are under way, at least two of
    # them loading (one on SQLite, whose loads each hold the one write lock): all cut at once
    loads = 1 if url.startswith("sqlite") else 2
    deadline = time.monotonic() + 300
    while child.poll() is None and time.monotonic() < deadline:
        done, running, loading = _progress(url)
        if done >= 1 and running == 3 and loading >= loads:
            break
        time.sleep(0.02)
    assert child.poll() is None, "the batch ended before it could be killed"
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    done, running, loading = _progress(url)  # as the kill left them
    assert running == 3 and loading >= loads and done + running <= len(REGIONS)

    outcomes = run_batch(manifest, url, jobs=3, now=MONTH1)
    assert {o.state for o in outcomes} <= {"done", "skipped"}
    after = tables(url)
    after.pop("UploadLog")
    assert after == clean
    assert _done_logs(url) == sorted(REGIONS)  # each region's upload committed exactly once


def test_a_rerun_closes_the_upload_log_row_its_killed_load_left_running(
    url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    regions = REGIONS[:2]
    manifest = load_manifest(write_month(tmp_path, regions))
    _reset_to_empty(url)
    init(url, regions)
    # what a batch killed mid-load leaves: its ledger row running, the UploadLog row at 8
    job = manifest.jobs[0]
    backend = connect(url)
    ledger.create(backend.ledger)
    ledger.start(backend.ledger, job.key, job.region, job_hash(job))
    killed = backend.open_upload_log(job.region, job.upload.name, MONTH1)
    backend.set_state(killed, State.MERGING_OWNERS)
    ledger.record(backend.ledger, job.key, UploadLogId=killed)

    outcomes = run_batch(manifest, url, jobs=1, now=MONTH1)
    assert [o.state for o in outcomes] == ["done", "done"]
    row = backend.upload_log(killed)
    assert (row["ProcessingState"], row["ErrorMessage"]) == (State.FAILED, ABANDONED)
    assert row["ProcessingEnded"] is not None
    assert _done_logs(url) == sorted(regions)  # and no row of the batch is left running
    log = schema.upload_log.c
    with backend.engine.connect() as conn:
        under_way = conn.execute(
            select(log.UploadLogId).where(log.ProcessingState.in_(State.UNDER_WAY))
        )
        assert under_way.all() == []
    backend.dispose()


def test_a_worker_that_dies_takes_only_its_own_job(url: str, tmp_path: Path) -> None:  # noqa: F811
    others = tuple(r for r in REGIONS if r != DOOMED)
    path = write_month(tmp_path)
    path.write_text("max_attempts = 2\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    _reset_to_empty(url)
    init(url)
    one_by_one(tmp_path, url, others)
    expected = tables(url)
    expected.pop("UploadLog")

    _reset_to_empty(url)
    init(url)
    outcomes = run_batch(load_manifest(path), url, jobs=3, now=MONTH1, work=run_one_or_die)
    states = {o.job.region: o.state for o in outcomes}
    assert states == {r: ("gave up" if r == DOOMED else "done") for r in REGIONS}
    assert exit_status(outcomes) == 1
    not_done = [o.job.key for o in outcomes if o.exit_status]
    assert not_done == [f"{DOOMED}:uploads/region-{DOOMED}.csv"]
    after = tables(url)
    after.pop("UploadLog")
    assert after == expected
    assert _done_logs(url) == sorted(others)

    backend = connect(url)
    entries = {e.region: e for e in ledger.entries(backend.ledger).values()}
    assert (entries[DOOMED].state, entries[DOOMED].attempts) == (ledger.FAILED, 2)
    assert {entries[r].attempts for r in others} == {1}
    log = schema.upload_log.c
    with backend.engine.connect() as conn:
        doomed = conn.execute(
            select(log.ProcessingState, log.ErrorMessage).where(log.RegionId == DOOMED)
        ).all()
    backend.dispose()
    assert [tuple(row) for row in doomed] == [(State.FAILED, ABANDONED)] * 2
