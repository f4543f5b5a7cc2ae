"""An upload compared with its region's stored rows in polars, before anything is staged.

A backend that reads its stored rows as Arrow (PostgreSQL, through ADBC) stages only what the
load may write. The kinds are those of `sql.owner_kinds` and `sql.location_kinds`, worked out
the same way from the same stored values (see `propmail.db.sql`): new, changed, refreshed
(the same values, not written today), unchanged (the same values, written today already) and
frozen (a location last written before the update window).

SQL keeps the last word on every row it is given:
- a row found changed, or new, is staged and compared again there;
- an owner this comparison cannot place (none of the region's locations names it) is staged
  and compared there;
- a row with a cell the file could not read is staged: SQL puts the stored value in that cell
  and counts it (`sql.keep_stored`), then compares the row;
- only the rows found the same are left out of staging. Of those, the locations only
  refreshed are handed to the load by key (`Compared.refreshed`), as their kind rows, and so
  are the owners only refreshed where the backend's owner merge takes them by key
  (`Compared.owners_refreshed`); the unchanged and frozen ones are counted and left alone.

A value found equal here is equal in SQL: both sides are compared in the stored column's type,
null-safely; a false "differs" (a value read back in another form) costs only the row's staging.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl

from propmail.contract import KEEP_STORED
from propmail.db import sql
from propmail.db.schema import REFRESH_FIELDS

# The stored row's columns, as `sql.stored_region` names them: a location's own under "l.", its
# owner's under "o.", its list code and owner's slug under "stored.".
LOCATION_ID, OWNER_ID, PRIMARY_ID, SLUG = "LocationId", "OwnerId", "PrimaryId", "Slug"
STORED_CODE, STORED_SLUG = "stored.Code", "stored.Slug"
DATES = ("InsertedDate", *REFRESH_FIELDS)
KIND = "Kind"
# the locations the load never stages: refreshed ones are handed over by key, the rest counted
LOCATIONS_COUNTED = (sql.UNCHANGED, sql.FROZEN)
LOCATIONS_LEFT_OUT = (sql.REFRESHED, *LOCATIONS_COUNTED)


@dataclass(frozen=True)
class Moments:
    """The load's clock as the comparison needs it (those of `SqlBackend.load_params`)."""

    day_start: datetime  # a row written at or after it was written today
    cutoff: datetime  # a location last written before it is frozen


@dataclass
class Compared:
    """The comparison's outcome: what to stage, and what to count without staging."""

    owners: pl.DataFrame  # the staged owners to stage (all but those left out)
    locations: pl.DataFrame  # the staged locations to stage (new or changed)
    refreshed: pl.DataFrame  # the kind rows (`sql.LOCATION_KIND_FIELDS`) of locations refreshed
    # the kind rows (`sql.OWNER_KIND_FIELDS`) of owners refreshed, where the backend leaves
    # them out of staging (REFRESHED among its `owners_left_out`)
    owners_refreshed: pl.DataFrame
    owners_left: dict[int, int] = field(default_factory=dict)  # owners not staged, per kind
    locations_left: dict[int, int] = field(default_factory=dict)  # not staged nor refreshed


def stored_columns() -> list[tuple[str, str, str]]:
    """(alias, table alias, column) of every column `sql.stored_region` reads: l = Location,
    o = Owner, lp = ListPriority."""
    columns = [
        (LOCATION_ID, "l", LOCATION_ID),
        (PRIMARY_ID, "l", PRIMARY_ID),
        (STORED_CODE, "lp", "Code"),
        (OWNER_ID, "o", OWNER_ID),
        (STORED_SLUG, "o", SLUG),
    ]
    columns += [(f"l.{n}", "l", n) for n in (*sql.LOCATION_DATA, *DATES)]
    columns += [(f"o.{n}", "o", n) for n in (*sql.OWNER_DATA, *DATES)]
    return columns


def _same(staged: str, stored: str, types: dict[str, pl.DataType]) -> pl.Expr:
    """Null-safe equality of a staged column with a stored one, in the stored column's type."""
    return pl.col(staged).cast(types[stored]).eq_missing(pl.col(stored))


def _kind(same: list[pl.Expr], prefix: str, moments: Moments, window: bool) -> pl.Expr:
    """The kind of each joined row, its stored dates under `prefix`: as `sql._kind`, with the
    update window (frozen rows) where `window` (locations)."""
    inserted, updated = pl.col(f"{prefix}InsertedDate"), pl.col(f"{prefix}UpdatedDate")
    touched = pl.coalesce(updated, inserted)
    refresh = touched.is_null() | (touched < moments.day_start)
    kind = (
        pl.when(~pl.all_horizontal(same))
        .then(sql.CHANGED)
        .when(refresh)
        .then(sql.REFRESHED)
        .otherwise(sql.UNCHANGED)
    )
    if not window:
        return kind
    recent = [(written >= moments.cutoff).fill_null(False) for written in (inserted, updated)]
    return pl.when(~(recent[0] | recent[1])).then(sql.FROZEN).otherwise(kind)


ROW = "_row"  # a staged row's index: what the comparison keeps of it, not its key's text


@dataclass(frozen=True)
class Keys:
    """A staged frame's keys as sorted 64-bit hashes, with each key's row in the frame: a
    stored batch finds its staged rows by binary search over integers, with no hash table over
    the upload built again for every batch. A found row's key is then compared itself, so two
    keys that share a hash never match each other (the one not found is staged)."""

    keys: pl.Series  # the frame's key column, in the frame's order
    hashes: pl.Series  # sorted
    rows: pl.Series  # the frame's row of each of `hashes`

    @classmethod
    def of(cls, frame: pl.DataFrame, key: str) -> Keys:
        hashed = frame.select(
            pl.col(key).hash(),
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
        ).sort(key)
        return cls(frame[key], hashed[key], hashed[ROW])

    def find(self, wanted: pl.Series) -> tuple[pl.Series, pl.Series]:
        """(found, row): whether each `wanted` key is staged, and the staged row of those that
        are (none where nothing is staged)."""
        if self.keys.is_empty():
            return pl.Series([False] * wanted.len()), self.rows
        hashes = wanted.hash()
        at = self.hashes.search_sorted(hashes).clip(0, max(self.hashes.len() - 1, 0))
        rows = self.rows.gather(at)
        found = (self.hashes.gather(at) == hashes) & (self.keys.gather(rows) == wanted)
        found = found.fill_null(False)
        return found, rows.filter(found)


def _joined(stored: pl.DataFrame, key: str, staged: pl.DataFrame, keys: Keys) -> pl.DataFrame:
    """The stored rows whose `key` is staged, beside their staged rows (and `ROW`)."""
    found, rows = keys.find(stored[key])
    return stored.filter(found).hstack(staged.drop(key).gather(rows)).with_columns(rows.alias(ROW))


def location_kinds(
    staged: pl.DataFrame, keys: Keys, stored: pl.DataFrame, moments: Moments
) -> pl.DataFrame:
    """The stored locations that `staged` names, with their kinds: the staged row (`ROW`),
    LocationId, Kind and the stored row's two refresh dates."""
    joined = _joined(stored, PRIMARY_ID, staged, keys)
    types = dict(joined.schema)
    same = [_same(n, f"l.{n}", types) for n in sql.LOCATION_DATA]
    same += [_same("OwnerSlug", STORED_SLUG, types), _same("PriorityCode", STORED_CODE, types)]
    return joined.select(
        ROW,
        LOCATION_ID,
        _kind(same, "l.", moments, window=True).cast(pl.Int64).alias(KIND),
        *(pl.col(f"l.{n}").alias(n) for n in REFRESH_FIELDS),
    )


def owner_kinds(
    staged: pl.DataFrame, keys: Keys, stored: pl.DataFrame, moments: Moments
) -> pl.DataFrame:
    """The stored owners that `staged` names, with their kinds: the staged row (`ROW`),
    OwnerId, Kind and the stored owner's two refresh dates; an owner of several locations is
    there once for each, alike."""
    owners = stored.filter(pl.col(OWNER_ID).is_not_null()).rename({STORED_SLUG: SLUG})
    joined = _joined(owners, SLUG, staged, keys)
    types = dict(joined.schema)
    same = [_same(n, f"o.{n}", types) for n in sql.OWNER_DATA]
    return joined.select(
        ROW,
        OWNER_ID,
        _kind(same, "o.", moments, window=False).cast(pl.Int64).alias(KIND),
        *(pl.col(f"o.{n}").alias(n) for n in REFRESH_FIELDS),
    )


class Found:
    """The kinds found for the rows of one staged frame, filled batch by batch: arrays as long
    as the frame, allocated once (many small frames kept across the batches would pin memory
    that the batches' own work frees)."""

    def __init__(self, rows: int, id_name: str) -> None:
        self.id_name = id_name  # the stored row's id: OwnerId, LocationId
        self.kind = np.full(rows, -1, dtype=np.int8)  # -1: no stored row found
        self.id = np.zeros(rows, dtype=np.int64)
        never = np.datetime64("NaT")
        self.dates = {n: np.full(rows, never, "datetime64[us]") for n in REFRESH_FIELDS}

    def put(self, kinds: pl.DataFrame) -> None:
        """Take the kinds of one stored batch (`location_kinds`, `owner_kinds`)."""
        rows = kinds[ROW].to_numpy()
        self.kind[rows] = kinds[KIND].to_numpy()
        self.id[rows] = kinds[self.id_name].to_numpy()
        for name, values in self.dates.items():
            values[rows] = kinds[name].cast(pl.Datetime("us")).to_numpy()

    def unplaced(self, frame: pl.DataFrame) -> None:
        """Leave the rows of `frame` with a cell the file could not read to SQL: staged, they
        take the stored value there (`sql.keep_stored`) and are counted, then compared."""
        unread = frame.get_column(KEEP_STORED, default=None)
        if unread is not None and unread.null_count() < unread.len():
            self.kind[unread.is_not_null().to_numpy()] = -1

    def of_kind(self, wanted: tuple[int, ...]) -> np.ndarray:
        return np.isin(self.kind, wanted)

    def counts(self, wanted: tuple[int, ...]) -> dict[int, int]:
        return {k: int(np.count_nonzero(self.kind == k)) for k in wanted}

    def rows(self, key: pl.Series, where: np.ndarray) -> pl.DataFrame:
        """The kind rows (key, id, Kind, the two dates) of the staged rows `where`."""
        return pl.DataFrame(
            [
                key.filter(pl.Series(where)),
                pl.Series(self.id_name, self.id[where]),
                pl.Series(KIND, self.kind[where].astype(np.int64)),
                *(pl.Series(n, v[where]) for n, v in self.dates.items()),
            ]
        )


def _without(frame: pl.DataFrame, left_out: np.ndarray) -> pl.DataFrame:
    """`frame` without the rows `left_out` marks (itself where it marks none)."""
    if not left_out.any():
        return frame
    return frame.filter(pl.Series(~left_out))


def compare(
    owners: pl.DataFrame,
    locations: pl.DataFrame,
    stored: Iterable[pl.DataFrame],
    moments: Moments,
    owners_left_out: tuple[int, ...],
) -> Compared:
    """Compare the staged `owners` and `locations` with the region's `stored` rows (batches
    of `stored_columns`): the rows to stage, the refreshed locations' kind rows, and the
    counts of what is left out. `owners_left_out`: the owner kinds the backend does not stage
    (it writes the others through its upsert); the refreshed ones among them are handed over
    by key (`Compared.owners_refreshed`), the others counted."""
    found_owners = Found(owners.height, OWNER_ID)
    found_locations = Found(locations.height, LOCATION_ID)
    keys: tuple[Keys, Keys] | None = None  # built at the first stored row (none in month 1)
    for part in stored:
        if part.is_empty():
            continue
        keys = keys or (Keys.of(owners, SLUG), Keys.of(locations, PRIMARY_ID))
        owner_keys, location_keys = keys
        found_locations.put(location_kinds(locations, location_keys, part, moments))
        found_owners.put(owner_kinds(owners, owner_keys, part, moments))
    found_owners.unplaced(owners)
    found_locations.unplaced(locations)
    refreshed = found_locations.kind == sql.REFRESHED
    owners_refreshed = (found_owners.kind == sql.REFRESHED) & (sql.REFRESHED in owners_left_out)
    owners_counted = tuple(k for k in owners_left_out if k != sql.REFRESHED)
    return Compared(
        owners=_without(owners, found_owners.of_kind(owners_left_out)),
        locations=_without(locations, found_locations.of_kind(LOCATIONS_LEFT_OUT)),
        refreshed=found_locations.rows(locations[PRIMARY_ID], refreshed),
        owners_refreshed=found_owners.rows(owners[SLUG], owners_refreshed),
        owners_left=found_owners.counts(owners_counted),
        locations_left=found_locations.counts(LOCATIONS_COUNTED),
    )
