"""SQL text of the load journal and of undo, produced by pure functions (SQLite, PostgreSQL).

A load journals, inside its own transaction and before each merge, the rows that merge will
write, from the comparison of its kind tables (`record_owners`, `record_locations`): every
column of a row whose values it changes, only the two dates of a row it only refreshes
(Inserted = 2), the key of a row it inserts, and the list codes it creates. `propmail undo`
puts those rows back in the order the foreign keys allow: the inserted locations go, the
rewritten ones get their before-image, then the owners, then the owners and list codes it
created that nothing refers to any more. A later load that wrote the same rows is found through
its own journal (`overlap`); a row written since by a load that kept no journal is found by its
timestamp (`changed_since`). Named parameters: ``:log_id`` (the UploadLogId), ``:region``,
``:keep``.
"""

from __future__ import annotations

from propmail.db.schema import AUDIT_FIELDS, LOCATION_FIELDS, OWNER_FIELDS
from propmail.db.sql import (
    CHANGED,
    NEW,
    REFRESH_COLUMNS,
    REFRESHED,
    STAGE_LOCATION_KIND,
    STAGE_OWNER_KIND,
    WRITTEN,
    Dialect,
)

JOURNAL = "PropmailJournal"
OWNER = "PropmailJournalOwner"
LOCATION = "PropmailJournalLocation"
LIST = "PropmailJournalList"
ROWS = (OWNER, LOCATION, LIST)

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


def record_load(d: Dialect) -> str:
    return (
        f"INSERT INTO {d.q(JOURNAL)} ({d.q('UploadLogId')}, {d.q('RegionId')}, "
        f"{d.q('LoadedAt')}) VALUES (:log_id, :region, :now)"
    )


def _record(
    d: Dialect, journal: str, table: str, kind_table: str, lead: dict[str, str], image: list[str]
) -> str:
    """Before a merge, from its kind table `k`: the rows it will write, as they are now (the
    columns `lead`, then Inserted, then `image`); every column of a row it rewrites, the dates
    of a row it only refreshes, the key of a row it inserts."""
    key, kind = image[0], f"k.{d.q('Kind')}"
    how = (
        f"CASE {kind} WHEN {NEW} THEN {INSERTED} "
        f"WHEN {REFRESHED} THEN {REFRESH_ONLY} ELSE {UPDATED} END"
    )
    kept = {key, *REFRESH_COLUMNS}
    vals = ", ".join(
        f"t.{d.q(n)}" if n in kept else f"CASE WHEN {kind} = {CHANGED} THEN t.{d.q(n)} END"
        for n in image
    )
    cols = ", ".join(d.q(n) for n in [*lead, "Inserted", *image])
    firsts = ", ".join(lead.values())
    return (
        f"INSERT INTO {d.q(journal)} ({cols}) SELECT {firsts}, {how}, {vals} "
        f"FROM {kind_table} k LEFT JOIN {d.q(table)} t ON t.{d.q(key)} = k.{d.q(key)} "
        f"WHERE {kind} IN ({', '.join(str(k) for k in WRITTEN)})"
    )


def record_owners(d: Dialect) -> str:
    """Before the owner merge: the staged owners it will insert or write, as they are now."""
    image = [n for n in OWNER_IMAGE if n != "Slug"]
    lead = {"UploadLogId": ":log_id", "Slug": f"k.{d.q('Slug')}"}
    return _record(d, OWNER, "Owner", STAGE_OWNER_KIND, lead, image)


def record_locations(d: Dialect) -> str:
    """Before the location merge (owners and codes resolved): the rows it will write."""
    image = [n for n in LOCATION_IMAGE if n not in ("RegionId", "PrimaryId")]
    lead = {"UploadLogId": ":log_id", "RegionId": ":region", "PrimaryId": f"k.{d.q('PrimaryId')}"}
    return _record(d, LOCATION, "Location", STAGE_LOCATION_KIND, lead, image)


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
    """Drop the journal of the loads of :region older than the :keep newest."""
    return [
        f"DELETE FROM {d.q(t)} WHERE {d.q('UploadLogId')} IN ({_older_than_kept(d)})"
        for t in (*ROWS, JOURNAL)
    ]


def drop(d: Dialect) -> list[str]:
    """Drop the journal of the load :log_id."""
    return [f"DELETE FROM {d.q(t)} WHERE {d.q('UploadLogId')} = :log_id" for t in (*ROWS, JOURNAL)]


def loads(d: Dialect, by_region: bool = False) -> str:
    """The loads that can be undone (`by_region`: those of :region), newest first, with what
    their journal holds.

    Columns: UploadLogId, RegionId, LoadedAt, FileName, owners updated, owners inserted,
    locations updated, locations inserted, list codes created.
    """
    k = d.q("UploadLogId")

    def count(table: str, where: str = "") -> str:
        return f"(SELECT COUNT(*) FROM {d.q(table)} x WHERE x.{k} = j.{k}{where})"

    inserted = f" AND x.{d.q('Inserted')} = {INSERTED}"
    updated = f" AND x.{d.q('Inserted')} <> {INSERTED}"
    return (
        f"SELECT j.{k}, j.{d.q('RegionId')}, j.{d.q('LoadedAt')}, u.{d.q('FileName')}, "
        f"{count(OWNER, updated)}, {count(OWNER, inserted)}, "
        f"{count(LOCATION, updated)}, {count(LOCATION, inserted)}, {count(LIST)} "
        f"FROM {d.q(JOURNAL)} j LEFT JOIN {d.q('UploadLog')} u ON u.{k} = j.{k} "
        + (f"WHERE j.{d.q('RegionId')} = :region " if by_region else "")
        + f"ORDER BY j.{k} DESC"
    )


def overlap(d: Dialect) -> str:
    """How many rows journaled by load :log_id the later load :later journaled too."""
    k = d.q("UploadLogId")
    owners = (
        f"SELECT COUNT(*) FROM {d.q(OWNER)} a JOIN {d.q(OWNER)} b "
        f"ON b.{k} = :later AND b.{d.q('Slug')} = a.{d.q('Slug')} WHERE a.{k} = :log_id"
    )
    locations = (
        f"SELECT COUNT(*) FROM {d.q(LOCATION)} a JOIN {d.q(LOCATION)} b "
        f"ON b.{k} = :later AND b.{d.q('RegionId')} = a.{d.q('RegionId')} "
        f"AND b.{d.q('PrimaryId')} = a.{d.q('PrimaryId')} WHERE a.{k} = :log_id"
    )
    return f"SELECT ({owners}) + ({locations})"


def changed_since(d: Dialect) -> str:
    """Rows journaled by :log_id that were written after it (their UpdatedDate is later)."""
    k, upd = d.q("UploadLogId"), d.q("UpdatedDate")
    after = f"t.{upd} > j.{d.q('LoadedAt')}"

    def written(table: str, journal: str, match: str) -> str:
        return (
            f"SELECT COUNT(*) FROM {d.q(journal)} x JOIN {d.q(JOURNAL)} j ON j.{k} = x.{k} "
            f"JOIN {d.q(table)} t ON {match} WHERE x.{k} = :log_id AND {after}"
        )

    owners = written("Owner", OWNER, f"t.{d.q('Slug')} = x.{d.q('Slug')}")
    locations = written(
        "Location",
        LOCATION,
        f"t.{d.q('RegionId')} = x.{d.q('RegionId')} "
        f"AND t.{d.q('PrimaryId')} = x.{d.q('PrimaryId')}",
    )
    return f"SELECT ({owners}) + ({locations})"


def _journaled(d: Dialect, journal: str, inserted: int, match: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {d.q(journal)} x WHERE x.{d.q('UploadLogId')} = :log_id "
        f"AND x.{d.q('Inserted')} = {inserted} AND {match})"
    )


def _restore(d: Dialect, table: str, journal: str, key: str, names: list[str]) -> str:
    """Put back the before-image of every row the load rewrote; of a row it only refreshed,
    the two dates (its other columns were not written and are not journaled)."""
    t = f"{d.q(table)}"

    def value(n: str) -> str:
        if n in REFRESH_COLUMNS:
            return f"x.{d.q(n)}"
        only_dates = f"x.{d.q('Inserted')} = {REFRESH_ONLY}"
        return f"CASE WHEN {only_dates} THEN {t}.{d.q(n)} ELSE x.{d.q(n)} END"

    sets = ", ".join(f"{d.q(n)} = {value(n)}" for n in names)
    return (
        f"UPDATE {t} SET {sets} FROM {d.q(journal)} x "
        f"WHERE x.{d.q('UploadLogId')} = :log_id AND x.{d.q('Inserted')} <> {INSERTED} "
        f"AND {t}.{d.q(key)} = x.{d.q(key)}"
    )


def _unreferenced(d: Dialect, column: str, referring: str) -> str:
    """`column` is not the value of `referring` in any Location (NOT IN: a hash, not a scan
    per row, where Location has no index on `referring`)."""
    return (
        f"{column} NOT IN (SELECT {d.q(referring)} FROM {d.q('Location')} "
        f"WHERE {d.q(referring)} IS NOT NULL)"
    )


def undo_steps(d: Dialect) -> list[tuple[str, str]]:
    """The statements that put back the rows of load :log_id, in order, each with what its
    row count counts."""
    loc, own = d.q("Location"), d.q("Owner")
    code_ids = (
        f"SELECT x.{d.q('ListPriorityId')} FROM {d.q(LIST)} x "
        f"WHERE x.{d.q('UploadLogId')} = :log_id"
    )
    list_id, owner_id = d.q("ListPriorityId"), f"{own}.{d.q('OwnerId')}"
    return [
        (
            "locations_deleted",
            f"DELETE FROM {loc} WHERE "
            + _journaled(
                d,
                LOCATION,
                1,
                f"x.{d.q('RegionId')} = {loc}.{d.q('RegionId')} "
                f"AND x.{d.q('PrimaryId')} = {loc}.{d.q('PrimaryId')}",
            ),
        ),
        ("locations_restored", _restore(d, "Location", LOCATION, "LocationId", LOCATION_RESTORED)),
        ("owners_restored", _restore(d, "Owner", OWNER, "OwnerId", OWNER_RESTORED)),
        (
            "owners_deleted",
            f"DELETE FROM {own} WHERE "
            + _journaled(d, OWNER, 1, f"x.{d.q('Slug')} = {own}.{d.q('Slug')}")
            + f" AND {_unreferenced(d, owner_id, 'OwnerId')}",
        ),
        (
            "frequencies_deleted",
            f"DELETE FROM {d.q('RegionListFrequency')} WHERE {d.q('ListId')} IN ({code_ids}) "
            f"AND {_unreferenced(d, d.q('ListId'), 'ListPriorityId')}",
        ),
        (
            "codes_deleted",
            f"DELETE FROM {d.q('ListPriority')} WHERE {list_id} IN ({code_ids}) "
            f"AND {_unreferenced(d, list_id, 'ListPriorityId')} "
            f"AND {list_id} NOT IN (SELECT {d.q('ListId')} FROM {d.q('RegionListFrequency')})",
        ),
    ]
