"""`propmail selftest`'s scratch database on SQLite (a file in a temporary directory) and the
fault trigger it injects (`propmail.db.faults`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from propmail.db.faults import MESSAGE, TRIGGER, Fault


@contextmanager
def scratch_database(url: URL) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="propmail_selftest_") as folder:
        yield f"sqlite:///{Path(folder) / 'selftest.db'}"


FAULT = Fault(
    create=[
        f'CREATE TRIGGER "{TRIGGER}_{event}" BEFORE {event} ON "Location" '
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for event in ("INSERT", "UPDATE")
    ],
    drop=[f'DROP TRIGGER "{TRIGGER}_{event}"' for event in ("INSERT", "UPDATE")],
)
