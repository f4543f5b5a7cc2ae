"""The load every generated-SQL backend follows (SQLite, PostgreSQL), and its dry run.

A load is one transaction: lock the region, then the steps of `SqlBackend.load_steps` in
order (stage owners and locations, get-or-create the list codes, merge owners, merge
locations, final updates, drop the staging tables). UploadLog states are written so that
another connection can watch them; on failure the transaction is rolled back and UploadLog
records state 4 with the message.

Where the backend reads its stored rows as Arrow (`read_stored`: PostgreSQL), the load first
compares the upload with its region's stored rows in polars (`propmail.db.compare`) and stages
only the rows it may write; those are compared again in SQL, and the counts add the rows it
left out.

The dry run stages every row, without comparing first, inside a transaction that is always
rolled back; its counts come from the SQL comparison the load runs too (`sql.owner_kinds`,
`sql.location_kinds`, `sql.missing_codes`), so the prediction and the load cannot drift apart:
the load's comparison before staging only leaves out rows of the kinds SQL gives them.
Nothing persists: no owner, location or list code, not even an UploadLog row. Its parity view
compares, for every location of the upload that the database already has, its stored list code
with the code this upload gives it, grouped by old code -> new code.

A subclass supplies the transaction, the region lock and the bulk staging, and may override
how a timestamp is bound and how the owner merge is counted.
"""

from __future__ import annotations

import calendar
import logging
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import Connection, Engine, func, insert, inspect, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from propmail import redact
from propmail.db import compare, journal, schema, sql, undo
from propmail.db.backend import Backend
from propmail.db.results import (
    Batch,
    JournaledLoad,
    LoadResult,
    Preview,
    Undone,
    code_changes,
    in_slug_order,
)
from propmail.db.schema import OWNER_FIELDS, STAGE_LOCATION_FIELDS, Field, State
from propmail.db.stored import read_parcel, stream_region, stream_rows
from propmail.errors import (
    ABANDONED,
    DatabaseUnavailable,
    InputError,
    LoadError,
    failure_message,
)
from propmail.progress import Step, no_step
from propmail.settings import NewList, Rules

log = logging.getLogger("propmail")

# Stands in for the id of an owner or list code the load would create: no real id is negative.
PENDING_ID = -1
CODE_FIELDS = (Field("Code", schema.TEXT),)


def months_before(moment: datetime, months: int) -> datetime:
    """`moment` minus whole months, the day clamped to the month's end (DATEADD(MM, -n, ...))."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def moments(batch: Batch) -> compare.Moments:
    """The load's day and the start of its update window, from its clock."""
    now = batch.now
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return compare.Moments(start, months_before(now, batch.rules.update_window_months))


def owner_counts(kinds: dict[int, int]) -> tuple[int, int, int]:
    """Owners inserted, updated, unchanged, from the staged owners per kind."""
    return kinds[sql.NEW], kinds[sql.CHANGED] + kinds[sql.REFRESHED], kinds[sql.UNCHANGED]


def location_counts(kinds: dict[int, int]) -> tuple[int, int, int, int]:
    """Locations inserted, updated, unchanged, frozen, from the staged locations per kind."""
    return (*owner_counts(kinds), kinds[sql.FROZEN])


def _added(kinds: dict[int, int], more: dict[int, int]) -> dict[int, int]:
    """Rows per kind of two counts together."""
    return {k: kinds.get(k, 0) + more.get(k, 0) for k in sql.KINDS}


# the step that reads the stored rows and compares the upload with them, before staging
COMPARING_STORED = "comparing with the stored rows"


@dataclass
class Run:
    """One load under way: its transaction, its upload, its bound parameters, its counts."""

    conn: Connection
    log_id: int
    batch: Batch
    params: dict[str, Any]
    result: LoadResult
    owner_kinds: dict[int, int] = field(default_factory=dict)  # staged rows per kind
    location_kinds: dict[int, int] = field(default_factory=dict)
    compared: compare.Compared | None = None  # where the backend compares before staging


class LoadStep(NamedTuple):
    """One step of the load: the name `step` reports, the UploadLog state written as it
    starts (None: no change), and what it does inside the load's transaction."""

    name: str
    state: int | None
    action: Callable[[Run], None]


class SqlBackend(Backend):
    """A database loaded with the generated SQL of `propmail.db.sql` through SQLAlchemy."""

    dialect: sql.Dialect = sql.SQLITE
    # The UploadLog states other connections see only from a load that holds its region's
    # lock: a row of the region left in one of them, seen by the next holder, is a dead load.
    states_under_lock: tuple[int, ...] = ()
    # Run before a state is written apart from the load's transaction (PostgreSQL: a bound on
    # the wait for the row's lock, see `PostgresBackend`).
    state_guard: str | None = None
    # Where the backend compares before staging (`read_stored`): the owner kinds it does not
    # stage, as its owner merge writes every other kind.
    owners_left_out: tuple[int, ...] = (sql.UNCHANGED,)

    def __init__(self, engine: Engine, display_url: str) -> None:
        redact.remember(engine.url)  # a driver's error may echo the URL or DSN
        super().__init__(display_url)
        self.engine = engine

    # -- the steps that differ per backend ------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection inside a write transaction, committed on success, rolled back on error."""

    def load_transaction(
        self, batch: Batch | None = None, step: Step = no_step
    ) -> AbstractContextManager[Connection]:
        """The transaction of the load of `batch` (a backend may stage ahead of it)."""
        return self.transaction()

    @abstractmethod
    def lock_region(self, conn: Connection, region_id: int) -> None:
        """Make two loads of the same region wait for each other (held until commit)."""

    @abstractmethod
    def stage(
        self, conn: Connection, name: str, fields: tuple[Field, ...], frame: pl.DataFrame
    ) -> None:
        """Bulk-load `frame` (columns = `fields`) into a new temporary table `name`."""

    def timestamp(self, moment: datetime) -> Any:
        """A timestamp as the driver should bind it."""
        return moment

    def analyze(self, conn: Connection, name: str) -> None:
        """Give the planner the size of a temporary table just filled (where it needs it)."""

    @property
    def compares_first(self) -> bool:
        """Whether a load compares the upload with the stored rows before staging
        (`read_stored`)."""
        return False

    def read_stored(self, region_id: int) -> Iterator[pl.DataFrame] | None:
        """The region's stored rows as frames of `compare.stored_columns`, a batch at a time,
        read as Arrow, for comparing the upload with them before staging (`compare`); None
        where the backend compares in SQL only. Called holding the region's lock."""
        return None

    def classify(
        self,
        conn: Connection,
        name: str,
        fields: tuple[Field, ...],
        statement: str,
        params: dict[str, Any],
        known: pl.DataFrame | None = None,
    ) -> dict[int, int]:
        """Fill the kind table `name` with the `known` kind rows, then by `statement`; returns
        its rows per kind (every kind)."""
        if known is not None and known.height:
            self.stage(conn, name, fields, known.select([f.name for f in fields]))
        else:
            conn.exec_driver_sql(sql.drop_stage_table(name, self.dialect))
            conn.exec_driver_sql(sql.create_stage_table(self.dialect, name, fields))
        conn.execute(text(statement), params)
        self.analyze(conn, name)
        counted = conn.execute(text(sql.kind_counts(self.dialect, name)))
        return {kind: 0 for kind in sql.KINDS} | {int(k): int(n) for k, n in counted}

    def merge_owners(
        self, conn: Connection, params: dict[str, Any], kinds: dict[int, int]
    ) -> tuple[int, int, int]:
        """Write the staged owners by their kinds; returns how many were inserted, updated,
        unchanged.

        The counts are the kinds', exact where one load writes at a time (SQLite): the owners
        only refreshed get their two dates by key, the new and changed ones the upsert.
        """
        d = self.dialect
        conn.execute(text(sql.refresh(d, "Owner", "OwnerId", sql.STAGE_OWNER_KIND)), params)
        conn.execute(text(sql.owner_upsert(d)), params)
        return owner_counts(kinds)

    def compare_owners(self, conn: Connection, params: dict[str, Any]) -> dict[int, int]:
        """Compare the staged owners with the stored ones: staged owners per kind."""
        statement = sql.owner_kinds(self.dialect)
        return self.classify(conn, sql.STAGE_OWNER_KIND, sql.OWNER_KIND_FIELDS, statement, params)

    def compare_locations(
        self,
        conn: Connection,
        params: dict[str, Any],
        pending_id: int | None = None,
        known: pl.DataFrame | None = None,
    ) -> dict[int, int]:
        """Compare the staged locations with the stored ones (`pending_id`: for the owners and
        list codes a dry run does not create; `known`: kind rows found before staging): staged
        and known locations per kind."""
        statement = self.location_kinds(pending_id)
        fields = sql.LOCATION_KIND_FIELDS
        return self.classify(conn, sql.STAGE_LOCATION_KIND, fields, statement, params, known)

    def location_kinds(self, pending_id: int | None = None) -> str:
        """The statement that sorts staged locations into kinds (frozen: outside the window)."""
        return sql.location_kinds(self.dialect, pending_id)

    def location_merge(self) -> list[str]:
        """The Location merge statements (the upsert's window in DO UPDATE ... WHERE)."""
        return sql.location_merge(self.dialect)

    def set_state(self, log_id: int, state: int, conn: Connection | None = None) -> None:
        """Write a processing state that other connections see at once (committed apart)."""
        with self.engine.begin() as side:
            if self.state_guard:
                side.exec_driver_sql(self.state_guard)
            side.execute(
                update(schema.upload_log)
                .where(schema.upload_log.c.UploadLogId == log_id)
                .values(ProcessingState=state)
            )

    # -- the connection and the schema ------------------------------------------------------

    def test_connection(self) -> dict[str, Any]:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
                version = conn.dialect.server_version_info
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"cannot connect to {self.display_url}: {exc.args[0]}"
            ) from None
        return {"server": self.display_url, "version": ".".join(str(p) for p in version or ())}

    def has_schema(self) -> bool:
        names = set(inspect(self.engine).get_table_names())
        return all(t.name in names for t in (*schema.TABLES, *schema.JOURNAL_TABLES))

    def create_schema(self) -> None:
        schema.metadata.create_all(self.engine)

    def init(self, regions: dict[int, str | None], rules: Rules) -> list[str]:
        self.create_schema()
        with self.transaction() as conn:
            existing = set(conn.scalars(select(schema.region.c.RegionId)))
            for region_id, name in regions.items():
                if region_id in existing:
                    if name:
                        conn.execute(
                            update(schema.region)
                            .where(schema.region.c.RegionId == region_id)
                            .values(Name=name)
                        )
                    continue
                conn.execute(insert(schema.region).values(RegionId=region_id, Name=name))
                # a new region gets the frequency row of every list that exists already
                conn.execute(
                    insert(schema.region_list_frequency).from_select(
                        ["Frequency", "ListId", "RegionId", "DividedBy"],
                        select(
                            text(str(int(rules.new_list.frequency))),
                            schema.list_priority.c.ListPriorityId,
                            text(str(int(region_id))),
                            text(str(int(rules.new_list.divided_by))),
                        ),
                    )
                )
            created = []
            for rule in rules.priority:
                found = conn.scalar(
                    select(schema.list_priority.c.ListPriorityId).where(
                        schema.list_priority.c.Code == rule.code
                    )
                )
                if found is None:
                    new_id = conn.execute(
                        insert(schema.list_priority).values(
                            Code=rule.code,
                            Name=rule.code,
                            PriorityLevel=rules.new_list.priority_level,
                            ProcessingOrder=rules.new_list.processing_order,
                            IsAbsentee=rule.is_absentee,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                    conn.execute(
                        text(sql.insert_frequencies(self.dialect, [new_id])),
                        {
                            "frequency": rules.new_list.frequency,
                            "divided_by": rules.new_list.divided_by,
                        },
                    )
                    created.append(rule.code)
        return created

    def regions(self) -> dict[int, str | None]:
        if not self.exists() or not self.has_schema():
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.region.c.RegionId, schema.region.c.Name))
            return {int(i): n for i, n in rows}

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in schema.TABLES
            }

    def dispose(self) -> None:
        self.engine.dispose()

    # -- master data ------------------------------------------------------------------------

    def require_region(self, region_id: int) -> None:
        with self.engine.connect() as conn:
            found = conn.scalar(
                select(schema.region.c.RegionId).where(schema.region.c.RegionId == region_id)
            )
        if found is None:
            raise InputError(
                f"region {region_id} does not exist in {self.display_url}; "
                f"add it with: propmail db init --region {region_id}=NAME",
                option="--region",
            )

    def resolve_codes(
        self, codes: list[str], new_list: NewList
    ) -> tuple[dict[str, int], list[str]]:
        with self.transaction() as conn:
            return self.create_codes(conn, codes, new_list)

    def create_codes(
        self, conn: Connection, codes: list[str], new_list: NewList
    ) -> tuple[dict[str, int], list[str]]:
        """Get-or-create one ListPriorityId per code, in one batch; returns (ids, created)."""
        self.stage(
            conn,
            sql.STAGE_CODE,
            CODE_FIELDS,
            pl.DataFrame({"Code": sorted(set(codes))}, schema={"Code": pl.String}),
        )
        created = conn.execute(
            text(sql.insert_codes(self.dialect)),
            {
                "priority_level": new_list.priority_level,
                "processing_order": new_list.processing_order,
                "is_absentee": new_list.is_absentee,
            },
        ).all()
        for list_id, code in created:
            log.debug("new list code %r: ListPriorityId %s", code, list_id)
        if created:
            conn.execute(
                text(sql.insert_frequencies(self.dialect, [r[0] for r in created])),
                {"frequency": new_list.frequency, "divided_by": new_list.divided_by},
            )
        ids = {code: int(i) for code, i in conn.execute(text(sql.code_ids(self.dialect)))}
        conn.execute(text(sql.drop_stage_table(sql.STAGE_CODE, self.dialect)))
        return ids, sorted(r[1] for r in created)

    def read_rows(
        self, table: str, columns: dict[str, pl.DataType], batch_rows: int
    ) -> Iterator[pl.DataFrame]:
        return stream_rows(self.engine, table, columns, batch_rows)

    def read_region(self, region_id: int, batch_rows: int) -> Iterator[pl.DataFrame]:
        return stream_region(self.engine, region_id, batch_rows)

    def read_parcel(self, parcel: str) -> pl.DataFrame:
        return read_parcel(self.engine, parcel)

    # -- UploadLog ----------------------------------------------------------------------------

    def open_upload_log(self, region_id: int, file_name: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(schema.upload_log).values(
                    RegionId=region_id,
                    FileName=file_name,
                    ProcessingState=State.RECEIVED,
                    ProcessingStarted=now,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def fail(self, log_id: int, message: str, now: datetime) -> None:
        with self.engine.begin() as side:
            side.execute(
                update(schema.upload_log)
                .where(schema.upload_log.c.UploadLogId == log_id)
                .values(
                    ProcessingState=State.FAILED,
                    ErrorMessage=redact.redact(message)[:4000],
                    ProcessingEnded=now,
                )
            )

    def close_abandoned(self, conn: Connection, region_id: int, log_id: int) -> None:
        """Mark failed (state 4, `ABANDONED`) the region's rows a dead load left running.

        Called holding the region lock, inside the load's transaction: another row of the
        region in `states_under_lock` had the lock and lost it without a commit or a rollback
        that recorded itself, so its process died (kill -9, the machine lost).
        """
        if not self.states_under_lock:
            return
        log = schema.upload_log.c
        conn.execute(
            update(schema.upload_log)
            .where(
                log.RegionId == region_id,
                log.UploadLogId != log_id,
                log.ProcessingState.in_(self.states_under_lock),
            )
            .values(
                ProcessingState=State.FAILED,
                ErrorMessage=ABANDONED,
                ProcessingEnded=datetime.now(),
            )
        )

    def upload_log(self, log_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.upload_log).where(schema.upload_log.c.UploadLogId == log_id)
            ).one()
        return dict(row._mapping)

    # -- the load -----------------------------------------------------------------------------

    def load_params(self, batch: Batch) -> dict[str, Any]:
        """The bound parameters of the load's statements (the clock and the update window)."""
        clock = moments(batch)
        return {
            "now": self.timestamp(batch.now),
            "day_start": self.timestamp(clock.day_start),
            "cutoff": self.timestamp(clock.cutoff),
            "region": batch.region_id,
        }

    def stage_upload(self, conn: Connection, batch: Batch) -> None:
        self.stage(conn, sql.STAGE_OWNER, OWNER_FIELDS, batch.staged_owners())
        self.stage(conn, sql.STAGE_LOCATION, STAGE_LOCATION_FIELDS, batch.staged_locations())

    def load_steps(self) -> list[LoadStep]:
        """The load after the region lock, in order, all inside its one transaction."""
        first = [LoadStep(COMPARING_STORED, None, self._compare_stored)]
        return [
            *(first if self.compares_first else []),
            LoadStep("staging", None, self._stage),
            LoadStep("list codes", None, self._list_codes),
            LoadStep("journal: list codes", None, self._journal_codes),
            LoadStep("comparing owners", None, self._compare_owners),
            LoadStep("journal: owners", None, self._journal_owners),
            LoadStep("merging owners", None, self._merge_owners),
            LoadStep("comparing locations", None, self._compare_locations),
            LoadStep("journal: locations", None, self._journal_locations),
            LoadStep("merging locations", State.MERGING_LOCATIONS, self._merge_locations),
            LoadStep("final updates", State.FINAL_UPDATES, self._final_updates),
            LoadStep("journal: retention", None, self._journal_retention),
            LoadStep("dropping staging tables", None, self._drop_staging),
        ]

    def load(self, log_id: int, batch: Batch, step: Step = no_step) -> LoadResult:
        result = LoadResult(
            upload_log_id=log_id, region_id=batch.region_id, rows_processed=batch.locations.height
        )
        self.compared = None
        try:
            with self.load_transaction(batch, step) as conn:
                self.lock_region(conn, batch.region_id)
                self.close_abandoned(conn, batch.region_id, log_id)
                self.set_state(log_id, State.MERGING_OWNERS, conn)
                run = Run(conn, log_id, batch, self.load_params(batch), result)
                for name, state, action in self.load_steps():
                    if state is not None:
                        self.set_state(log_id, state, conn)
                    step(name)
                    action(run)
                step("commit")
        except BaseException as exc:
            self.fail(log_id, failure_message(exc), datetime.now())
            if isinstance(exc, Exception):
                # the driver's own words, not the SQL statement SQLAlchemy wraps around them
                reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
                message = redact.redact(reason)
                raise LoadError(f"load failed and was rolled back: {message}") from exc
            raise
        result.processing_state = State.DONE
        return result

    def _compare_stored(self, run: Run) -> None:
        stored = self.read_stored(run.batch.region_id)
        if stored is None:
            return
        batch = run.batch
        run.compared = compare.compare(
            batch.owner_rows(),
            batch.staged_locations(),
            stored,
            moments(batch),
            self.owners_left_out,
        )

    def _stage(self, run: Run) -> None:
        compared = run.compared
        if compared is None:
            self.stage_upload(run.conn, run.batch)
            return
        # sorted once it is known which are staged: a same-day rerun sorts none
        self.stage(run.conn, sql.STAGE_OWNER, OWNER_FIELDS, in_slug_order(compared.owners))
        self.stage(run.conn, sql.STAGE_LOCATION, STAGE_LOCATION_FIELDS, compared.locations)
        self.compared = (
            f"staged {compared.owners.height:,} of {run.batch.owners.height:,} owners, "
            f"{compared.locations.height:,} of {run.batch.locations.height:,} locations"
        )
        # staged now: the frames need not last the load
        compared.owners, compared.locations = compared.owners.clear(), compared.locations.clear()

    def _list_codes(self, run: Run) -> None:
        codes = run.batch.locations["PriorityCode"].unique().to_list()
        _, run.result.new_codes = self.create_codes(run.conn, codes, run.batch.rules.new_list)

    def _compare_owners(self, run: Run) -> None:
        run.owner_kinds = self.compare_owners(run.conn, run.params)
        if run.compared is not None:
            run.owner_kinds = _added(run.owner_kinds, run.compared.owners_left)

    def _merge_owners(self, run: Run) -> None:
        r = run.result
        (r.owners_inserted, r.owners_updated, r.owners_unchanged) = self.merge_owners(
            run.conn, run.params, run.owner_kinds
        )

    def _compare_locations(self, run: Run) -> None:
        compared = run.compared
        if compared is None:
            run.location_kinds = self.compare_locations(run.conn, run.params)
            return
        kinds = self.compare_locations(run.conn, run.params, known=compared.refreshed)
        run.location_kinds = _added(kinds, compared.locations_left)

    def _merge_locations(self, run: Run) -> None:
        """The region is locked: the kinds still hold. Refreshed rows get their two dates by
        key, new and changed ones the upsert."""
        r = run.result
        (
            r.locations_inserted,
            r.locations_updated,
            r.locations_unchanged,
            r.locations_frozen,
        ) = location_counts(run.location_kinds)
        for statement in self.location_merge():
            run.conn.execute(text(statement), run.params)

    def _final_updates(self, run: Run) -> None:
        run.conn.execute(
            update(schema.upload_log)
            .where(schema.upload_log.c.UploadLogId == run.log_id)
            .values(
                ProcessingState=State.DONE,
                RowsProcessed=run.batch.locations.height,
                ProcessingEnded=run.batch.now,
            )
        )

    def _drop_staging(self, run: Run) -> None:
        for name in sql.STAGE_TABLES:
            run.conn.execute(text(sql.drop_stage_table(name, self.dialect)))

    # -- the journal ---------------------------------------------------------------------------

    def _journal_codes(self, run: Run) -> None:
        """The load's own journal row, and the list codes it created."""
        if not run.batch.rules.journal.enabled:
            return
        # SQLite gives a deleted UploadLog row's id out again: a journal under it is stale
        for statement in journal.drop(self.dialect):
            run.conn.execute(text(statement), {"log_id": run.log_id})
        run.conn.execute(
            text(journal.record_load(self.dialect)), {"log_id": run.log_id, **run.params}
        )
        if run.result.new_codes:
            lp = schema.list_priority.c
            created = run.conn.scalars(
                select(lp.ListPriorityId).where(lp.Code.in_(run.result.new_codes))
            )
            run.conn.execute(
                text(journal.record_list(self.dialect)),
                [{"log_id": run.log_id, "list_id": int(i)} for i in created],
            )

    def _journal_owners(self, run: Run) -> None:
        if run.batch.rules.journal.enabled:
            for statement in journal.record_owners(self.dialect):
                run.conn.execute(text(statement), {"log_id": run.log_id, **run.params})

    def _journal_locations(self, run: Run) -> None:
        if run.batch.rules.journal.enabled:
            for statement in journal.record_locations(self.dialect):
                run.conn.execute(text(statement), {"log_id": run.log_id, **run.params})

    def _journal_retention(self, run: Run) -> None:
        keep = run.batch.rules.journal.keep_loads_per_region
        self.prune_region(run.conn, run.batch.region_id, keep)

    def prune_region(self, conn: Connection, region_id: int, keep: int) -> None:
        for statement in journal.prune(self.dialect):
            conn.execute(text(statement), {"region": region_id, "keep": keep})

    def prune_journal(self, keep: int) -> int:
        with self.transaction() as conn:
            regions = list(conn.scalars(select(schema.journal.c.RegionId).distinct()))
            before = conn.scalar(select(func.count()).select_from(schema.journal)) or 0
            for region_id in regions:
                self.prune_region(conn, int(region_id), keep)
            after = conn.scalar(select(func.count()).select_from(schema.journal)) or 0
        return int(before) - int(after)

    def journaled_loads(self, region_id: int | None = None) -> list[JournaledLoad]:
        if not self.has_schema():
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(journal.loads(self.dialect, region_id is not None)), {"region": region_id}
            )
            return [JournaledLoad(*row) for row in rows]

    def undo(self, log_id: int, cascade: bool = False, dry_run: bool = False) -> list[Undone]:
        d = self.dialect
        with self.rolled_back() if dry_run else self.transaction() as conn:
            self.lock_region(conn, undo.region_of(conn, log_id))
            order = undo.plan(conn, d, log_id, cascade)
            for region_id in sorted({r for _, r in order}):
                self.lock_region(conn, region_id)
            return [undo.undo_one(conn, d, i, r) for i, r in order]

    @contextmanager
    def hold_region_lock(self, region_id: int) -> Iterator[None]:
        with self.transaction() as conn:
            self.lock_region(conn, region_id)
            yield

    # -- the dry run --------------------------------------------------------------------------

    @contextmanager
    def rolled_back(self, batch: Batch | None = None) -> Iterator[Connection]:
        """A connection in a transaction that is rolled back whatever happens."""
        with self.engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    def preview(self, batch: Batch, step: Step = no_step) -> Preview:
        """Stages into temporary tables inside a transaction that is always rolled back."""
        self.compared = None  # a dry run stages every row and compares in SQL
        d = self.dialect
        params = self.load_params(batch)
        rows_per_code = batch.rows_per_code()
        codes = pl.DataFrame({"Code": sorted(rows_per_code)}, schema={"Code": pl.String})
        counts = LoadResult(
            upload_log_id=None, region_id=batch.region_id, rows_processed=batch.locations.height
        )
        with self.rolled_back(batch) as conn:
            step("staging")
            self.stage_upload(conn, batch)
            self.stage(conn, sql.STAGE_CODE, CODE_FIELDS, codes)
            step("list codes")
            counts.new_codes = list(conn.scalars(text(sql.missing_codes(d))))
            step("comparing owners")
            (counts.owners_inserted, counts.owners_updated, counts.owners_unchanged) = owner_counts(
                self.compare_owners(conn, params)
            )
            step("comparing locations")
            (
                counts.locations_inserted,
                counts.locations_updated,
                counts.locations_unchanged,
                counts.locations_frozen,
            ) = location_counts(self.compare_locations(conn, params, PENDING_ID))
            step("parity")
            parity = code_changes(list(conn.execute(text(sql.code_parity(d)), params)))
        return Preview(
            counts=counts,
            new_code_rows={code: rows_per_code[code] for code in counts.new_codes},
            existing=counts.locations_updated
            + counts.locations_unchanged
            + counts.locations_frozen,
            parity=parity,
        )
