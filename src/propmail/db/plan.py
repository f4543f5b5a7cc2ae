"""The load every generated-SQL backend follows (SQLite, PostgreSQL), and its dry run.

A load is one transaction: lock the region, then the steps of `SqlBackend.load_steps` in
order (stage owners and locations, get-or-create the list codes, merge owners, merge
locations, final updates, drop the staging tables). UploadLog states are written so that
another connection can watch them (`propmail.db.upload_log`); on failure the transaction is
rolled back and UploadLog records state 4 with the message.

Where the backend compares first (`Capabilities.compares_first`: it reads its stored rows as
Arrow, `read_stored`), the load first compares the upload with its region's stored rows in
polars (`propmail.db.compare`) and stages only the rows it may write; those are compared again
in SQL, and the counts add the rows it left out.

The dry run stages every row, without comparing first, inside a transaction that is always
rolled back; its counts come from the SQL comparison the load runs too (`sql.owner_kinds`,
`sql.location_kinds`, `sql.missing_codes`), so the prediction and the load cannot drift apart:
the load's comparison before staging only leaves out rows of the kinds SQL gives them.
Nothing persists: no owner, location or list code, not even an UploadLog row. Its parity view
compares, for every location of the upload that the database already has, its stored list code
with the code this upload gives it, grouped by old code -> new code.

`SqlBackend` is `propmail.db.sqlbase.SqlDatabase` (connections, administration, UploadLog,
undo) with this load and its dry run; a backend adds its `Dialect`, its `Capabilities`, its
bulk staging and, where it has one, an Arrow read of its stored rows (`read_stored`).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import Connection, text

from propmail import redact
from propmail.db import admin, compare, journaling, sql, upload_log
from propmail.db.options import LoadOptions
from propmail.db.results import (
    Batch,
    CodeMove,
    LoadResult,
    Preview,
    code_changes,
    in_slug_order,
)
from propmail.db.schema import STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS, Field, State
from propmail.db.sql import journal
from propmail.db.sqlbase import SqlDatabase, upload_tables
from propmail.errors import LoadError, as_stop, failure_message
from propmail.progress import Step, no_step

# Stands in for the id of an owner or list code the load would create: no real id is negative.
PENDING_ID = -1
CODE_FIELDS = admin.CODE_FIELDS


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
    return compare.Moments(start, months_before(now, batch.options.update_window_months))


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

    @property
    def options(self) -> LoadOptions:
        return self.batch.options


class LoadStep(NamedTuple):
    """One step of the load: the name `step` reports, the UploadLog state written as it
    starts (None: no change), and what it does inside the load's transaction."""

    name: str
    state: int | None
    action: Callable[[Run], None]


class SqlBackend(SqlDatabase):
    """A database loaded with the generated SQL of `propmail.db.sql` through SQLAlchemy."""

    def read_stored(self, region_id: int) -> Iterator[pl.DataFrame] | None:
        """The region's stored rows as frames of `compare.stored_columns`, a batch at a time,
        read as Arrow, for comparing the upload with them before staging (`compare`); None
        where they cannot be read so. Called holding the region's lock."""
        return None

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

    def stage_upload(self, conn: Connection, batch: Batch) -> int:
        """Stage every owner and location; returns the cells that keep a stored value."""
        self.stage(conn, sql.STAGE_OWNER, STAGE_OWNER_FIELDS, batch.staged_owners())
        self.stage(conn, sql.STAGE_LOCATION, STAGE_LOCATION_FIELDS, batch.staged_locations())
        return self.keep_stored(conn, batch)

    def keep_stored(self, conn: Connection, batch: Batch) -> int:
        """The staged owners and locations take the stored value of each cell the file could
        not read (`sql.keep_stored`); returns how many cells. Nothing to do where every cell
        was read."""
        if not batch.has_unread_cells():
            return 0
        kept = 0
        for owners in (True, False):
            params = {"region": batch.region_id}
            kept += int(
                conn.execute(text(sql.kept_cells(self.dialect, owners)), params).scalar_one()
            )
            conn.execute(text(sql.keep_stored(self.dialect, owners)), params)
        return kept

    def load_steps(self) -> list[LoadStep]:
        """The load after the region lock, in order, all inside its one transaction."""
        first = [LoadStep(COMPARING_STORED, None, self._compare_stored)]
        return [
            *(first if self.capabilities.compares_first else []),
            LoadStep("staging", None, self._stage),
            LoadStep("list codes", None, self._list_codes),
            LoadStep("journal: list codes", None, self._journal_codes),
            LoadStep("comparing owners", None, self._compare_owners),
            LoadStep("journal: owners", None, self._journal_owners),
            LoadStep("merging owners", None, self._merge_owners),
            LoadStep("comparing locations", None, self._compare_locations),
            LoadStep("counting changes", None, self._count_changes),
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
            with self.transaction(upload_tables(batch), step) as conn:
                self.lock_region(conn, batch.region_id)
                upload_log.close_abandoned(
                    conn, batch.region_id, log_id, self.capabilities.states_under_lock
                )
                self.set_state(log_id, State.MERGING_OWNERS, conn)
                run = Run(conn, log_id, batch, self.load_params(batch), result)
                for name, state, action in self.load_steps():
                    if state is not None:
                        self.set_state(log_id, state, conn)
                    step(name)
                    action(run)
                step("commit")
        except BaseException as raised:
            exc = as_stop(raised)  # a driver's error in a signal's stead is the stop
            self.fail(log_id, failure_message(exc), datetime.now())
            if exc is not raised:
                raise exc from None
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
            self.capabilities.owners_left_out,
        )

    def _stage(self, run: Run) -> None:
        compared = run.compared
        if compared is None:
            run.result.cells_kept = self.stage_upload(run.conn, run.batch)
            return
        # sorted once it is known which are staged: a same-day rerun sorts none
        owners = in_slug_order(compared.owners)
        self.stage(run.conn, sql.STAGE_OWNER, STAGE_OWNER_FIELDS, owners)
        self.stage(run.conn, sql.STAGE_LOCATION, STAGE_LOCATION_FIELDS, compared.locations)
        run.result.cells_kept = self.keep_stored(run.conn, run.batch)
        self.compared = (
            f"staged {compared.owners.height:,} of {run.batch.owners.height:,} owners, "
            f"{compared.locations.height:,} of {run.batch.locations.height:,} locations"
        )
        # staged now: the frames need not last the load
        compared.owners, compared.locations = compared.owners.clear(), compared.locations.clear()

    def _list_codes(self, run: Run) -> None:
        codes = run.batch.locations["PriorityCode"].unique().to_list()
        _, run.result.new_codes = admin.create_codes(
            run.conn, self.dialect, self.stage, codes, run.options.new_list
        )

    def _compare_owners(self, run: Run) -> None:
        compared = run.compared  # where compared first: its refreshed owners, its counts
        known = compared.owners_refreshed if compared else None
        kinds = self.compare_owners(run.conn, run.params, known=known)
        run.owner_kinds = _added(kinds, compared.owners_left if compared else {})

    def _merge_owners(self, run: Run) -> None:
        r = run.result
        (r.owners_inserted, r.owners_updated, r.owners_unchanged) = self.merge_owners(
            run.conn, run.params, run.owner_kinds
        )

    def _compare_locations(self, run: Run) -> None:
        compared = run.compared
        known = compared.refreshed if compared else None
        kinds = self.compare_locations(run.conn, run.params, known=known)
        run.location_kinds = _added(kinds, compared.locations_left if compared else {})

    def _count_changes(self, run: Run) -> None:
        """The load's changes per pair of codes, from the kind table, before the merge
        rewrites the stored rows."""
        found = run.conn.execute(text(sql.location_moves(self.dialect)), run.params)
        run.result.moves = [
            CodeMove(int(kind) == sql.NEW, old, new, int(n), int(sold or 0))
            for kind, old, new, n, sold in found
        ]

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
        batch = run.batch
        upload_log.done(run.conn, run.log_id, batch.locations.height, batch.now)
        upload_log.record_content(run.conn, run.log_id, batch.region_id, batch.content, batch.now)

    def _drop_staging(self, run: Run) -> None:
        for name in sql.STAGE_TABLES:
            run.conn.execute(text(sql.drop_stage_table(name, self.dialect)))

    # -- the journal's steps (`propmail.db.journaling`) ----------------------------------------

    def _journal_codes(self, run: Run) -> None:
        """The load's own journal row, and the list codes it created."""
        if run.options.journal:
            journaling.begin(run.conn, self.dialect, run.log_id, run.params)
            journaling.codes(run.conn, self.dialect, run.log_id, run.result.new_codes)

    def _journal_owners(self, run: Run) -> None:
        if run.options.journal:
            ordered = self.capabilities.clustered_journal
            statements = journal.record_owners(self.dialect, ordered)
            journaling.rows(run.conn, statements, run.log_id, run.params)

    def _journal_locations(self, run: Run) -> None:
        if run.options.journal:
            ordered = self.capabilities.clustered_journal
            statements = journal.record_locations(self.dialect, ordered)
            journaling.rows(run.conn, statements, run.log_id, run.params)

    def _journal_retention(self, run: Run) -> None:
        keep = run.options.keep_loads_per_region
        journaling.prune_region(run.conn, self.dialect, run.batch.region_id, keep)

    # -- comparing and merging ------------------------------------------------------------------

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

    def compare_owners(
        self, conn: Connection, params: dict[str, Any], known: pl.DataFrame | None = None
    ) -> dict[int, int]:
        """Compare the staged owners with the stored ones (`known`: kind rows found before
        staging): staged and known owners per kind."""
        statement = sql.owner_kinds(self.dialect)
        fields = sql.OWNER_KIND_FIELDS
        return self.classify(conn, sql.STAGE_OWNER_KIND, fields, statement, params, known)

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
        """The Location merge statements (the upsert's window in its update's condition)."""
        return sql.location_merge(self.dialect)

    def merge_owners(
        self, conn: Connection, params: dict[str, Any], kinds: dict[int, int]
    ) -> tuple[int, int, int]:
        """Write the staged owners by their kinds; returns how many were inserted, updated,
        unchanged.

        With one writer at a time the counts are the kinds': the owners only refreshed get
        their two dates by key, the new and changed ones the upsert. Where loads of other
        regions write the same owners at once (`Capabilities.shared_owners`), every owner to
        write goes through the one upsert, in the one global order of the slugs (two
        statements could lock in crossed orders), those only refreshed and not staged among
        them as their stored rows (`sql.owner_upsert`), and the counts come from the rows it
        wrote, not from the comparison beforehand.
        """
        d = self.dialect
        if not self.capabilities.shared_owners:
            conn.execute(text(sql.refresh(d, "Owner", "OwnerId", sql.STAGE_OWNER_KIND)), params)
            conn.execute(text(sql.owner_upsert(d)), params)
            return owner_counts(kinds)
        upsert = sql.owner_upsert(d, sql.WRITTEN)
        inserted, written = conn.execute(text(sql.written_counts(d, upsert)), params).one()
        staged = sum(kinds.values())
        return int(inserted), int(written) - int(inserted), staged - int(written)

    # -- the dry run --------------------------------------------------------------------------

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
            counts.cells_kept = self.stage_upload(conn, batch)
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
