"""A load whose process is killed (kill -9) leaves no UploadLog row running for ever: the next
load of its region marks it failed, as the load itself would have had it lived."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from propmail import synth
from propmail.db import Backend, connect, schema
from propmail.db.schema import State
from propmail.errors import ABANDONED
from propmail.inputs import Inputs
from propmail.job import run_job
from propmail.settings import Rules
from tests.conftest import backend_url
from tests.db.helpers import MONTH1

ROOT = Path(__file__).resolve().parents[2]


def _logs(backend: Backend) -> list[tuple[int, int, int, str | None]]:
    log = schema.upload_log.c
    with backend.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(log.UploadLogId, log.RegionId, log.ProcessingState, log.ErrorMessage).order_by(
                log.UploadLogId
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _kill_mid_load(url: str, upload: Path, stage: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.db.stall", url, str(upload), stage],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "stalled"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


@pytest.mark.postgres
@pytest.mark.parametrize("stage", ["merging owners", "final updates"])
def test_the_next_load_of_the_region_closes_a_killed_load(
    request: pytest.FixtureRequest, rules: Rules, tmp_path: Path, stage: str
) -> None:
    url = backend_url(request, "postgresql", tmp_path)
    backend = connect(url)
    try:
        backend.init({40: None, 41: None}, rules)
        upload = tmp_path / "upload.csv"
        synth.upload(200, seed=5).write_csv(upload)
        _kill_mid_load(url, upload, stage)
        [(killed, _, state, _)] = _logs(backend)
        assert state in (State.MERGING_OWNERS, State.FINAL_UPDATES)  # left running

        run_job(
            Inputs.gather(upload), 41, backend=backend, now=MONTH1
        )  # another region: not its business
        assert _logs(backend)[0][2] == state

        load = run_job(Inputs.gather(upload), 40, backend=backend, now=MONTH1).load
        assert load is not None
        assert _logs(backend) == [
            (killed, 40, State.FAILED, ABANDONED),
            (load.upload_log_id - 1, 41, State.DONE, None),
            (load.upload_log_id, 40, State.DONE, None),
        ]
        assert backend.upload_log(killed)["ProcessingEnded"] is not None
    finally:
        backend.dispose()


@pytest.mark.postgres
def test_a_state_whose_row_another_load_holds_fails_within_its_bound_instead_of_hanging(
    request: pytest.FixtureRequest, rules: Rules, tmp_path: Path
) -> None:
    """Only a load closing this one as abandoned locks its UploadLog row; a load whose region
    lock failed can meet one that waits on its own transaction: writing the state must fail
    then (and the load roll back) rather than wait on it for ever."""
    url = backend_url(request, "postgresql", tmp_path)
    backend = connect(url)
    try:
        backend.init({40: None}, rules)
        log_id = backend.open_upload_log(40, "upload.csv", MONTH1)
        log = schema.upload_log.c
        with backend.engine.begin() as other:  # type: ignore[attr-defined]
            other.execute(
                update(schema.upload_log)
                .where(log.UploadLogId == log_id)
                .values(ProcessingState=State.FAILED, ErrorMessage=ABANDONED)
            )
            with pytest.raises(OperationalError, match="lock timeout"):
                backend.set_state(log_id, State.MERGING_OWNERS)  # type: ignore[attr-defined]
    finally:
        backend.dispose()
