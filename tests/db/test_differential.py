"""Differential: the same months loaded into SQLite and PostgreSQL leave identical tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from propmail.db import Backend, connect
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.selftest.scenario import Load, Scenario
from propmail.settings import Rules
from tests.conftest import backend_url
from tests.db.canonical import canonical

SCENARIO = Scenario()
LOADS = SCENARIO.loads()
AGED = SCENARIO.aged


def run(backend: Backend, folder: Path, load: Load) -> dict[str, Any]:
    niches = load.niche_specs(folder)
    result = run_job(  # --force: a same-day rerun of the scenario is loaded in full too
        Inputs.gather(folder / load.upload, niches),
        load.region,
        backend=backend,
        now=load.now,
        force=True,
    ).load
    assert result is not None
    counts = result.as_dict()
    counts.pop("upload_log_id")
    return counts


@pytest.mark.postgres
def test_sqlite_and_postgresql_end_with_identical_tables(
    request: pytest.FixtureRequest, rules: Rules, tmp_path: Path
) -> None:
    SCENARIO.write(tmp_path)
    backends = {
        kind: connect(backend_url(request, kind, tmp_path)) for kind in ("sqlite", "postgresql")
    }
    try:
        for b in backends.values():
            b.init(SCENARIO.regions, load_options(rules))
        compared = 0
        for i, load in enumerate(LOADS):
            results = {kind: run(b, tmp_path, load) for kind, b in backends.items()}
            assert results["sqlite"] == results["postgresql"], load
            if i == 1:
                for b in backends.values():
                    SCENARIO.age(b.engine)  # type: ignore[attr-defined]
            dumps = {kind: canonical(b) for kind, b in backends.items()}
            for table, rows in dumps["sqlite"].items():
                assert rows == dumps["postgresql"][table], f"{table} differs after {load}"
                compared += len(rows)
        final = dumps["postgresql"]
        # the comparison covered every kind of row the months produce: both regions, parcels
        # absent from month 2 (kept), new parcels, niche codes, frozen and refreshed rows
        assert len(final["Location"]) == 2500 + 150 + 800
        assert any(" - " in row[1] for row in final["Location"])
        assert results["postgresql"]["locations_frozen"] == len(AGED)
        assert results["postgresql"]["locations_updated"] > 0
        assert len(final["UploadLog"]) == len(LOADS)
        print(f"\ndifferential: {compared} rows compared over {len(LOADS)} loads, identical")
    finally:
        for b in backends.values():
            b.dispose()
