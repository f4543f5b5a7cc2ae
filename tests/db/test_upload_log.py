"""UploadLog: states another connection can watch; a failed load leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from propmail import synth
from propmail.db import Backend, schema
from propmail.db.postgres import REGION_LOCK_KEY
from propmail.errors import LoadError
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1, MONTH2, checksum

# SQLite has a single writer, so the states written inside the merge transaction (8, 9, 10)
# only ever show as the final 3; PostgreSQL commits each state apart.
# the last stage, "load committed", sees the load done (3)
VISIBLE = {"sqlite": {7, 3}, "postgresql": {7, 8, 9, 10, 3}}


def upload(tmp_path: Path, n: int = 200, seed: int = 3) -> Path:
    path = tmp_path / f"upload{seed}.csv"
    synth.upload(n, seed=seed).write_csv(path)
    return path


def test_states_are_visible_from_another_connection(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: None}, load_options(rules))
    watcher = create_engine(backend.engine.url)
    seen: list[int] = []

    def watch(_step: str) -> None:
        with watcher.connect() as conn:
            seen.extend(conn.scalars(select(schema.upload_log.c.ProcessingState)))

    load = run_job(
        Inputs.gather(upload(tmp_path)), 40, backend=backend, now=MONTH1, step=watch
    ).load
    watcher.dispose()
    assert load is not None
    states = set(seen)
    assert states == VISIBLE[backend.dialect.name]
    # observed in order: never going back
    order = [7, 8, 9, 10, 3]
    assert [s for s in seen] == sorted(seen, key=order.index)
    log = backend.upload_log(load.upload_log_id or 0)
    assert (log["ProcessingState"], log["RowsProcessed"]) == (3, 200)
    assert log["ProcessingEnded"] == MONTH1


# Each name is the stage about to start: "list codes" comes right after staging, "merging
# locations" between the two merges, "dropping staging tables" in the middle of the final
# updates (UploadLog already says 3 inside the transaction), "commit" after all of them.
STAGES = [
    "staging",
    "list codes",
    "merging owners",
    "merging locations",
    "final updates",
    "dropping staging tables",
    "commit",
]


@pytest.mark.parametrize("stage", STAGES)
def test_a_failure_mid_load_leaves_state_4_and_no_rows(
    backend: Backend, rules: Rules, tmp_path: Path, stage: str
) -> None:
    backend.init({40: None}, load_options(rules))
    run_job(Inputs.gather(upload(tmp_path, seed=1)), 40, backend=backend, now=MONTH1)
    data = ("Owner", "Location", "ListPriority", "RegionListFrequency", "Region")
    before = checksum(backend, data)

    def explode(step: str) -> None:
        if step == stage:
            raise RuntimeError(f"injected fault at {step}")

    with pytest.raises(LoadError, match="injected fault"):
        run_job(
            Inputs.gather(upload(tmp_path, seed=2)), 40, backend=backend, now=MONTH2, step=explode
        )
    assert checksum(backend, data) == before
    with backend.engine.connect() as conn:
        last = conn.execute(
            select(schema.upload_log).order_by(schema.upload_log.c.UploadLogId.desc())
        ).first()
    assert last is not None
    assert last.ProcessingState == 4
    assert "injected fault at " + stage in last.ErrorMessage
    assert last.ProcessingEnded is not None


def region_lock_free(backend: Backend, region_id: int) -> bool:
    """Whether another loader could take `region_id`'s lock right now, without waiting."""
    if backend.dialect.name == "sqlite":
        other = sqlite3.connect(str(backend.engine.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the one write lock is the region lock
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return False
        finally:
            other.close()
    with create_engine(backend.engine.url).connect() as conn:
        key = {"k": REGION_LOCK_KEY, "r": region_id}
        free = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k, :r)"), key))
        if free:
            conn.execute(text("SELECT pg_advisory_unlock(:k, :r)"), key)
        return free


def test_every_step_of_the_load_proper_runs_under_the_region_lock(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    """What a watcher (the progress display, `selftest`) reads as the load's steps after the
    lock must hold it: work done before the transaction (SQLite's Arrow file) has its own name."""
    backend.init({40: None}, load_options(rules))
    under_lock = {s.name for s in backend.load_steps()} | {"commit"}
    seen: dict[str, bool] = {}

    def probe(step: str) -> None:
        if step in under_lock:
            seen.setdefault(step, not region_lock_free(backend, 40))  # each first report

    run_job(Inputs.gather(upload(tmp_path)), 40, backend=backend, now=MONTH1, step=probe)
    assert set(seen) == under_lock
    assert [s for s, locked in seen.items() if not locked] == []
