"""The batch: each manifest job through `propmail.job.run_job` in a pool of worker processes.

Loads of one region wait for each other (the backend's region lock); different regions load side
by side, at most `--jobs` at once, capped by the manifest's `max_concurrent_loads` because the
database, not Python, is what they share. The ledger skips what is done with the same content,
retries what a crash interrupted, and keeps a failure from stopping the other jobs; a worker
process that dies takes only its own job with it, which runs again up to `max_attempts`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from propmail.batch import ledger
from propmail.batch.manifest import Job, Manifest
from propmail.db import Database, connect, resolve_url
from propmail.db.ledger import Ledger
from propmail.db.schema import State
from propmail.errors import ABANDONED, InputError, LoadError, PropmailError
from propmail.inputs import Inputs, parse_niche_spec
from propmail.job import run_job
from propmail.redact import redact
from propmail.report.content import quality


@dataclass(frozen=True)
class Outcome:
    """What became of one job in this batch."""

    job: Job
    state: str  # done, skipped (done before), failed, gave up, not run, refused, running elsewhere
    rows: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0  # the database's part: from its UploadLog row to the commit
    upload_log_id: int | None = None
    error: str | None = None
    exit_status: int = 0  # of a failed job: 1 the load failed, 2 bad input
    quality: dict[str, Any] = field(default_factory=dict)  # report.content.quality of the load


Report = Callable[[Outcome | None, int], None]  # (a finished job, how many are running)
Work = Callable[[Job, str, str, datetime | None], Outcome]  # run_one, in a worker process


def workers(requested: int | None, manifest: Manifest) -> int:
    """--jobs, else the cores; never more than the database's `max_concurrent_loads`."""
    return max(1, min(requested or os.cpu_count() or 1, manifest.max_concurrent_loads))


def job_hash(job: Job) -> str:
    niches = [(f"niche {kind}", path) for kind, path in map(parse_niche_spec, job.niche)]
    files = [("upload", job.upload), *niches, ("rules", job.rules), ("mapping", job.mapping)]
    try:
        return ledger.content_hash(job.region, files)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"  # the job runs and fails, naming the file


def run_batch(
    manifest: Manifest,
    db_url: str | None = None,
    jobs: int | None = None,
    retry_failed: bool = False,
    report: Report | None = None,
    now: datetime | None = None,
    work: Work | None = None,
) -> list[Outcome]:
    """Every job of the manifest that the ledger says to run; one Outcome per manifest job.

    `work` runs one job in a worker process: `run_one` unless given (a module-level function).
    """
    url = resolve_url(db_url)
    backend = connect(url)
    try:
        if not backend.has_schema():
            backend.create_schema()
        book = backend.ledger
        ledger.create(book)
        lease = ledger.lease_key(manifest.source)
        holder = ledger.take_lease(book, lease, this_process(), alive)
        if holder is not None:
            raise InputError(
                f"this manifest is being run by another batch ({holder.claimed_by}); wait for "
                "it to end: two batches of one manifest would load its regions twice",
                file=str(manifest.source),
            )
    finally:
        backend.dispose()
    try:
        return _run_leased(manifest, url, jobs, retry_failed, report, now, work)
    finally:
        backend = connect(url)
        try:
            ledger.give_back(backend.ledger, lease)
        finally:
            backend.dispose()


def this_process() -> str:
    """Who this process is, as the ledger names a batch or a worker."""
    return f"batch on {socket.gethostname()} pid {os.getpid()}"


def alive(claimed_by: str | None) -> bool:
    """Whether the batch or worker `claimed_by` names still runs: a process of this machine
    that has ended is not; one of another machine is taken to run.

    >>> alive(this_process())
    True
    """
    host, _, pid = (claimed_by or "").removeprefix("batch on ").partition(" pid ")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_leased(
    manifest: Manifest,
    url: str,
    jobs: int | None,
    retry_failed: bool,
    report: Report | None,
    now: datetime | None,
    work: Work | None,
) -> list[Outcome]:
    """`run_batch` once the manifest's lease is held."""
    backend = connect(url)
    try:
        book = backend.ledger
        known = ledger.entries(book)
        outcomes: dict[str, Outcome] = {}
        todo: list[tuple[Job, str]] = []
        for job in manifest.jobs:
            content = job_hash(job)
            entry = recovered(backend, known.get(job.key), content)
            newer = ledger.newer_month(known.values(), job.region, job.month)
            verdict = ledger.decide(
                entry,
                content,
                retry_failed=retry_failed,
                max_attempts=manifest.max_attempts,
                newer=newer,
            )
            if verdict == "run":
                if entry is not None and entry.state in (ledger.RUNNING, ledger.INTERRUPTED):
                    ledger.release(book, job.key, reset=retry_failed)  # its batch died
                todo.append((job, content))
            elif verdict == "skip" and entry is not None:
                outcomes[job.key] = Outcome(job, "skipped", upload_log_id=entry.upload_log_id)
            else:
                why = not_run(verdict, job, entry, newer)
                outcomes[job.key] = Outcome(job, verdict, error=why, exit_status=1)
    finally:
        backend.dispose()
    for outcome in outcomes.values():
        if report:
            report(outcome, 0)
    size = workers(jobs, manifest)
    for outcome in _pool(todo, url, size, now, report, manifest.max_attempts, work or run_one):
        outcomes[outcome.job.key] = outcome
    return [outcomes[job.key] for job in manifest.jobs]


def not_run(verdict: str, job: Job, entry: ledger.Entry | None, newer: str | None) -> str:
    """Why a job the ledger does not run is not done (`ledger.decide`'s verdict)."""
    if verdict == "refused":
        return (
            f"refused: region {job.region} has {newer} loaded or loading; {job.month} is older "
            "and would put older data over newer"
        )
    if verdict == "not run":
        return "not run: --retry-failed runs only failed or interrupted jobs; load it without"
    if verdict == "gave up" and entry is not None:
        return f"interrupted {entry.attempts} times; --retry-failed runs it again"
    return entry.error or verdict if entry is not None else verdict


def recovered(backend: Database, entry: ledger.Entry | None, content: str) -> ledger.Entry | None:
    """A job left running was in a batch that was killed: its load had committed before the
    kill (the job is done) or it died with it (its UploadLog row is closed as failed)."""
    if entry is None or entry.state != ledger.RUNNING or entry.upload_log_id is None:
        return entry
    state = backend.upload_log(entry.upload_log_id).get("ProcessingState")
    if state in State.UNDER_WAY:
        backend.fail(entry.upload_log_id, ABANDONED, datetime.now())
    if state != State.DONE or entry.content_hash != content:
        return entry
    ledger.record(backend.ledger, entry.key, State=ledger.DONE)
    return ledger.Entry(**{**entry.__dict__, "state": ledger.DONE})


def _pool(
    todo: list[tuple[Job, str]],
    url: str,
    size: int,
    now: datetime | None,
    report: Report | None,
    max_attempts: int,
    work: Work,
) -> list[Outcome]:
    """The jobs in `size` worker processes, each a pool of one: a worker that dies (out of
    memory, a crash) breaks only its own pool, which is made again; its job runs again until
    it has had `max_attempts` attempts (ledger.start counts them), the others go on."""
    if not todo:
        return []
    results: list[Outcome] = []
    queue = deque(todo)
    # spawned, not forked: a fork of a process whose polars thread pool ran can deadlock
    context = multiprocessing.get_context("spawn")

    def one_worker() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=context)

    free = [one_worker() for _ in range(min(size, len(todo)))]
    running: dict[Future[Outcome], tuple[ProcessPoolExecutor, Job, str]] = {}
    deaths: Counter[str] = Counter()
    try:
        while queue or running:
            while queue and free:
                job, content = queue.popleft()
                worker = free.pop()
                running[worker.submit(work, job, content, url, now)] = (worker, job, content)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                worker, job, content = running.pop(future)
                try:
                    outcome: Outcome | None = future.result()
                except BrokenProcessPool:
                    worker.shutdown()
                    worker = one_worker()
                    deaths[job.key] += 1
                    outcome = _after_death(job, content, url, deaths[job.key], max_attempts)
                free.append(worker)
                if outcome is None:
                    queue.append((job, content))
                    continue
                results.append(outcome)
                if report:
                    report(outcome, len(running))
    finally:
        for worker in [*free, *(w for w, _, _ in running.values())]:
            worker.shutdown(cancel_futures=True)
    return results


def _after_death(
    job: Job, content: str, url: str, deaths: int, max_attempts: int
) -> Outcome | None:
    """The job whose worker died: done if its load had committed; None to run it again; else
    failed in the ledger, having had its `max_attempts`. Its UploadLog row is closed."""
    backend = connect(url)
    try:
        book = backend.ledger
        entry = recovered(backend, ledger.entries(book).get(job.key), content)
        if entry is not None and entry.state == ledger.DONE:
            return Outcome(job, ledger.DONE, upload_log_id=entry.upload_log_id)
        attempts = max(deaths, entry.attempts if entry else 0)
        if attempts < max_attempts:
            ledger.release(book, job.key)  # its claim died with the worker
            return None
        message = f"its worker process died (out of memory or a crash), {attempts} attempts"
        ledger.record(book, job.key, State=ledger.FAILED, Error=message)
        return Outcome(job, "gave up", error=message, exit_status=1)
    finally:
        backend.dispose()


def run_one(
    job: Job, content: str, url: str, now: datetime | None = None, claimant: str | None = None
) -> Outcome:
    """One job in a worker: the job claimed in the ledger, the load, ledger done or failed.

    A job the claim does not win (another worker holds it, it is done already, or a later
    month of its region came first) is not loaded: its Outcome says which.
    """
    backend = connect(url)
    book = backend.ledger
    started = time.perf_counter()
    opened = started

    def upload_log_opened(log_id: int) -> None:
        nonlocal opened
        opened = time.perf_counter()
        ledger.record(book, job.key, UploadLogId=log_id)

    claimed_by = claimant or this_process()
    try:
        claim = ledger.start(
            book, job.key, job.region, content, month=job.month, claimed_by=claimed_by
        )
        if claim is None:
            return unclaimed(book, job, content)
        inputs = Inputs.gather(job.upload, job.niche, job.rules, job.mapping)
        result = run_job(
            inputs,
            job.region,
            backend=backend,
            now=now,
            on_upload_log=upload_log_opened,
        )
        ledger.record(book, job.key, State=ledger.DONE)
    except Exception as exc:  # any failure is this job's alone: recorded, the batch goes on
        known = isinstance(exc, PropmailError)
        message = redact(str(exc) if known else f"unexpected {type(exc).__name__}: {exc}")
        ledger.record(book, job.key, State=ledger.FAILED, Error=message[:4000])
        status = 2 if known and not isinstance(exc, LoadError) else 1
        return Outcome(job, ledger.FAILED, error=message, exit_status=status)
    finally:
        backend.dispose()
    load = result.load
    return Outcome(
        job,
        ledger.DONE,
        rows=load.rows_processed if load else 0,
        seconds=time.perf_counter() - started,
        load_seconds=time.perf_counter() - opened,
        upload_log_id=load.upload_log_id if load else None,
        quality=quality(result),
    )


def unclaimed(book: Ledger, job: Job, content: str) -> Outcome:
    """The Outcome of a job whose claim another claim won (`ledger.start`)."""
    entries = ledger.entries(book)
    entry = entries.get(job.key)
    if entry is not None and entry.state == ledger.DONE and entry.content_hash == content:
        return Outcome(job, "skipped", upload_log_id=entry.upload_log_id)
    newer = ledger.newer_month(entries.values(), job.region, job.month)
    if newer is not None:
        return Outcome(job, "refused", error=not_run("refused", job, entry, newer), exit_status=1)
    held = [e for e in entries.values() if e.region == job.region and e.state == ledger.RUNNING]
    holder = entry if entry is not None and entry in held else next(iter(held), None)
    what = f"{holder.key} claimed by {holder.claimed_by or 'another worker'}" if holder else ""
    why = f"running elsewhere: {what or 'another worker holds it'}; run it again once that ends"
    return Outcome(job, "running elsewhere", error=why, exit_status=1)


def exit_status(outcomes: list[Outcome]) -> int:
    """0 when every job is done (now or before); else the worst failure's status."""
    return max((o.exit_status for o in outcomes), default=0)


__all__ = [
    "Outcome",
    "exit_status",
    "job_hash",
    "not_run",
    "recovered",
    "run_batch",
    "run_one",
    "unclaimed",
    "workers",
]
