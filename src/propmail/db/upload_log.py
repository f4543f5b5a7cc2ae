"""UploadLog's bookkeeping for the generated-SQL backends: a load received (state 7), its
states as it goes (8, 9, 10), done (3), failed (4), a dead load's row closed as abandoned; an
upload identical to the region's last load recognised and recorded (`identical`).

A state another connection must see is committed apart from the load's transaction; where a
backend writes its states inside the load's transaction (`Capabilities.states_under_lock`
empty: one writer at a time), readers see 7 and then 3 or 4.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from propmail.db.results import Identical
from propmail.db.sql import log
from propmail.errors import ABANDONED
from propmail.redact import redact


def received(engine: Engine, region_id: int, file_name: str, now: datetime) -> int:
    """Record that an upload was received (committed at once); returns its UploadLogId."""
    with engine.begin() as conn:
        result = conn.execute(log.received(region_id, file_name, now))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def state_apart(engine: Engine, log_id: int, state: int, guard: str | None = None) -> None:
    """Write a processing state that other connections see at once (committed apart); `guard`
    runs first in that transaction."""
    with engine.begin() as side:
        if guard:
            side.exec_driver_sql(guard)
        side.execute(log.state(log_id, state))


def state_within(conn: Connection, log_id: int, state: int) -> None:
    """Write a processing state inside the load's own transaction."""
    conn.execute(log.state(log_id, state))


def failed(engine: Engine, log_id: int, message: str, now: datetime) -> None:
    """Record that load `log_id` failed (state 4) with `message` (masked), committed at once."""
    with engine.begin() as side:
        side.execute(log.failed(log_id, redact(message)[:4000], now))


def close_abandoned(
    conn: Connection, region_id: int, log_id: int, states_under_lock: tuple[int, ...]
) -> None:
    """Mark failed (state 4, `ABANDONED`) the region's rows a dead load left running.

    Called holding the region lock, inside the load's transaction: another row of the region
    in `states_under_lock` had the lock and lost it without a commit or a rollback that
    recorded itself, so its process died (kill -9, the machine lost).
    """
    if states_under_lock:
        conn.execute(log.abandoned(region_id, log_id, states_under_lock, ABANDONED, datetime.now()))


def done(conn: Connection, log_id: int, rows: int, ended: datetime) -> None:
    """The load's last write, inside its transaction: state 3 with its rows and its end."""
    conn.execute(log.done(log_id, rows, ended))


def row(engine: Engine, log_id: int) -> dict[str, Any]:
    """One UploadLog row by column name."""
    with engine.connect() as conn:
        return dict(conn.execute(log.row(log_id)).one()._mapping)


def repeats(last_hash: str, last_day: date, changes_since: int, content: str, today: date) -> bool:
    """An upload repeats the region's last load when it is made of the same content, on the
    same day (a later day refreshes the rows' dates), and nothing changed the region since
    (no other load, no undo).

    >>> repeats("h1", date(2026, 12, 7), 0, "h1", date(2026, 12, 7))
    True
    >>> repeats("h1", date(2026, 12, 7), 0, "h2", date(2026, 12, 7))
    False
    >>> repeats("h1", date(2026, 12, 7), 1, "h1", date(2026, 12, 7))
    False
    >>> repeats("h1", date(2026, 12, 6), 0, "h1", date(2026, 12, 7))
    False
    """
    return last_hash == content and last_day == today and changes_since == 0


def identical(engine: Engine, region_id: int, content: str, now: datetime) -> Identical | None:
    """The region's last load if an upload of `content` at `now` repeats it (`repeats`)."""
    with engine.connect() as conn:
        last = conn.execute(log.last_load(region_id)).first()
        if last is None or last.ContentHash != content:
            return None
        later = int(conn.execute(log.changes_since(region_id, last.UploadLogId)).scalar_one())
    if not repeats(last.ContentHash, last.LoadedAt.date(), later, content, now.date()):
        return None
    return Identical(int(last.UploadLogId), int(last.RowsProcessed or 0))


def record_content(
    conn: Connection, log_id: int, region_id: int, content: str | None, now: datetime
) -> None:
    """Keep what load `log_id` was made of, inside its transaction (nothing without content)."""
    if content is not None:
        conn.execute(log.forget_content(log_id))
        conn.execute(log.content(log_id, region_id, content, now, None))


def record_identical(
    engine: Engine, log_id: int, region_id: int, same: Identical, content: str, now: datetime
) -> None:
    """Upload `log_id` repeats load `same`: done with its rows and a note, nothing loaded."""
    with engine.begin() as conn:
        # ended at the job's clock, as a load's row ends at the clock it wrote into its rows
        conn.execute(log.identical_done(log_id, same.rows, same.note, now))
        conn.execute(log.forget_content(log_id))
        conn.execute(log.content(log_id, region_id, content, now, same.upload_log_id))
