"""A database reached through SQLAlchemy (SQLite, PostgreSQL): its connections, transactions and
region lock, its administration, UploadLog and undo; `propmail.db.plan.SqlBackend` adds the load
and its dry run.

A backend supplies its `Dialect` (how it spells a statement), its `Capabilities` and the bulk
staging (`stage`), and where it has one a staging ahead of the transaction (`stage_ahead`).
Administration, UploadLog and the journal run the functions of `propmail.db.admin`,
`propmail.db.upload_log` and `propmail.db.journaling`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from propmail import redact
from propmail.db import admin, journaling, schema, sql, undo, upload_log
from propmail.db.backend import Capabilities, Database
from propmail.db.options import LoadOptions, NewListDefaults
from propmail.db.results import Batch, Identical, JournaledLoad, Undone
from propmail.db.schema import STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS, Field
from propmail.db.sql.admin import probe
from propmail.db.sql.dialect import Dialect
from propmail.errors import DatabaseUnavailable
from propmail.progress import Step, no_step

Staged = tuple[str, tuple[Field, ...], pl.DataFrame]  # a staging table: name, columns, rows
# The tables to stage ahead, made only by a backend that stages ahead (making them sorts the
# owners, which a backend that stages in the transaction does for the rows it stages only).
Tables = Callable[[], list[Staged]]
# a connection's `info` key: the staging tables `stage_ahead` wrote for it
STAGED_AHEAD = "propmail_staged_ahead"


def no_tables() -> list[Staged]:
    return []


def upload_tables(batch: Batch | None) -> Tables:
    """The staging tables of an upload's owners and locations (none without a batch)."""
    if batch is None:
        return no_tables
    return lambda: [
        (sql.STAGE_OWNER, STAGE_OWNER_FIELDS, batch.staged_owners()),
        (sql.STAGE_LOCATION, STAGE_LOCATION_FIELDS, batch.staged_locations()),
    ]


def staged_ahead(conn: Connection) -> set[str]:
    """The staging tables written for `conn` ahead of its transaction (`stage` skips them)."""
    return conn.info.get(STAGED_AHEAD, set())


class SqlDatabase(Database):
    """A database propmail reaches through SQLAlchemy and the SQL of `propmail.db.sql`."""

    dialect: Dialect = Dialect()
    capabilities = Capabilities("SQL")

    def __init__(self, engine: Engine, display_url: str, file: Path | None = None) -> None:
        redact.remember(engine.url)  # a driver's error may echo the URL or DSN
        super().__init__(display_url)
        self._engine = engine
        self.file = file
        event.listen(engine, "handle_error", self._unreachable)

    def _unreachable(self, context: ExceptionContext) -> None:
        """A failure to connect, whichever command meets it first: DatabaseUnavailable (exit
        status 4), not a driver error reported as unexpected."""
        if context.connection is None and isinstance(context.sqlalchemy_exception, DBAPIError):
            reason = " ".join(str(context.original_exception).split())
            raise DatabaseUnavailable(
                f"cannot use the database {self.display_url}: {redact.redact(reason)}"
            ) from None

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- what differs per backend ---------------------------------------------------------

    @abstractmethod
    def stage(
        self, conn: Connection, name: str, fields: tuple[Field, ...], frame: pl.DataFrame
    ) -> None:
        """Bulk-load `frame` (columns = `fields`) into a new temporary table `name`."""

    def stage_ahead(
        self, conn: Connection, tables: Tables, step: Step = no_step
    ) -> AbstractContextManager[None]:
        """Stage `tables` for `conn` before its transaction begins, where the backend
        bulk-loads outside a transaction, naming them in `staged_ahead(conn)`; `stage` then
        finds them there. Nothing by default: `stage` loads them in the transaction."""
        return nullcontext()

    # -- the connection -----------------------------------------------------------------------

    @contextmanager
    def transaction(self, tables: Tables = no_tables, step: Step = no_step) -> Iterator[Connection]:
        """A connection inside a write transaction (`tables` staged ahead of it), committed on
        success, rolled back on error."""
        with (
            self.engine.connect() as conn,
            self.stage_ahead(conn, tables, step),
            conn.begin(),
        ):
            for statement in self.dialect.transaction_setup():
                conn.exec_driver_sql(statement)
            yield conn

    @contextmanager
    def rolled_back(self, batch: Batch | None = None) -> Iterator[Connection]:
        """A connection in a transaction that is rolled back whatever happens."""
        with self.engine.connect() as conn, self.stage_ahead(conn, upload_tables(batch)):
            try:
                yield conn
            finally:
                conn.rollback()

    def lock_region(self, conn: Connection, region_id: int) -> None:
        """Make two loads of the same region wait for each other (held until commit)."""
        statement = self.dialect.lock_region()
        if statement is not None:
            conn.execute(text(statement), {"region": region_id})

    def analyze(self, conn: Connection, name: str) -> None:
        """Give the planner the size of a temporary table just filled (where it needs it)."""
        statement = self.dialect.analyze(name)
        if statement is not None:
            conn.exec_driver_sql(statement)

    def timestamp(self, moment: datetime) -> Any:
        return self.dialect.timestamp(moment)

    @contextmanager
    def hold_region_lock(self, region_id: int) -> Iterator[None]:
        with self.transaction() as conn:
            self.lock_region(conn, region_id)
            yield

    def dispose(self) -> None:
        self.engine.dispose()

    # -- administration -------------------------------------------------------------------------

    def test_connection(self) -> dict[str, Any]:
        try:
            with self.engine.connect() as conn:
                conn.execute(probe())
                version = conn.dialect.server_version_info
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"cannot connect to {self.display_url}: {exc.args[0]}"
            ) from None
        return {"server": self.display_url, "version": ".".join(str(p) for p in version or ())}

    def has_schema(self) -> bool:
        names = set(inspect(self.engine).get_table_names())
        tables = (*schema.TABLES, *schema.JOURNAL_TABLES, *schema.OWN_TABLES)
        return all(t.name in names for t in tables)

    def create_schema(self) -> None:
        if self.file is not None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        schema.metadata.create_all(self.engine)
        admin.add_indexes(self.engine)

    def missing_indexes(self) -> list[str]:
        if not self.exists():
            return []
        return [admin.described(ix) for ix in admin.missing_indexes(self.engine)]

    def init(self, regions: dict[int, str | None], options: LoadOptions) -> list[str]:
        self.create_schema()
        with self.transaction() as conn:
            return admin.init(conn, self.dialect, regions, options)

    def regions(self) -> dict[int, str | None]:
        if not self.exists() or not self.has_schema():
            return {}
        return admin.regions(self.engine)

    def counts(self) -> dict[str, int]:
        return admin.counts(self.engine)

    def require_region(self, region_id: int) -> None:
        admin.require_region(self.engine, region_id, self.display_url)

    def resolve_codes(
        self, codes: list[str], new_list: NewListDefaults
    ) -> tuple[dict[str, int], list[str]]:
        with self.transaction() as conn:
            return admin.create_codes(conn, self.dialect, self.stage, codes, new_list)

    def table_bytes(self, tables: list[str]) -> int:
        """The space `tables` (and their indexes) take in the database."""
        with self.engine.connect() as conn:
            return int(conn.execute(text(self.dialect.table_bytes(tables))).scalar_one())

    def journaled_loads(self, region_id: int | None = None) -> list[JournaledLoad]:
        if not self.has_schema():
            return []
        return journaling.loads(self.engine, self.dialect, region_id)

    def prune_journal(self, keep: int) -> int:
        with self.transaction() as conn:
            return journaling.prune(conn, self.dialect, keep)

    def undo(self, log_id: int, cascade: bool = False, dry_run: bool = False) -> list[Undone]:
        d = self.dialect
        with self.rolled_back() if dry_run else self.transaction() as conn:
            self.lock_region(conn, undo.region_of(conn, log_id))
            order = undo.plan(conn, d, log_id, cascade)
            for region_id in sorted({r for _, r in order}):
                self.lock_region(conn, region_id)
            return [undo.undo_one(conn, d, i, r) for i, r in order]

    # -- UploadLog ------------------------------------------------------------------------------

    def open_upload_log(self, region_id: int, file_name: str, now: datetime) -> int:
        return upload_log.received(self.engine, region_id, file_name, now)

    def upload_log(self, log_id: int) -> dict[str, Any]:
        return upload_log.row(self.engine, log_id)

    def fail(self, log_id: int, message: str, now: datetime) -> None:
        upload_log.failed(self.engine, log_id, message, now)

    def identical(self, region_id: int, content: str, now: datetime) -> Identical | None:
        return upload_log.identical(self.engine, region_id, content, now)

    def record_identical(
        self, log_id: int, region_id: int, same: Identical, content: str, now: datetime
    ) -> None:
        upload_log.record_identical(self.engine, log_id, region_id, same, content, now)

    def set_state(self, log_id: int, state: int, conn: Connection | None = None) -> None:
        """Write a processing state: committed apart where other connections are to see it
        (`Capabilities.states_under_lock`), else inside the load's transaction `conn`."""
        under_lock = self.capabilities.states_under_lock
        if conn is None or under_lock:
            upload_log.state_apart(self.engine, log_id, state, self.capabilities.state_guard)
        else:
            upload_log.state_within(conn, log_id, state)
