"""One measured run each, in a fresh process: propmail, the floor, the guide's literal design.

Each function takes plain arguments, returns a plain dict (it crosses a process boundary) and
times its stages with a `StageClock`; the caller starts a new interpreter for every run, so
each peak memory figure is that run's own.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from propmail.bench.baselines import dlt_peer, floor, guide
from propmail.bench.measure import StageClock, peak_rss_mb, reset_peak_rss
from propmail.changes import read_changes
from propmail.db import connect, connect_sql
from propmail.db.schema import JOURNAL_TABLES
from propmail.drop.plan import plan
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import load_rules


def _result(clock: StageClock, started: float, **extra: Any) -> dict[str, Any]:
    stages = clock.stop()
    return {
        "seconds": time.perf_counter() - started,
        "stages": [asdict(s) for s in stages],
        "peak_rss_mb": max((s.peak_rss_mb for s in stages), default=peak_rss_mb()),
        **extra,
    }


def init_database(url: str, region_id: int) -> None:
    backend = connect(url)
    try:
        backend.init({region_id: "Bench"}, load_options(load_rules()))
    finally:
        backend.dispose()


def propmail_month(
    upload: str,
    niche_specs: list[str],
    url: str,
    region_id: int,
    now: datetime,
    save_frames: str | None = None,
    rules_path: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """`propmail process` as the command line runs it (run_job), stage by stage; `force` runs
    an upload identical to the region's last load in full (`--force`)."""
    clock = StageClock()
    reset_peak_rss()
    started = time.perf_counter()
    inputs = Inputs.gather(upload, niche_specs, rules_path)
    result = run_job(inputs, region_id, db_url=url, step=clock.step, now=now, force=force)
    out = _result(
        clock,
        started,
        staging=result.staging,
        compared=result.compared,
        identical_to=result.identical_to,
    )
    load = result.load.as_dict() if result.load else {}
    load["new_codes"] = len(load.get("new_codes", []))
    out["load"] = load
    out["rejected"] = result.processed.rejects.height
    if save_frames:  # after the clock stopped: the floor loads these very rows
        result.processed.owners.write_parquet(Path(save_frames) / "owners.parquet")
        result.processed.locations.write_parquet(Path(save_frames) / "locations.parquet")
    return out


def propmail_undo(url: str, upload_log_id: int) -> dict[str, Any]:
    """`propmail undo` of one load, as the command line runs it."""
    reset_peak_rss()
    started = time.perf_counter()
    backend = connect(url)
    try:
        (undone,) = backend.undo(upload_log_id)
    finally:
        backend.dispose()
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
        "undone": asdict(undone),
    }


def propmail_changes(url: str, region_id: int, upload_log_id: int) -> dict[str, Any]:
    """`propmail changes` of one load, as the command line runs it (the sections computed)."""
    reset_peak_rss()
    started = time.perf_counter()
    backend = connect(url)
    try:
        report = read_changes(backend, load_rules(), region_id, upload_log_id).as_dict()
    finally:
        backend.dispose()
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
        "counts": report["counts"],
    }


def drop_plan(url: str, region_id: int, on: date, rules_path: str | None = None) -> dict[str, Any]:
    """`propmail drop plan` over the region, as the command line runs it (no proof files)."""
    reset_peak_rss()
    started = time.perf_counter()
    backend = connect(url)
    try:
        planned = plan(backend, load_rules(rules_path), region_id, on)
    finally:
        backend.dispose()
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
        "locations": planned.selection.locations,
        "pieces": planned.selection.pieces.height,
        "left_out": dict(planned.selection.reasons),
    }


def journal_bytes(url: str) -> int:
    """The space the load journal's tables (and their indexes) take in the database."""
    backend = connect_sql(url)
    try:
        return backend.table_bytes([t.name for t in JOURNAL_TABLES])
    finally:
        backend.dispose()


def floor_run(
    paths: list[str], frames: str, url: str, region_id: int, now: datetime, arrow: bool = False
) -> dict[str, Any]:
    """The bare read of the files, then the bare load of the same rows, twice (month 1, 2)."""
    owners = pl.read_parquet(Path(frames) / "owners.parquet")
    locations = pl.read_parquet(Path(frames) / "locations.parquet")
    floor.prepare_database(url, region_id)
    clock = StageClock()
    reset_peak_rss()
    started = time.perf_counter()
    clock.step("bare read")
    floor.bare_read([Path(p) for p in paths])
    read = _result(clock, started)

    loads = []
    next_month = now.replace(year=now.year + now.month // 12, month=now.month % 12 + 1)
    for stamp in (now, next_month):
        clock = StageClock()
        reset_peak_rss()
        started = time.perf_counter()
        floor.load(url, owners, locations, region_id, stamp, clock.step, arrow)
        loads.append(_result(clock, started))
    return {"read": read, "load": loads[0], "reload": loads[1]}


def guide_run(
    upload: str, niches: dict[str, str], url: str, region_id: int, now: datetime
) -> dict[str, Any]:
    clock = StageClock()
    reset_peak_rss()
    started = time.perf_counter()
    counts = guide.run(
        Path(upload),
        {k: Path(v) for k, v in niches.items()},
        url,
        region_id,
        now,
        load_rules(),
        clock.step,
    )
    return _result(clock, started, **counts)


def dlt_run(frames: str, url: str, region_id: int, now: datetime, rows: int) -> dict[str, Any]:
    """dlt's merge of propmail's owner and location rows (the first `rows` locations and their
    owners), into an empty dataset, then the same rows again a month later."""
    missing = dlt_peer.available()
    if missing:
        return {"skipped": missing}
    locations = pl.read_parquet(Path(frames) / "locations.parquet").head(rows)
    owners = pl.read_parquet(Path(frames) / "owners.parquet").join(
        locations.select(pl.col("OwnerSlug").alias("Slug")).unique(), on="Slug", how="semi"
    )
    loads = []
    next_month = now.replace(year=now.year + now.month // 12, month=now.month % 12 + 1)
    for stamp in (now, next_month):
        clock = StageClock()
        reset_peak_rss()
        started = time.perf_counter()
        counts = dlt_peer.load(url, owners, locations, region_id, stamp, Path(frames), clock.step)
        loads.append(_result(clock, started, **counts))
    return {"load": loads[0], "reload": loads[1], "rows": locations.height}
