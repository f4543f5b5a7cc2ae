"""SQL Server 2016 SP1+: stage the upload in bounded chunks, then one EXEC merges it atomically.

The merge itself is T-SQL shipped with the package (``ProcessPythonEnhancedData.sql`` and the
procedures it calls), installed by ``propmail db init``; it keeps the business semantics of the
generic plan in `propmail.db.sql` (same window, same "touched today" refresh rule, same
counts) and writes the UploadLog states itself. This module only moves rows and reads results.

One connection serves a backend's whole life (schema check, UploadLog, staging, merge,
result); mssql-python's bulk copy opens its own short-lived connection per table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from propmail.db import undo
from propmail.db.backend import Capabilities, Database
from propmail.db.mssql import dialect as tsql
from propmail.db.mssql import staging
from propmail.db.mssql.connect import (
    BulkCopyUnavailable,
    ConnectionFailed,
    DriverSession,
    Row,
    Session,
    connect_dbapi,
)
from propmail.db.mssql.credentials import Settings, resolve
from propmail.db.mssql.ledger import MssqlLedger
from propmail.db.options import LoadOptions, NewListDefaults
from propmail.db.results import Batch, Identical, JournaledLoad, LoadResult, Preview, Undone
from propmail.db.schema import OWNER_FIELDS, STAGE_LOCATION_FIELDS, State
from propmail.db.upload_log import repeats
from propmail.errors import InputError, LoadError, PropmailError, as_stop, failure_message
from propmail.progress import Step, no_step
from propmail.redact import redact

log = logging.getLogger(__name__)

MIN_VERSION = (13, 0, 4001)  # SQL Server 2016 SP1: CREATE OR ALTER, OPENJSON
MIN_COMPATIBILITY = 130  # OPENJSON needs database compatibility level 130+

# the procedures merge, journal, lock and write UploadLog themselves: nothing of the generated
# plan's capabilities applies
CAPABILITIES = Capabilities("SQL Server", journal_key_tables=False, ledger=MssqlLedger)


class MssqlBackend(Database):
    """The seam implemented by the procedures `propmail db init` installs."""

    capabilities = CAPABILITIES

    def __init__(
        self, settings: Settings, open_session: Callable[[], Session] | None = None
    ) -> None:
        password = settings.password.reveal() if settings.password else None
        super().__init__(settings.display(), passwords=(password,))
        self.settings = settings
        self._open_session = open_session or (lambda: DriverSession.open(settings))
        self._session: Session | None = None
        self._engine: Engine | None = None

    @classmethod
    def from_url(cls, url: URL) -> MssqlBackend:
        return cls(resolve(url))

    # -- the connection ---------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on the same settings, for streaming reads; made on first use."""
        if self._engine is None:
            try:
                self._engine = create_engine(
                    f"mssql+{self.settings.driver}://",
                    creator=lambda: connect_dbapi(self.settings, autocommit=False),
                    pool_pre_ping=True,
                )
            except ImportError as exc:
                raise ConnectionFailed(
                    f"cannot load the {self.settings.driver} driver: {redact(str(exc))}"
                ) from None
        return self._engine

    def session(self) -> Session:
        if self._session is None:
            self._session = self._open_session()
        return self._session

    def _run(self, statement: str, params: Sequence[Any] = (), what: str = "") -> list[Row]:
        """Run one batch; a driver error becomes a LoadError with secrets masked."""
        try:
            return self.session().execute(statement, params)
        except PropmailError:
            raise
        except Exception as exc:  # every driver error class: the message is all we keep
            detail = redact(str(exc))
            raise LoadError(f"{what or 'SQL Server'}: {type(exc).__name__}: {detail}") from None

    def _reconnect(self) -> None:
        """Drop the connection; the server rolls back whatever it still had in flight."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def test_connection(self) -> dict[str, Any]:
        """The guide's connection test: SELECT @@VERSION and an OPENJSON round trip."""
        version, product, database, compatibility = self._run(
            tsql.SERVER_INFO, what="connection test"
        )[0]
        probe = self._run(tsql.OPENJSON_PROBE, (tsql.OPENJSON_PROBE_PAYLOAD,), "OPENJSON test")
        info = {
            "server": self.display_url,
            "version": str(version).splitlines()[0],
            "product_version": str(product),
            "database": database,
            "compatibility_level": compatibility,
            "openjson": probe == [("test", 123)],
        }
        numbers = tuple(int(p) for p in str(product).split(".")[:3] if p.isdigit())
        if numbers < MIN_VERSION:
            raise LoadError(
                f"SQL Server {product} is older than 2016 SP1 (13.0.4001), "
                "which propmail's procedures need (CREATE OR ALTER, OPENJSON)"
            )
        if compatibility is not None and int(compatibility) < MIN_COMPATIBILITY:
            raise LoadError(
                f"database {database} has compatibility level {compatibility}; OPENJSON needs "
                f"{MIN_COMPATIBILITY}+ (ALTER DATABASE [{database}] SET COMPATIBILITY_LEVEL = 130)"
            )
        if not info["openjson"]:
            raise LoadError(f"OPENJSON round trip returned {probe!r}, expected [('test', 123)]")
        log.info("connected to %s: %s", self.display_url, info["version"])
        return info

    # -- schema and master data ---------------------------------------------------------------

    def create_schema(self) -> None:
        """Install (or update) the tables, unique keys, staging tables and procedures."""
        for name, batch in tsql.install_batches():
            self._run(batch, what=f"installing {name}")

    def has_schema(self) -> bool:
        missing = [r[0] for r in self._run(tsql.MISSING_OBJECTS, what="schema check")]
        if missing:
            log.info("not installed yet: %s", ", ".join(missing))
        return not missing

    def missing_indexes(self) -> list[str]:
        rows = self._run(tsql.MISSING_INDEXES, what="index check")
        return [f"{name} on Location({column})" for name, column in rows]

    def init(self, regions: dict[int, str | None], options: LoadOptions) -> list[str]:
        self.create_schema()
        new_list = options.new_list
        for region_id, name in regions.items():
            self._run(
                tsql.ENSURE_REGION,
                (region_id, name, new_list.frequency, new_list.divided_by),
                f"region {region_id}",
            )
        base = [{"Code": c.code, "IsAbsentee": c.is_absentee} for c in options.base_codes]
        rows = self._run(
            tsql.GET_OR_CREATE_CODES,
            (json.dumps(base), *self._new_list_params(new_list)),
            "base list codes",
        )
        return [code for code, _id, created in rows if created]

    def require_region(self, region_id: int) -> None:
        if not self._run(tsql.REGION_EXISTS, (region_id,), "region check")[0][0]:
            raise InputError(
                f"region {region_id} does not exist in {self.display_url}; "
                f"add it with: propmail db init --region {region_id}=NAME",
                option="--region",
            )

    def _new_list_params(self, new_list: NewListDefaults) -> tuple[int, ...]:
        return (
            new_list.priority_level,
            new_list.processing_order,
            new_list.is_absentee,
            new_list.frequency,
            new_list.divided_by,
            self.settings.lock_timeout_ms,
        )

    # -- UploadLog ------------------------------------------------------------------------------

    def _clock(self, now: datetime) -> datetime | None:
        """The timestamp to send: none with the server's clock (the default)."""
        return now if self.settings.clock == "client" else None

    def open_upload_log(self, region_id: int, file_name: str, now: datetime) -> int:
        rows = self._run(
            tsql.OPEN_UPLOAD_LOG, (region_id, file_name, self._clock(now)), "opening UploadLog"
        )
        return int(rows[0][0])

    def fail(self, log_id: int, message: str, now: datetime) -> None:
        self._run(
            tsql.FAIL_UPLOAD_LOG,
            (redact(message)[:4000], log_id),
            "UploadLog failure",
        )

    def identical(self, region_id: int, content: str, now: datetime) -> Identical | None:
        last = self._run(tsql.LAST_LOAD, (region_id,), "reading the last load")
        if not last or last[0][1] != content:
            return None
        log_id, last_hash, loaded_at, rows = last[0]
        later = self._run(tsql.CHANGES_SINCE, (region_id, log_id), "reading UploadLog")
        if not repeats(last_hash, loaded_at.date(), int(later[0][0]), content, now.date()):
            return None
        return Identical(int(log_id), int(rows or 0))

    def record_identical(
        self, log_id: int, region_id: int, same: Identical, content: str, now: datetime
    ) -> None:
        ended = self._clock(now)  # the job's clock, or the server's (the default)
        params = (same.rows, same.note, ended, log_id)  # the UPDATE, then the INSERT's
        params_content = (log_id, region_id, content, now, same.upload_log_id)
        self._run(
            tsql.RECORD_IDENTICAL, (*params, *params_content), "recording an identical upload"
        )

    def upload_log(self, log_id: int) -> dict[str, Any]:
        rows = self._run(tsql.UPLOAD_LOG_ROW, (log_id,), "reading UploadLog")
        if not rows:
            raise LoadError(f"UploadLog {log_id} does not exist")
        names = (
            "UploadLogId",
            "RegionId",
            "FileName",
            "ProcessingState",
            "RowsProcessed",
            "ProcessingStarted",
            "ProcessingEnded",
            "ErrorMessage",
        )
        return dict(zip(names, rows[0], strict=True))

    def regions(self) -> dict[int, str | None]:
        if not self.has_schema():
            return {}
        rows = self._run(tsql.REGIONS, what="reading regions")
        return {int(i): n for i, n in rows}

    def counts(self) -> dict[str, int]:
        row = self._run(tsql.TABLE_COUNTS, what="counting rows")[0]
        return {name: int(n) for name, n in zip(tsql.TABLES, row, strict=True)}

    # -- list codes and stored rows -----------------------------------------------------------

    def resolve_codes(
        self, codes: list[str], new_list: NewListDefaults
    ) -> tuple[dict[str, int], list[str]]:
        """Get-or-create one ListPriorityId per code in one call (PropmailGetOrCreateListCodes)."""
        wanted = sorted(set(codes))
        rows = self._run(
            tsql.GET_OR_CREATE_CODES,
            (json.dumps([{"Code": c} for c in wanted]), *self._new_list_params(new_list)),
            "list codes",
        )
        # the database's collation decides which spellings are one code (case-insensitive
        # by default), so every spelling asked for maps to the row the server returned
        by_key = {str(code).casefold(): int(i) for code, i, _created in rows}
        ids = {code: by_key[code.casefold()] for code in wanted}
        return ids, sorted(str(code) for code, _i, created in rows if created)

    # -- the load -----------------------------------------------------------------------------

    def load(self, log_id: int, batch: Batch, step: Step = no_step) -> LoadResult:
        """Stage in bounded chunks, then one EXEC merges the upload, all or nothing; what it
        was made of is kept once it committed (a loss there only means a rerun runs in full)."""
        result = self._merge(log_id, batch, step, dry_run=False)
        if batch.content is not None:
            params = (log_id, batch.region_id, batch.content, batch.now, None)
            self._run(tsql.RECORD_CONTENT, params, "recording the upload's content")
        return result

    def preview(self, batch: Batch, step: Step = no_step) -> Preview:
        """A dry run: the same merge, its counts and new codes, then everything rolled back.

        Staged under a negative key (this connection's session id), with no UploadLog row.
        The parity view (old code -> new code) is not computed on SQL Server yet.
        """
        key = -int(self._run(tsql.SESSION_ID, what="dry run")[0][0])
        result = self._merge(key, batch, step, dry_run=True)
        result.upload_log_id = None
        per_code = batch.rows_per_code()
        return Preview(
            counts=result,
            new_code_rows={code: per_code.get(code, 0) for code in result.new_codes},
            existing=result.rows_processed - result.locations_inserted,
        )

    def _merge(self, key: int, batch: Batch, step: Step, dry_run: bool) -> LoadResult:
        owner_rows = staging.owner_rows(batch.owners)
        location_rows = staging.location_rows(batch.locations)
        staging.check_text(owner_rows, OWNER_FIELDS, "owners")
        staging.check_text(location_rows, STAGE_LOCATION_FIELDS, "locations")
        clock = self._clock(batch.now)
        options = batch.options
        params: list[Any] = [key, batch.region_id, *([clock] if clock is not None else [])]
        # bound in the order of tsql.PROCESS_PARAMETERS
        params += [
            options.update_window_months,
            *self._new_list_params(options.new_list),
            int(dry_run),
        ]
        params += [int(options.journal), options.keep_loads_per_region]
        try:
            self._stage(key, owner_rows, location_rows, step)
            step("merging in SQL Server")
            rows = self._run(
                tsql.process_upload(clock is not None), params, "ProcessPythonEnhancedData"
            )
        except BaseException as raised:
            exc = as_stop(raised)  # a driver's error in a signal's stead is the stop
            message = redact(failure_message(exc))
            state = self._recover(key, message, record=not dry_run)
            if state == State.DONE:
                raise LoadError(
                    f"the load committed (UploadLog {key} is done) but its result "
                    f"was lost: {message}"
                ) from None
            if isinstance(exc, InputError) or not isinstance(exc, Exception):
                raise
            what = "dry run failed" if dry_run else "load failed and was rolled back"
            detail = str(exc) if isinstance(exc, PropmailError) else message
            raise LoadError(f"{what}: {detail}") from None
        return self._result(rows, key, batch.region_id)

    def _stage(self, key: int, owners: pl.DataFrame, locations: pl.DataFrame, step: Step) -> None:
        self._clear_stage(key)
        if self.settings.staging != "json":
            try:
                self._bulk_copy(key, owners, locations, step)
                self.staging = "bulk copy (arrow)"
                return
            except Exception as exc:
                if self.settings.staging == "bulk":
                    raise
                log.warning(
                    "bulk copy unavailable (%s); staging as JSON chunks instead",
                    redact(str(exc)),
                )
                self._clear_stage(key)
        self._stage_json(key, owners, locations, step)
        self.staging = "json"

    def _clear_stage(self, key: int) -> None:
        for statement in tsql.CLEAR_STAGE:
            self._run(statement, (key,), "clearing staging rows")

    def _bulk_copy(
        self, key: int, owners: pl.DataFrame, locations: pl.DataFrame, step: Step
    ) -> None:
        for table, frame in ((tsql.STAGE_OWNER, owners), (tsql.STAGE_LOCATION, locations)):
            step(f"bulk copy of {frame.height:,} rows into {table}")
            columns, batches = staging.arrow_batches(frame, key)
            try:
                copied = self.session().bulk_copy(table, columns, batches)
            except BulkCopyUnavailable:
                raise
            except Exception as exc:  # every driver error class: the message is all we keep
                raise LoadError(
                    f"bulk copy into {table}: {type(exc).__name__}: {redact(str(exc))}"
                ) from None
            log.info("bulk-copied %s rows into %s", f"{copied:,}", table)

    def _stage_json(
        self, key: int, owners: pl.DataFrame, locations: pl.DataFrame, step: Step
    ) -> None:
        cap = self.settings.chunk_bytes
        for label, frame, names in (
            ("owners", owners, staging.OWNER_JSON_NAMES),
            ("locations", locations, None),
        ):
            sent = chunks = largest = 0
            for payload in staging.json_payloads(frame, max_bytes=cap, names=names):
                owners_json, locations_json = (
                    (payload.text, None) if label == "owners" else (None, payload.text)
                )
                self._run(
                    tsql.STAGE_JSON,
                    (key, owners_json, locations_json, payload.first_row),
                    f"staging {label}",
                )
                sent += payload.rows
                chunks += 1
                largest = max(largest, len(payload.text))
                step(f"staging {label}: {sent:,} of {frame.height:,} rows")
            log.info(
                "staged %s %s in %d JSON chunk(s), largest %.1f MB",
                f"{sent:,}",
                label,
                chunks,
                2 * largest / 1e6,
            )

    def _recover(self, key: int, message: str, record: bool) -> int | None:
        """After a failure: a fresh connection clears the staging rows and, unless the
        procedure already did, records state 4. Returns the UploadLog state (None if unknown)."""
        self._reconnect()
        try:
            self._clear_stage(key)
            if not record:
                return None
            self.fail(key, message, datetime.now())
            return int(self.upload_log(key)["ProcessingState"])
        except Exception as exc:  # the original error matters more than this one
            log.warning(
                "could not record the failure in UploadLog %s: %s",
                key,
                redact(str(exc)),
            )
            return None

    def _result(self, rows: list[Row], key: int, region_id: int) -> LoadResult:
        if len(rows) != 1 or len(rows[0]) != len(tsql.PROCESS_RESULT):
            raise LoadError(
                f"ProcessPythonEnhancedData returned {rows!r}; expected one row of "
                f"{', '.join(tsql.PROCESS_RESULT)}"
            )
        row = dict(zip(tsql.PROCESS_RESULT, rows[0], strict=True))
        codes = json.loads(row["NewCodes"]) if row["NewCodes"] else []
        state = row["ProcessingState"]
        return LoadResult(
            upload_log_id=key,
            region_id=region_id,
            rows_processed=int(row["RowsProcessed"]),
            owners_inserted=int(row["OwnersInserted"]),
            owners_updated=int(row["OwnersUpdated"]),
            owners_unchanged=int(row["OwnersUnchanged"]),
            locations_inserted=int(row["LocationsInserted"]),
            locations_updated=int(row["LocationsUpdated"]),
            locations_unchanged=int(row["LocationsUnchanged"]),
            locations_frozen=int(row["LocationsFrozen"]),
            new_codes=sorted(c["Code"] for c in codes),
            processing_state=None if state is None else int(state),
            cells_kept=int(row["CellsKept"]),
        )

    @contextmanager
    def hold_region_lock(self, region_id: int) -> Iterator[None]:
        """The procedures' sp_getapplock on the region, held by a transaction of the engine's."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(tsql.HOLD_REGION_LOCK, (tsql.region_lock_resource(region_id),))
            yield

    # -- the load journal and undo ------------------------------------------------------------

    def undo(self, log_id: int, cascade: bool = False, dry_run: bool = False) -> list[Undone]:
        """Through dbo.PropmailUndoLoad, which refuses (naming them) while later loads wrote
        the same rows. With `cascade` those loads go first, newest first, each through the
        procedure, all inside one transaction (`tsql.UNDO_CASCADE_BEGIN`)."""
        if not cascade:
            return [self._undo_one(log_id, dry_run)]
        found = self._run(tsql.JOURNALED_REGION, (log_id,), "reading the journal")
        if not found:
            return [self._undo_one(log_id, dry_run)]  # the procedure says why it cannot
        loads = undo.order(
            log_id,
            int(found[0][0]),
            [(int(i), int(r)) for i, r in self._run(tsql.LATER_LOADS, (log_id,), "journal")],
            self._overlap,
            cascade=True,
        )
        self._run(tsql.UNDO_CASCADE_BEGIN, what="undo --cascade")
        try:
            # a dry run undoes for real inside the transaction, then rolls it all back
            undone = [self._undo_one(i, dry_run=False) for i, _region in loads]
            self._run(
                tsql.UNDO_CASCADE_ROLLBACK if dry_run else tsql.UNDO_CASCADE_COMMIT,
                what="undo --cascade",
            )
        except BaseException:
            self._reconnect()  # the server rolls back whatever the transaction still holds
            raise
        return undone

    def _overlap(self, earlier: int, later: int) -> int:
        params = (later, earlier, later, earlier)
        return int(self._run(tsql.JOURNAL_OVERLAP, params, "reading the journal")[0][0])

    def _undo_one(self, log_id: int, dry_run: bool) -> Undone:
        params = (log_id, self.settings.lock_timeout_ms, int(dry_run))
        try:
            rows = self._run(tsql.UNDO_LOAD, params, "PropmailUndoLoad")
        except LoadError as exc:
            refused = str(exc).partition(f"upload {log_id} cannot be undone")
            if refused[1]:
                raise InputError(refused[1] + refused[2]) from None
            raise
        row = dict(zip(tsql.UNDO_RESULT, rows[0], strict=True))
        return Undone(
            upload_log_id=int(row["UploadLogId"]),
            region_id=int(row["RegionId"]),
            owners_restored=int(row["OwnersRestored"]),
            owners_deleted=int(row["OwnersDeleted"]),
            locations_restored=int(row["LocationsRestored"]),
            locations_deleted=int(row["LocationsDeleted"]),
            frequencies_deleted=int(row["FrequenciesDeleted"]),
            codes_deleted=int(row["CodesDeleted"]),
        )

    def journaled_loads(self, region_id: int | None = None) -> list[JournaledLoad]:
        rows = self._run(tsql.JOURNALED_LOADS, (region_id, region_id), "reading the journal")
        return [JournaledLoad(*row) for row in rows]

    def prune_journal(self, keep: int) -> int:
        before = len(self.journaled_loads())
        for statement in tsql.PRUNE_JOURNAL:
            self._run(statement, (keep,), "pruning the journal")
        return before - len(self.journaled_loads())

    def dispose(self) -> None:
        self._reconnect()
        if self._engine is not None:
            self._engine.dispose()
