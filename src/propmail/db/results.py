"""The values that cross the database seam: one upload to load, and what loading it did.

A `Batch` is what every backend loads or previews; a `LoadResult` is what a load did (or a dry
run would do); a `Preview` is the dry run's diff, with one `CodeChange` per old -> new code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from propmail.contract import KEEP_STORED
from propmail.db.options import LoadOptions
from propmail.db.schema import STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS


@dataclass(frozen=True)
class Batch:
    """One upload for one region, as the pipeline produced it, with the load's settings and
    its clock."""

    region_id: int
    owners: pl.DataFrame
    locations: pl.DataFrame
    options: LoadOptions
    now: datetime
    content: str | None = None  # what it was made of (`Inputs.content_hash`), kept with its load

    def owner_rows(self) -> pl.DataFrame:
        """The owners' staged columns, in the upload's order."""
        return self.owners.select([f.name for f in STAGE_OWNER_FIELDS])

    def staged_owners(self) -> pl.DataFrame:
        """The owners as they are staged (`in_slug_order`)."""
        return in_slug_order(self.owner_rows())

    def staged_locations(self) -> pl.DataFrame:
        """The locations as they are staged: in the upload's order, in which new rows get
        their LocationIds (sorted by parcel id or by owner, they loaded no faster)."""
        return self.locations.select([f.name for f in STAGE_LOCATION_FIELDS])

    def has_unread_cells(self) -> bool:
        """Whether a location has a cell the file could not read (`KEEP_STORED`; an owner has
        one only where one of its locations has)."""
        keep = self.locations.get_column(KEEP_STORED, default=None)
        return keep is not None and keep.null_count() < keep.len()

    def rows_per_code(self) -> dict[str, int]:
        """How many locations carry each list code."""
        counted = self.locations.group_by("PriorityCode").len().iter_rows()
        return {code: int(n) for code, n in counted}


@dataclass(frozen=True)
class Identical:
    """The region's last load, which an upload repeats: nothing is to be loaded."""

    upload_log_id: int
    rows: int  # the rows it loaded (UploadLog.RowsProcessed)

    @property
    def note(self) -> str:
        """What the repeat's UploadLog row says of it."""
        return f"identical to upload {self.upload_log_id}: nothing loaded"


def in_slug_order(owners: pl.DataFrame) -> pl.DataFrame:
    """Owners in the order of their slugs (byte by byte), the order of the Owner table's key,
    so that comparing them with the stored owners walks its index instead of jumping about it."""
    return owners.sort("Slug")


@dataclass(frozen=True)
class CodeMove:
    """Locations a load inserted (`new`) or rewrote, per pair of list codes before and after,
    and how many of them got another owner (`sold`): the load's changes, counted from its
    kind table (`propmail changes` reads the whole of them from the journal)."""

    new: bool
    old_code: str | None
    new_code: str | None
    locations: int
    sold: int


@dataclass
class LoadResult:
    """What one load did (or, for a dry run, would do)."""

    upload_log_id: int | None
    region_id: int
    rows_processed: int = 0
    owners_inserted: int = 0
    owners_updated: int = 0
    owners_unchanged: int = 0
    locations_inserted: int = 0
    locations_updated: int = 0
    locations_unchanged: int = 0
    locations_frozen: int = 0
    new_codes: list[str] = field(default_factory=list)
    processing_state: int | None = None
    # cells the file could not read whose stored owner or location keeps its value there
    cells_kept: int = 0
    # the load's changes by pair of codes (None: the backend does not count them, SQL Server);
    # not among the counts a load and its dry run are compared by
    moves: list[CodeMove] | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The counts (without `moves`)."""
        counts = asdict(self)
        del counts["moves"]
        return counts


@dataclass
class CodeChange:
    """Existing locations whose list code this upload changes from `old_code` to `new_code`."""

    old_code: str | None
    new_code: str
    locations: int
    frozen: int  # of those, outside the update window: the load leaves them as they are
    examples: list[str] = field(default_factory=list)  # parcel ids (PrimaryId)

    @property
    def changing(self) -> int:
        return self.locations - self.frozen


@dataclass
class Preview:
    """The dry run's diff against the database."""

    counts: LoadResult  # what the load would report; upload_log_id is None
    new_code_rows: dict[str, int]  # list code not in the database -> locations carrying it
    existing: int  # locations of the upload the database already has (this region)
    parity: list[CodeChange] = field(default_factory=list)

    @property
    def code_changes(self) -> int:
        """Existing locations whose stored list code differs from the new one."""
        return sum(c.locations for c in self.parity)

    @property
    def same_code(self) -> int:
        return self.existing - self.code_changes


def code_changes(rows: list[Any]) -> list[CodeChange]:
    """Rows of (old_code, new_code, locations, frozen, example) -> one CodeChange per pair,
    largest first."""
    pairs: dict[tuple[str | None, str], CodeChange] = {}
    for old_code, new_code, locations, frozen, example in rows:
        change = pairs.setdefault(
            (old_code, new_code), CodeChange(old_code, new_code, int(locations), int(frozen))
        )
        change.examples.append(example)
    for change in pairs.values():
        change.examples.sort()
    return sorted(pairs.values(), key=lambda c: (-c.locations, c.old_code or "", c.new_code))


@dataclass
class Undone:
    """What undoing one load put back (or, for a dry run, would put back)."""

    upload_log_id: int
    region_id: int
    owners_restored: int = 0
    owners_deleted: int = 0
    locations_restored: int = 0
    locations_deleted: int = 0
    frequencies_deleted: int = 0
    codes_deleted: int = 0


@dataclass(frozen=True)
class JournaledLoad:
    """A load whose journal is kept, so that it can be undone, and what the journal holds."""

    upload_log_id: int
    region_id: int
    loaded_at: Any
    file_name: str | None
    owners_updated: int
    owners_inserted: int
    locations_updated: int
    locations_inserted: int
    codes_created: int
