"""Crash safety on PostgreSQL: kill -9 the loader anywhere in a load of 51,000 rows.

The load is month 2 of a region (updates, inserts, frozen rows, a new niche list whose codes
are created) on top of a database holding month 1. A loader process (tests/db/crash_loader.py)
numbers the points it passes: each stage, each SQL statement, the middle of each COPY, each
commit. It is killed with SIGKILL

- paused at every point that starts a stage, sends an INSERT (the owner merge's is inside a
  WITH), the location refresh or a COMMIT, or is half-way through a COPY, and after the job
  has committed;
- while the server runs a statement for it, held there by a lock the test takes first:
  waiting for the region lock, and half-way through the list-code insert, the owner merge, the
  location refresh and the location merge (rows before the locked one already written by the
  killed transaction).

After each kill every data table equals, checksum for checksum, the state before the load,
and the upload is not marked done; or (killed after the commit) the tables equal a clean run
and the upload is done. The kills are dealt into three sequences that run side by side, each on
its own copy of the month-1 database, so within a sequence their UploadLog rows and spent
sequence numbers pile up; each sequence ends with a re-run of the upload, which must leave
every table equal to a clean run.
"""

from __future__ import annotations

import pickle
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL

from propmail import job, synth
from propmail.db import connect, schema
from propmail.db.postgres import REGION_LOCK_KEY
from propmail.inputs import Inputs
from propmail.job import load_options, prepare, run_job
from propmail.settings import load_rules
from tests.db.canonical import canonical_query
from tests.db.helpers import MONTH1, MONTH2
from tests.db.processes import kill, paused, pausing_loader, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DATA = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location")
APP = "propmail-crash"
SEQUENCES = 3
KILLED_AT = (
    "step ",
    "mid-COPY ",
    "before INSERT ",
    'before UPDATE "Location" SET',
    "before WITH ",
    "before COMMIT",
    "after the job",
)


# -- the data: month 1 in the database, month 2 loaded -----------------------------------------


def write_months(folder: Path) -> tuple[Path, list[str], Path, list[str]]:
    month1 = synth.upload(50_000, seed=51)
    dropped = pl.col("LocationPrimaryId").str.slice(9, 3) < "020"  # 1,000 parcels
    changed = pl.col("LocationPrimaryId").str.slice(11, 1).is_in(["3", "7"])
    month2 = pl.concat(
        [
            month1.filter(~dropped).with_columns(
                pl.when(changed).then(pl.lit("TAX")).otherwise("LienType").alias("LienType"),
                pl.when(changed)
                .then(pl.col("OwnerName") + " JR")
                .otherwise("OwnerName")
                .alias("OwnerName"),
            ),
            synth.upload(2_000, seed=52).with_columns(
                (pl.lit("N") + pl.col("LocationPrimaryId")).alias("LocationPrimaryId")
            ),
        ]
    )
    paths = {name: folder / name for name in ("m1.csv", "L1.csv", "m2.csv", "L2.csv", "F2.csv")}
    month1.write_csv(paths["m1.csv"])
    synth.niche(month1, 0.04, seed=53).write_csv(paths["L1.csv"])
    month2.write_csv(paths["m2.csv"])
    synth.niche(month2, 0.04, seed=54).write_csv(paths["L2.csv"])
    synth.niche(month2, 0.02, seed=55).write_csv(paths["F2.csv"])
    return (
        paths["m1.csv"],
        [f"Liens={paths['L1.csv']}"],
        paths["m2.csv"],
        [f"Liens={paths['L2.csv']}", f"Foreclosure={paths['F2.csv']}"],
    )


# -- databases ----------------------------------------------------------------------------------


@dataclass
class Server:
    """Databases of this test, created from the session's PostgreSQL database."""

    admin: Engine
    url: URL  # the session database
    made: list[str]

    def create(self, name: str, template: str | None = None) -> str:
        self.drop(name)
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        self.made.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def server(pg_url: str) -> Iterator[Server]:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    made = Server(admin, make_url(pg_url), [])
    yield made
    for name in made.made:
        made.drop(name)
    admin.dispose()


def digests(conn: Connection, sources: dict[str, tuple[str, str]]) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the rows as text) per source query, the rows in the order given."""
    out = {}
    for name, (query, order) in sources.items():
        aggregate = f"md5(string_agg(t::text, E'\\n' ORDER BY {order}))"
        row = conn.execute(text(f"SELECT count(*), {aggregate} FROM ({query}) t")).one()
        out[name] = (int(row[0]), str(row[1]))
    return out


# every column, surrogate ids included, in key order
RAW = {
    t.name: (f'SELECT * FROM "{t.name}"', f't."{t.primary_key.columns[0].name}"')
    for t in schema.TABLES
    if t.name in DATA
}
# ids replaced by the natural keys they point at; the rows in text order
CANONICAL = {
    t: (str(canonical_query(t).compile(dialect=postgresql.dialect())), "t::text") for t in DATA
}


def upload_states(conn: Connection) -> dict[int, int]:
    rows = conn.execute(text('SELECT "UploadLogId", "ProcessingState" FROM "UploadLog"'))
    return {int(i): int(s) for i, s in rows}


# -- the loader process -------------------------------------------------------------------------


def loader(url: str, prepared: Path, stop: int) -> subprocess.Popen[str]:
    """The month-2 load of region 40, named so the test can find its sessions."""
    app_url = make_url(url).update_query_dict({"application_name": APP})
    return pausing_loader(app_url.render_as_string(hide_password=False), prepared, 40, MONTH2, stop)


def waiting(engine: Engine, statement: str) -> Callable[[], bool]:
    def check() -> bool:
        with engine.connect() as conn:
            return bool(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app "
                        "AND datname = current_database() AND wait_event_type = 'Lock' "
                        "AND query LIKE :q"
                    ),
                    {"app": APP, "q": "%" + statement + "%"},
                )
            )

    return check


# -- kill points ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseAt:
    """Kill the loader paused at point `number` of the load."""

    number: int
    description: str

    @property
    def position(self) -> float:
        return self.number

    def crash(self, url: str, prepared: Path, engine: Engine) -> str:
        child = loader(url, prepared, self.number)
        where = paused(child)
        # the same point as in the clean run (ids in the description aside)
        assert re.sub(r"\d+", "#", where) == re.sub(r"\d+", "#", self.description), where
        kill(child)
        return f"{self.number}: {where}"


@dataclass(frozen=True)
class HeldAt:
    """Kill the loader while the server runs `statement` for it, blocked by `lock`."""

    name: str
    lock: str
    params: tuple[tuple[str, Any], ...]
    statement: str
    position: float

    def crash(self, url: str, prepared: Path, engine: Engine) -> str:
        with engine.connect() as holder:
            holder.execute(text(self.lock), dict(self.params))
            child = loader(url, prepared, stop=10**9)
            try:
                wait_until(waiting(engine, self.statement), self.name, [child])
            finally:
                kill(child)
            holder.rollback()  # the server finishes the statement, then finds the client gone
        return self.name


def middle_parcels(clean_url: str) -> tuple[str, str]:
    """A location the clean run only refreshed and one it rewrote, each the middle one of its
    kind (the journal of the clean run says which is which)."""
    engine = create_engine(clean_url)
    with engine.connect() as conn:
        refreshed, rewritten = (
            conn.scalars(
                text(f'SELECT "PrimaryId" FROM "{table}" WHERE "Inserted" = :i ORDER BY 1'),
                {"i": inserted},
            ).all()
            for table, inserted in (
                ("PropmailJournalLocationKey", 2),
                ("PropmailJournalLocation", 0),
            )
        )
    engine.dispose()
    assert refreshed and rewritten
    return refreshed[len(refreshed) // 2], rewritten[len(rewritten) // 2]


def held_points(points: list[str], prepared: Path, clean_url: str) -> list[HeldAt]:
    """Kill points inside statements, at the middle row of each merge."""
    with prepared.open("rb") as file:
        processed = pickle.load(file)[2]
    new_code = "Foreclosure - HE-OO"
    owner = processed.owners.sort("Slug")["Slug"][processed.owners.height // 2]
    refreshed, rewritten = middle_parcels(clean_url)
    location = 'SELECT 1 FROM "Location" WHERE "RegionId" = 40 AND "PrimaryId" = :p FOR UPDATE'

    def at(prefix: str) -> float:
        return next(i for i, p in enumerate(points, 1) if p.startswith(prefix)) + 0.5

    return [
        HeldAt(
            "waiting for the region lock",
            "SELECT pg_advisory_xact_lock(:k, 40)",
            (("k", REGION_LOCK_KEY),),
            "SELECT pg_advisory_xact_lock",
            at("before SELECT pg_advisory_xact_lock"),
        ),
        HeldAt(
            "half-way through creating list codes",
            'INSERT INTO "ListPriority" ("Code", "Name") VALUES (:c, :c)',
            (("c", new_code),),
            'INSERT INTO "ListPriority"',
            at('before INSERT INTO "ListPriority"'),
        ),
        HeldAt(
            "half-way through the owner merge",
            'SELECT 1 FROM "Owner" WHERE "Slug" = :s FOR UPDATE',
            (("s", owner),),
            'INSERT INTO "Owner"',
            at("before WITH written AS (INSERT"),
        ),
        HeldAt(
            "half-way through the location refresh",
            location,
            (("p", refreshed),),
            'UPDATE "Location" SET',
            at('before UPDATE "Location" SET'),
        ),
        HeldAt(
            "half-way through the location merge",
            location,
            (("p", rewritten),),
            'INSERT INTO "Location"',
            at('before INSERT INTO "Location"'),
        ),
    ]


# -- the test --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The tables before the load (raw) and after a clean run (canonical)."""

    before: dict[str, tuple[int, str]]
    before_logs: dict[int, int]
    after: dict[str, tuple[int, str]]

    def check(self, conn: Connection, where: str) -> str:
        """After a kill: 'before' (upload not done) or 'after' (upload done), nothing else."""
        logs = upload_states(conn)
        assert {i: logs[i] for i in self.before_logs} == self.before_logs, where
        new = [state for i, state in sorted(logs.items()) if i not in self.before_logs]
        if digests(conn, RAW) == self.before:
            assert 3 not in new, where  # the upload is not marked done
            return "before"
        assert digests(conn, CANONICAL) == self.after, where
        assert new[-1] == 3, where
        return "after"


def crash_sequence(
    url: str,
    kills: list[PauseAt | HeldAt],
    prepared: Path,
    expected: Expected,
    rerun: Callable[[str], None],
) -> list[tuple[float, str, str]]:
    """Kill at each point in turn on one database, check it, then re-run the upload."""
    engine = create_engine(url)
    outcomes = []
    try:
        for point in kills:
            where = point.crash(url, prepared, engine)
            with engine.connect() as conn:
                outcomes.append((point.position, where, expected.check(conn, where)))
        rerun(url)
        with engine.connect() as conn:
            assert digests(conn, CANONICAL) == expected.after  # equal to the clean run
    finally:
        engine.dispose()
    return outcomes


def test_a_killed_load_leaves_the_tables_as_before_and_a_rerun_as_a_clean_run(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    month1, niches1, month2, niches2 = write_months(tmp_path)
    name = server.url.database

    template = server.create(f"{name}_crash_month1")
    backend = connect(template)
    backend.init({40: "Roanoke", 41: "Salem"}, load_options(load_rules()))
    run_job(Inputs.gather(month1, niches1), 40, backend=backend, now=MONTH1)
    backend.dispose()
    ready = prepare(Inputs(month2, niches2))
    assert ready[2].locations.height >= 50_000
    assert "Foreclosure - HE-OO" in set(ready[2].locations["PriorityCode"])
    prepared = tmp_path / "month2.pickle"
    prepared.write_bytes(pickle.dumps(ready))

    # the clean run, through the same loader, numbering its points
    urls = [
        server.create(f"{name}_crash_{n}", template=f"{name}_crash_month1")
        for n in ("clean", *range(SEQUENCES))
    ]
    clean = loader(urls[0], prepared, stop=0)
    out, err = clean.communicate()
    assert clean.returncode == 0, err
    points = [line.split("\t", 2)[2] for line in out.splitlines()]
    engine = create_engine(urls[0])
    with engine.connect() as conn:
        after = digests(conn, CANONICAL)
        assert list(upload_states(conn).values())[-1] == 3
    engine.dispose()
    engine = create_engine(template)
    with engine.connect() as conn:
        expected = Expected(digests(conn, RAW), upload_states(conn), after)
    engine.dispose()

    kills: list[PauseAt | HeldAt] = [
        PauseAt(i, p) for i, p in enumerate(points, 1) if p.startswith(KILLED_AT)
    ]
    kills += held_points(points, prepared, urls[0])
    kills.sort(key=lambda k: k.position)
    assert len(kills) >= 20

    monkeypatch.setattr(job, "prepare", lambda *_args, **_kwargs: ready)

    def rerun(url: str) -> None:
        backend = connect(url)
        result = run_job(Inputs.gather(month2, niches2), 40, backend=backend, now=MONTH2).load
        backend.dispose()
        assert result is not None and result.processing_state == 3

    # the sequences run side by side, each on its own database, each through every phase
    with ThreadPoolExecutor(SEQUENCES) as pool:
        runs = [
            pool.submit(crash_sequence, url, kills[n::SEQUENCES], prepared, expected, rerun)
            for n, url in enumerate(urls[1:])
        ]
        outcomes = sorted(o for run in runs for o in run.result())

    # only the kills after the commit find the load done: the step that says so, and the end
    after_commit = ("step load committed", "after the job")
    done = [i for i, p in enumerate(points, 1) if p.startswith(after_commit)]
    assert done[-1] == len(points)
    assert [position for position, _, state in outcomes if state == "after"] == done
    print(
        f"\ncrash: {len(kills)} kill points over a load of {ready[2].locations.height:,} rows "
        f"({len(points)} points numbered), {sum(after[t][0] for t in DATA):,} rows compared "
        "after each kill and re-run:\n  " + "\n  ".join(f"{w} -> {s}" for _, w, s in outcomes)
    )
