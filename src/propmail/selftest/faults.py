"""The failure `propmail selftest` injects in the middle of a load: a trigger on Location.

The trigger fails every INSERT and UPDATE of Location, so a load gets through staging, the list
codes, the journal and the owner merge, and then fails inside the location merge, where a
rollback has the most to undo. It is the same seam on every backend, SQL Server included (the
merge runs inside ``ProcessPythonEnhancedData`` there, out of Python's reach), and it exists
only in the scratch database.
"""

from __future__ import annotations

from sqlalchemy import Engine

MESSAGE = "propmail selftest: injected fault while merging locations"
TRIGGER = "propmail_selftest_fault"

CREATE = {
    "sqlite": [
        f'CREATE TRIGGER "{TRIGGER}_{event}" BEFORE {event} ON "Location" '
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for event in ("INSERT", "UPDATE")
    ],
    "postgresql": [
        f'CREATE FUNCTION "{TRIGGER}"() RETURNS trigger LANGUAGE plpgsql AS $$ '
        f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
        f'CREATE TRIGGER "{TRIGGER}" BEFORE INSERT OR UPDATE ON "Location" '
        f'FOR EACH ROW EXECUTE FUNCTION "{TRIGGER}"()',
    ],
    "mssql": [
        f"CREATE TRIGGER dbo.{TRIGGER} ON dbo.Location AFTER INSERT, UPDATE AS "
        f"BEGIN SET NOCOUNT ON; THROW 50099, N'{MESSAGE}', 1; END"
    ],
}
DROP = {
    "sqlite": [f'DROP TRIGGER "{TRIGGER}_{event}"' for event in ("INSERT", "UPDATE")],
    "postgresql": [
        f'DROP TRIGGER "{TRIGGER}" ON "Location"',
        f'DROP FUNCTION "{TRIGGER}"()',
    ],
    "mssql": [f"DROP TRIGGER dbo.{TRIGGER}"],
}


def _run(engine: Engine, statements: list[str]) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def inject(engine: Engine) -> None:
    """Make every later write of a Location row fail with `MESSAGE`."""
    _run(engine, CREATE[engine.dialect.name])


def remove(engine: Engine) -> None:
    _run(engine, DROP[engine.dialect.name])
