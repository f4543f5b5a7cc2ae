"""The batch ledger (`PropmailBatchJob`): what each manifest job did, so a batch can be rerun.

One row per job key: the content hash of what it loads, its month (if the manifest or the
Dagster partition names one), its state, attempts, UploadLogId, error and who claimed it.
`decide` is the pure rule a batch plans by:

>>> decide(None, "h1", retry_failed=False, max_attempts=3)
'run'
>>> failed = Entry("7:a.csv", 7, "h1", None, FAILED, 1, "bad")
>>> decide(failed, "h1", retry_failed=False, max_attempts=3)
'failed'
>>> decide(failed, "h1", retry_failed=True, max_attempts=3)
'run'
>>> decide(None, "h1", retry_failed=True, max_attempts=3)
'not run'
>>> decide(None, "h1", retry_failed=False, max_attempts=3, newer="2026-12")
'refused'

`start` is the claim a worker makes before it loads: one statement that takes the row only if
no one holds it, so of two workers (or machines) starting one job, one loads and the other is
told. The statements are SQLAlchemy Core, the same on every backend; what a backend does its
own way (making the table, holding the region's row) is its `propmail.db.ledger.Ledger`, which
every database declares (`Database.ledger`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Update,
    and_,
    case,
    exists,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from propmail.db.ledger import Ledger
from propmail.db.schema import batch_job
from propmail.inputs import digest_files

RUNNING = "running"
DONE = "done"
FAILED = "failed"
INTERRUPTED = "interrupted"  # was running when its batch or run died; runs again
LOADED = (RUNNING, DONE)  # states of a month that a load of an older month would overwrite


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
    month: str | None = None
    claimed_by: str | None = None


def content_hash(region: int, paths: Iterable[tuple[str, Path | None]]) -> str:
    """sha256 over the region and each named file's bytes (upload, niche lists, rules, mapping)."""
    digest = hashlib.sha256(f"region={region}\n".encode())
    digest_files(digest, paths)
    return digest.hexdigest()


def decide(
    entry: Entry | None,
    content: str,
    *,
    retry_failed: bool,
    max_attempts: int,
    newer: str | None = None,
) -> str:
    """'run', 'skip' (done with this content), 'failed' (left failed), 'gave up' (interrupted
    `max_attempts` times), 'not run' (`retry_failed` and the job is no failure) or 'refused'
    (`newer`, a later month of its region, is loaded or loading: an older one would overwrite
    it). A running entry is one whose batch was killed.

    With `retry_failed` only failed and interrupted jobs run (gave up too: the count starts
    again), whatever their content now.
    """
    if entry is not None and entry.state == DONE and entry.content_hash == content:
        return "skip"
    if newer is not None:
        return "refused"
    if entry is None:
        return "not run" if retry_failed else "run"
    changed = entry.content_hash != content
    if entry.state == DONE:
        return "not run" if retry_failed else "run"
    if entry.state == FAILED:
        return "run" if changed or retry_failed else "failed"
    return "run" if changed or retry_failed or entry.attempts < max_attempts else "gave up"


def newer_month(entries: Iterable[Entry], region: int, month: str | None) -> str | None:
    """The latest month after `month` that the ledger has loaded or loading for `region`."""
    if month is None:
        return None
    later = [e.month for e in entries if e.region == region and e.state in LOADED and e.month]
    return max((m for m in later if m > month), default=None)


def create(ledger: Ledger) -> None:
    """Create the ledger table if it is not there; one of an earlier version gains its columns."""
    ledger.create()


def _columns() -> tuple[ColumnElement[Any], ...]:
    c = batch_job.c
    return (
        *(c.JobKey, c.RegionId, c.ContentHash, c.UploadLogId, c.State, c.Attempts, c.Error),
        *(c.Month, c.ClaimedBy),
    )


def entries(ledger: Ledger) -> dict[str, Entry]:
    """Every job's ledger row by job key (the manifests' leases are no jobs)."""
    query = select(*_columns()).where(~batch_job.c.JobKey.startswith(LEASE, autoescape=True))
    with ledger.engine.connect() as conn:
        return {row[0]: Entry(*row) for row in conn.execute(query)}


def entry(ledger: Ledger, key: str) -> Entry | None:
    """One ledger row (a job's or a lease's), if there is one."""
    with ledger.engine.connect() as conn:
        row = conn.execute(select(*_columns()).where(batch_job.c.JobKey == key)).first()
    return None if row is None else Entry(*row)


def start(
    ledger: Ledger,
    key: str,
    region: int,
    content: str,
    *,
    month: str | None = None,
    claimed_by: str | None = None,
) -> int | None:
    """Claim the job: one more attempt (or the first of new content), or None when the row is
    not to be taken: running (held by another worker, or left so by a killed one: `release`
    it first) or done with this content; for a job of a month also while another month of its
    region is running or a later one is done.

    One statement decides, so two claims of one job never both win: an UPDATE of the row
    only where it may be taken, or an INSERT that the key refuses a second time. Claims of a
    month hold the region's Region row meanwhile, so the check of its other months holds too.
    """
    c = batch_job.c
    other = batch_job.alias("other")
    takeable = (
        []
        if month is None
        else [  # one month of a region at a time, and never one older than a month loaded
            ~exists().where(
                other.c.RegionId == region,
                other.c.Month.is_not(None),
                other.c.Month != month,
                or_(other.c.State == RUNNING, and_(other.c.State == DONE, other.c.Month > month)),
            )
        ]
    )
    values = dict(
        RegionId=region,
        ContentHash=content,
        State=RUNNING,
        UploadLogId=None,
        Error=None,
        UpdatedAt=datetime.now(),
        Month=month,
        ClaimedBy=claimed_by,
    )
    try:
        with ledger.engine.begin() as conn:
            if month is not None:  # claims of one region's months one after the other
                ledger.hold_region(conn, region)
            known = conn.execute(select(c.Attempts).where(c.JobKey == key)).scalar_one_or_none()
            if known is None:
                row = {"JobKey": key, "Attempts": 1, **values}
                first = select(*(literal(v, c[k].type) for k, v in row.items())).where(*takeable)
                claim: Insert | Update = insert(batch_job).from_select(list(row), first)
            else:
                claim = (
                    update(batch_job)
                    .where(
                        c.JobKey == key,
                        c.State != RUNNING,
                        ~and_(c.State == DONE, c.ContentHash == content),
                        *takeable,
                    )
                    .values(Attempts=case((c.ContentHash == content, c.Attempts + 1), else_=1))
                    .values(**values)
                )
            attempts = conn.execute(claim.returning(c.Attempts)).scalar_one_or_none()
            return None if attempts is None else int(attempts)
    except IntegrityError:  # another claim inserted the row first
        return None


# A manifest's lease: a row of its own (JobKey "lease:" and the hash of the manifest's path, no
# region), running while a batch runs the manifest: a second batch of it is refused, naming
# the first, and never takes a job the first holds for one its batch left behind.
LEASE = "lease:"
NO_REGION = -1


def lease_key(manifest: Path) -> str:
    return LEASE + hashlib.sha256(str(manifest.resolve()).encode()).hexdigest()[:32]


def take_lease(
    ledger: Ledger, key: str, claimed_by: str, alive: Callable[[str | None], bool]
) -> Entry | None:
    """Hold the manifest's lease (None), else the live holder's row. A lease whose holder
    `alive` says has ended (a batch killed) is taken over."""
    for _ in range(2):
        token = f"{claimed_by} {datetime.now().isoformat()}"  # every run a new one
        if start(ledger, key, NO_REGION, token, claimed_by=claimed_by) is not None:
            return None
        holder = entry(ledger, key)
        if holder is None or alive(holder.claimed_by):
            return holder
        release(ledger, key)  # its batch ended without giving it back
    return entry(ledger, key)


def give_back(ledger: Ledger, key: str) -> None:
    record(ledger, key, State=DONE)


def release(ledger: Ledger, key: str, *, reset: bool = False) -> None:
    """A running row whose worker is known dead becomes interrupted, so it can be claimed;
    `reset` starts its count of attempts again (`--retry-failed`)."""
    c = batch_job.c
    values: dict[str, object] = {"State": INTERRUPTED, "UpdatedAt": datetime.now()}
    if reset:
        values["Attempts"] = 0
    with ledger.engine.begin() as conn:
        conn.execute(
            update(batch_job)
            .where(c.JobKey == key, or_(c.State == RUNNING, c.State == INTERRUPTED))
            .values(**values)
        )


def record(ledger: Ledger, key: str, **values: object) -> None:
    """Set `values` on the job's row (UploadLogId, State, Error)."""
    with ledger.engine.begin() as conn:
        conn.execute(
            update(batch_job)
            .where(batch_job.c.JobKey == key)
            .values(UpdatedAt=datetime.now(), **values)
        )
