"""The statements of `propmail db init` and of reading the schema's master data: regions, the
base list codes, counts per table, the connection probe.

SQLAlchemy Core statements, built without a connection and compiled by the backend's own
dialect.
"""

from __future__ import annotations

from sqlalchemy import Insert, Select, Table, Update, func, insert, select, text, update

from propmail.db.schema import journal, list_priority, region, region_list_frequency

_region, _list = region.c, list_priority.c


def probe() -> Select:
    """The connection test's statement."""
    return select(1)


def region_ids() -> Select:
    return select(_region.RegionId)


def regions() -> Select:
    """(RegionId, Name) of every region."""
    return select(_region.RegionId, _region.Name)


def region_named(region_id: int) -> Select:
    """The region's id, if it exists."""
    return select(_region.RegionId).where(_region.RegionId == region_id)


def rename_region(region_id: int, name: str) -> Update:
    return update(region).where(_region.RegionId == region_id).values(Name=name)


def add_region(region_id: int, name: str | None) -> Insert:
    return insert(region).values(RegionId=region_id, Name=name)


def frequencies_of_region(region_id: int, frequency: int, divided_by: int) -> Insert:
    """A new region's frequency row of every list that exists already."""
    return insert(region_list_frequency).from_select(
        ["Frequency", "ListId", "RegionId", "DividedBy"],
        select(
            text(str(int(frequency))),
            _list.ListPriorityId,
            text(str(int(region_id))),
            text(str(int(divided_by))),
        ),
    )


def code_id(code: str) -> Select:
    """The ListPriorityId of one code, if it exists."""
    return select(_list.ListPriorityId).where(_list.Code == code)


def code_ids(codes: list[str]) -> Select:
    """The ListPriorityIds of the codes that exist."""
    return select(_list.ListPriorityId).where(_list.Code.in_(codes))


def add_code(code: str, priority_level: int, processing_order: int, is_absentee: int) -> Insert:
    """A base list code of `db init`, named by its code."""
    return insert(list_priority).values(
        Code=code,
        Name=code,
        PriorityLevel=priority_level,
        ProcessingOrder=processing_order,
        IsAbsentee=is_absentee,
    )


def count(table: Table) -> Select:
    """The rows of `table`."""
    return select(func.count()).select_from(table)


def journaled_regions() -> Select:
    """The regions with a journaled load."""
    return select(journal.c.RegionId).distinct()


def journaled_count() -> Select:
    """The journaled loads."""
    return count(journal)


def journaled_region(log_id: int) -> Select:
    """The region of a journaled load."""
    return select(journal.c.RegionId).where(journal.c.UploadLogId == log_id)


def journaled_after(log_id: int) -> Select:
    """(UploadLogId, RegionId) of the journaled loads after `log_id`, oldest first."""
    j = journal.c
    return select(j.UploadLogId, j.RegionId).where(j.UploadLogId > log_id).order_by(j.UploadLogId)
