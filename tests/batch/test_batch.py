"""`propmail batch` on SQLite and PostgreSQL: the same tables as one job at a time, idempotent
by its ledger, a failure kept to its own job and retried once fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from propmail.batch import ledger
from propmail.batch.manifest import Job, load_manifest
from propmail.batch.run import exit_status, job_hash, run_batch
from propmail.cli import main
from propmail.db import connect, schema
from tests.batch.data import REGIONS, init, one_by_one, tables, write_month, write_months
from tests.conftest import BACKENDS, backend_url
from tests.db.helpers import MONTH1


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    (tmp_path / "db").mkdir()  # the SQLite file's folder: only `db init` makes one
    return backend_url(request, request.param, tmp_path / "db")


def _reset_to_empty(url: str) -> None:
    backend = connect(url)
    schema.metadata.drop_all(backend.engine)
    schema.ledger_metadata.drop_all(backend.engine)
    backend.dispose()


def _upload_logs(url: str) -> int:
    backend = connect(url)
    with backend.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(schema.upload_log)).scalar_one()
    backend.dispose()
    return int(count)


def test_batch_equals_the_jobs_one_by_one_and_a_rerun_loads_nothing(
    url: str, tmp_path: Path
) -> None:
    manifest = load_manifest(write_month(tmp_path))
    _reset_to_empty(url)
    init(url)
    one_by_one(tmp_path, url)
    expected = tables(url)

    _reset_to_empty(url)
    init(url)
    outcomes = run_batch(manifest, url, jobs=3, now=MONTH1)
    assert [o.state for o in outcomes] == ["done"] * len(REGIONS)
    assert exit_status(outcomes) == 0
    assert tables(url) == expected

    again = run_batch(manifest, url, jobs=3, now=MONTH1)
    assert [o.state for o in again] == ["skipped"] * len(REGIONS)
    assert _upload_logs(url) == len(REGIONS)
    assert tables(url) == expected


def test_a_broken_file_fails_alone_and_retry_failed_completes_it(url: str, tmp_path: Path) -> None:
    path = write_month(tmp_path)
    broken = tmp_path / "uploads" / f"region-{REGIONS[2]}.csv"
    good = broken.read_bytes()
    broken.write_text("nothing,a,propmail,upload,has\n1,2,3,4,5\n", encoding="utf-8")
    _reset_to_empty(url)
    init(url)

    first = CliRunner().invoke(main, ["batch", str(path), "--db", url, "--jobs", "3"])
    assert first.exit_code == 2, first.output
    assert f"1 of {len(REGIONS)} jobs not done: {REGIONS[2]}:uploads/region-{REGIONS[2]}.csv" in (
        " ".join(first.output.split())
    )
    backend = connect(url)
    states = {e.region: e.state for e in ledger.entries(backend.ledger).values()}
    backend.dispose()
    assert states == {r: ("failed" if r == REGIONS[2] else "done") for r in REGIONS}

    unchanged = CliRunner().invoke(main, ["batch", str(path), "--db", url])
    assert unchanged.exit_code != 0  # the same broken file is not retried by a plain rerun
    assert f"{REGIONS[2]}:uploads" in unchanged.output
    assert _upload_logs(url) == len(REGIONS) - 1

    broken.write_bytes(good)
    retried = CliRunner().invoke(main, ["batch", str(path), "--db", url, "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    assert _upload_logs(url) == len(REGIONS)
    backend = connect(url)
    assert {e.state for e in ledger.entries(backend.ledger).values()} == {"done"}
    backend.dispose()


def _ledger(url: str) -> dict[str, ledger.Entry]:
    backend = connect(url)
    try:
        return ledger.entries(backend.ledger)
    finally:
        backend.dispose()


def _crashed(url: str, job: Job, times: int) -> None:
    """What `times` crashes of the job leave: its row running, that many attempts made."""
    backend = connect(url)
    ledger.create(backend.ledger)
    ledger.start(backend.ledger, job.key, job.region, job_hash(job))
    ledger.record(backend.ledger, job.key, Attempts=times)
    backend.dispose()


def test_retry_failed_reruns_a_job_that_gave_up_and_reports_one_never_run(
    url: str, tmp_path: Path
) -> None:
    regions = REGIONS[:2]
    manifest = load_manifest(write_month(tmp_path, regions))
    crashed, never_run = manifest.jobs
    _reset_to_empty(url)
    init(url, regions)
    _crashed(url, crashed, manifest.max_attempts)

    plain = run_batch(manifest, url, jobs=1, retry_failed=False, now=MONTH1)
    assert [o.state for o in plain] == ["gave up", "done"]
    assert exit_status(plain) == 1

    _reset_to_empty(url)
    init(url, regions)
    _crashed(url, crashed, manifest.max_attempts)
    retried = CliRunner().invoke(
        main, ["batch", str(manifest.source), "--db", url, "--retry-failed"]
    )
    assert retried.exit_code == 1, retried.output  # the job never run is not done
    assert f"1 of 2 jobs not done: {never_run.key}" in " ".join(retried.output.split())
    entries = _ledger(url)
    assert (entries[crashed.key].state, entries[crashed.key].attempts) == ("done", 1)
    assert never_run.key not in entries
    assert _upload_logs(url) == 1


def test_the_manifests_of_two_months_are_two_jobs_and_an_older_month_is_refused(
    url: str, tmp_path: Path
) -> None:
    regions = REGIONS[:2]
    manifests = write_months(tmp_path, ("2026-11", "2026-12"), regions)
    november, december = (load_manifest(manifests[m]) for m in ("2026-11", "2026-12"))
    assert november.jobs[0].key == f"2026-11:{regions[0]}:uploads/region-{regions[0]}.csv"
    _reset_to_empty(url)
    init(url, regions)
    assert [o.state for o in run_batch(november, url, jobs=1, now=MONTH1)] == ["done", "done"]
    assert [o.state for o in run_batch(december, url, jobs=1, now=MONTH1)] == ["done", "done"]
    loaded = tables(url)

    again = run_batch(november, url, jobs=1, now=MONTH1)  # a backfill of November
    assert [o.state for o in again] == ["skipped", "skipped"]
    assert tables(url) == loaded

    fixed = tmp_path / "month" / "2026-11" / "uploads" / f"region-{regions[1]}.csv"
    fixed.write_text(fixed.read_text() + fixed.read_text().splitlines()[-1] + "\n")
    changed = run_batch(november, url, jobs=1, now=MONTH1)
    assert [o.state for o in changed] == ["skipped", "refused"]
    assert "2026-12" in (changed[1].error or "") and exit_status(changed) == 1
    assert tables(url) == loaded  # December's data stands


def test_a_second_batch_of_a_manifest_under_way_is_refused_naming_the_first(
    url: str, tmp_path: Path
) -> None:
    """The manifest's lease: held by a batch that runs (this process here), a second batch of
    the manifest loads nothing and names it; held by one that ended, it is taken over."""
    import subprocess
    import sys

    from propmail.batch.run import this_process
    from propmail.errors import InputError

    path = write_month(tmp_path)
    manifest = load_manifest(path)
    _reset_to_empty(url)
    init(url)
    backend = connect(url)
    book = backend.ledger
    ledger.create(book)
    key = ledger.lease_key(path)
    assert ledger.start(book, key, ledger.NO_REGION, "first", claimed_by=this_process())
    with pytest.raises(InputError, match=r"being run by another batch \(batch on .* pid \d+\)"):
        run_batch(manifest, url, jobs=1, now=MONTH1)
    assert _upload_logs(url) == 0
    assert (ledger.entry(book, key) or pytest.fail()).state == ledger.RUNNING  # left to it
    assert key not in _ledger(url)  # a lease is no job

    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    ledger.record(book, key, ClaimedBy=this_process().rsplit(" ", 1)[0] + f" {ended}")
    backend.dispose()
    outcomes = run_batch(manifest, url, jobs=1, now=MONTH1)  # the dead batch's lease taken
    assert [o.state for o in outcomes] == ["done"] * len(REGIONS)
    backend = connect(url)
    held = ledger.entry(backend.ledger, key)
    backend.dispose()
    assert held is not None and held.state == ledger.DONE  # given back: the next may run
    again = run_batch(manifest, url, jobs=1, now=MONTH1)
    assert [o.state for o in again] == ["skipped"] * len(REGIONS)
    assert _upload_logs(url) == len(REGIONS)
