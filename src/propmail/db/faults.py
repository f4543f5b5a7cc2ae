"""The failure `propmail selftest` injects in the middle of a load, and its scratch databases'
names: each backend's folder says how (`scratch.py` there: `scratch`, `FAULT`).

The fault is a trigger on Location that fails every INSERT and UPDATE, so a load gets through
staging, the list codes, the journal and the owner merge, and then fails inside the location
merge, where a rollback has the most to undo. It is the same seam on every backend, SQL Server
included (the merge runs inside ``ProcessPythonEnhancedData`` there, out of Python's reach),
and it exists only in the scratch database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine

MESSAGE = "propmail selftest: injected fault while merging locations"
TRIGGER = "propmail_selftest_fault"


def scratch_name() -> str:
    """A new scratch schema's or database's name."""
    return f"propmail_selftest_{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Fault:
    """The statements that make every later write of a Location row fail with `MESSAGE`,
    and those that take that away."""

    create: list[str]
    drop: list[str]
    message: str = MESSAGE

    def inject(self, engine: Engine) -> None:
        _run(engine, self.create)

    def remove(self, engine: Engine) -> None:
        _run(engine, self.drop)


def _run(engine: Engine, statements: list[str]) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
