"""The database seam: what a load, a dry run and an undo ask of a database (`Backend`), and
what administering one asks (`Admin`); `Database` is both, as `propmail.db.connect` returns it.

`propmail.db.plan.SqlBackend` implements them with generated SQL (SQLite, PostgreSQL);
`propmail.db.mssql.MssqlBackend` through the procedures it installs on SQL Server. What a
backend can do is one `Capabilities` value. Every backend's password is remembered by
`propmail.redact` as the backend is made, so no message about it can show the password.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, final

import polars as pl
from sqlalchemy import Connection, Engine, Select

from propmail import redact
from propmail.db import changes, stored
from propmail.db.ledger import Ledger
from propmail.db.options import LoadOptions, NewListDefaults
from propmail.db.results import Batch, Identical, JournaledLoad, LoadResult, Preview, Undone
from propmail.db.sql.load import UNCHANGED
from propmail.progress import Step, no_step


@dataclass(frozen=True)
class Capabilities:
    """What a backend does, said once; the shared steps read it instead of asking the class."""

    name: str  # the database as messages name it
    # a load compares the upload with the region's stored rows before staging (read as Arrow)
    compares_first: bool = False
    # where it compares first: the owner kinds it does not stage, as its owner merge writes
    # every other kind (REFRESHED among them: its merge takes those by key)
    owners_left_out: tuple[int, ...] = (UNCHANGED,)
    # The UploadLog states a load commits apart, seen by other connections, and only once it
    # holds its region's lock: a row of the region left in one of them, seen by the next
    # holder, is a dead load. None: the states are part of the load's own transaction.
    states_under_lock: tuple[int, ...] = ()
    # run before a state is written apart from the load's transaction (a bound on the wait)
    state_guard: str | None = None
    # Owners are shared by every region and loads of two regions run at once: every owner a
    # load writes goes through one upsert in slug order, counted from the rows it wrote.
    # Without it (one writer at a time) the owners only refreshed get their dates by key.
    shared_owners: bool = False
    # the journal's key tables are stored in key order (rows written in it are appended)
    clustered_journal: bool = True
    # the journal keeps inserted and refreshed rows in the narrow key tables (SQL Server
    # journals every row in the wide ones)
    journal_key_tables: bool = True
    ledger: type[Ledger] = Ledger  # the batch ledger's table on this database


class Backend(ABC):
    """What a load, a dry run and an undo ask of a database."""

    capabilities: Capabilities
    # how the last load or dry run staged the upload's rows (the summary shows it)
    staging: str | None = None
    # what the last load staged after comparing the upload with the stored rows first (None:
    # it staged every row and compared in SQL)
    compared: str | None = None
    # the database file of an embedded database (None: a server)
    file: Path | None = None

    def __init__(self, display_url: str, passwords: Iterable[str | None] = ()) -> None:
        for password in passwords:
            if password:
                redact.remember_secret(password)
        self.display_url = redact.redact(display_url)  # password masked, in the query too

    def exists(self) -> bool:
        """Whether the database is there at all; asking must not create it (connecting would
        create a missing file)."""
        return self.file is None or self.file.is_file()

    @property
    def where(self) -> str:
        """The database as a message names it (a file's absolute path, else the URL)."""
        if self.file is not None:
            return f"the {self.capabilities.name} file {self.file}"
        return self.display_url

    @abstractmethod
    def has_schema(self) -> bool:
        """Whether propmail's tables are all there."""

    @abstractmethod
    def require_region(self, region_id: int) -> None:
        """Raise InputError (naming the command that adds it) if the region does not exist."""

    @abstractmethod
    def open_upload_log(self, region_id: int, file_name: str, now: datetime) -> int:
        """Record that an upload was received; returns its UploadLogId."""

    @abstractmethod
    def fail(self, log_id: int, message: str, now: datetime) -> None:
        """Record that load `log_id` failed (state 4) with `message`, committed at once."""

    @abstractmethod
    def identical(self, region_id: int, content: str, now: datetime) -> Identical | None:
        """The region's last load, when an upload of `content` (`Inputs.content_hash`) at
        `now` repeats it: the same content, the same day, and no load or undo of the region
        since (`upload_log.repeats`); else None."""

    @abstractmethod
    def record_identical(
        self, log_id: int, region_id: int, same: Identical, content: str, now: datetime
    ) -> None:
        """Upload `log_id` repeats load `same`: UploadLog done (state 3) with its rows and
        the note "identical to upload N", nothing loaded; committed at once."""

    @abstractmethod
    def load(self, log_id: int, batch: Batch, step: Step = no_step) -> LoadResult:
        """Merge one upload, all or nothing; `step` is called with the name of each stage.
        What it was made of (`Batch.content`) is kept with it, for `identical`."""

    @abstractmethod
    def preview(self, batch: Batch, step: Step = no_step) -> Preview:
        """What `load` would do, and nothing written (the dry run)."""

    @abstractmethod
    def undo(self, log_id: int, cascade: bool = False, dry_run: bool = False) -> list[Undone]:
        """Put back every row load `log_id` wrote, in one transaction under the region lock;
        with `cascade` the later loads that wrote the same rows go first, newest first.
        Returns what each load undone put back (`dry_run`: would put back; nothing written).
        A load that cannot be undone raises InputError saying why (naming the later loads)."""

    @abstractmethod
    def dispose(self) -> None:
        """Close every connection this backend holds."""


class Admin(ABC):
    """What administering a database asks of it: its schema, regions, list codes, counts, the
    journal kept, the rows stored (parity, verify, explain), the batch ledger."""

    @property
    @abstractmethod
    def engine(self) -> Engine:
        """A SQLAlchemy engine on the database, for reads and the batch ledger."""

    @abstractmethod
    def test_connection(self) -> dict[str, Any]:
        """Connect once and report the server; raises if the database cannot be used."""

    @abstractmethod
    def create_schema(self) -> None:
        """Create (or complete) propmail's tables; safe to repeat."""

    @abstractmethod
    def missing_indexes(self) -> list[str]:
        """The indexes under Location's foreign keys (`schema.FOREIGN_KEY_INDEXES`) that an
        existing Location lacks, each as "IX_Location_OwnerId on Location(OwnerId)" (none
        before Location exists); `create_schema` adds them."""

    @abstractmethod
    def init(self, regions: dict[int, str | None], options: LoadOptions) -> list[str]:
        """Create the schema, the regions given and the base list codes; returns codes created."""

    @abstractmethod
    def regions(self) -> dict[int, str | None]:
        """RegionId -> Name of the regions stored (none before the schema exists)."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Rows per propmail table."""

    @abstractmethod
    def resolve_codes(
        self, codes: list[str], new_list: NewListDefaults
    ) -> tuple[dict[str, int], list[str]]:
        """Get-or-create one ListPriorityId per code, in one transaction; returns (ids, created)."""

    @abstractmethod
    def upload_log(self, log_id: int) -> dict[str, Any]:
        """One UploadLog row by column name."""

    @abstractmethod
    def journaled_loads(self, region_id: int | None = None) -> list[JournaledLoad]:
        """The loads that can still be undone, newest first."""

    @abstractmethod
    def prune_journal(self, keep: int) -> int:
        """Keep the journal of the newest `keep` loads per region; returns loads dropped."""

    @abstractmethod
    def hold_region_lock(self, region_id: int) -> AbstractContextManager[None]:
        """Hold, on a connection of its own, the lock a load of `region_id` takes, until the
        block ends; nothing is written (`propmail selftest` proves that loads wait for it)."""

    def read_arrow(self, query: Select[Any]) -> pl.DataFrame | None:
        """`query`'s rows as one frame read as Arrow, where the backend has a driver for it
        (the columns as the driver types them); None: read it through SQLAlchemy."""
        return None

    # -- shared steps --------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Engine | Connection]:
        """What a table read through once is read on (an engine: a connection of its own)."""
        yield self.engine

    @final
    def read_rows(
        self, table: str, columns: dict[str, pl.DataType], batch_rows: int
    ) -> Iterator[pl.DataFrame]:
        """A stored table's `columns`, in key order, `batch_rows` at a time."""
        with self.reading() as bind:
            yield from stored.stream_rows(bind, table, columns, batch_rows)

    @final
    def read_region(self, region_id: int, batch_rows: int) -> Iterator[pl.DataFrame]:
        """A region's locations with their owner's columns (`propmail.db.stored.region_columns`),
        in LocationId order, `batch_rows` at a time."""
        with self.reading() as bind:
            yield from stored.stream_region(bind, region_id, batch_rows)

    @final
    def read_parcel(self, parcel: str) -> pl.DataFrame:
        """The stored locations of one parcel id, one per region, as `read_region` gives them."""
        return stored.read_parcel(self.engine, parcel)


class Database(Backend, Admin):
    """A database propmail loads into and administers: what `propmail.db.connect` returns."""

    @final
    def read_changes(
        self, region_id: int, load: int | None = None, since: int | None = None
    ) -> changes.ChangeRows:
        """What the loads `since`..`load` of a region changed, from the journal and the stored
        rows (`propmail.db.changes`); read-only."""
        key_tables = self.capabilities.journal_key_tables
        return changes.read(self.engine, region_id, load, since, key_tables)

    @final
    @property
    def ledger(self) -> Ledger:
        """The batch ledger's table on this database (`propmail.batch.ledger`)."""
        return self.capabilities.ledger(self.engine)
