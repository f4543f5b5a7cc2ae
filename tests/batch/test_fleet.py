"""The Dagster adapter: partitions materialized in process load what `propmail batch` loads,
by the same ledger, and no more loads at once than the database's pool allows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.batch.data import init, tables, write_month, write_months
from tests.batch.test_batch import _reset_to_empty, _upload_logs
from tests.conftest import backend_url
from tests.db.helpers import MONTH1

dg = pytest.importorskip(
    "dagster", reason='the Dagster adapter needs the extra: pip install -e ".[dagster]"'
)

from propmail.batch import ledger  # noqa: E402
from propmail.batch.fleet import ASSET, pool_name  # noqa: E402
from propmail.batch.manifest import load_manifest  # noqa: E402
from propmail.batch.run import job_hash, run_batch  # noqa: E402
from propmail.db import connect  # noqa: E402
from tests.batch.fleet_runner import materialize  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

REGIONS = (21, 22, 23)
MONTHS = ("2026-10", "2026-11")  # the monthly partitions end at the last whole month


@pytest.fixture
def pg(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, "postgresql", tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_partitions_load_as_batch_does_and_again_is_a_no_op(pg: str, tmp_path: Path) -> None:
    manifest = write_month(tmp_path, REGIONS)
    _reset_to_empty(pg)
    init(pg, REGIONS)
    run_batch(load_manifest(manifest), pg, jobs=1, now=MONTH1)
    expected = tables(pg)

    _reset_to_empty(pg)
    init(pg, REGIONS)
    with dg.instance_for_test() as instance:
        loads = [materialize(str(manifest), pg, region, instance) for region in REGIONS]
        assert [m["state"] for m in loads] == ["done"] * 3
        assert [m["rows"] for m in loads] == [m["locations_insert"] for m in loads]
        assert tables(pg) == expected

        again = materialize(str(manifest), pg, REGIONS[1], instance)
        assert again["state"] == "skipped"
        assert again["upload_log_id"] == loads[1]["upload_log_id"]
        assert _upload_logs(pg) == len(REGIONS)  # nothing loaded twice
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey(ASSET), "reject_rate")]
        )
        assert checks  # the quality figures were checked


@pytest.mark.slow
@pytest.mark.postgres
def test_a_pool_of_one_never_loads_two_partitions_at_once(pg: str, tmp_path: Path) -> None:
    manifest = write_month(tmp_path, REGIONS[:2])
    _reset_to_empty(pg)
    init(pg, REGIONS[:2])
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots(pool_name(pg), 1)
    # two processes, as two workers of a fleet would be, sharing one Dagster instance
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.batch.fleet_runner", str(manifest), pg, str(region)],
            cwd=ROOT,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for region in REGIONS[:2]
    ]
    loads = [json.loads(run.communicate(timeout=600)[0].splitlines()[-1]) for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert [m["state"] for m in loads] == ["done", "done"]
    first, second = sorted(loads, key=lambda m: m["started_at"])
    assert first["finished_at"] <= second["started_at"]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_month_materialized_again_after_a_later_one_loads_nothing(
    pg: str, tmp_path: Path
) -> None:
    regions = REGIONS[:1]
    write_months(tmp_path, MONTHS, regions, month_key=False)
    manifest = str(tmp_path / "month" / "{month}" / "batch.toml")
    _reset_to_empty(pg)
    init(pg, regions)
    first = regions[0]
    with dg.instance_for_test() as instance:
        october = materialize(manifest, pg, first, instance, "2026-10-01")
        november = materialize(manifest, pg, first, instance, "2026-11-01")
        assert (october["state"], november["state"]) == ("done", "done")
        loaded = tables(pg)

        again = materialize(manifest, pg, first, instance, "2026-10-01")  # a backfill
        assert again["state"] == "skipped"
        assert again["upload_log_id"] == october["upload_log_id"]
        assert _upload_logs(pg) == 2
        assert tables(pg) == loaded
        assert october["job"] == f"2026-10:{first}:uploads/region-{first}.csv"


@pytest.mark.slow
@pytest.mark.postgres
def test_an_older_month_never_loaded_is_refused_after_a_later_one(pg: str, tmp_path: Path) -> None:
    regions = REGIONS[:1]
    write_months(tmp_path, MONTHS, regions, month_key=False)
    manifest = str(tmp_path / "month" / "{month}" / "batch.toml")
    _reset_to_empty(pg)
    init(pg, regions)
    with dg.instance_for_test() as instance:
        november = materialize(manifest, pg, regions[0], instance, "2026-11-01")
        assert november["state"] == "done"
        loaded = tables(pg)
        refused = materialize(manifest, pg, regions[0], instance, "2026-10-01")
        assert refused["state"] == "refused"
        assert "region 21 has 2026-11 loaded" in refused["failed"]
        assert _upload_logs(pg) == 1
        assert tables(pg) == loaded  # November's data stands


@pytest.mark.slow
@pytest.mark.postgres
def test_a_partition_a_dead_run_left_running_is_taken_over(pg: str, tmp_path: Path) -> None:
    regions = REGIONS[:1]
    manifests = write_months(tmp_path, MONTHS, regions, month_key=False)
    manifest = str(tmp_path / "month" / "{month}" / "batch.toml")
    _reset_to_empty(pg)
    init(pg, regions)
    with dg.instance_for_test() as instance:
        assert materialize(manifest, pg, regions[0], instance, "2026-10-01")["state"] == "done"
        (finished,) = instance.get_runs()
        # what a run killed before its load opened leaves: the job's row running, claimed by it
        (job,) = (j.of_month("2026-11") for j in load_manifest(manifests["2026-11"]).jobs)
        backend = connect(pg)
        dead = f"dagster run {finished.run_id}"
        assert ledger.start(
            backend.ledger, job.key, job.region, job_hash(job), month="2026-11", claimed_by=dead
        )
        backend.dispose()

        taken = materialize(manifest, pg, regions[0], instance, "2026-11-01")
        assert taken["state"] == "done"
        backend = connect(pg)
        entry = ledger.entries(backend.ledger)[job.key]
        backend.dispose()
        assert (entry.state, entry.attempts) == ("done", 2)
        assert entry.claimed_by != dead and (entry.claimed_by or "").startswith("dagster run ")
        assert _upload_logs(pg) == 2


@pytest.mark.slow
@pytest.mark.postgres
def test_a_partition_another_holder_is_loading_is_not_loaded_again(pg: str, tmp_path: Path) -> None:
    regions = REGIONS[:1]
    manifests = write_months(tmp_path, MONTHS[:1], regions, month_key=False)
    first = manifests[MONTHS[0]]
    first.write_text("max_attempts = 1\n" + first.read_text(), encoding="utf-8")  # no retry
    _reset_to_empty(pg)
    init(pg, regions)
    (job,) = (j.of_month(MONTHS[0]) for j in load_manifest(first).jobs)
    backend = connect(pg)
    ledger.create(backend.ledger)
    holder = "batch on another-host pid 7"  # a live claim: not a run Dagster has as finished
    ledger.start(backend.ledger, job.key, job.region, job_hash(job), claimed_by=holder)
    backend.dispose()
    with dg.instance_for_test() as instance:
        manifest = str(tmp_path / "month" / "{month}" / "batch.toml")
        held = materialize(manifest, pg, regions[0], instance, "2026-10-01")
    assert held["state"] == "running elsewhere"
    assert holder in held["failed"]
    assert _upload_logs(pg) == 0
