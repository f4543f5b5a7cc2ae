"""SQL text of the load journal and of undo, produced by pure functions (SQLite, PostgreSQL).

A load journals, inside its own transaction and before each merge, the rows that merge will
write, from the comparison of its kind tables (`record_owners`, `record_locations`): every
column of a row whose values it changes (the wide tables, Inserted = 0), the key of a row it
inserts (Inserted = 1) and the two dates of a row it only refreshes (Inserted = 2), these two in
the narrow key tables, and the list codes it creates. `propmail undo` puts those rows back in
the order the foreign keys allow: the inserted locations go, the rewritten ones get their
before-image and the refreshed ones their dates, then the owners, then the owners and list codes
it created that nothing refers to any more. A later load that wrote the same rows is found
through its own journal (`overlap`); a row written since by a load that kept no journal is found
by its timestamp (`changed_since`). Journals of earlier versions hold rows of every kind in the
wide tables; each statement reads both tables. Named parameters: ``:log_id`` (the UploadLogId),
``:region``, ``:keep``.
"""

from __future__ import annotations

from dataclasses import dataclass

from propmail.db.schema import AUDIT_FIELDS, LOCATION_FIELDS, OWNER_FIELDS, REFRESH_FIELDS
from propmail.db.sql.dialect import Dialect
from propmail.db.sql.load import (
    CHANGED,
    NEW,
    REFRESHED,
    STAGE_LOCATION_KIND,
    STAGE_OWNER_KIND,
)

JOURNAL = "PropmailJournal"
OWNER = "PropmailJournalOwner"
LOCATION = "PropmailJournalLocation"
OWNER_KEY = "PropmailJournalOwnerKey"
LOCATION_KEY = "PropmailJournalLocationKey"
LIST = "PropmailJournalList"
ROWS = (OWNER, OWNER_KEY, LOCATION, LOCATION_KEY, LIST)

OWNER_IMAGE = ["OwnerId", *(f.name for f in OWNER_FIELDS), *AUDIT_FIELDS]
LOCATION_IMAGE = [
    "LocationId",
    "RegionId",
    "OwnerId",
    "ListPriorityId",
    *(f.name for f in LOCATION_FIELDS),
    *AUDIT_FIELDS,
]
OWNER_RESTORED = [n for n in OWNER_IMAGE if n not in ("OwnerId", "Slug")]
LOCATION_RESTORED = [n for n in LOCATION_IMAGE if n not in ("LocationId", "RegionId", "PrimaryId")]

# The journal's Inserted column: how the load wrote the row, so what undo puts back.
UPDATED = 0  # every column rewritten: the whole before-image is kept
INSERTED = 1  # inserted: only the key is kept
REFRESH_ONLY = 2  # only its dates refreshed: only those two before the load are kept


@dataclass(frozen=True)
class Journaled:
    """One journaled table: where its rows go and how they are named."""

    table: str  # Owner, Location
    wide: str  # every column of the rows a load rewrote
    narrow: str  # the key (and id and dates) of the rows a load inserted or only refreshed
    kind_table: str  # the load's comparison of its staged rows with the stored ones
    key: tuple[str, ...]  # the natural key, by which the journal names a row
    id: str  # the stored row's id
    image: tuple[str, ...]  # the wide table's columns after the key and Inserted
    restored: tuple[str, ...]  # the columns undo puts back

    def match(self, d: Dialect, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{d.q(n)} = {right}.{d.q(n)}" for n in self.key)

    def keys(self, d: Dialect, log_id: str) -> str:
        """The natural keys of every row the load `log_id` (a parameter) journaled."""
        cols = d.columns(self.key)
        return " UNION ALL ".join(
            f"SELECT {cols} FROM {d.q(t)} WHERE {d.q('UploadLogId')} = {log_id}"
            for t in (self.wide, self.narrow)
        )


OWNERS = Journaled(
    "Owner",
    OWNER,
    OWNER_KEY,
    STAGE_OWNER_KIND,
    ("Slug",),
    "OwnerId",
    tuple(n for n in OWNER_IMAGE if n != "Slug"),
    tuple(OWNER_RESTORED),
)
LOCATIONS = Journaled(
    "Location",
    LOCATION,
    LOCATION_KEY,
    STAGE_LOCATION_KIND,
    ("RegionId", "PrimaryId"),
    "LocationId",
    tuple(n for n in LOCATION_IMAGE if n not in ("RegionId", "PrimaryId")),
    tuple(LOCATION_RESTORED),
)


def record_load(d: Dialect) -> str:
    return (
        f"INSERT INTO {d.q(JOURNAL)} ({d.q('UploadLogId')}, {d.q('RegionId')}, "
        f"{d.q('LoadedAt')}) VALUES (:log_id, :region, :now)"
    )


def _record(d: Dialect, e: Journaled, ordered: bool) -> list[str]:
    """Before a merge, from its kind table `k`: the rows it will write, as they are now (the
    load, the natural key, Inserted, then the rest). Of a row it inserts, the key; of a row it
    only refreshes, its id and two dates, which the comparison kept in `k`; of a row it
    rewrites, every column, from the stored row. A location's region, first in its key, is the
    load's (:region), its other key columns the staged row's. `ordered`: the narrow rows are
    written in key order, for a database that stores the key tables in that order (SQLite:
    WITHOUT ROWID), where they are then appended."""
    kind = f"k.{d.q('Kind')}"
    staged = [f"k.{d.q(n)}" for n in e.key if n != "RegionId"]
    firsts = ", ".join([":log_id", *([":region"] if "RegionId" in e.key else []), *staged])
    lead = ["UploadLogId", *e.key, "Inserted"]
    narrow = [e.id, *REFRESH_FIELDS]
    how = f"CASE {kind} WHEN {NEW} THEN {INSERTED} ELSE {REFRESH_ONLY} END"
    order = f" ORDER BY {', '.join(staged)}" if ordered else ""
    return [
        f"INSERT INTO {d.q(e.narrow)} ({d.columns([*lead, *narrow])}) "
        f"SELECT {firsts}, {how}, {', '.join(f'k.{d.q(n)}' for n in narrow)} "
        f"FROM {e.kind_table} k WHERE {kind} IN ({NEW}, {REFRESHED}){order}",
        f"INSERT INTO {d.q(e.wide)} ({d.columns([*lead, *e.image])}) "
        f"SELECT {firsts}, {UPDATED}, {', '.join(f't.{d.q(n)}' for n in e.image)} "
        f"FROM {e.kind_table} k JOIN {d.q(e.table)} t ON t.{d.q(e.id)} = k.{d.q(e.id)} "
        f"WHERE {kind} = {CHANGED}",
    ]


def record_owners(d: Dialect, ordered: bool = True) -> list[str]:
    """Before the owner merge: the staged owners it will insert or write, as they are now."""
    return _record(d, OWNERS, ordered)


def record_locations(d: Dialect, ordered: bool = True) -> list[str]:
    """Before the location merge (owners and codes resolved): the rows it will write."""
    return _record(d, LOCATIONS, ordered)


def record_list(d: Dialect) -> str:
    return (
        f"INSERT INTO {d.q(LIST)} ({d.q('UploadLogId')}, {d.q('ListPriorityId')}) "
        "VALUES (:log_id, :list_id)"
    )


def _older_than_kept(d: Dialect) -> str:
    """The journaled loads of :region that have :keep or more journaled loads after them."""
    j, k = d.q(JOURNAL), d.q("UploadLogId")
    return (
        f"SELECT a.{k} FROM {j} a WHERE a.{d.q('RegionId')} = :region AND "
        f"(SELECT COUNT(*) FROM {j} b WHERE b.{d.q('RegionId')} = a.{d.q('RegionId')} "
        f"AND b.{k} > a.{k}) >= :keep"
    )


def prune(d: Dialect) -> list[str]:
    """Drop the journal of the loads of :region older than the :keep newest, and the location
    rows kept of undone loads (`drop_undone`) older than the oldest load it keeps."""
    k, region = d.q("UploadLogId"), d.q("RegionId")
    oldest = f"(SELECT MIN({k}) FROM {d.q(JOURNAL)} WHERE {region} = :region)"
    undone = (
        f"{region} = :region AND ABS({k}) NOT IN (SELECT {k} FROM {d.q(JOURNAL)}) "
        f"AND ABS({k}) < {oldest}"
    )
    kept_owners = f"SELECT {k} FROM {d.q(LOCATION)} WHERE {k} < 0"
    return [
        *(f"DELETE FROM {d.q(t)} WHERE {k} IN ({_older_than_kept(d)})" for t in (*ROWS, JOURNAL)),
        *(f"DELETE FROM {d.q(t)} WHERE {undone}" for t in (LOCATION, LOCATION_KEY)),
        f"DELETE FROM {d.q(OWNER)} WHERE {k} < 0 AND {k} NOT IN ({kept_owners})",
    ]


def drop(d: Dialect) -> list[str]:
    """Drop the journal of the load :log_id (and the images its undo kept, under -:log_id)."""
    k = d.q("UploadLogId")
    return [
        f"DELETE FROM {d.q(t)} WHERE {k} = :log_id"
        + (f" OR {k} = -:log_id" if t in (LOCATION, OWNER) else "")
        for t in (*ROWS, JOURNAL)
    ]


def keep_after_images(d: Dialect) -> list[str]:
    """Before an undo puts back the load :log_id: the locations it inserted or rewrote, as they
    are now (as the load left them), in the wide table under -:log_id, so that `propmail
    changes` can still read what the load changed once it is undone."""
    e = LOCATIONS
    k, ins = d.q("UploadLogId"), d.q("Inserted")
    keys = (
        f"SELECT {d.q('RegionId')}, {d.q('PrimaryId')} FROM {d.q(e.wide)} "
        f"WHERE {k} = :log_id AND {ins} <> {REFRESH_ONLY} UNION ALL "
        f"SELECT {d.q('RegionId')}, {d.q('PrimaryId')} FROM {d.q(e.narrow)} "
        f"WHERE {k} = :log_id AND {ins} = {INSERTED}"
    )
    lead = ["UploadLogId", *e.key, "Inserted"]
    o = OWNERS
    owner_id = d.q("OwnerId")
    return [
        f"INSERT INTO {d.q(e.wide)} ({d.columns([*lead, *e.image])}) "
        f"SELECT -:log_id, t.{d.q('RegionId')}, t.{d.q('PrimaryId')}, {UPDATED}, "
        f"{', '.join(f't.{d.q(n)}' for n in e.image)} "
        f"FROM {d.q(e.table)} t JOIN ({keys}) x ON {e.match(d, 't', 'x')}",
        # and their owners, which the undo may delete
        f"INSERT INTO {d.q(o.wide)} ({d.columns(['UploadLogId', *o.key, 'Inserted', *o.image])}) "
        f"SELECT -:log_id, t.{d.q('Slug')}, {UPDATED}, "
        f"{', '.join(f't.{d.q(n)}' for n in o.image)} FROM {d.q(o.table)} t "
        f"WHERE t.{owner_id} IN (SELECT {owner_id} FROM {d.q(e.wide)} "
        f"WHERE {k} = -:log_id AND {owner_id} IS NOT NULL)",
    ]


def drop_undone(d: Dialect) -> list[str]:
    """After an undo of the load :log_id: its journal, but for its locations' rows (read with
    the images `keep_after_images` kept by `propmail changes`; pruned by `prune`)."""
    kept = (LOCATION, LOCATION_KEY)
    return [
        f"DELETE FROM {d.q(t)} WHERE {d.q('UploadLogId')} = :log_id"
        for t in (*ROWS, JOURNAL)
        if t not in kept
    ]


def loads(d: Dialect, by_region: bool = False) -> str:
    """The loads that can be undone (`by_region`: those of :region), newest first, with what
    their journal holds.

    Columns: UploadLogId, RegionId, LoadedAt, FileName, owners updated, owners inserted,
    locations updated, locations inserted, list codes created.
    """
    k = d.q("UploadLogId")

    def count(table: str, where: str = "") -> str:
        return f"(SELECT COUNT(*) FROM {d.q(table)} x WHERE x.{k} = j.{k}{where})"

    def both(e: Journaled, inserted: bool) -> str:
        where = f" AND x.{d.q('Inserted')} {'=' if inserted else '<>'} {INSERTED}"
        return f"{count(e.wide, where)} + {count(e.narrow, where)}"

    return (
        f"SELECT j.{k}, j.{d.q('RegionId')}, j.{d.q('LoadedAt')}, u.{d.q('FileName')}, "
        f"{both(OWNERS, False)}, {both(OWNERS, True)}, "
        f"{both(LOCATIONS, False)}, {both(LOCATIONS, True)}, {count(LIST)} "
        f"FROM {d.q(JOURNAL)} j LEFT JOIN {d.q('UploadLog')} u ON u.{k} = j.{k} "
        + (f"WHERE j.{d.q('RegionId')} = :region " if by_region else "")
        + f"ORDER BY j.{k} DESC"
    )


def overlap(d: Dialect) -> str:
    """How many rows journaled by load :log_id the later load :later journaled too."""
    counts = [
        f"SELECT COUNT(*) FROM ({e.keys(d, ':log_id')}) a "
        f"JOIN ({e.keys(d, ':later')}) b ON {e.match(d, 'b', 'a')}"
        for e in (OWNERS, LOCATIONS)
    ]
    return f"SELECT ({counts[0]}) + ({counts[1]})"


def changed_since(d: Dialect) -> str:
    """Rows journaled by :log_id that were written after it (their UpdatedDate is later)."""
    loaded = f"(SELECT {d.q('LoadedAt')} FROM {d.q(JOURNAL)} WHERE {d.q('UploadLogId')} = :log_id)"
    counts = [
        f"SELECT COUNT(*) FROM ({e.keys(d, ':log_id')}) x JOIN {d.q(e.table)} t "
        f"ON {e.match(d, 't', 'x')} WHERE t.{d.q('UpdatedDate')} > {loaded}"
        for e in (OWNERS, LOCATIONS)
    ]
    return f"SELECT ({counts[0]}) + ({counts[1]})"


def _inserted(d: Dialect, e: Journaled) -> str:
    """The stored row is one the load :log_id inserted: its id is among those of the journaled
    keys joined with the table (a join the planner hashes or looks up by key, not an EXISTS
    over both journal tables per stored row)."""
    t = d.q(e.table)
    keys = " UNION ALL ".join(
        f"SELECT {d.columns(e.key)} FROM {d.q(j)} WHERE {d.q('UploadLogId')} = :log_id "
        f"AND {d.q('Inserted')} = {INSERTED}"
        for j in (e.wide, e.narrow)
    )
    return (
        f"{t}.{d.q(e.id)} IN (SELECT s.{d.q(e.id)} FROM ({keys}) x "
        f"JOIN {t} s ON {e.match(d, 's', 'x')})"
    )


def _restore(d: Dialect, e: Journaled) -> list[str]:
    """Put back the before-image of every row the load rewrote; of a row it only refreshed,
    the two dates (its other columns were not written and are not journaled)."""
    t = d.q(e.table)

    def value(n: str) -> str:
        if n in REFRESH_FIELDS:
            return f"x.{d.q(n)}"
        only_dates = f"x.{d.q('Inserted')} = {REFRESH_ONLY}"  # in journals of earlier versions
        return f"CASE WHEN {only_dates} THEN {t}.{d.q(n)} ELSE x.{d.q(n)} END"

    def update(journal: str, names: tuple[str, ...], which: str) -> str:
        sets = ", ".join(f"{d.q(n)} = {value(n)}" for n in names)
        where = (
            f"x.{d.q('UploadLogId')} = :log_id AND x.{d.q('Inserted')} {which} "
            f"AND {t}.{d.q(e.id)} = x.{d.q(e.id)}"
        )
        return d.update_from(t, sets, d.q(journal), "x", where)

    return [
        update(e.wide, e.restored, f"<> {INSERTED}"),
        update(e.narrow, REFRESH_FIELDS, f"= {REFRESH_ONLY}"),
    ]


def _unreferenced(d: Dialect, column: str, referring: str) -> str:
    """`column` is not the value of `referring` in any Location: one probe of the index under
    `referring` per row (`schema.FOREIGN_KEY_INDEXES`, which the foreign key's own check
    needs too), not a scan of Location."""
    return f"NOT EXISTS (SELECT 1 FROM {d.q('Location')} r WHERE r.{d.q(referring)} = {column})"


def undo_steps(d: Dialect) -> list[tuple[str, str]]:
    """The statements that put back the rows of load :log_id, in order, each with what its
    row count counts (a count named twice is the sum)."""
    loc, own = d.q("Location"), d.q("Owner")
    code_ids = (
        f"SELECT x.{d.q('ListPriorityId')} FROM {d.q(LIST)} x "
        f"WHERE x.{d.q('UploadLogId')} = :log_id"
    )
    freq, codes = d.q("RegionListFrequency"), d.q("ListPriority")
    code_id, owner_id = f"{codes}.{d.q('ListPriorityId')}", f"{own}.{d.q('OwnerId')}"
    list_id = f"{freq}.{d.q('ListId')}"
    return [
        ("locations_deleted", f"DELETE FROM {loc} WHERE {_inserted(d, LOCATIONS)}"),
        *(("locations_restored", s) for s in _restore(d, LOCATIONS)),
        *(("owners_restored", s) for s in _restore(d, OWNERS)),
        (
            "owners_deleted",
            f"DELETE FROM {own} WHERE ({_inserted(d, OWNERS)}) "
            f"AND {_unreferenced(d, owner_id, 'OwnerId')}",
        ),
        (
            "frequencies_deleted",
            f"DELETE FROM {freq} WHERE {list_id} IN ({code_ids}) "
            f"AND {_unreferenced(d, list_id, 'ListPriorityId')}",
        ),
        (
            "codes_deleted",
            f"DELETE FROM {codes} WHERE {code_id} IN ({code_ids}) "
            f"AND {_unreferenced(d, code_id, 'ListPriorityId')} "
            f"AND {code_id} NOT IN (SELECT {d.q('ListId')} FROM {freq})",
        ),
    ]
