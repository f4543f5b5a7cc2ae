"""The mail drop's properties for `propmail selftest`: weekly drops of a loaded region planned,
committed, cancelled and refused on the server under test, their pieces compared with the
reference run's by natural key (drop date, parcel, touch number).

Each check returns (passed, what broke it); `pieces` is what the reference comparison reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from propmail.db import Database, drops, schema
from propmail.drop.plan import plan
from propmail.errors import InputError
from propmail.settings import Rules

PROPERTIES = {
    "drop as the reference": "weekly drops mail the same parcels, touch numbers included",
    "drop cadence": "weekly drops never touch a location twice inside its spacing",
    "drop cancel": "cancelling a committed drop puts every piece back as it was",
    "drop commits once": "of two plans of one week the second commit is refused, naming the first",
}
WEEKS = 4  # the default DividedBy: every group has its turn once


@dataclass
class DropRun:
    """What the drop scenario saw on one database."""

    checks: dict[str, list[str]] = field(default_factory=lambda: {n: [] for n in PROPERTIES})
    pieces: list[tuple[Any, ...]] = field(default_factory=list)


def _pieces(db: Database) -> list[tuple[Any, ...]]:
    """Every piece by natural key: (drop date, drop state, parcel, touch number)."""
    p, d, loc = schema.mail_piece, schema.mail_drop, schema.location
    query = select(d.c.DropDate, d.c.State, loc.c.PrimaryId, p.c.TouchNumber).select_from(
        p.join(d, d.c.DropId == p.c.DropId).join(loc, loc.c.LocationId == p.c.LocationId)
    )
    with db.engine.connect() as conn:
        return sorted((str(r[0]), r[1], r[2], r[3]) for r in conn.execute(query))


def run_drops(db: Database, rules: Rules, region: int, first: date) -> DropRun:
    """The drop scenario on `db`, whose region `region` is loaded."""
    run = DropRun()
    weekly: list[set[str]] = []
    for week in range(WEEKS + 1):
        planned = plan(db, rules, region, first + timedelta(days=7 * week))
        drops.commit(db.engine, planned.drop.drop_id, datetime.now())
        weekly.append({p for d, _, p, _ in _pieces(db) if d == str(planned.drop.drop_date)})
    for i in range(1, len(weekly)):
        again = weekly[i] & weekly[i - 1]
        if again:
            run.checks["drop cadence"].append(
                f"week {i + 1} mails {len(again)} parcels of week {i} again, "
                f"e.g. {sorted(again)[:3]}"
            )
    repeated = [
        p
        for i, w in enumerate(weekly[:WEEKS])
        for p in w
        if any(p in v for v in weekly[i + 1 : WEEKS])
    ]
    if repeated:
        run.checks["drop cadence"].append(f"parcels mailed twice in {WEEKS} weeks: {repeated[:3]}")
    if not all(weekly[:WEEKS]):
        run.checks["drop cadence"].append(f"a week mailed nothing: {[len(w) for w in weekly]}")
    before = _pieces(db)
    later = plan(db, rules, region, first + timedelta(days=7 * (WEEKS + 3)))
    drops.commit(db.engine, later.drop.drop_id, datetime.now())
    drops.cancel(db.engine, later.drop.drop_id)
    if _pieces(db) != before:
        run.checks["drop cancel"].append("MailPiece differs from before the cancelled drop")
    on = first + timedelta(days=7 * (WEEKS + 3))
    one, two = plan(db, rules, region, on), plan(db, rules, region, on)
    drops.commit(db.engine, two.drop.drop_id, datetime.now())
    try:
        drops.commit(db.engine, one.drop.drop_id, datetime.now())
        run.checks["drop commits once"].append("the second commit of one week was accepted")
    except InputError as exc:
        if f"drop {two.drop.drop_id} " not in str(exc):
            run.checks["drop commits once"].append(f"refused without naming the first: {exc}")
    drops.cancel(db.engine, one.drop.drop_id)
    run.pieces = _pieces(db)
    return run
