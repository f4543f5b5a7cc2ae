"""The Dagster adapter: partitions materialized in process load what `propmail batch` loads,
by the same ledger, and no more loads at once than the database's pool allows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.batch.data import init, tables, write_month
from tests.batch.test_batch import _reset_to_empty, _upload_logs
from tests.conftest import backend_url
from tests.db.helpers import MONTH1

dg = pytest.importorskip(
    "dagster", reason='the Dagster adapter needs the extra: pip install -e ".[dagster]"'
)

from propmail.batch.fleet import ASSET, pool_name  # noqa: E402
from propmail.batch.manifest import load_manifest  # noqa: E402
from propmail.batch.run import run_batch  # noqa: E402
from tests.batch.fleet_runner import materialize  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

REGIONS = (21, 22, 23)


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
