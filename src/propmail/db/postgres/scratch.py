"""`propmail selftest`'s scratch database on PostgreSQL: a schema ``propmail_selftest_<random>``
in the database of the URL, reached through ``search_path`` (propmail's SQL names its tables
unqualified), dropped with CASCADE; and the fault trigger it injects (`propmail.db.faults`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from propmail.db.faults import MESSAGE, TRIGGER, Fault, scratch_name
from propmail.db.postgres.connect import engine_url
from propmail.errors import DatabaseUnavailable
from propmail.redact import display_url, redact


@contextmanager
def scratch_database(url: URL) -> Iterator[str]:
    url = engine_url(url)
    name = scratch_name()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise DatabaseUnavailable(
            f"cannot create a scratch schema in {display_url(url)}: {redact(reason)}"
        ) from None
    try:
        scoped = url.update_query_dict({"options": f"-csearch_path={name}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


FAULT = Fault(
    create=[
        f'CREATE FUNCTION "{TRIGGER}"() RETURNS trigger LANGUAGE plpgsql AS $$ '
        f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
        f'CREATE TRIGGER "{TRIGGER}" BEFORE INSERT OR UPDATE ON "Location" '
        f'FOR EACH ROW EXECUTE FUNCTION "{TRIGGER}"()',
    ],
    drop=[
        f'DROP TRIGGER "{TRIGGER}" ON "Location"',
        f'DROP FUNCTION "{TRIGGER}"()',
    ],
)
