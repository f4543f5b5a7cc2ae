"""One monthly job: read the upload and niche lists, run the pipeline, load, summarize.

The command line, the library API and the batch gather the job's `Inputs` and call `run_job`;
it owns no business rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.exc import SQLAlchemyError

from propmail import guards, pipeline
from propmail.contract import COUNTED, KEEP_STORED, SOURCE_ROW, UPLOAD_COLUMNS
from propmail.db import (
    Backend,
    BaseCode,
    Batch,
    Database,
    Identical,
    LoadOptions,
    LoadResult,
    NewListDefaults,
    Preview,
    connect,
)
from propmail.db.schema import State
from propmail.errors import DatabaseUnavailable, InputError, as_stop, committed, failure_message
from propmail.inputs import Inputs
from propmail.progress import Step, no_step
from propmail.read import ReadResult, read_niche, read_upload
from propmail.redact import redact
from propmail.rules import names
from propmail.rules.names import Names
from propmail.rules.occupancy import SiteQuality, site_quality
from propmail.settings import Rules


def load_options(rules: Rules) -> LoadOptions:
    """What the database takes of the settings: the update window, the new list codes'
    defaults, the journal, and the base list codes `db init` creates."""
    new_list = rules.new_list
    return LoadOptions(
        update_window_months=rules.update_window_months,
        new_list=NewListDefaults(
            priority_level=new_list.priority_level,
            processing_order=new_list.processing_order,
            is_absentee=new_list.is_absentee,
            frequency=new_list.frequency,
            divided_by=new_list.divided_by,
        ),
        journal=rules.journal.enabled,
        keep_loads_per_region=rules.journal.keep_loads_per_region,
        base_codes=tuple(BaseCode(r.code, r.is_absentee) for r in rules.priority),
    )


@dataclass
class Figures:
    """What the summary and the report read of the upload's rows, taken before the load.

    The upload and processed frames are let go of then: at 1M rows they held some 300 MB
    through the load, beside the owners, the locations and the database's own memory.
    """

    rows: int  # rows read
    filled: dict[str, int]  # canonical column -> rows with a value
    rejected: pl.DataFrame  # each rejected row: _row, reason, then every column as read
    loadable: pl.DataFrame  # the COUNTED flags and BasePriorityCode of each row not rejected
    # each distinct envelope name less sure than [names] check_below (`names.names_to_check`)
    names_to_check: pl.DataFrame = field(default_factory=pl.DataFrame)
    name_levels: dict[str, int] = field(default_factory=dict)  # rows per NameConfidence


def figures(
    upload: pl.DataFrame, processed: pipeline.Processed, settings: Names | None = None
) -> Figures:
    """The `Figures` of an upload frame and what the pipeline made of it; `settings` say which
    envelope names are listed to check."""
    rejects = processed.rejects.select(SOURCE_ROW, "reason")
    kept = [c for c in (*COUNTED, "BasePriorityCode") if c in processed.processed.columns]
    loadable = processed.processed.select(SOURCE_ROW, *kept).join(
        rejects, on=SOURCE_ROW, how="anti", maintain_order="left"
    )
    return Figures(
        rows=upload.height,
        filled=upload.select(pl.col(list(UPLOAD_COLUMNS)).is_not_null().sum()).row(0, named=True),
        rejected=rejects.join(
            upload.drop(KEEP_STORED, strict=False), on=SOURCE_ROW, how="left", maintain_order="left"
        ),
        loadable=loadable.drop(SOURCE_ROW),
        names_to_check=names.names_to_check(processed.processed, settings or Names(), SOURCE_ROW),
        name_levels=_name_levels(processed.processed),
    )


def _name_levels(processed: pl.DataFrame) -> dict[str, int]:
    """Rows per envelope-name confidence, least sure first (every level, 0 where none)."""
    if "NameConfidence" not in processed.columns:
        return {}
    counts = dict(processed.group_by("NameConfidence").len().iter_rows())
    return {level: int(counts.get(level, 0)) for level in names.confidence.LEVELS}


def without_rows(
    upload: ReadResult, processed: pipeline.Processed
) -> tuple[ReadResult, pipeline.Processed]:
    """The upload and processed results with their frames emptied (columns kept, no rows)."""
    return (
        replace(upload, frame=upload.frame.clear()),
        replace(processed, processed=processed.processed.clear()),
    )


@dataclass
class JobResult:
    """Everything a job produced, for the summary, the report and the API.

    `upload.frame` and `processed.processed` have no rows (`without_rows`): what is read of
    the upload's rows after the load is in `figures`.
    """

    upload: ReadResult
    niches: list[ReadResult]
    processed: pipeline.Processed
    figures: Figures  # what the summary and the report read of the upload's rows
    load: LoadResult | None
    started: datetime
    finished: datetime
    db_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    preview: Preview | None = None  # the dry run's diff (then `load` is None)
    site: SiteQuality | None = None  # placeholder site addresses and empty site ZIPs
    rules: Rules | None = None  # the settings in force
    staging: str | None = None  # how the upload's rows were staged (adbc, copy (csv), ...)
    compared: str | None = None  # what was staged after comparing with the stored rows first
    identical_to: int | None = None  # the load this upload repeats: nothing read or loaded
    warnings: list[guards.Warning] = field(default_factory=list)  # the plausibility guards'

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()


def prepare(
    inputs: Inputs, step: Step = no_step
) -> tuple[ReadResult, list[ReadResult], pipeline.Processed]:
    """Read and process without touching a database."""
    step("reading upload")
    upload = read_upload(inputs.upload, inputs.mapping, inputs.sheet)
    if inputs.strict and upload.unparseable:
        raise InputError(unparseable_refusal(upload), file=upload.source, option="--strict")
    niches = []
    for kind, path in inputs.niche_paths():
        step(f"reading niche list {kind}")
        niches.append(read_niche(path, inputs.mapping))
    step("applying rules")
    processed = pipeline.run(upload.frame, inputs.rules, inputs.niche_lists(niches), step)
    if processed.locations.height == 0:
        first = processed.rejects["reason"][0] if processed.rejects.height else "none"
        raise InputError(
            f"no row can be loaded: all {upload.frame.height} rows were rejected "
            f"(first reason: {first})",
            file=str(inputs.upload),
        )
    return upload, niches, processed


def unparseable_refusal(upload: ReadResult) -> str:
    """Why `--strict` refuses an upload: its cells that do not parse, per column, with examples."""
    total = sum(upload.unparseable.values())
    columns = ", ".join(f"{c} {n:,}" for c, n in upload.unparseable.items())
    shown = "; ".join(f"row {r}, {c}: {raw!r}" for r, c, raw in upload.unparseable_examples[:5])
    return (
        f"{total:,} cell{'s' if total > 1 else ''} do not parse ({columns}), e.g. {shown}; "
        "without --strict they are counted and read as empty"
    )


def check_database(backend: Backend, region_id: int) -> None:
    """The database is reachable, initialised and holds the region; nothing is created."""
    if not backend.exists() or not backend.has_schema():
        raise InputError(
            f"{backend.where} has no propmail tables, or not all of them (a database an "
            f"earlier propmail created lacks the newest), so region {region_id} cannot be "
            f"loaded; create them with: propmail db init --region {region_id}=NAME (it adds "
            "only what is missing and keeps every row)",
            option="--region",
        )
    backend.require_region(region_id)


@contextmanager
def database_errors(backend: Backend) -> Iterator[None]:
    """A driver's error outside the load (unreachable, refused, dropped) as DatabaseUnavailable."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        message = f"cannot use the database {backend.display_url}: {redact(reason)}"
        raise DatabaseUnavailable(message) from None


@contextmanager
def checked_backend(
    db_url: str | None, backend: Database | None, region_id: int, step: Step = no_step
) -> Iterator[Database]:
    """`backend` (else one connected to `db_url`, disposed of at the end), checked to be
    reachable, initialised and to hold the region before anything is read."""
    own_backend = backend is None
    backend = backend or connect(db_url)
    try:
        step("connecting")
        with database_errors(backend):
            check_database(backend, region_id)
        yield backend
    finally:
        if own_backend:
            backend.dispose()


def repeated(
    inputs: Inputs, region_id: int, log_id: int, same: Identical, started: datetime
) -> JobResult:
    """The result of an upload identical to load `same`: nothing read, nothing loaded; its
    UploadLog row `log_id` is done with the rows `same` loaded."""
    empty = pl.DataFrame()
    rejects = pl.DataFrame(schema={SOURCE_ROW: pl.Int64, "reason": pl.String})
    return JobResult(
        upload=ReadResult(empty, [], {}, [], [], source=Path(inputs.upload).name),
        niches=[],
        processed=pipeline.Processed(empty, empty, empty, rejects),
        figures=Figures(rows=same.rows, filled={}, rejected=rejects, loadable=empty),
        load=LoadResult(
            upload_log_id=log_id,
            region_id=region_id,
            rows_processed=same.rows,
            processing_state=State.DONE,
        ),
        started=started,
        finished=datetime.now(),
        rules=inputs.rules,
        identical_to=same.upload_log_id,
    )


def run_job(
    inputs: Inputs,
    region_id: int,
    *,
    db_url: str | None = None,
    backend: Database | None = None,
    step: Step = no_step,
    now: datetime | None = None,
    dry_run: bool = False,
    force: bool = False,
    on_upload_log: Callable[[int], None] | None = None,
) -> JobResult:
    """The whole monthly job. Raises InputError (bad input), DatabaseUnavailable (nothing done)
    or LoadError (rolled back).

    Everything that can be checked before the upload is read is checked first: the settings
    and the input files when `inputs` were gathered (`Inputs.gather`), then the database and the
    region. With `dry_run` the database is only read:
    the result carries the diff (`preview`). `on_upload_log` is given the UploadLogId before the
    load starts (the batch ledger keeps it).

    An upload identical to the region's last load (`Backend.identical`: the same content the
    same day, nothing loaded or undone since) is neither read nor loaded: its UploadLog row is
    done and names that load (`identical_to`). `force` runs it in full.
    """
    started = datetime.now()
    rules = inputs.rules
    load, preview = None, None
    with checked_backend(db_url, backend, region_id, step) as backend:
        content = None
        if not dry_run:
            step("comparing with the last load")
            content = inputs.content_hash(region_id)
            with database_errors(backend):
                same = None if force else backend.identical(region_id, content, now or started)
                if same is not None:
                    log_id = backend.open_upload_log(region_id, Path(inputs.upload).name, started)
                    if on_upload_log:
                        on_upload_log(log_id)
                    backend.record_identical(log_id, region_id, same, content, now or started)
                    result = repeated(inputs, region_id, log_id, same, started)
                    result.db_url = backend.display_url
                    return result
        upload, niches, processed = prepare(inputs, step)
        warnings = guards.check(upload, processed)
        if inputs.strict and warnings:
            raise InputError(guards.refusal(warnings), file=upload.source, option="--strict")
        site = site_quality(upload.frame, rules.occupancy)
        read = figures(upload.frame, processed, rules.names)
        upload, processed = without_rows(upload, processed)  # the owners and locations stay
        moment = now or datetime.now()
        options = load_options(rules)
        batch = Batch(region_id, processed.owners, processed.locations, options, moment, content)
        with database_errors(backend):
            if dry_run:
                preview = backend.preview(batch, step)
            else:
                log_id = backend.open_upload_log(region_id, Path(inputs.upload).name, started)
                try:
                    step(f"upload received (UploadLogId {log_id})")
                    if on_upload_log:
                        on_upload_log(log_id)
                except BaseException as exc:  # a stop before the load: its UploadLog closed
                    backend.fail(log_id, failure_message(as_stop(exc)), datetime.now())
                    raise
                load = backend.load(log_id, batch, step)
                with committed(log_id):
                    step(f"load committed (UploadLogId {log_id})")
    return JobResult(
        upload=upload,
        niches=niches,
        processed=processed,
        load=load,
        started=started,
        finished=datetime.now(),
        db_url=backend.display_url,
        preview=preview,
        site=site,
        rules=rules,
        staging=backend.staging,
        compared=backend.compared,
        figures=read,
        warnings=warnings,
    )
