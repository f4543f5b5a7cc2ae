"""The queries of `propmail changes`: what a range of loads of one region changed, read from
their journal and the stored rows (SQLAlchemy Core, so every backend's dialect spells them).

A load journals, per location it wrote, the row as it was before (`journal.record_locations`):
the whole before-image of a row it rewrote (the wide table, Inserted = 0), the key of a row it
inserted (Inserted = 1). The state after the range is the stored row, or, where a later load
rewrote the row since, that load's before-image. So, per location the range wrote:

- `moves`: new in the range, or its owner, list code and NCOA response before and after;
- `gone`: the locations the region's previous upload had (their last write on or after the
  day of the load before the range) that the range's last load did not write, and that were
  stored before the range (the legacy load leaves them as they are);
- `code_counts`: the region's locations per list code as stored now.

Every query reads the rows of one region only; none loops over rows. SQL Server journals every
row in the wide tables and has no key tables (`key_tables=False`).

>>> from sqlalchemy.dialects import sqlite
>>> print(code_counts(40).compile(dialect=sqlite.dialect()))  # doctest: +NORMALIZE_WHITESPACE
SELECT "Location"."PriorityCode", count(*) AS count_1 FROM "Location"
WHERE "Location"."RegionId" = ? GROUP BY "Location"."PriorityCode"
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from propmail.db import schema
from propmail.db.schema import State

INSERTED = 1  # the journal's Inserted of a row the load inserted (`journal.INSERTED`)
REFRESH_ONLY = 2  # of a row whose dates alone the load refreshed

WIDE = schema.journal_location
NARROW = schema.journal_location_key
LOC = schema.location
# what a move compares, before and after
COMPARED = ("OwnerId", "PriorityCode", "ResponseNCOA")


def _stamp(moment: datetime | None) -> Any:
    return literal(moment, DateTime())


def _entries(region: int, first: int, last: int, key_tables: bool) -> Subquery:
    """(PrimaryId, UploadLogId, Inserted) of every location the loads first..last journaled
    with its values (wide) or as inserted (narrow); rows only refreshed change no value."""
    w = WIDE.c
    wide = select(w.PrimaryId, w.UploadLogId, w.Inserted).where(
        w.RegionId == region, w.UploadLogId >= first, w.UploadLogId <= last
    )
    if not key_tables:
        return wide.subquery("e")
    n = NARROW.c
    inserted = select(n.PrimaryId, n.UploadLogId, n.Inserted).where(
        n.RegionId == region, n.UploadLogId >= first, n.UploadLogId <= last, n.Inserted == INSERTED
    )
    return union_all(wide, inserted).subquery("e")


def _next_image(region: int, last: int) -> Subquery:
    """Per location a load after `last` rewrote: the first such load (its before-image is the
    row as the range left it)."""
    w = WIDE.c
    return (
        select(w.PrimaryId, func.min(w.UploadLogId).label("NextId"))
        .where(w.RegionId == region, w.UploadLogId > last, w.Inserted != INSERTED)
        .group_by(w.PrimaryId)
        .subquery("n")
    )


def moves(
    region: int,
    first: int,
    last: int,
    key_tables: bool = True,
    later: bool = False,
    undone: bool = False,
) -> Select:
    """Per location the loads `first`..`last` inserted or rewrote: PrimaryId, IsNew (1: the
    range inserted it), Stored (1: it is stored now or a later load holds its image), then
    OwnerId, PriorityCode, ResponseNCOA before (``Old``) and after (``New``) the range, and the
    two owners' names as stored now (OldOwnerName, NewOwnerName).
    `later`: a journaled load after `last` exists, whose before-images hold the state after.
    `undone`: the load `last` (= `first`) was undone; its undo kept the rows as the load left
    them under -`last` (`journal.keep_after_images`)."""
    e = _entries(region, first, last, key_tables)
    k = (
        select(
            e.c.PrimaryId,
            func.max(case((e.c.Inserted == INSERTED, 1), else_=0)).label("IsNew"),
            func.min(case((e.c.Inserted != INSERTED, e.c.UploadLogId), else_=None)).label(
                "FirstImage"
            ),
        )
        .group_by(e.c.PrimaryId)
        .subquery("k")
    )
    before = WIDE.alias("b")
    stored = LOC.alias("l")
    joined = k.outerjoin(
        before,
        and_(
            before.c.UploadLogId == k.c.FirstImage,
            before.c.RegionId == region,
            before.c.PrimaryId == k.c.PrimaryId,
        ),
    ).outerjoin(stored, and_(stored.c.RegionId == region, stored.c.PrimaryId == k.c.PrimaryId))
    after: dict[str, Any] = {name: stored.c[name] for name in COMPARED}
    present: Any = stored.c.LocationId.is_not(None)
    if undone:
        image = WIDE.alias("a")
        joined = joined.outerjoin(
            image,
            and_(
                image.c.UploadLogId == -last,
                image.c.RegionId == region,
                image.c.PrimaryId == k.c.PrimaryId,
            ),
        )
        after = {name: image.c[name] for name in COMPARED}
        present = image.c.PrimaryId.is_not(None)
    elif later:
        n = _next_image(region, last)
        image = WIDE.alias("a")
        joined = joined.outerjoin(n, n.c.PrimaryId == k.c.PrimaryId).outerjoin(
            image,
            and_(
                image.c.UploadLogId == n.c.NextId,
                image.c.RegionId == region,
                image.c.PrimaryId == k.c.PrimaryId,
            ),
        )
        after = {
            name: case((n.c.NextId.is_(None), stored.c[name]), else_=image.c[name])
            for name in COMPARED
        }
        present = or_(present, n.c.NextId.is_not(None))
    old_owner, new_owner = schema.owner.alias("old_owner"), schema.owner.alias("new_owner")
    joined = joined.outerjoin(old_owner, old_owner.c.OwnerId == before.c.OwnerId).outerjoin(
        new_owner, new_owner.c.OwnerId == after["OwnerId"]
    )
    new_name: Any = new_owner.c.Name
    if undone:  # the undo may have deleted the owner the load inserted: its kept image
        kept = schema.journal_owner.alias("kept_owner")
        joined = joined.outerjoin(
            kept, and_(kept.c.UploadLogId == -last, kept.c.OwnerId == after["OwnerId"])
        )
        new_name = func.coalesce(kept.c.Name, new_owner.c.Name)
    return (
        select(
            k.c.PrimaryId,
            k.c.IsNew,
            case((present, 1), else_=0).label("Stored"),
            *(before.c[name].label(f"Old{name}") for name in COMPARED),
            *(value.label(f"New{name}") for name, value in after.items()),
            old_owner.c.Name.label("OldOwnerName"),
            new_name.label("NewOwnerName"),
        )
        .select_from(joined)
        .where(or_(k.c.IsNew == 1, k.c.FirstImage.is_not(None)))
    )


def _later_touch(region: int, last: int, key_tables: bool) -> Subquery:
    """Per location a load after `last` journaled: the UpdatedDate it had just before the
    first such load (the row's last write as the range left it)."""
    w = WIDE.c
    parts = [
        select(w.PrimaryId, w.UploadLogId, w.UpdatedDate).where(
            w.RegionId == region, w.UploadLogId > last, w.Inserted != INSERTED
        )
    ]
    if key_tables:
        n = NARROW.c
        parts.append(
            select(n.PrimaryId, n.UploadLogId, n.UpdatedDate).where(
                n.RegionId == region, n.UploadLogId > last, n.Inserted == REFRESH_ONLY
            )
        )
    every = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("t")
    first = (
        select(every.c.PrimaryId, func.min(every.c.UploadLogId).label("NextId"))
        .group_by(every.c.PrimaryId)
        .subquery("f")
    )
    again = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("t2")
    return (
        select(again.c.PrimaryId, again.c.UpdatedDate)
        .join(
            first,
            and_(first.c.PrimaryId == again.c.PrimaryId, first.c.NextId == again.c.UploadLogId),
        )
        .subquery("later")
    )


def gone(
    region: int,
    last: int,
    seen_from: datetime,
    range_day: datetime,
    last_day: datetime,
    key_tables: bool = True,
    later: bool = False,
    undone: bool = False,
) -> Select:
    """The locations of the region's previous upload that the range's last load did not
    contain: last written (as the range left them) on or after `seen_from` (the day of the load
    before the range) and before `last_day` (the day of the range's last load: what it wrote is
    later), and stored before `range_day` (the first load's day). PrimaryId, OwnerId,
    PriorityCode, ResponseNCOA. `undone`: the load `last` was undone, which put back the dates
    of the rows it wrote: those rows, which its journal names, are left out."""
    loc = LOC.c
    written: Any = func.coalesce(loc.UpdatedDate, loc.InsertedDate)
    source: Any = LOC
    extra: list[Any] = []
    if undone:
        journaled = [WIDE, NARROW] if key_tables else [WIDE]
        extra = [
            ~select(t.c.PrimaryId)
            .where(t.c.UploadLogId == last, t.c.RegionId == region, t.c.PrimaryId == loc.PrimaryId)
            .exists()
            for t in journaled
        ]
    elif later:
        t = _later_touch(region, last, key_tables)
        source = LOC.outerjoin(t, t.c.PrimaryId == loc.PrimaryId)
        written = case(
            (t.c.PrimaryId.is_(None), written),
            else_=func.coalesce(t.c.UpdatedDate, loc.InsertedDate),
        )
    return (
        select(loc.PrimaryId, loc.OwnerId, loc.PriorityCode, loc.ResponseNCOA)
        .select_from(source)
        .where(
            loc.RegionId == region,
            written >= _stamp(seen_from),
            written < _stamp(last_day),
            or_(loc.InsertedDate.is_(None), loc.InsertedDate < _stamp(range_day)),
            *extra,
        )
    )


def code_counts(region: int) -> Select:
    """The region's stored locations per list code (PriorityCode, locations)."""
    return (
        select(LOC.c.PriorityCode, func.count())
        .where(LOC.c.RegionId == region)
        .group_by(LOC.c.PriorityCode)
    )


def region_loads(region: int) -> Select:
    """The region's loads that completed or were undone, oldest first: UploadLogId, FileName,
    ProcessingState, ProcessingStarted, and the clock the load wrote (the journal's LoadedAt;
    of an undone load, from the rows its undo kept; NULL: nothing of it is kept)."""
    u, j, w = schema.upload_log.c, schema.journal.c, WIDE.c
    # an undone load's clock: the latest write among the rows as it left them (its undo kept
    # them under -UploadLogId), while they are kept
    left = (
        select(func.max(func.coalesce(w.UpdatedDate, w.InsertedDate)))
        .where(w.UploadLogId == -u.UploadLogId)
        .scalar_subquery()
    )
    clock = case((u.ProcessingState == State.UNDONE, left), else_=j.LoadedAt)
    return (
        select(
            u.UploadLogId,
            u.FileName,
            u.ProcessingState,
            u.ProcessingStarted,
            clock.label("LoadedAt"),
        )
        .select_from(schema.upload_log.outerjoin(schema.journal, j.UploadLogId == u.UploadLogId))
        .where(u.RegionId == region, u.ProcessingState.in_([State.DONE, State.UNDONE]))
        .order_by(u.UploadLogId)
    )
