"""`propmail selftest`: the load semantics proven on a scratch database of the operator's server.

The scenario of `scenario.py` runs twice: on a scratch database of the server under test, and,
as the reference, on a scratch SQLite file, where the same loads run one after another. After
every load the canonical tables of both must be identical; on the way each property below is
checked. The first database is given by a factory (`open_backend`), so a test can hand in a
deliberately broken backend and see which property fails.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select

from propmail.db import EMBEDDED_URL, Batch, Database, LoadOptions, LoadResult, connect, schema
from propmail.db import fault as fault_of
from propmail.db import scratch as scratch_of
from propmail.errors import LoadError
from propmail.inputs import Inputs
from propmail.job import load_options, prepare, run_job
from propmail.selftest.canonical import DATA_TABLES, canonical, canonical_query, digest
from propmail.selftest.drop import PROPERTIES as DROP_PROPERTIES
from propmail.selftest.drop import run_drops
from propmail.selftest.scenario import MONTH3, Scenario
from propmail.settings import Rules, load_rules

OpenBackend = Callable[[str], Database]
Say = Callable[[str], None]

PROPERTIES = {
    "identical tables": "every table equals the reference run on SQLite, after every load",
    "identical counts": "inserted / updated / unchanged / frozen / new codes as the reference",
    "frozen rows unchanged": "rows aged past the update window stay byte for byte as they were",
    "same-day rerun": "the same upload again the same day writes no row",
    "rollback on failure": "a load failing inside the location merge leaves every table as before",
    "UploadLog states": "3 with RowsProcessed for each load done, 4 with the error when failed",
    "one region at a time": "a load of a region waits while another holds the region's lock",
    "regions concurrently": "loads of two regions at once both complete, as in the reference",
    "one row per new code": "concurrent creators of the same new list codes get one row each",
    **DROP_PROPERTIES,
}

# PostgreSQL's advisory locks are per database, not per schema: region ids no real region has,
# so the scratch schema's loads never wait for a production load, nor it for them
SELFTEST_REGIONS = (9001, 9002, 9003, 9004, 9005)
HOLD_SECONDS = 2.0  # how long a region lock is held while loads of that region must wait
JOIN_SECONDS = 900.0
NEW_CODES = [f"Selftest-{i:02d}-ABS1" for i in range(1, 41)]
CREATORS = 3
SHARED_CODE = "Concurrent - "  # prefixed to some codes of both concurrent regions
PARCEL = [c.name for c in schema.location.columns].index("PrimaryId")
PAST_THE_LOCK = {"staging", "list codes"}
DROP_START = date(
    2026, 7, 13
)  # the Monday after region A's last load  # steps of a load that run under its region lock


@dataclass
class Outcome:
    """One property: checked or not, and what broke it."""

    name: str
    description: str
    checked: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.checked and not self.failures

    @property
    def detail(self) -> str:
        if self.failures:
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            return self.failures[0] + more
        return "" if self.checked else "not checked: the scenario stopped before it"


@dataclass
class Report:
    """What `propmail selftest` prints: the server, and one outcome per property."""

    target: str
    outcomes: list[Outcome]
    seconds: float = 0.0
    server: str = ""  # the server's version, as `propmail db test` reports it

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    def outcome(self, name: str) -> Outcome:
        return next(o for o in self.outcomes if o.name == name)


class Checks:
    def __init__(self) -> None:
        self.outcomes = {n: Outcome(n, d) for n, d in PROPERTIES.items()}

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        outcome = self.outcomes[name]
        outcome.checked = True
        if not ok:
            outcome.failures.append(detail)
        return ok


@dataclass
class Trace:
    """What one run saw after each load: canonical tables and load counts, by label."""

    tables: dict[str, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    pieces: list[tuple[Any, ...]] | None = None  # the mail drops' pieces, by natural key


def _counts(result: LoadResult) -> dict[str, Any]:
    counts = result.as_dict()
    counts.pop("upload_log_id")
    return counts


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _upload_log_view(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """UploadLog rows comparable across servers and thread schedules: sorted, and a failed
    load's wall-clock end and driver message left out (they are checked apart)."""
    names = [c.name for c in canonical_query("UploadLog").selected_columns]
    state, ended, message = (
        names.index(n) for n in ("ProcessingState", "ProcessingEnded", "ErrorMessage")
    )
    view = []
    for row in rows:
        values = list(row)
        if values[state] != 3:
            values[ended] = values[message] = None
        view.append(tuple(values))
    return sorted(view, key=repr)


class Run:
    """One run of the scenario on one database."""

    def __init__(
        self,
        url: str,
        open_backend: OpenBackend,
        scenario: Scenario,
        folder: Path,
        rules: Rules,
        concurrent: bool,
        say: Say,
    ) -> None:
        self.url = url
        self.open_backend = open_backend
        self.scenario = scenario
        self.folder = folder
        self.rules = rules
        self.options: LoadOptions = load_options(rules)
        self.concurrent = concurrent
        self.say = say
        self.checks = Checks()
        self.trace = Trace()
        self.backend = open_backend(url)
        self.engine = self.backend.engine
        self.fault = fault_of(url)
        self.server = ""

    # -- reading the database -----------------------------------------------------------------

    def snapshot(self, label: str) -> None:
        tables = canonical(self.engine)
        tables["UploadLog"] = _upload_log_view(tables["UploadLog"])
        self.trace.tables[label] = tables

    def data_digest(self) -> dict[str, str]:
        return digest(canonical(self.engine, DATA_TABLES))

    def frozen_rows(self) -> list[tuple[Any, ...]]:
        """The aged rows exactly as stored: every column, ids and timestamps included."""
        location = schema.location
        query = (
            select(location)
            .where(
                location.c.RegionId == self.scenario.region_a,
                location.c.PrimaryId.in_(self.scenario.aged),
            )
            .order_by(location.c.PrimaryId)
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def check_done(self, label: str, log_id: int | None, rows: int) -> None:
        if log_id is None:
            self.checks.check("UploadLog states", False, f"{label}: no UploadLog row")
            return
        row = self.backend.upload_log(log_id)
        state, processed = row["ProcessingState"], row["RowsProcessed"]
        self.checks.check(
            "UploadLog states",
            state == 3 and processed == rows and row["ProcessingEnded"] is not None,
            f"{label}: UploadLog {log_id} has state {state}, RowsProcessed {processed} "
            f"(expected 3 and {rows})",
        )

    # -- the scenario -------------------------------------------------------------------------

    def execute(self) -> None:
        s = self.scenario
        self.server = str(self.backend.test_connection().get("version", ""))
        self.backend.init(s.all_regions, self.options)
        self.snapshot("db init")
        frozen: list[tuple[Any, ...]] = []
        previous: dict[str, str] = {}
        for i, load in enumerate(s.loads()):
            if i == len(s.loads()) - 1:
                self.failing_load(load.upload, load.region, load.niche_specs(self.folder))
            label = f"load {i + 1}: {load.upload} into region {load.region} at {load.now}"
            self.say(label)
            log_ids: list[int] = []
            result = run_job(
                Inputs.gather(self.folder / load.upload, load.niche_specs(self.folder)),
                load.region,
                backend=self.backend,
                now=load.now,
                force=True,  # every load of the scenario runs in full, a same-day rerun too
                on_upload_log=log_ids.append,
            ).load
            if result is None:  # run_job loads unless asked for a dry run
                raise LoadError(f"{label}: no load result")
            self.trace.counts[label] = _counts(result)
            self.check_done(label, log_ids[0] if log_ids else None, result.rows_processed)
            if i == 1:
                s.age(self.engine)
                frozen = self.frozen_rows()
                self.checks.check(
                    "frozen rows unchanged",
                    len(frozen) == len(s.aged),
                    f"{len(frozen)} of {len(s.aged)} aged rows found",
                )
                self.snapshot(f"{len(s.aged)} rows of region {s.region_a} aged")
            elif i >= 2:
                now = self.frozen_rows()
                changed = [a[PARCEL] for a, b in zip(frozen, now, strict=False) if a != b]
                self.checks.check(
                    "frozen rows unchanged",
                    now == frozen,
                    f"after {label}: {len(changed) or abs(len(now) - len(frozen))} aged rows "
                    f"changed, e.g. parcel {changed[:3]}",
                )
            current = self.data_digest()
            if i == 3:
                written = sorted(t for t in current if current[t] != previous.get(t))
                self.checks.check(
                    "same-day rerun",
                    not written
                    and result.locations_inserted + result.locations_updated == 0
                    and result.owners_inserted + result.owners_updated == 0,
                    f"{label} wrote {', '.join(written) or 'no table'} (locations inserted "
                    f"{result.locations_inserted}, updated {result.locations_updated}; owners "
                    f"inserted {result.owners_inserted}, updated {result.owners_updated})",
                )
            previous = current
            self.snapshot(label)
        self.drops()
        self.concurrency()

    def drops(self) -> None:
        """Weekly mail drops of region A after its last load (`propmail.selftest.drop`)."""
        self.say(f"mail drops of region {self.scenario.region_a}, weekly from {DROP_START}")
        run = run_drops(self.backend, self.rules, self.scenario.region_a, DROP_START)
        for name, failures in run.checks.items():
            if name != "drop as the reference":
                self.checks.check(name, not failures, failures[0] if failures else "")
        self.trace.pieces = run.pieces

    def failing_load(self, upload: str, region: int, niches: list[str]) -> None:
        """The next load with a fault inside its location merge: all of it must roll back."""
        self.say(f"a load of {upload} into region {region} failing inside the location merge")
        before = self.data_digest()
        log_ids: list[int] = []
        self.fault.inject(self.engine)
        try:
            run_job(
                Inputs.gather(self.folder / upload, niches),
                region,
                backend=self.backend,
                now=MONTH3 - timedelta(days=1),
                on_upload_log=log_ids.append,
            )
            error = "the load did not fail"
        except LoadError as exc:
            error = "" if self.fault.message in str(exc) else f"it failed otherwise: {exc}"
        finally:
            self.fault.remove(self.engine)
        after = self.data_digest()
        changed = sorted(t for t in after if after[t] != before[t])
        self.checks.check(
            "rollback on failure",
            not error and not changed,
            error or f"the failed load left {', '.join(changed)} changed",
        )
        if not log_ids:
            self.checks.check("UploadLog states", False, "the failed load wrote no UploadLog row")
        else:
            row = self.backend.upload_log(log_ids[0])
            message = row["ErrorMessage"] or ""
            self.checks.check(
                "UploadLog states",
                row["ProcessingState"] == 4
                and self.fault.message in message
                and row["ProcessingEnded"] is not None,
                f"the failed load's UploadLog {log_ids[0]} has state {row['ProcessingState']}, "
                f"ErrorMessage {_short(message, 80)}",
            )
        self.snapshot("a load failed inside the location merge")

    # -- concurrency ----------------------------------------------------------------------------

    def batches(self) -> tuple[Batch, Batch, Batch]:
        """The uploads of regions C, D and E; D and E share new list codes but no owner."""
        s, rules, options = self.scenario, self.rules, self.options
        now = MONTH3 + timedelta(hours=1)
        processed = {
            name: prepare(Inputs(self.folder / name, rules=rules))[2]
            for name in ("region_c.csv", "region_d.csv", "region_e.csv")
        }
        c, d, e = processed["region_c.csv"], processed["region_d.csv"], processed["region_e.csv"]
        shared = pl.col("PrimaryId").str.slice(11, 1).is_in(["0", "5"])
        code = pl.when(shared).then(SHARED_CODE + pl.col("PriorityCode")).otherwise("PriorityCode")
        d_slugs = d.owners["Slug"]
        e_owners = e.owners.filter(~pl.col("Slug").is_in(d_slugs.implode()))
        e_locations = e.locations.filter(~pl.col("OwnerSlug").is_in(d_slugs.implode()))
        return (
            Batch(s.region_c, c.owners, c.locations, options, now),
            Batch(
                s.region_d,
                d.owners,
                d.locations.with_columns(code.alias("PriorityCode")),
                options,
                now,
            ),
            Batch(
                s.region_e,
                e_owners,
                e_locations.with_columns(code.alias("PriorityCode")),
                options,
                now,
            ),
        )

    def concurrency(self) -> None:
        s = self.scenario
        region_c, region_d, region_e = self.batches()

        self.say(f"two loads of region {s.region_c} at once, while its lock is held")
        if self.concurrent:
            self.same_region(region_c)
        else:
            for _ in range(2):
                self.load_batch(region_c, [], [])
        self.snapshot(f"two loads of region {s.region_c}")

        self.say(f"loads of regions {s.region_d} and {s.region_e} at once")
        if self.concurrent:
            results = self.together([region_d, region_e])
            self.checks.check(
                "regions concurrently",
                all(isinstance(r, LoadResult) for r in results),
                "; ".join(
                    f"region {b.region_id}: {r}"
                    for b, r in zip((region_d, region_e), results, strict=True)
                    if not isinstance(r, LoadResult)
                ),
            )
        else:
            for batch in (region_d, region_e):
                self.load_batch(batch, [], [])
        self.snapshot(f"loads of regions {s.region_d} and {s.region_e}")

        self.say(f"{CREATORS} creators of the same {len(NEW_CODES)} new list codes at once")
        self.new_codes()
        self.snapshot("new list codes created at once")

    def load_batch(
        self, batch: Batch, steps: list[tuple[str, float]], log_ids: list[int]
    ) -> LoadResult:
        """One load of a prepared upload on a connection of its own."""
        backend = self.open_backend(self.url)
        try:
            log_id = backend.open_upload_log(
                batch.region_id, f"region_{batch.region_id}.csv", batch.now
            )
            log_ids.append(log_id)
            result = backend.load(
                log_id, batch, lambda name: steps.append((name, time.monotonic()))
            )
            self.check_done(f"load of region {batch.region_id}", log_id, batch.locations.height)
            return result
        finally:
            backend.dispose()

    def start(
        self,
        batch: Batch,
        steps: list[tuple[str, float]],
        outcome: list[Any],
        gate: threading.Barrier | None = None,
    ) -> threading.Thread:
        def work() -> None:
            try:
                if gate is not None:
                    gate.wait()
                outcome.append(self.load_batch(batch, steps, []))
            except Exception as exc:  # reported as the property's failure
                outcome.append(exc)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        return thread

    def together(self, batches: list[Batch]) -> list[LoadResult | Exception]:
        gate = threading.Barrier(len(batches))
        outcomes: list[list[Any]] = [[] for _ in batches]
        threads = [self.start(b, [], o, gate) for b, o in zip(batches, outcomes, strict=True)]
        for thread in threads:
            thread.join(JOIN_SECONDS)
        return [o[0] if o else TimeoutError("the load did not end") for o in outcomes]

    def same_region(self, batch: Batch) -> None:
        """Two loads of one region while a third party holds its lock: neither may go ahead
        until it is released, and then they run one after the other, never interleaved."""
        steps: list[list[tuple[str, float]]] = [[], []]
        outcomes: list[list[Any]] = [[], []]
        threads: list[threading.Thread] = []
        went_ahead = False
        with self.backend.hold_region_lock(batch.region_id):
            threads = [self.start(batch, steps[i], outcomes[i]) for i in range(2)]
            deadline = time.monotonic() + HOLD_SECONDS
            while time.monotonic() < deadline and not went_ahead:
                went_ahead = any(outcomes) or any(
                    name in PAST_THE_LOCK for log in steps for name, _ in list(log)
                )
                time.sleep(0.02)
        for thread in threads:
            thread.join(JOIN_SECONDS)
        name = "one region at a time"
        self.checks.check(
            name,
            not went_ahead,
            f"a load of region {batch.region_id} went ahead while another held the region's lock",
        )
        failed = [o[0] for o in outcomes if not o or not isinstance(o[0], LoadResult)]
        self.checks.check(
            name, not failed, f"a load of region {batch.region_id} did not complete: {failed}"
        )
        spans = []
        for log in steps:
            times = dict(reversed(log))  # the first time each step was reported
            if "staging" in times and "commit" in times:
                spans.append((times["staging"], times["commit"]))
        if len(spans) == 2:
            (a0, a1), (b0, _) = sorted(spans)
            self.checks.check(
                name,
                a1 <= b0,
                f"two loads of region {batch.region_id} interleaved: the second began staging "
                f"{b0 - a0:.2f} s after the first, {a1 - b0:.2f} s before the first committed",
            )

    def new_codes(self) -> None:
        name = "one row per new code"
        new_list = self.options.new_list
        if self.concurrent:
            gate = threading.Barrier(CREATORS)
            found: list[Any] = []

            def create() -> None:
                backend = self.open_backend(self.url)
                try:
                    gate.wait()
                    found.append(backend.resolve_codes(NEW_CODES, new_list)[0])
                except Exception as exc:  # reported as the property's failure
                    found.append(exc)
                finally:
                    backend.dispose()

            threads = [threading.Thread(target=create, daemon=True) for _ in range(CREATORS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(JOIN_SECONDS)
            errors = [f for f in found if not isinstance(f, dict)]
            self.checks.check(
                name, not errors and len(found) == CREATORS, f"a creator failed: {errors}"
            )
            ids = [f for f in found if isinstance(f, dict)]
            self.checks.check(
                name,
                all(i == ids[0] for i in ids),
                "the creators were given different ListPriorityIds for the same codes",
            )
        else:
            self.backend.resolve_codes(NEW_CODES, new_list)
        lp, rlf = schema.list_priority, schema.region_list_frequency
        with self.engine.connect() as conn:
            codes = Counter(conn.scalars(select(lp.c.Code)))
            joined = rlf.join(lp, lp.c.ListPriorityId == rlf.c.ListId)
            frequencies = Counter(
                (code, region)
                for code, region in conn.execute(
                    select(lp.c.Code, rlf.c.RegionId).select_from(joined)
                )
            )
            regions = int(conn.scalar(select(func.count()).select_from(schema.region)) or 0)
        twice = sorted(c for c, n in codes.items() if n != 1)
        self.checks.check(name, not twice, f"codes stored more than once: {twice[:5]}")
        shared = [c for c in codes if c in NEW_CODES or c.startswith(SHARED_CODE)]
        missing = [c for c in NEW_CODES if c not in codes]
        wrong = sorted(
            c
            for c in shared
            if sum(1 for (k, _), n in frequencies.items() if k == c and n == 1) != regions
        )
        self.checks.check(name, not missing, f"codes not created: {missing[:5]}")
        self.checks.check(
            name, not wrong, f"codes without one RegionListFrequency row per region: {wrong[:5]}"
        )

    def dispose(self) -> None:
        self.backend.dispose()


def compare(checks: Checks, target: Trace, reference: Trace) -> None:
    """Every snapshot and every load's counts against the reference run's."""
    for label, expected in reference.tables.items():
        found = target.tables.get(label)
        if found is None:
            checks.check("identical tables", False, f"no tables after {label}")
            continue
        for table, rows in expected.items():
            here = Counter(found[table])
            there = Counter(rows)
            only_here, only_there = here - there, there - here
            checks.check(
                "identical tables",
                not only_here and not only_there,
                f"{table} after {label}: {sum(only_here.values())} rows differ from the reference "
                f"({sum(only_there.values())} there), e.g. "
                f"{_short(next(iter(only_here), None))} vs {_short(next(iter(only_there), None))}",
            )
    if reference.pieces is not None:
        here, there = Counter(target.pieces or []), Counter(reference.pieces)
        checks.check(
            "drop as the reference",
            here == there and bool(there),
            f"{sum((here - there).values())} pieces differ from the reference "
            f"({sum((there - here).values())} there), "
            f"e.g. {_short(next(iter(here - there), None))}",
        )
    for label, expected_counts in reference.counts.items():
        got = target.counts.get(label)
        checks.check(
            "identical counts",
            got == expected_counts,
            f"{label}: {got} (reference {expected_counts})",
        )


def run_selftest(
    url: str | None,
    open_backend: OpenBackend = connect,
    rows: int = 2500,
    say: Say = lambda _line: None,
) -> Report:
    """The scenario on a scratch database beside `url`'s and on a SQLite reference, checked.

    Raises DatabaseUnavailable when the server cannot be reached (nothing was created).
    """
    import tempfile

    started = time.monotonic()
    scenario = Scenario(rows, *SELFTEST_REGIONS)
    rules = load_rules()
    with (
        scratch_of(url) as scratch_url,
        tempfile.TemporaryDirectory(prefix="propmail_selftest_files_") as folder,
    ):
        files = Path(folder)
        scenario.write(files)
        with scratch_of(EMBEDDED_URL) as reference_url:
            reference = Run(reference_url, connect, scenario, files, rules, False, lambda _l: None)
            say(f"reference run on {reference.backend.capabilities.name}")
            try:
                reference.execute()
            finally:
                reference.dispose()
        target = Run(scratch_url, open_backend, scenario, files, rules, True, say)
        try:
            try:
                target.execute()
            except Exception as exc:  # a FAIL of the property under way, not a crash
                stopped = next(
                    (o for o in target.checks.outcomes.values() if not o.checked),
                    target.checks.outcomes["identical tables"],
                )
                stopped.checked = True
                stopped.failures.append(f"the scenario stopped: {type(exc).__name__}: {exc}")
            compare(target.checks, target.trace, reference.trace)
        finally:
            target.dispose()
    return Report(
        target=target.backend.display_url,
        outcomes=list(target.checks.outcomes.values()),
        seconds=time.monotonic() - started,
        server=target.server,
    )
