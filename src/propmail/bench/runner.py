"""The benchmark run: generate the data, run every measurement in a fresh process, report.

Per backend, in this order: propmail's month 1 into an empty database, the same files again
on the same day (recognised as identical, then again with `--force`), the same files a month
later, a month with 10 % of the rows changed, a mail drop planned over the region (`propmail
drop plan`), then the last three loads undone, newest first (`propmail undo`), and month 1
loaded alone again and undone (its journal is pruned by then); the floor on the same rows;
dlt's merge of the same rows; the guide's literal design on the same data (or its first rows).
Databases are the benchmark's own: SQLite files in the work directory, PostgreSQL databases
created on the server given and dropped at the end.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from propmail.bench import DEFAULT_PG_URL, data, scenarios
from propmail.errors import DatabaseUnavailable
from propmail.redact import masked_url, redact

REGION_ID = 40
MONTH1 = datetime(2026, 5, 4, 9, 30)
RERUN = datetime(2026, 5, 4, 11, 30)  # the same files again, the same day
MONTH2 = datetime(2026, 6, 4, 9, 30)  # the same files a month later
MONTH3 = datetime(2026, 7, 6, 9, 30)  # 10 % of the rows changed
DROP_DATE = date(2026, 7, 13)  # the Monday after: a drop plan over the region

Echo = Callable[[str], None]


@dataclass
class Config:
    rows: int = 200_000
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    pg_url: str = DEFAULT_PG_URL
    work: Path | None = None  # default: a temporary directory, removed afterwards
    guide_rows: int = 100_000  # the literal design runs on at most this many rows
    seed: int = 1
    rules: str | None = None  # a rules file for propmail's runs (e.g. [journal] enabled = false)
    # dlt's merge (the `bench` extra) on at most this many rows per backend, extrapolated:
    # its SQLite destination merges through SQLAlchemy statements, far from a bulk path
    dlt_rows: dict[str, int] = field(
        default_factory=lambda: {"sqlite": 20_000, "postgresql": 1_000_000_000}
    )


@dataclass
class BackendRuns:
    backend: str
    month1: dict[str, Any]
    rerun: dict[str, Any]
    month2: dict[str, Any]
    changed: dict[str, Any]
    floor: dict[str, Any]
    guide: dict[str, Any]
    # the same files again the same day with --force: run in full, every row compared
    rerun_forced: dict[str, Any] = field(default_factory=dict)
    # dlt's merge of the same owner and location rows (or why it did not run: "skipped")
    dlt: dict[str, Any] = field(default_factory=dict)
    # the floor with the same Arrow staging as propmail (SQLite; PostgreSQL COPYs either way)
    floor_arrow: dict[str, Any] | None = None
    # month 1 and the next month with [journal] enabled = false, into a database of their own
    unjournaled_month1: dict[str, Any] = field(default_factory=dict)
    unjournaled_month2: dict[str, Any] = field(default_factory=dict)
    journal_bytes: int = 0  # what the journal tables hold after month 1, rerun, next month
    # each journaled load undone, newest first, by the name of the run it undoes
    undo: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `propmail changes` of the month with 10 % of the rows changed, and that load's time
    changes: dict[str, Any] = field(default_factory=dict)
    # `propmail drop plan` over the region after the last month (docs/drop.md)
    drop: dict[str, Any] = field(default_factory=dict)


@dataclass
class Results:
    config: Config
    started: datetime
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    guide_rows: int = 0
    runs: list[BackendRuns] = field(default_factory=list)


def fresh(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run `fn(*args)` in a new interpreter (its own peak memory); the same sys.path.

    The disk's write-back of what came before (the generated files, the last run's database)
    is done first, so that it is not timed as part of this run.
    """
    if hasattr(os, "sync"):
        os.sync()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def _done(echo: Echo, label: str, run: dict[str, Any]) -> None:
    seconds = run.get("seconds", run.get("load", {}).get("seconds", 0.0))
    echo(f"{label}: {seconds:.1f} s, peak RSS {run.get('peak_rss_mb', 0):,.0f} MB")


class Databases:
    """Empty databases for one backend, named per run; PostgreSQL ones dropped on close."""

    def __init__(self, backend: str, work: Path, pg_url: str) -> None:
        self.backend, self.work = backend, work
        self.created: list[str] = []
        self.server = make_url(pg_url)
        self.tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"

    def url(self, name: str) -> str:
        if self.backend == "sqlite":
            path = self.work / f"{self.backend}-{name}.db"
            for stale in path.parent.glob(path.name + "*"):
                stale.unlink()
            return f"sqlite:///{path}"
        database = f"propmail_bench_{self.tag}_{name}"
        self._admin(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return self.server.set(database=database).render_as_string(hide_password=False)

    def check_server(self) -> None:
        """DatabaseUnavailable (exit status 4) unless the server takes a connection."""
        self._admin("SELECT 1")

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        except Exception as exc:  # any connection failure: say where, exit 4 as other commands
            raise DatabaseUnavailable(
                f"option --pg-url: PostgreSQL not usable at {masked_url(self.server)}: "
                f"{type(exc).__name__}: {redact(str(exc).strip().splitlines()[0])}"
            ) from None
        finally:
            engine.dispose()

    def settle(self) -> None:
        """Before a measured run: PostgreSQL writes its dirty pages out now (CHECKPOINT), so a
        run is not timed with the last one's checkpoint; skipped where the role may not."""
        if self.backend == "sqlite":
            return
        # neither superuser nor pg_checkpoint: the run is timed as it comes
        with contextlib.suppress(DatabaseUnavailable):
            self._admin("CHECKPOINT")

    def close(self) -> None:
        for database in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.created = []


@contextmanager
def work_directory(config: Config) -> Iterator[Path]:
    if config.work:
        config.work.mkdir(parents=True, exist_ok=True)
        yield config.work
        return
    path = Path(tempfile.mkdtemp(prefix="propmail-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _undo(
    echo: Echo,
    backend: str,
    name: str,
    url: str,
    load: dict[str, Any],
    measured: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """`propmail undo` of the load `load` measured, with that load's own time beside it."""
    echo(f"{backend}: propmail undo of {name}")
    undone = measured(scenarios.propmail_undo, url, load["load"]["upload_log_id"])
    undone["load_seconds"] = load["seconds"]
    _done(echo, f"{backend}: undo of {name}", undone)
    return undone


def run_backend(
    backend: str, inputs: data.Inputs, work: Path, config: Config, echo: Echo
) -> BackendRuns:
    dbs = Databases(backend, work, config.pg_url)
    first, later, subset = inputs.first, inputs.changed, inputs.subset

    def measured(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        dbs.settle()
        return fresh(fn, *args)

    try:
        url = dbs.url("propmail")
        scenarios.init_database(url, REGION_ID)
        runs: dict[str, dict[str, Any]] = {}
        journal = 0
        for name, month, now, save in (
            ("month1", first, MONTH1, str(work)),
            ("rerun", first, RERUN, None),
            ("rerun_forced", first, RERUN, None),
            ("month2", first, MONTH2, None),
            ("changed", later, MONTH3, None),
        ):
            echo(f"{backend}: propmail {name}")
            runs[name] = measured(
                scenarios.propmail_month,
                str(month.upload),
                month.niche_specs(),
                url,
                REGION_ID,
                now,
                save,
                config.rules,
                name == "rerun_forced",
            )
            _done(echo, f"{backend}: propmail {name}", runs[name])
            if name == "month2":
                journal = scenarios.journal_bytes(url)
        echo(f"{backend}: propmail changes of the changed month")
        changes = measured(
            scenarios.propmail_changes, url, REGION_ID, runs["changed"]["load"]["upload_log_id"]
        )
        changes["load_seconds"] = runs["changed"]["seconds"]
        _done(echo, f"{backend}: propmail changes", changes)
        echo(f"{backend}: propmail drop plan")
        drop = measured(scenarios.drop_plan, url, REGION_ID, DROP_DATE, config.rules)
        _done(echo, f"{backend}: propmail drop plan", drop)
        undo: dict[str, dict[str, Any]] = {}
        for name in ("changed", "month2", "rerun_forced"):  # "rerun" loaded nothing
            undo[name] = _undo(echo, backend, name, url, runs[name], measured)
        # month 1's journal is pruned by now ([journal] keep_loads_per_region): month 1 again,
        # into a database of its own, then undone
        alone = dbs.url("undo")
        scenarios.init_database(alone, REGION_ID)
        echo(f"{backend}: propmail month1 again, to be undone")
        month1 = measured(
            scenarios.propmail_month,
            str(first.upload),
            first.niche_specs(),
            alone,
            REGION_ID,
            MONTH1,
            None,
            config.rules,
        )
        undo["month1"] = _undo(echo, backend, "month1", alone, month1, measured)
        unjournaled = dbs.url("unjournaled")
        scenarios.init_database(unjournaled, REGION_ID)
        no_journal = work / "no-journal.toml"
        no_journal.write_text("[journal]\nenabled = false\n", encoding="utf-8")
        for name, now in (("unjournaled_month1", MONTH1), ("unjournaled_month2", MONTH2)):
            echo(f"{backend}: propmail {name}")
            runs[name] = measured(
                scenarios.propmail_month,
                str(first.upload),
                first.niche_specs(),
                unjournaled,
                REGION_ID,
                now,
                None,
                str(no_journal),
            )
            _done(echo, f"{backend}: propmail {name}", runs[name])
        paths = [str(first.upload), *(str(p) for p in first.niches.values())]
        for name, arrow in (("floor", False), ("floor_arrow", True)):
            if arrow and backend != "sqlite":
                continue
            echo(f"{backend}: {name}")
            runs[name] = measured(
                scenarios.floor_run, paths, str(work), dbs.url(name), REGION_ID, MONTH1, arrow
            )
            _done(echo, f"{backend}: {name} load", runs[name]["load"])
        dlt_rows = min(config.rows, config.dlt_rows.get(backend, config.rows))
        echo(f"{backend}: dlt's merge on {dlt_rows:,} rows")
        runs["dlt"] = measured(
            scenarios.dlt_run, str(work), dbs.url("dlt"), REGION_ID, MONTH1, dlt_rows
        )
        _done(echo, f"{backend}: dlt", runs["dlt"].get("load", {}))
        echo(f"{backend}: the guide's literal design on {inputs.subset_rows:,} rows")
        guide_url = dbs.url("guide")
        scenarios.init_database(guide_url, REGION_ID)
        runs["guide"] = measured(
            scenarios.guide_run,
            str(subset.upload),
            {k: str(v) for k, v in subset.niches.items()},
            guide_url,
            REGION_ID,
            MONTH1,
        )
        _done(echo, f"{backend}: guide", runs["guide"])
    finally:
        dbs.close()
    return BackendRuns(
        backend=backend, journal_bytes=journal, undo=undo, changes=changes, drop=drop, **runs
    )


def run(config: Config, echo: Echo) -> Results:
    results = Results(config=config, started=datetime.now(), load_before=os.getloadavg())
    with work_directory(config) as work:
        if "postgresql" in config.backends:  # unreachable: say so before generating the rows
            Databases("postgresql", work, config.pg_url).check_server()
        echo(f"generating {config.rows:,} rows in {work}")
        inputs = data.generate(work, config.rows, config.guide_rows, config.seed)
        results.guide_rows = inputs.subset_rows
        for backend in config.backends:
            results.runs.append(run_backend(backend, inputs, work, config, echo))
    results.load_after = os.getloadavg()
    return results
