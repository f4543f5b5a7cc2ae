"""UploadLog's statements: a load received, its state as it goes, done, failed, abandoned.

SQLAlchemy Core statements, built without a connection and compiled by the backend's own
dialect (the id of a new row is read back however the driver returns it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, Select, Update, insert, select, update

from propmail.db.schema import State, upload_log

_log = upload_log.c


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
