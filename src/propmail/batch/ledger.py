"""The batch ledger (`PropmailBatchJob`): what each manifest job did, so a batch can be rerun.

One row per job key: the content hash of what it loads, its state, attempts, UploadLogId and
error. `decide` is the pure rule a batch plans by:

>>> decide(None, "h1", retry_failed=False, max_attempts=3)
'run'
>>> failed = Entry("7:a.csv", 7, "h1", None, FAILED, 1, "bad")
>>> decide(failed, "h1", retry_failed=False, max_attempts=3)
'failed'
>>> decide(failed, "h1", retry_failed=True, max_attempts=3)
'run'

The statements are SQLAlchemy Core, the same on every backend; on SQL Server the table is made
by the shipped `db/mssql/PropmailBatchJob.sql`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, insert, select, text, update

from propmail.db.schema import batch_job, ledger_metadata

RUNNING = "running"
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class Entry:
    """One ledger row."""

    key: str
    region: int
    content_hash: str
    upload_log_id: int | None
    state: str
    attempts: int
    error: str | None


def content_hash(region: int, paths: Iterable[tuple[str, Path | None]]) -> str:
    """sha256 over the region and each named file's bytes (upload, niche lists, rules, mapping)."""
    digest = hashlib.sha256(f"region={region}\n".encode())
    for name, path in paths:
        digest.update(f"{name}\n".encode())
        if path is not None:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        digest.update(b"\n")
    return digest.hexdigest()


def decide(entry: Entry | None, content: str, *, retry_failed: bool, max_attempts: int) -> str:
    """'run', 'skip' (done with this content), 'failed' (left failed) or 'gave up' (crashed
    `max_attempts` times); a running entry is one whose batch was killed.

    With `retry_failed` only failed (and crashed) jobs run, whatever their content now.
    """
    if entry is None:
        return "skip" if retry_failed else "run"
    changed = entry.content_hash != content
    if entry.state == DONE:
        return "run" if changed and not retry_failed else "skip"
    if entry.state == FAILED:
        return "run" if changed or retry_failed else "failed"
    return "run" if changed or entry.attempts < max_attempts else "gave up"


def create(engine: Engine) -> None:
    """Create the ledger table if it is not there."""
    if engine.dialect.name == "mssql":
        script = resources.files("propmail.db.mssql").joinpath("PropmailBatchJob.sql")
        with engine.begin() as conn:
            conn.execute(text(script.read_text(encoding="utf-8")))
    else:
        ledger_metadata.create_all(engine)


def entries(engine: Engine) -> dict[str, Entry]:
    """Every ledger row by job key."""
    c = batch_job.c
    columns = (c.JobKey, c.RegionId, c.ContentHash, c.UploadLogId, c.State, c.Attempts, c.Error)
    with engine.connect() as conn:
        return {row[0]: Entry(*row) for row in conn.execute(select(*columns))}


def start(engine: Engine, key: str, region: int, content: str) -> int:
    """Record that the job starts (one more attempt, or the first of new content)."""
    now = datetime.now()
    with engine.begin() as conn:
        row = conn.execute(
            select(batch_job.c.ContentHash, batch_job.c.Attempts).where(batch_job.c.JobKey == key)
        ).one_or_none()
        if row is None:
            conn.execute(
                insert(batch_job).values(
                    JobKey=key,
                    RegionId=region,
                    ContentHash=content,
                    State=RUNNING,
                    Attempts=1,
                    UpdatedAt=now,
                )
            )
            return 1
        attempts = row.Attempts + 1 if row.ContentHash == content else 1
        conn.execute(
            update(batch_job)
            .where(batch_job.c.JobKey == key)
            .values(
                RegionId=region,
                ContentHash=content,
                State=RUNNING,
                Attempts=attempts,
                UploadLogId=None,
                Error=None,
                UpdatedAt=now,
            )
        )
        return attempts


def record(engine: Engine, key: str, **values: object) -> None:
    """Set `values` on the job's row (UploadLogId, State, Error)."""
    with engine.begin() as conn:
        conn.execute(
            update(batch_job)
            .where(batch_job.c.JobKey == key)
            .values(UpdatedAt=datetime.now(), **values)
        )
