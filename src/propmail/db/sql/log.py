"""UploadLog's statements: a load received, its state as it goes, done, failed, abandoned; what
a load was made of (`PropmailUploadContent`) and an upload identical to the region's last load.

SQLAlchemy Core statements, built without a connection and compiled by the backend's own
dialect (the id of a new row is read back however the driver returns it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Delete, Insert, Select, Update, delete, exists, func, insert, select, update

from propmail.db.schema import State, upload_content, upload_log

_log = upload_log.c
_content = upload_content.c


def received(region_id: int, file_name: str, now: datetime) -> Insert:
    """The row of an upload just received (state 7); its UploadLogId is the new key."""
    return insert(upload_log).values(
        RegionId=region_id,
        FileName=file_name,
        ProcessingState=State.RECEIVED,
        ProcessingStarted=now,
    )


def state(log_id: int, processing_state: int) -> Update:
    """The load's processing state as it goes (8, 9, 10)."""
    return (
        update(upload_log)
        .where(_log.UploadLogId == log_id)
        .values(ProcessingState=processing_state)
    )


def done(log_id: int, rows: int, ended: datetime) -> Update:
    """The load's last write: state 3, its rows and its end."""
    return (
        update(upload_log)
        .where(_log.UploadLogId == log_id)
        .values(ProcessingState=State.DONE, RowsProcessed=rows, ProcessingEnded=ended)
    )


def failed(log_id: int, message: str, ended: datetime) -> Update:
    """The load failed (state 4) with `message`."""
    return (
        update(upload_log)
        .where(_log.UploadLogId == log_id)
        .values(ProcessingState=State.FAILED, ErrorMessage=message, ProcessingEnded=ended)
    )


def abandoned(
    region_id: int, log_id: int, states: tuple[int, ...], message: str, ended: datetime
) -> Update:
    """Every other row of the region left in one of `states`: failed (4) with `message`."""
    return (
        update(upload_log)
        .where(
            _log.RegionId == region_id,
            _log.UploadLogId != log_id,
            _log.ProcessingState.in_(states),
        )
        .values(ProcessingState=State.FAILED, ErrorMessage=message, ProcessingEnded=ended)
    )


def row(log_id: int) -> Select:
    """One UploadLog row, every column."""
    return select(upload_log).where(_log.UploadLogId == log_id)


def undone(log_id: int) -> Update:
    """A load put back by `propmail undo` (state 11)."""
    return update(upload_log).where(_log.UploadLogId == log_id).values(ProcessingState=State.UNDONE)


def processing_state(log_id: int) -> Select:
    return select(_log.ProcessingState).where(_log.UploadLogId == log_id)


def content(
    log_id: int, region_id: int, content_hash: str, loaded_at: datetime, identical_to: int | None
) -> Insert:
    """What load `log_id` was made of; `identical_to` names the load it repeated (nothing
    loaded), None for a load that ran."""
    return insert(upload_content).values(
        UploadLogId=log_id,
        RegionId=region_id,
        ContentHash=content_hash,
        LoadedAt=loaded_at,
        IdenticalTo=identical_to,
    )


def forget_content(log_id: int) -> Delete:
    """A content row left by an UploadLog row since deleted whose id is handed out again
    (SQLite reuses the highest rowid)."""
    return delete(upload_content).where(_content.UploadLogId == log_id)


def last_load(region_id: int) -> Select:
    """The region's last load that ran and is done (not undone): its id, content hash, clock
    and rows."""
    return (
        select(_content.UploadLogId, _content.ContentHash, _content.LoadedAt, _log.RowsProcessed)
        .join(upload_log, _log.UploadLogId == _content.UploadLogId)
        .where(
            _content.RegionId == region_id,
            _content.IdenticalTo.is_(None),
            _log.ProcessingState == State.DONE,
        )
        .order_by(_content.UploadLogId.desc())
        .limit(1)
    )


def changes_since(region_id: int, log_id: int) -> Select:
    """How many UploadLog rows of the region after `log_id` may have changed it: every one but
    the failed (rolled back) and those recognised as identical (nothing loaded). A load under
    way, a load of any other file, an undo (state 11) and a load propmail did not record all
    count."""
    repeated = exists().where(
        _content.UploadLogId == _log.UploadLogId, _content.IdenticalTo.is_not(None)
    )
    return select(func.count()).where(
        _log.RegionId == region_id,
        _log.UploadLogId > log_id,
        _log.ProcessingState != State.FAILED,
        ~repeated,
    )


def identical_done(log_id: int, rows: int, note: str, ended: datetime) -> Update:
    """An upload identical to an earlier load: done (state 3) with its rows, and `note` (the
    legacy table's one free-text column) naming that load."""
    return (
        update(upload_log)
        .where(_log.UploadLogId == log_id)
        .values(
            ProcessingState=State.DONE, RowsProcessed=rows, ErrorMessage=note, ProcessingEnded=ended
        )
    )
