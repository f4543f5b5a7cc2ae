"""Concurrency on PostgreSQL: eight `propmail process` runs at once, released together.

Each process loads its own upload into its own region. The uploads share 300 owners (same
slug, different values, in a different order in every file). A lock held by the test keeps the
processes waiting at one chosen statement until all eight are there, then lets them race:

- at the list-code get-or-create, with 500 codes that do not exist yet;
- at the owner merge, with the codes already there.

Afterwards: no error, each code exists once with one frequency row per region, every shared
owner holds the whole row of one load (the last one to commit), and every location points at
its own owner and list code.
"""

from __future__ import annotations

import pickle
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Connection, Engine, create_engine, select, text

from propmail import synth
from propmail.db import connect, schema
from propmail.db.schema import OWNER_FIELDS
from propmail.inputs import Inputs
from propmail.job import prepare, run_job
from propmail.pipeline import Processed
from propmail.settings import load_rules
from tests.conftest import backend_url
from tests.db.processes import cli, paused, pausing_loader, wait_until

pytestmark = pytest.mark.postgres

LOADERS = 8
ROWS = 1000
SHARED_OWNERS = 300
REGIONS = {p: f"Region {p}" for p in range(1, LOADERS + 1)}

# nine prefix rules, one per bit of the neighborhood number: N1 ... N500 give 500 codes
BITS = 9
CODE_NUMBERS = range(1, 501)
CODES_RULES = "\n".join(
    [
        'replace = ["priority", "prefix"]\n',
        '[[priority]]\ncode = "OO"\nwhen = "always"\nis_absentee = 0\n',
        *(
            f'[[prefix]]\nprefix = "P{bit}-"\ncolumn = "LocationNeighborhood"\nop = "in"\n'
            f"values = {[f'N{k}' for k in CODE_NUMBERS if k >> bit & 1]}\n"
            for bit in range(BITS)
        ),
    ]
)
# each rule prepends its prefix, so the highest bit ends up leftmost
NEW_CODES = sorted(
    "".join(f"P{bit}-" for bit in reversed(range(BITS)) if k >> bit & 1) + "OO"
    for k in CODE_NUMBERS
)


def write_upload(folder: Path, loader: int) -> Path:
    """Loader `loader`'s upload: shared owners carry its own name, rows in its own order."""
    rows = synth.upload(ROWS, seed=400 + loader)
    shared = synth.upload(SHARED_OWNERS, seed=399).select(
        pl.col("OwnerAddress1").alias("shared_street"), pl.col("OwnerZip").alias("shared_zip")
    )
    index = np.arange(ROWS)
    is_shared = pl.Series(index < SHARED_OWNERS)
    padded = pl.concat(
        [
            shared,
            pl.DataFrame({"shared_street": [None], "shared_zip": [None]}, schema=shared.schema),
        ]
    )[np.minimum(index, SHARED_OWNERS).tolist()]
    rows = pl.concat([rows, padded], how="horizontal").with_columns(
        pl.when(is_shared).then("shared_street").otherwise("OwnerAddress1").alias("OwnerAddress1"),
        pl.when(is_shared).then("shared_zip").otherwise("OwnerZip").alias("OwnerZip"),
        pl.when(is_shared)
        .then(pl.col("OwnerName") + f" LOADER{loader}")
        .otherwise("OwnerName")
        .alias("OwnerName"),
        pl.Series("LocationNeighborhood", [f"N{CODE_NUMBERS[i % 500]}" for i in index]),
    )
    order = np.random.default_rng(loader).permutation(ROWS).tolist()
    path = folder / f"upload_{loader}.csv"
    rows.drop("shared_street", "shared_zip")[order].write_csv(path)
    return path


def waiting_at(engine: Engine, statement: str) -> int:
    """How many sessions wait for a lock while running a statement that contains `statement`."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE :q"
                ),
                {"q": "%" + statement + "%"},
            )
            or 0
        )


def race(
    engine: Engine, url: str, uploads: dict[int, Path], rules: Path, lock: str, statement: str
) -> dict[int, str]:
    """Start every loader, hold them at `statement` behind `lock`, release them together."""
    with engine.connect() as holder:
        holder.execute(text(lock))
        children = {
            p: cli("process", str(path), "--region", str(p), "--db", url, "--rules", str(rules))
            for p, path in uploads.items()
        }
        try:
            wait_until(
                lambda: waiting_at(engine, statement) == LOADERS,
                f"all {LOADERS} loaders wait at {statement}",
                list(children.values()),
            )
        except BaseException:
            for child in children.values():
                child.kill()
            raise
        holder.rollback()  # release: all eight run the statement at once
    outputs = {}
    for p, child in children.items():
        out, err = child.communicate()
        assert child.returncode == 0, f"loader {p} failed:\n{out}\n{err}"
        outputs[p] = out
    return outputs


def plain(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def processed(uploads: dict[int, Path], rules: Path) -> dict[int, Processed]:
    """What each loader's pipeline produces (the pipeline is pure, so the test can run it too)."""
    settings = load_rules(rules)
    return {p: prepare(Inputs(path, rules=settings))[2] for p, path in uploads.items()}


def check_owners(conn: Connection, loads: dict[int, Processed]) -> None:
    """Every owner is the whole row of the load that wrote it last; shared ones of one load."""
    names = [f.name for f in OWNER_FIELDS]
    expected = {
        p: {row[0]: tuple(plain(v) for v in row) for row in out.owners.select(names).iter_rows()}
        for p, out in loads.items()
    }
    txid = {
        int(re.sub(r"\D", "", name)): xmin
        for name, xmin in conn.execute(text('SELECT "FileName", xmin::text FROM "UploadLog"'))
    }
    loader_of = {xmin: p for p, xmin in txid.items()}
    columns = ", ".join(f'"{n}"' for n in names)
    rows = conn.execute(text(f'SELECT xmin::text, {columns} FROM "Owner"')).all()
    assert {r[1] for r in rows} == set().union(*expected.values())
    shared_writers = set()
    for xmin, *values in rows:
        writer = loader_of[xmin]  # the row was last written by one of the loads
        assert tuple(values) == expected[writer][values[0]], values[0]
        if all(values[0] in mine for mine in expected.values()):
            shared_writers.add(writer)
    # the shared owners were written last by one load: no load's update was half lost
    assert len(shared_writers) == 1


def check_locations(conn: Connection, loads: dict[int, Processed]) -> None:
    """Every location of every load, pointing at its own owner and its own list code."""
    found = conn.execute(
        text(
            'SELECT l."RegionId", l."PrimaryId", o."Slug", lp."Code", l."PriorityCode" '
            'FROM "Location" l JOIN "Owner" o ON o."OwnerId" = l."OwnerId" '
            'JOIN "ListPriority" lp ON lp."ListPriorityId" = l."ListPriorityId"'
        )
    ).all()
    assert all(code == priority_code for *_, code, priority_code in found)
    wanted = {
        (p, primary_id, slug)
        for p, out in loads.items()
        for primary_id, slug in out.locations.select("PrimaryId", "OwnerSlug").iter_rows()
    }
    assert {(r, i, s) for r, i, s, _, _ in found} == wanted


def owners_reported(output: str) -> tuple[int, int, int]:
    """(inserted, updated, unchanged) owners from a summary."""
    found = re.search(
        r"owners inserted / updated / unchanged\D*([\d,]+) / ([\d,]+) / ([\d,]+)", output
    )
    assert found, output
    inserted, updated, unchanged = (int(g.replace(",", "")) for g in found.groups())
    return inserted, updated, unchanged


def new_codes_reported(outputs: dict[int, str]) -> int:
    counts = [re.search(r"new list codes\D*([\d,]+)", out) for out in outputs.values()]
    assert all(counts), outputs
    return sum(int(m.group(1).replace(",", "")) for m in counts if m)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Engine]:
    url = backend_url(request, "postgresql", tmp_path)
    backend = connect(url)
    backend.init(dict(REGIONS), load_rules())
    backend.dispose()
    engine = create_engine(url)
    request.addfinalizer(engine.dispose)
    return url, engine


def test_eight_loads_create_500_shared_codes_once(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    rules = tmp_path / "codes.toml"
    rules.write_text(CODES_RULES)
    uploads = {p: write_upload(tmp_path, p) for p in REGIONS}
    with engine.connect() as conn:
        base_codes = set(conn.scalars(select(schema.list_priority.c.Code)))
    assert not base_codes & set(NEW_CODES)

    outputs = race(
        engine,
        url,
        uploads,
        rules,
        'LOCK TABLE "ListPriority" IN SHARE ROW EXCLUSIVE MODE',
        'INSERT INTO "ListPriority"',
    )

    assert new_codes_reported(outputs) == len(NEW_CODES)  # each code created by one load
    loads = processed(uploads, rules)
    with engine.connect() as conn:
        codes = set(conn.scalars(select(schema.list_priority.c.Code)))
        assert codes - base_codes == set(NEW_CODES)
        frequencies = conn.execute(
            text(
                'SELECT lp."Code", f."RegionId", count(*) FROM "RegionListFrequency" f '
                'JOIN "ListPriority" lp ON lp."ListPriorityId" = f."ListId" '
                'GROUP BY lp."Code", f."RegionId"'
            )
        ).all()
        assert {(c, r) for c, r, _ in frequencies} == {(c, r) for c in codes for r in REGIONS}
        assert {n for *_, n in frequencies} == {1}
        states = conn.scalars(select(schema.upload_log.c.ProcessingState)).all()
        assert states == [3] * LOADERS
        check_owners(conn, loads)
        check_locations(conn, loads)
    print(
        f"\nconcurrency: {LOADERS} loaders, {len(NEW_CODES)} new codes created once, "
        f"{len(frequencies) - len(base_codes) * len(REGIONS)} new frequency rows"
    )


def test_eight_loads_merge_shared_owners_without_deadlock(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    rules = tmp_path / "codes.toml"
    rules.write_text(CODES_RULES)
    uploads = {p: write_upload(tmp_path, p) for p in REGIONS}
    # the codes exist already, so nothing but the owner rows is shared
    run_job(Inputs.gather(uploads[1], rules=rules), 1, db_url=url)
    with engine.begin() as conn:
        conn.execute(text('DELETE FROM "Location"'))
        conn.execute(text('DELETE FROM "Owner"'))
        conn.execute(text('DELETE FROM "UploadLog"'))

    outputs = race(
        engine,
        url,
        uploads,
        rules,
        'LOCK TABLE "Owner" IN SHARE MODE',
        'INSERT INTO "Owner"',
    )

    loads = processed(uploads, rules)
    with engine.connect() as conn:
        check_owners(conn, loads)
        check_locations(conn, loads)
        owners = conn.scalar(text('SELECT count(*) FROM "Owner"'))
    # the summaries tell what happened: each owner inserted by one load, updated by the others
    reported = [owners_reported(out) for out in outputs.values()]
    assert sum(inserted for inserted, _, _ in reported) == owners
    assert [sum(r) for r in reported] == [out.owners.height for out in loads.values()]
    shared = SHARED_OWNERS * (LOADERS - 1)
    assert sum(updated for _, updated, _ in reported) >= shared


def test_two_loads_of_one_region_never_interleave(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    """A second load of a region waits for the first to commit; other regions go on."""
    url, engine = database
    first = synth.upload(ROWS, seed=500)
    second = first.with_columns(pl.lit("JUDGMENT").alias("LienType"))  # every code changes
    other = synth.upload(ROWS, seed=501)
    paths = {}
    for name, frame in (("first", first), ("second", second), ("other", other)):
        paths[name] = tmp_path / f"{name}.csv"
        frame.write_csv(paths[name])
    # the other region's codes and owners exist, so nothing but the region lock could hold it
    run_job(Inputs.gather(paths["other"]), 3, db_url=url)
    prepared = tmp_path / "first.pickle"
    prepared.write_bytes(pickle.dumps(prepare(Inputs(paths["first"]))))

    holder = pausing_loader(url, prepared, 1, datetime.now(), "step merging locations")
    paused(holder)  # owners merged, state 9 committed, the transaction open
    same_region = cli("process", str(paths["second"]), "--region", "1", "--db", url)
    wait_until(lambda: waiting_for_region(engine) == 1, "the second load waits", [same_region])
    other_region = cli("process", str(paths["other"]), "--region", "2", "--db", url)
    out, err = other_region.communicate()
    assert other_region.returncode == 0, out + err
    assert same_region.poll() is None and waiting_for_region(engine) == 1

    assert holder.stdin is not None
    holder.stdin.close()  # the first load goes on and commits
    assert holder.wait() == 0
    out, err = same_region.communicate()
    assert same_region.returncode == 0, out + err

    with engine.connect() as conn:
        states = conn.scalars(select(schema.upload_log.c.ProcessingState)).all()
        codes = conn.scalars(
            text('SELECT DISTINCT "PriorityCode" FROM "Location" WHERE "RegionId" = 1')
        ).all()
    assert states == [3, 3, 3, 3]
    # the second load came last: every location of the region carries its lien
    assert codes and all("Liens-" in code for code in codes)


def waiting_for_region(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
            or 0
        )
