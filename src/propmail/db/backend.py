"""The database seam: what the job, the library API and the command line ask of a database.

`propmail.db.plan.SqlBackend` implements it with generated SQL (SQLite, PostgreSQL);
`propmail.db.mssql.MssqlBackend` through the procedures it installs on SQL Server. Every
backend's password is remembered by `propmail.redact` as the backend is made, so no message
about it can show the password.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import polars as pl

from propmail import redact
from propmail.db.results import Batch, JournaledLoad, LoadResult, Preview, Undone
from propmail.progress import Step, no_step
from propmail.settings import NewList, Rules


class Backend(ABC):
    """A database propmail loads into."""

    # how the last load or dry run staged the upload's rows (the summary shows it)
    staging: str | None = None
    # what the last load staged after comparing the upload with the stored rows first (None:
    # it staged every row and compared in SQL)
    compared: str | None = None

    def __init__(self, display_url: str, passwords: Iterable[str | None] = ()) -> None:
        for password in passwords:
            if password:
                redact.remember_secret(password)
        self.display_url = redact.redact(display_url)  # password masked, in the query too

    # -- the connection and the schema ------------------------------------------------------

    @abstractmethod
    def test_connection(self) -> dict[str, Any]:
        """Connect once and report the server; raises if the database cannot be used."""

    def exists(self) -> bool:
        """Whether the database is there at all; asking must not create it."""
        return True

    @property
    def where(self) -> str:
        """The database as a message names it (a file's absolute path, else the URL)."""
        return self.display_url

    @abstractmethod
    def has_schema(self) -> bool:
        """Whether propmail's tables are all there."""

    @abstractmethod
    def create_schema(self) -> None:
        """Create (or complete) propmail's tables; safe to repeat."""

    @abstractmethod
    def init(self, regions: dict[int, str | None], rules: Rules) -> list[str]:
        """Create the schema, the regions given and the base list codes; returns codes created."""

    @abstractmethod
    def regions(self) -> dict[int, str | None]:
        """RegionId -> Name of the regions stored (none before the schema exists)."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Rows per propmail table."""

    @abstractmethod
    def dispose(self) -> None:
        """Close every connection this backend holds."""

    # -- master data ------------------------------------------------------------------------

    @abstractmethod
    def require_region(self, region_id: int) -> None:
        """Raise InputError (naming the command that adds it) if the region does not exist."""

    @abstractmethod
    def resolve_codes(
        self, codes: list[str], new_list: NewList
    ) -> tuple[dict[str, int], list[str]]:
        """Get-or-create one ListPriorityId per code, in one transaction; returns (ids, created)."""

    @abstractmethod
    def read_rows(
        self, table: str, columns: dict[str, pl.DataType], batch_rows: int
    ) -> Iterator[pl.DataFrame]:
        """A stored table's `columns`, in key order, `batch_rows` at a time."""

    @abstractmethod
    def read_region(self, region_id: int, batch_rows: int) -> Iterator[pl.DataFrame]:
        """A region's locations with their owner's columns (`propmail.db.stored.region_columns`),
        in LocationId order, `batch_rows` at a time."""

    @abstractmethod
    def read_parcel(self, parcel: str) -> pl.DataFrame:
        """The stored locations of one parcel id, one per region, as `read_region` gives them."""

    # -- UploadLog and the load -------------------------------------------------------------

    @abstractmethod
    def open_upload_log(self, region_id: int, file_name: str, now: datetime) -> int:
        """Record that an upload was received; returns its UploadLogId."""

    @abstractmethod
    def upload_log(self, log_id: int) -> dict[str, Any]:
        """One UploadLog row by column name."""

    @abstractmethod
    def fail(self, log_id: int, message: str, now: datetime) -> None:
        """Record that load `log_id` failed (state 4) with `message`, committed at once."""

    @abstractmethod
    def load(self, log_id: int, batch: Batch, step: Step = no_step) -> LoadResult:
        """Merge one upload, all or nothing; `step` is called with the name of each stage."""

    @abstractmethod
    def preview(self, batch: Batch, step: Step = no_step) -> Preview:
        """What `load` would do, and nothing written (the dry run)."""

    @abstractmethod
    def hold_region_lock(self, region_id: int) -> AbstractContextManager[None]:
        """Hold, on a connection of its own, the lock a load of `region_id` takes, until the
        block ends; nothing is written (`propmail selftest` proves that loads wait for it)."""

    # -- the load journal and undo ------------------------------------------------------------

    @abstractmethod
    def undo(self, log_id: int, cascade: bool = False, dry_run: bool = False) -> list[Undone]:
        """Put back every row load `log_id` wrote, in one transaction under the region lock;
        with `cascade` the later loads that wrote the same rows go first, newest first.
        Returns what each load undone put back (`dry_run`: would put back; nothing written).
        A load that cannot be undone raises InputError saying why (naming the later loads)."""

    @abstractmethod
    def journaled_loads(self, region_id: int | None = None) -> list[JournaledLoad]:
        """The loads that can still be undone, newest first."""

    @abstractmethod
    def prune_journal(self, keep: int) -> int:
        """Keep the journal of the newest `keep` loads per region; returns loads dropped."""
