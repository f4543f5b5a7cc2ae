"""Idempotency: loading the same upload twice changes zero rows the second time.

Proven three ways: row counts, checksums of every data table, and on PostgreSQL the database's
own counters: the tuples inserted, updated and deleted inside the loader's transactions
(pg_stat_xact_user_tables, read as each transaction begins and before it commits) and the
physical identity of every row (ctid, xmin), which any UPDATE would change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text

from propmail import synth
from propmail.db import Backend, connect
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from tests.conftest import backend_url
from tests.db.helpers import MONTH1, checksum

DATA = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location")

TUPLE_COUNTERS = (
    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
    "WHERE schemaname = 'public'"
)


def _tuple_counters(conn: Connection) -> Counter[str]:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    return Counter(
        {table: ins + upd + dele for table, ins, upd, dele in cursor.execute(TUPLE_COUNTERS)}
    )


@contextmanager
def tuples_written(backend: Backend) -> Iterator[Counter[str]]:
    """Tuples inserted + updated + deleted per table by every transaction the loader commits.

    pg_stat_xact_user_tables also holds a session's counts not yet flushed to the cumulative
    statistics, so each transaction is measured as the difference between its start and the
    moment just before its commit (flushes happen only between transactions).
    """
    written: Counter[str] = Counter()
    at_begin: dict[int, Counter[str]] = {}

    def begin(conn: Connection) -> None:
        at_begin[id(conn)] = _tuple_counters(conn)

    def before_commit(conn: Connection) -> None:
        written.update(_tuple_counters(conn) - at_begin.pop(id(conn)))

    event.listen(backend.engine, "begin", begin)
    event.listen(backend.engine, "commit", before_commit)
    try:
        yield written
    finally:
        event.remove(backend.engine, "begin", begin)
        event.remove(backend.engine, "commit", before_commit)


def row_versions(backend: Backend) -> dict[str, list[tuple[str, str]]]:
    """(ctid, xmin) of every row: a new tuple version gets a new pair."""
    with backend.engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f'SELECT ctid::text, xmin::text FROM "{t}"'))]
            for t in DATA
        }


def files(tmp_path: Path) -> tuple[Path, list[str]]:
    rows = synth.upload(3000, seed=31)
    upload = tmp_path / "upload.csv"
    rows.write_csv(upload)
    liens, probate = tmp_path / "Liens.csv", tmp_path / "probate.csv"
    synth.niche(rows, 0.05, seed=5).write_csv(liens)
    synth.niche(rows, 0.03, seed=6).write_csv(probate)
    return upload, [str(liens), f"Probate={probate}"]


def test_the_second_load_of_an_upload_changes_zero_rows(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke", 41: "Salem"}, load_options(rules))
    upload, niches = files(tmp_path)
    first = run_job(Inputs.gather(upload, niches), 40, backend=backend, now=MONTH1).load
    assert first is not None and first.locations_inserted == 3000
    counts = {t: n for t, n in backend.counts().items() if t in DATA}
    sums = checksum(backend, DATA)

    again = run_job(  # --force: loaded in full, not recognised as identical
        Inputs.gather(upload, niches),
        40,
        backend=backend,
        now=MONTH1 + timedelta(hours=3),
        force=True,
    ).load

    assert again is not None and again.processing_state == 3
    assert {t: n for t, n in backend.counts().items() if t in DATA} == counts
    assert checksum(backend, DATA) == sums
    assert (again.owners_inserted, again.owners_updated) == (0, 0)
    assert (again.locations_inserted, again.locations_updated, again.new_codes) == (0, 0, [])
    assert again.owners_unchanged == first.owners_inserted
    assert again.locations_unchanged == 3000


@pytest.mark.postgres
def test_postgresql_writes_no_tuple_on_the_second_load(
    request: pytest.FixtureRequest, rules: Rules, tmp_path: Path
) -> None:
    backend = connect(backend_url(request, "postgresql", tmp_path))
    try:
        backend.init({40: "Roanoke", 41: "Salem"}, load_options(rules))
        upload, niches = files(tmp_path)
        with tuples_written(backend) as first:
            run_job(Inputs.gather(upload, niches), 40, backend=backend, now=MONTH1)
        # the probe sees the first load's writes: 3000 locations, their owners, new codes
        assert first["Location"] == 3000
        assert first["Owner"] > 2500 and first["ListPriority"] > 0
        versions = row_versions(backend)

        with tuples_written(backend) as second:
            run_job(  # --force: loaded in full, not recognised as identical
                Inputs.gather(upload, niches),
                40,
                backend=backend,
                now=MONTH1 + timedelta(hours=3),
                force=True,
            )

        assert {t: second[t] for t in DATA} == dict.fromkeys(DATA, 0)
        assert second["UploadLog"] > 0  # the second load is logged, and the probe saw it
        assert row_versions(backend) == versions
    finally:
        backend.dispose()
