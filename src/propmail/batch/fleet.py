"""Dagster, for more than one machine: the jobs of a manifest as one partitioned asset.

`definitions(manifest, db_url)` builds Dagster ``Definitions`` with one asset, ``propmail_load``,
partitioned by region x month (static regions, monthly windows). A materialization of a
partition is the job of that region in that month's manifest, through `run.run_one`, the
function `propmail batch` runs in its workers, and the same ledger, the job's key led by the
partition's month: a partition done before with the same content is skipped, so a
materialization repeated, retried or launched by two machines loads nothing twice, and a month
older than one loaded (or loading) for its region is refused rather than put over newer data.
Dagster's executors spread the partitions over processes or machines; a concurrency pool per
database caps the loads it takes at once; a retry policy retries a crash or a failed load (not
bad input); the load's counts are materialization metadata and two of the quality report's
figures (the reject rate, the niche rows that matched no location) are asset checks.

The manifest path may name the month, ``month/{month}/manifest.toml`` (``2026-11``): each
month its own manifest, as `propmail split` writes one. Needs ``pip install "propmail[dagster]"``;
nothing else in propmail imports this module.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from propmail.batch import ledger
from propmail.batch.manifest import Job, load_manifest
from propmail.batch.run import Outcome, job_hash, not_run, recovered, run_one, unclaimed
from propmail.db import connect, resolve_url
from propmail.errors import SettingsError
from propmail.redact import redact

ASSET = "propmail_load"
REGION, MONTH = "region", "month"
DAGSTER_RUN = "dagster run "  # a ledger row's claimant: this and the run's id


@dataclass(frozen=True)
class Check:
    """An asset check over a load's quality figures (`report.content.quality`)."""

    name: str
    description: str
    measure: Callable[[dict[str, Any]], float]  # the figure, a rate from 0 to 1
    limit: float  # passed when the figure is at most this


def _niche_unmatched(quality: dict[str, Any]) -> float:
    lists = quality["niche"].values()
    rows = sum(n["rows"] for n in lists)
    return sum(n["unmatched"] for n in lists) / rows if rows else 0.0


def checks(max_reject_rate: float = 0.05, max_unmatched_niche: float = 0.25) -> list[Check]:
    """The checks of every load: the share of rows rejected and of niche rows unmatched."""
    return [
        Check(
            "reject_rate",
            "share of the upload's rows rejected (docs/report.md: rejects)",
            lambda q: float(q["reject_rate"]),
            max_reject_rate,
        ),
        Check(
            "unmatched_niche_rows",
            "share of the niche lists' rows that matched no location",
            _niche_unmatched,
            max_unmatched_niche,
        ),
    ]


def pool_name(db_url: str | None = None) -> str:
    """The concurrency pool of a database: every load into it holds one of its slots."""
    digest = hashlib.sha256(redact(resolve_url(db_url)).encode()).hexdigest()[:12]
    return f"propmail_db_{digest}"


def manifest_for(manifest: str | Path, month: str) -> Path:
    """The manifest of a month: ``{month}`` in the path is the month as ``YYYY-MM``."""
    return Path(str(manifest).replace("{month}", month))


def definitions(
    manifest: str | Path,
    db_url: str | None = None,
    *,
    start_month: str = "2026-01",
    regions: Sequence[int] | None = None,
    pool: str | None = None,
    retry_delay_seconds: float = 60.0,
    quality_checks: Sequence[Check] | None = None,
    now: datetime | None = None,
) -> dg.Definitions:
    """Definitions of the asset `propmail_load` over the jobs of `manifest`.

    `regions` are the static partitions (default: the regions of the manifest of
    `start_month`); `pool` the concurrency pool (default `pool_name(db_url)`, whose limit is
    set in the Dagster instance to the database's `max_concurrent_loads`); the retry policy
    tries a job the manifest's `max_attempts` times in all. `now` fixes the loads' clock.
    """
    url = resolve_url(db_url)
    first = load_manifest(manifest_for(manifest, start_month))
    region_keys = [str(r) for r in sorted(set(regions or (j.region for j in first.jobs)))]
    partitions = dg.MultiPartitionsDefinition(
        {
            REGION: dg.StaticPartitionsDefinition(region_keys),
            MONTH: dg.MonthlyPartitionsDefinition(start_date=f"{start_month}-01"),
        }
    )
    specs = list(quality_checks if quality_checks is not None else checks())

    @dg.asset(
        name=ASSET,
        partitions_def=partitions,
        pool=pool or pool_name(url),
        retry_policy=dg.RetryPolicy(
            max_retries=max(0, first.max_attempts - 1),
            delay=retry_delay_seconds,
            backoff=dg.Backoff.EXPONENTIAL,
        ),
        check_specs=[
            dg.AssetCheckSpec(c.name, asset=ASSET, description=c.description) for c in specs
        ],
        kinds={"python", "sql"},
        description="One region's monthly upload loaded by propmail (docs/scale.md).",
    )
    def propmail_load(context) -> Iterator[Any]:
        # `context` unannotated: Dagster checks the annotation itself, and here it is a string
        keys = context.partition_key.keys_by_dimension
        region, month = int(keys[REGION]), keys[MONTH][:7]
        job = _job_of(manifest_for(manifest, month), region, month)
        started = time.time()
        outcome = load_partition(
            job,
            url,
            now,
            claimant=f"{DAGSTER_RUN}{context.run.run_id}",
            alive=lambda claimed_by: _alive(context.instance, claimed_by, context.run.run_id),
        )
        if outcome.exit_status:
            raise dg.Failure(
                description=f"{job.key}: {outcome.error}",
                metadata={"job": job.key, "region": region, "state": outcome.state},
                # bad input fails again (fix the file), an older month stays older; a failed
                # load, or one running elsewhere, is worth another try
                allow_retries=outcome.exit_status != 2 and outcome.state != "refused",
            )
        yield dg.MaterializeResult(metadata=_metadata(job, outcome, started))
        for check in specs:
            yield _check_result(check, outcome)

    return dg.Definitions(assets=[propmail_load])


def _job_of(manifest: Path, region: int, month: str) -> Job:
    jobs = [j for j in load_manifest(manifest).jobs if j.region == region]
    if len(jobs) != 1:
        found = "no job" if not jobs else f"{len(jobs)} jobs"
        raise dg.Failure(
            description=f"{manifest}: {found} for region {region}", allow_retries=False
        )
    try:
        return jobs[0].of_month(month)
    except SettingsError as exc:
        raise dg.Failure(description=f"{manifest}: {exc}", allow_retries=False) from exc


def _alive(instance: dg.DagsterInstance, claimed_by: str | None, this_run: str) -> bool:
    """Whether the holder of a running ledger row may still be loading: a Dagster run not
    finished (this run's own earlier attempt is not: it died), or anything else (a batch)."""
    if not claimed_by or not claimed_by.startswith(DAGSTER_RUN):
        return True  # a batch holds it: that batch, rerun, closes it if it died
    run_id = claimed_by.removeprefix(DAGSTER_RUN)
    if run_id == this_run:
        return False
    run = instance.get_run_by_id(run_id)
    return run is not None and not run.is_finished


def load_partition(
    job: Job,
    url: str,
    now: datetime | None = None,
    *,
    claimant: str | None = None,
    alive: Callable[[str | None], bool] = lambda claimed_by: False,
) -> Outcome:
    """The job unless the ledger has it done with the same content (then 'skipped'), a later
    month of its region is loaded or loading ('refused'), or a live holder, as `alive` tells
    by the row's claimant, is loading it or another month of its region ('running elsewhere').
    The region's rows a dead holder left running are closed first (done, if its load had
    committed; else interrupted).

    A partition materialized again after a failure is run again: asking for it is the retry.
    """
    content = job_hash(job)
    backend = connect(url)
    try:
        if not backend.has_schema():
            backend.create_schema()
        book = backend.ledger
        ledger.create(book)
        running = [
            e
            for e in ledger.entries(book).values()
            if e.region == job.region and e.state == ledger.RUNNING
        ]
        if any(e.key == job.key and alive(e.claimed_by) for e in running):
            return unclaimed(book, job, content)
        for dead in (e for e in running if not alive(e.claimed_by)):
            closed = recovered(backend, dead, dead.content_hash)  # done, if its load committed
            if closed is not None and closed.state == ledger.RUNNING:
                ledger.release(book, dead.key)
        known = ledger.entries(book)
        entry = known.get(job.key)
        newer = ledger.newer_month(known.values(), job.region, job.month)
        verdict = ledger.decide(entry, content, retry_failed=False, max_attempts=1, newer=newer)
        if verdict == "skip" and entry is not None:
            return Outcome(job, "skipped", upload_log_id=entry.upload_log_id)
        if verdict == "refused":
            return Outcome(job, verdict, error=not_run(verdict, job, entry, newer), exit_status=1)
    finally:
        backend.dispose()
    return run_one(job, content, url, now, claimant)


def _metadata(job: Job, outcome: Outcome, started: float) -> dict[str, Any]:
    load = outcome.quality.get("load") or {}
    metadata: dict[str, Any] = {
        "job": job.key,
        "state": outcome.state,  # done, or skipped: done before with the same content
        "upload_log_id": outcome.upload_log_id,
        "rows": outcome.rows,
        "seconds": round(outcome.seconds, 3),
        "database_seconds": round(outcome.load_seconds, 3),
        "started_at": started,
        "finished_at": time.time(),
    }
    for table in ("owners", "locations"):
        for change, count in load.get(table, {}).items():
            metadata[f"{table}_{change}"] = count
    if outcome.quality:
        metadata["rows_rejected"] = outcome.quality["rows_rejected"]
    return metadata


def _check_result(check: Check, outcome: Outcome) -> dg.AssetCheckResult:
    if not outcome.quality:  # skipped: the load that did it was checked then
        return dg.AssetCheckResult(
            check_name=check.name, passed=True, metadata={"skipped": "done before"}
        )
    value = check.measure(outcome.quality)
    return dg.AssetCheckResult(
        check_name=check.name,
        passed=value <= check.limit,
        severity=dg.AssetCheckSeverity.WARN,  # the load committed; the check flags it
        metadata={"value": round(value, 6), "limit": check.limit},
    )


__all__ = ["ASSET", "Check", "checks", "definitions", "load_partition", "manifest_for", "pool_name"]
