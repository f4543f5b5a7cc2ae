"""Time `propmail batch` over REGIONS synthetic uploads of ROWS rows each, for each --jobs value.

    python scripts/time_batch.py --rows 100000 --regions 12 --jobs 1,2 --db sqlite
    python scripts/time_batch.py --rows 100000 --regions 12 --jobs 1,2 \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The uploads (parquet, `propmail.synth`) and the manifest go to --dir. Each run starts from an
empty database: SQLite, a new file in --dir; PostgreSQL, a database of the script's own
(`propmail_time_batch`, created on the server the URL names and dropped at the end). Prints,
per --jobs, the batch's wall time, the jobs' seconds added up, and the database's part of them
(from each job's UploadLog row to its commit), with the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from propmail import synth
from propmail.batch.manifest import load_manifest
from propmail.batch.run import run_batch
from propmail.db import connect
from propmail.settings import load_rules

DATABASE = "propmail_time_batch"


def month(folder: Path, regions: range, rows: int) -> Path:
    (folder / "uploads").mkdir(parents=True, exist_ok=True)
    for region in regions:
        path = folder / "uploads" / f"region-{region}.parquet"
        if not path.exists():
            synth.upload(rows, seed=region).write_parquet(path)
    manifest = folder / "batch.toml"
    manifest.write_text(
        'max_concurrent_loads = 8\n[[job]]\nupload = "uploads/region-{region}.parquet"\n',
        encoding="utf-8",
    )
    return manifest


def empty_database(db: str, folder: Path) -> str:
    if db == "sqlite":
        path = folder / "batch.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    server = make_url(db)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return server.set(database=DATABASE).render_as_string(hide_password=False)


def drop(db: str) -> None:
    if db != "sqlite":
        admin = create_engine(make_url(db), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=12)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server's URL")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/propmail-time-batch"))
    args = parser.parse_args()
    regions = range(1, args.regions + 1)
    kind = args.db.split(":")[0].split("+")[0]
    manifest = load_manifest(month(args.dir, regions, args.rows))
    for jobs in (int(j) for j in args.jobs.split(",")):
        url = empty_database(args.db, args.dir)
        backend = connect(url)
        backend.init({r: f"Region {r}" for r in regions}, load_rules())
        backend.dispose()
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        outcomes = run_batch(manifest, url, jobs=jobs)
        wall = time.perf_counter() - started
        assert all(o.state == "done" for o in outcomes), [o.error for o in outcomes]
        busy = sum(o.seconds for o in outcomes)
        database = sum(o.load_seconds for o in outcomes)
        print(
            f"{kind} {args.regions} x {args.rows:,} rows --jobs {jobs}: "
            f"wall {wall:.1f} s; jobs {busy:.1f} s, of which the database {database:.1f} s "
            f"({database / busy:.0%}); load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
        )
    drop(args.db)


if __name__ == "__main__":
    main()
