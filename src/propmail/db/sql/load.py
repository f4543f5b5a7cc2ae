"""The SQL text of a load, produced by pure functions and run by a backend.

Every statement is built from the shapes of a `Dialect` (`propmail.db.sql.dialect`): the
upsert, the temporary tables, the counts of what an upsert wrote. Named parameters (``:now``)
are bound by SQLAlchemy.
"""

from __future__ import annotations

from propmail.contract import KEEP_STORED, LOCATION, OWNER, kept
from propmail.db.schema import (
    INT,
    LOCATION_FIELDS,
    OWNER_FIELDS,
    REFRESH_FIELDS,
    TEXT,
    TIMESTAMP,
    Field,
)
from propmail.db.sql.dialect import Dialect

STAGE_OWNER = "stage_owner"
STAGE_LOCATION = "stage_location"
STAGE_CODE = "stage_code"
STAGE_OWNER_KIND = "stage_owner_kind"
STAGE_LOCATION_KIND = "stage_location_kind"
# the temporary tables of a load, dropped at its end
STAGE_TABLES = (STAGE_OWNER, STAGE_LOCATION, STAGE_OWNER_KIND, STAGE_LOCATION_KIND)
MAX_EXAMPLES = 5  # parcel ids the parity view shows per old code -> new code


def create_stage_table(d: Dialect, name: str, fields: tuple[Field, ...]) -> str:
    return d.create_temp_table(name, ((f.name, f.kind) for f in fields))


def drop_stage_table(name: str, d: Dialect) -> str:
    """Drop the temporary table `name` (a table of that name elsewhere is left alone)."""
    return d.drop_temp_table(name)


def _changed(d: Dialect, target: str, source: str, names: list[str]) -> str:
    return " OR ".join(d.distinct(f"{target}.{d.q(n)}", f"{source}.{d.q(n)}") for n in names)


def _refresh(d: Dialect, target: str) -> str:
    """A row not yet touched on the day of this load is refreshed even if nothing changed.

    The legacy MERGE rewrites every matched row and sets UpdatedDate, which keeps rows that
    keep arriving inside the update window; within one day a re-run writes nothing.
    """
    touched = f"COALESCE({target}.{d.q('UpdatedDate')}, {target}.{d.q('InsertedDate')})"
    return f"{touched} IS NULL OR {touched} < :day_start"


def in_window(d: Dialect, target: str) -> str:
    """Inserted or updated since :cutoff; never NULL, so NOT of it is meaningful too."""
    # The window belongs in the update's WHERE (WHEN MATCHED AND), never in the match
    # condition: there an old row would look new and its insert would fail on the key.
    ins, upd = (f"{target}.{d.q(c)}" for c in ("InsertedDate", "UpdatedDate"))
    return f"(({ins} IS NOT NULL AND {ins} >= :cutoff) OR ({upd} IS NOT NULL AND {upd} >= :cutoff))"


OWNER_NAMES = [f.name for f in OWNER_FIELDS]
OWNER_DATA = [n for n in OWNER_NAMES if n != "Slug"]
LOCATION_DATA = [f.name for f in LOCATION_FIELDS if f.name != "PrimaryId"]
LOCATION_KEYED = ["OwnerId", "ListPriorityId", *LOCATION_DATA]


# What a load does with each staged row, decided once by comparing it with its stored row
# (`owner_kinds`, `location_kinds`): the counts, the journal and the writes all follow from it.
NEW = 0  # no stored row: inserted
CHANGED = 1  # stored, some value differs: every column rewritten
REFRESHED = 2  # stored, the same values, not written today: only the two dates set to :now
UNCHANGED = 3  # stored, the same values, written today already: left alone
FROZEN = 4  # a location stored, last written before the update window: left alone
WRITTEN = (NEW, CHANGED, REFRESHED)
KINDS = (NEW, CHANGED, REFRESHED, UNCHANGED, FROZEN)

# per staged row: its key, its stored row's id, its kind, and the stored row's two dates (what
# the journal keeps of a row only refreshed, so it needs no second look at the stored row)
_STORED_DATES = tuple(Field(n, TIMESTAMP) for n in REFRESH_FIELDS)
OWNER_KIND_FIELDS = (Field("Slug", TEXT), Field("OwnerId", INT), Field("Kind", INT), *_STORED_DATES)
LOCATION_KIND_FIELDS = (
    Field("PrimaryId", TEXT),
    Field("LocationId", INT),
    Field("Kind", INT),
    *_STORED_DATES,
)


def _kinds(kinds: tuple[int, ...]) -> str:
    return ", ".join(str(int(k)) for k in kinds)


def _kind(d: Dialect, alias: str, key: str, names: list[str], window: str = "") -> str:
    """The kind of a staged row `s` against its stored row `alias` (NULL where none)."""
    frozen = f"WHEN NOT {window} THEN {FROZEN} " if window else ""
    return (
        f"CASE WHEN {alias}.{d.q(key)} IS NULL THEN {NEW} {frozen}"
        f"WHEN {_changed(d, alias, 's', names)} THEN {CHANGED} "
        f"WHEN {_refresh(d, alias)} THEN {REFRESHED} ELSE {UNCHANGED} END"
    )


def _stored_dates(d: Dialect, alias: str) -> str:
    return ", ".join(f"{alias}.{d.q(n)}" for n in REFRESH_FIELDS)


def owner_kinds(d: Dialect) -> str:
    """Fill the owner kind table: per staged slug, its stored OwnerId, its kind and dates."""
    slug = d.q("Slug")
    return (
        f"INSERT INTO {STAGE_OWNER_KIND} ({d.columns(f.name for f in OWNER_KIND_FIELDS)}) "
        f"SELECT s.{slug}, o.{d.q('OwnerId')}, {_kind(d, 'o', 'OwnerId', OWNER_DATA)}, "
        f"{_stored_dates(d, 'o')} "
        f"FROM {STAGE_OWNER} s LEFT JOIN {d.q('Owner')} o ON o.{slug} = s.{slug}"
    )


def location_kinds(d: Dialect, pending_id: int | None = None) -> str:
    """Fill the location kind table (owners merged, codes created): per staged PrimaryId,
    its stored LocationId, its kind and dates (`pending_id`: see `location_source`)."""
    pid = d.q("PrimaryId")
    kind = _kind(d, "l", "LocationId", LOCATION_KEYED, in_window(d, "l"))
    return (
        f"INSERT INTO {STAGE_LOCATION_KIND} ({d.columns(f.name for f in LOCATION_KIND_FIELDS)}) "
        f"SELECT s.{pid}, l.{d.q('LocationId')}, {kind}, {_stored_dates(d, 'l')} "
        f"FROM ({location_source(d, pending_id)}) s LEFT JOIN {d.q('Location')} l "
        f"ON l.{pid} = s.{pid} AND l.{d.q('RegionId')} = :region"
    )


def location_moves(d: Dialect) -> str:
    """The staged locations the load inserts or rewrites (owners merged, before the location
    merge), per kind and pair of codes stored and staged: (Kind, old code, new code, rows,
    rows whose owner changes). Only those rows of the kind table are read, not the region;
    a new row has no stored row nor owner to compare, so only the changed ones are joined
    with them (in month 1, every row is new)."""
    k, q = STAGE_LOCATION_KIND, d.q
    code, owner, kind = q("PriorityCode"), q("OwnerId"), f"k.{q('Kind')}"
    staged = f"FROM {k} k JOIN {STAGE_LOCATION} s ON s.{q('PrimaryId')} = k.{q('PrimaryId')} "
    sold = f"SUM(CASE WHEN {d.distinct(f'l.{owner}', f'o.{owner}')} THEN 1 ELSE 0 END)"
    return (
        f"SELECT {kind}, NULL, s.{code}, COUNT(*), 0 {staged}"
        f"WHERE {kind} = {NEW} GROUP BY {kind}, s.{code} UNION ALL "
        f"SELECT {kind}, l.{code}, s.{code}, COUNT(*), {sold} {staged}"
        f"LEFT JOIN {q('Owner')} o ON o.{q('Slug')} = s.{q('OwnerSlug')} "
        f"LEFT JOIN {q('Location')} l ON l.{q('LocationId')} = k.{q('LocationId')} "
        f"WHERE {kind} = {CHANGED} GROUP BY {kind}, l.{code}, s.{code}"
    )


def kind_counts(d: Dialect, table: str) -> str:
    """Rows per kind of a kind table: (Kind, rows)."""
    return f"SELECT {d.q('Kind')}, COUNT(*) FROM {table} GROUP BY {d.q('Kind')}"


def refresh(d: Dialect, table: str, key: str, kind_table: str) -> str:
    """The legacy refresh of the rows of kind REFRESHED, by key: only the two dates change."""
    sets = ", ".join(f"{d.q(c)} = :now" for c in REFRESH_FIELDS)
    return (
        f"UPDATE {d.q(table)} SET {sets} WHERE {d.q(key)} IN "
        f"(SELECT k.{d.q(key)} FROM {kind_table} k WHERE k.{d.q('Kind')} = {REFRESHED})"
    )


def _of_kind(d: Dialect, key: str, kind_table: str, kinds: tuple[int, ...]) -> str:
    return (
        f"s.{d.q(key)} IN (SELECT k.{d.q(key)} FROM {kind_table} k "
        f"WHERE k.{d.q('Kind')} IN ({_kinds(kinds)}))"
    )


def owner_upsert(d: Dialect, kinds: tuple[int, ...] = (NEW, CHANGED)) -> str:
    """Owner MERGE on Slug of the staged owners of `kinds`: insert new owners, rewrite
    matched ones (changed or stale: the upsert's condition decides again, as another
    region's load may have written the owner since it was compared).

    With REFRESHED among `kinds`, the owners of that kind that were not staged (found the
    same before staging, `compare`) go through the same upsert, in the same order, as their
    stored rows: they are told apart by a null InsertedDate, and keep every stored value but
    the two dates, which they get where not written today. Such an owner is stored and stays
    so (a location of the region, which the load has locked, names it), so none is inserted."""
    t, q = d.q("Owner"), d.q
    slug = q("Slug")
    vals = ", ".join(f"s.{q(n)}" for n in OWNER_NAMES)
    rows = (
        f"SELECT {vals}, :now AS {q('InsertedDate')} FROM {STAGE_OWNER} s "
        f"WHERE {_of_kind(d, 'Slug', STAGE_OWNER_KIND, kinds)}"
    )
    where = f"{_changed(d, t, d.incoming, OWNER_DATA)} OR {_refresh(d, t)}"
    kept = ""
    if REFRESHED in kinds:
        k = STAGE_OWNER_KIND
        rows += (
            f" UNION ALL SELECT {vals}, NULL FROM {k} k JOIN {t} s ON s.{q('OwnerId')} = "
            f"k.{q('OwnerId')} WHERE k.{q('Kind')} = {REFRESHED} AND NOT EXISTS "
            f"(SELECT 1 FROM {STAGE_OWNER} staged WHERE staged.{slug} = k.{slug})"
        )
        kept = f"{d.incoming}.{q('InsertedDate')} IS NULL"
        where = f"({_refresh(d, t)}) OR (NOT {kept} AND ({where}))"
    # Owners are shared by every region: two loads that lock them in different orders
    # deadlock, so every load writes them in one global order (the slug, byte by byte).
    ordered = f"SELECT * FROM ({rows}) s WHERE true ORDER BY s.{slug} COLLATE {d.byte_collation}"
    return d.upsert(
        t,
        d.columns([*OWNER_NAMES, "InsertedDate"]),
        ordered,
        [slug],
        [q(n) for n in OWNER_DATA],
        where,
        also=_dates_now(d),
        kept=kept,
    )


def _dates_now(d: Dialect) -> str:
    """The two dates an upsert's update sets, after the columns it rewrites."""
    return f", {d.q('ModifiedDate')} = :now, {d.q('UpdatedDate')} = :now"


# The columns copied from an upload column (database column -> upload column): a staged row
# whose cell of that column could not be read (`KEEP_STORED` names it) keeps the stored value
KEPT = kept(LOCATION)
OWNER_KEPT = kept(OWNER)


def _kept(d: Dialect, owners: bool) -> tuple[str, str, str, dict[str, str]]:
    """(staging table, stored table, the match of a staged row with its stored row `l`, the
    columns kept) of the owners or of the locations (those stored in the region `:region`)."""
    q = d.q
    if owners:
        t = STAGE_OWNER
        return t, q("Owner"), f"l.{q('Slug')} = {t}.{q('Slug')}", OWNER_KEPT
    t = STAGE_LOCATION
    match = f"l.{q('PrimaryId')} = {t}.{q('PrimaryId')} AND l.{q('RegionId')} = :region"
    return t, q("Location"), match, KEPT


def _unread(d: Dialect, table: str, source: str) -> str:
    return f"{table}.{d.q(KEEP_STORED)} LIKE '%|{source}|%'"


def keep_stored(d: Dialect, owners: bool = False) -> str:
    """Put the stored value in place of each staged cell that could not be read, for the
    staged rows stored already, before they are compared: an unparseable cell never erases a
    stored value, and a row that differs only there is not changed."""
    t, stored_table, match, columns = _kept(d, owners)
    q = d.q
    sets = ", ".join(
        f"{q(name)} = CASE WHEN {_unread(d, t, source)} THEN l.{q(name)} ELSE {t}.{q(name)} END"
        for name, source in columns.items()
    )
    return d.update_from(
        t, sets, stored_table, "l", f"{match} AND {t}.{q(KEEP_STORED)} IS NOT NULL"
    )


def kept_cells(d: Dialect, owners: bool = False) -> str:
    """How many staged cells `keep_stored` puts the stored value in (run before it)."""
    t, stored_table, match, columns = _kept(d, owners)
    cells = " + ".join(
        f"CASE WHEN {_unread(d, t, source)} THEN 1 ELSE 0 END" for source in columns.values()
    )
    return (
        f"SELECT COALESCE(SUM({cells}), 0) FROM {t} JOIN {stored_table} l ON {match} "
        f"WHERE {t}.{d.q(KEEP_STORED)} IS NOT NULL"
    )


def location_merge(d: Dialect) -> list[str]:
    """The location merge: the refresh by key of the rows only refreshed, then the upsert of
    the new and changed ones.

    The refresh touches the two dates alone: no join of the staged rows with Owner and
    ListPriority, no insert attempted per row. On PostgreSQL an UPDATE still writes a whole
    new row version, but at 200,000 rows the refresh by key took a third of the time of the
    one upsert of every written row (`docs/postgres.md`)."""
    return [refresh(d, "Location", "LocationId", STAGE_LOCATION_KIND), location_upsert(d)]


def written_counts(d: Dialect, upsert: str) -> str:
    """Run `upsert` and count what it wrote: (inserted, inserted + updated) (PostgreSQL)."""
    return d.written_counts(upsert)


def location_source(d: Dialect, pending_id: int | None = None) -> str:
    """Staged locations with OwnerId and ListPriorityId resolved (null where not yet there).

    A dry run creates no owner and no list code: `pending_id` stands in for their ids, a value
    no real id has, so a row compares as changed exactly as it will once they exist.
    """
    data = ", ".join(f"s.{d.q(f.name)}" for f in LOCATION_FIELDS)
    ids = {"OwnerId": f"o.{d.q('OwnerId')}", "ListPriorityId": f"lp.{d.q('ListPriorityId')}"}
    if pending_id is not None:
        ids = {n: f"COALESCE({e}, {int(pending_id)}) AS {d.q(n)}" for n, e in ids.items()}
    return (
        f"SELECT {data}, {', '.join(ids.values())} "
        f"FROM {STAGE_LOCATION} s "
        f"LEFT JOIN {d.q('Owner')} o ON o.{d.q('Slug')} = s.{d.q('OwnerSlug')} "
        f"LEFT JOIN {d.q('ListPriority')} lp ON lp.{d.q('Code')} = s.{d.q('PriorityCode')}"
    )


def location_upsert(d: Dialect, kinds: tuple[int, ...] = (NEW, CHANGED)) -> str:
    """Location MERGE on (PrimaryId, RegionId) of the staged rows of `kinds` (the region is
    locked: their kinds still hold); a conflict updates only a row inside the window."""
    t = d.q("Location")
    names = ["PrimaryId", *LOCATION_KEYED]
    vals = ", ".join(f"s.{d.q(n)}" for n in names)
    rows = (
        f"SELECT :region, {vals}, :now "
        f"FROM ({location_source(d)}) s "
        f"WHERE {_of_kind(d, 'PrimaryId', STAGE_LOCATION_KIND, kinds)}"
    )
    return d.upsert(
        t,
        d.columns(["RegionId", *names, "InsertedDate"]),
        rows,
        [d.q("PrimaryId"), d.q("RegionId")],
        [d.q(n) for n in LOCATION_KEYED],
        f"{in_window(d, t)} AND ({_changed(d, t, d.incoming, LOCATION_KEYED)} OR {_refresh(d, t)})",
        also=_dates_now(d),
    )


def stored_region(d: Dialect, columns: list[tuple[str, str, str]], region_id: int) -> str:
    """The stored locations of the region `region_id` with their owner's columns and their list
    code: `columns` are (alias, table alias, column), the table aliases l (Location), o (Owner)
    and lp (ListPriority), as `propmail.db.compare.stored_columns` gives them."""
    picked = ", ".join(f"{t}.{d.q(c)} AS {d.q(alias)}" for alias, t, c in columns)
    return (
        f"SELECT {picked} FROM {d.q('Location')} l "
        f"LEFT JOIN {d.q('Owner')} o ON o.{d.q('OwnerId')} = l.{d.q('OwnerId')} "
        f"LEFT JOIN {d.q('ListPriority')} lp "
        f"ON lp.{d.q('ListPriorityId')} = l.{d.q('ListPriorityId')} "
        f"WHERE l.{d.q('RegionId')} = {int(region_id)}"
    )


def code_parity(d: Dialect, examples: int = MAX_EXAMPLES) -> str:
    """Existing locations whose code differs, per (old, new) pair, with a few parcel ids each.

    One row per example: old_code, new_code, locations, frozen, example.
    """
    q = d.q
    old, new = f"l.{q('PriorityCode')}", f"s.{q('PriorityCode')}"
    pair = f"PARTITION BY {old}, {new}"
    frozen = f"CASE WHEN {in_window(d, 'l')} THEN 0 ELSE 1 END"
    return (
        "SELECT old_code, new_code, locations, frozen, example FROM ("
        f"SELECT {old} AS old_code, {new} AS new_code, s.{q('PrimaryId')} AS example, "
        f"COUNT(*) OVER ({pair}) AS locations, SUM({frozen}) OVER ({pair}) AS frozen, "
        f"ROW_NUMBER() OVER ({pair} ORDER BY s.{q('PrimaryId')}) AS pick "
        f"FROM {STAGE_LOCATION} s JOIN {q('Location')} l "
        f"ON l.{q('PrimaryId')} = s.{q('PrimaryId')} AND l.{q('RegionId')} = :region "
        f"WHERE {d.distinct(old, new)}) pairs WHERE pick <= {int(examples)}"
    )


def missing_codes(d: Dialect) -> str:
    return (
        f"SELECT c.{d.q('Code')} FROM {STAGE_CODE} c WHERE NOT EXISTS "
        f"(SELECT 1 FROM {d.q('ListPriority')} lp WHERE lp.{d.q('Code')} = c.{d.q('Code')}) "
        f"ORDER BY c.{d.q('Code')}"
    )


def insert_codes(d: Dialect) -> str:
    """Create the staged codes that do not exist; safe against a concurrent creator."""
    cols = d.columns(("Code", "Name", "PriorityLevel", "ProcessingOrder", "IsAbsentee"))
    rows = (
        f"SELECT c.{d.q('Code')}, c.{d.q('Code')}, :priority_level, :processing_order, "
        f":is_absentee FROM {STAGE_CODE} c WHERE true ORDER BY c.{d.q('Code')}"
    )
    returning = f"{d.q('ListPriorityId')}, {d.q('Code')}"
    return d.insert_missing(d.q("ListPriority"), cols, rows, d.q("Code"), returning)


def insert_frequencies(d: Dialect, list_ids: list[int]) -> str:
    """One RegionListFrequency row per Region for each new list (ids are ints from RETURNING)."""
    ids = ", ".join(str(int(i)) for i in list_ids)
    cols = d.columns(("Frequency", "ListId", "RegionId", "DividedBy"))
    return (
        f"INSERT INTO {d.q('RegionListFrequency')} ({cols}) "
        f"SELECT :frequency, lp.{d.q('ListPriorityId')}, r.{d.q('RegionId')}, :divided_by "
        f"FROM {d.q('ListPriority')} lp CROSS JOIN {d.q('Region')} r "
        f"WHERE lp.{d.q('ListPriorityId')} IN ({ids}) "
        f"ORDER BY lp.{d.q('ListPriorityId')}, r.{d.q('RegionId')}"
    )


def code_ids(d: Dialect) -> str:
    return (
        f"SELECT lp.{d.q('Code')}, lp.{d.q('ListPriorityId')} FROM {d.q('ListPriority')} lp "
        f"JOIN {STAGE_CODE} c ON c.{d.q('Code')} = lp.{d.q('Code')}"
    )


def stage_insert(d: Dialect, name: str, fields: tuple[Field, ...], marker: str = "?") -> str:
    return d.stage_insert(name, [f.name for f in fields], marker)


__all__ = [
    "STAGE_CODE",
    "STAGE_LOCATION",
    "STAGE_LOCATION_KIND",
    "STAGE_OWNER",
    "STAGE_OWNER_KIND",
]
