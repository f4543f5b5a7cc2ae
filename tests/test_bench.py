"""The benchmark works and measures what it names; its speed is never asserted here."""

from __future__ import annotations

import importlib.util
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from propmail import synth
from propmail.bench import data
from propmail.bench.baselines import floor, guide
from propmail.bench.measure import StageClock, peak_rss_mb
from propmail.cli import main
from propmail.db import Backend, schema
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1


def test_a_changed_month_changes_a_tenth_of_the_rows_and_keeps_every_parcel() -> None:
    upload = synth.upload(4000, seed=3)
    later = data.changed(upload, data.CHANGE_FRACTION, seed=4)
    assert later.equals(data.changed(upload, data.CHANGE_FRACTION, seed=4))  # deterministic
    assert later["LocationPrimaryId"].equals(upload["LocationPrimaryId"])
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.lit(upload[c])) for c in upload.columns)
    changed_rows = later.select(differs.sum()).item()
    assert 0.07 * upload.height < changed_rows < 0.13 * upload.height
    # a sale: the new owner's predecessor becomes the grantor
    sold = later.filter(pl.col("OwnerName").ne_missing(pl.lit(upload["OwnerName"])))
    previous = upload.join(sold.select("LocationPrimaryId"), on="LocationPrimaryId")
    assert sold["LocationGrantor"].to_list() == previous["OwnerName"].to_list()


def test_stage_clock_names_the_job_steps_and_merges_repeats() -> None:
    clock = StageClock()
    for step in (
        "reading upload",
        "reading niche list Liens",
        "reading niche list Probate",
        "applying rules",
        "upload received (UploadLogId 7)",
    ):
        clock.step(step)
    stages = clock.stop()
    assert [s.name for s in stages] == [
        "read upload",
        "read niche lists",
        "rules",
        "connect, UploadLog",
    ]
    assert all(s.seconds >= 0 and s.peak_rss_mb > 0 for s in stages)
    assert peak_rss_mb() > 0


def _locations(backend: Backend, region_id: int) -> list[tuple[Any, ...]]:
    """Every stored location of a region, without ids of its own or timestamps."""
    t = schema.location
    skip = {"LocationId", "RegionId", "InsertedDate", "ModifiedDate", "UpdatedDate"}
    cols = [c for c in t.columns if c.name not in skip]
    with backend.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(t.c.RegionId == region_id).order_by(t.c.PrimaryId))
        return [tuple(r) for r in rows]


def test_the_floor_stores_the_rows_propmail_stores(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    upload = synth.upload(400, seed=5)
    path = tmp_path / "upload.csv"
    upload.write_csv(path)
    backend.init({40: "A", 41: "B"}, load_options(rules))
    job = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1)
    processed = job.processed
    floor.load(
        backend.engine.url.render_as_string(hide_password=False),
        processed.owners,
        processed.locations,
        41,
        MONTH1,
        lambda _name: None,
    )
    stored = _locations(backend, 40)
    assert len(stored) == processed.locations.height
    assert _locations(backend, 41) == stored


def test_the_guides_design_loads_every_location_with_a_round_trip_per_code(
    tmp_path: Path, rules: Rules
) -> None:
    upload = synth.upload(600, seed=6)
    month = data.write_month(tmp_path, "upload", upload, seed=6)
    url = f"sqlite:///{tmp_path / 'guide.db'}"
    from propmail.db import connect

    backend = connect(url)
    backend.init({40: "Bench"}, load_options(rules))
    backend.dispose()
    out = guide.run(
        month.upload, month.niches, url, 40, datetime(2026, 5, 4), rules, lambda _step: None
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        locations = conn.execute(text('SELECT COUNT(*) FROM "Location"')).scalar_one()
        codes = conn.execute(text('SELECT COUNT(DISTINCT "PriorityCode") FROM "Location"'))
        distinct_codes = codes.scalar_one()
        dangling = conn.execute(
            text(
                'SELECT COUNT(*) FROM "Location" l LEFT JOIN "ListPriority" lp '
                'ON lp."ListPriorityId" = l."ListPriorityId" WHERE lp."Code" IS DISTINCT FROM '
                'l."PriorityCode"'
            )
        ).scalar_one()
    engine.dispose()
    assert locations == out["locations"] == upload.height
    assert dangling == 0
    assert out["round_trips"] >= distinct_codes  # one database call per code at least
    assert any(" - " in c for c in _codes(url))  # niche lists were stacked


def _codes(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = list(conn.execute(text('SELECT DISTINCT "PriorityCode" FROM "Location"')).scalars())
    engine.dispose()
    return found


def _bench(tmp_path: Path, *args: str) -> tuple[str, dict[str, Any]]:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        main,
        ["bench", "--rows", "300", "--guide-rows", "200", "--json", str(out), *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output + result.stderr
    return result.output, json.loads(out.read_text())


def _check_runs(runs: dict[str, Any], rows: int) -> None:
    month1, rerun, month2 = (runs[k]["load"] for k in ("month1", "rerun_forced", "month2"))
    loaded = month1["locations_inserted"]
    assert loaded == rows - runs["month1"]["rejected"] > 0
    # same files, same day: recognised, nothing read; with --force, nothing written
    assert runs["rerun"]["identical_to"] == month1["upload_log_id"]
    assert runs["rerun"]["load"]["rows_processed"] == loaded
    assert runs["rerun_forced"]["identical_to"] is None
    # dlt's merge of the same rows where the `bench` extra is installed, else said to be skipped
    if importlib.util.find_spec("dlt") is None:
        assert "dlt is not installed" in runs["dlt"]["skipped"]
    else:
        assert runs["dlt"]["load"]["locations"] == runs["dlt"]["rows"] == loaded
        assert runs["dlt"]["reload"]["stages"] and runs["dlt"]["load"]["seconds"] > 0
    assert rerun["locations_unchanged"] == loaded
    assert rerun["locations_updated"] == rerun["locations_inserted"] == 0
    assert month2["locations_updated"] == loaded  # next month: every row refreshed
    changed = runs["changed"]["load"]
    assert changed["locations_inserted"] == 0 and changed["locations_updated"] > 0
    assert runs["guide"]["locations"] > 0
    for run in (runs["month1"], runs["floor"]["load"], runs["guide"]):
        assert run["stages"] and run["peak_rss_mb"] > 0
    # every load undone, newest first: month 1's undo deletes every location it inserted
    assert list(runs["undo"]) == ["changed", "month2", "rerun_forced", "month1"]
    assert runs["undo"]["changed"]["undone"]["locations_restored"] == changed["locations_updated"]
    assert runs["undo"]["month1"]["undone"]["locations_deleted"] == loaded
    assert all(u["seconds"] > 0 for u in runs["undo"].values())
    # `propmail changes` of the changed month, its counts those of the month (no row new)
    changes = runs["changes"]
    assert changes["seconds"] > 0 and changes["load_seconds"] == runs["changed"]["seconds"]
    assert changes["counts"]["new"] == 0 and changes["counts"]["sold"] > 0


def test_bench_command_on_sqlite(tmp_path: Path) -> None:
    output, results = _bench(tmp_path, "--backend", "sqlite", "--work", str(tmp_path / "w"))
    (runs,) = results["runs"]
    assert runs["backend"] == "sqlite"
    _check_runs(runs, 300)
    assert "x the floor" in output and "propmail's time" in output
    assert "extrapolated from 200 rows" in output
    # at 300 rows the targets are not judged, and the owner counts are explained
    assert "fixed costs" in output and "not judged" in output and "**missed**" not in output
    assert "Owner counts are of owners, not rows" in output and "owners for 300 rows" in output
    assert "`propmail undo` of each load" in output and "x the load it undoes" in output
    assert set(results["undo_ratios"]["sqlite"]) == {"changed", "month2", "rerun_forced", "month1"}
    assert "`propmail changes` of a load at most 0.2 of the load" in output
    assert results["changes_ratios"]["sqlite"] > 0
    assert results["figures"]["sqlite"]["guide"] > runs["guide"]["seconds"]  # scaled to 300
    drop, loaded = runs["drop"], runs["month1"]["load"]["locations_inserted"]
    assert drop["locations"] == loaded and 0 < drop["pieces"] < loaded
    assert drop["peak_rss_mb"] > 0 and sum(drop["left_out"].values()) + drop["pieces"] == loaded
    assert f"`propmail drop plan` over the region's {loaded:,} locations" in output


@pytest.mark.postgres
def test_bench_command_on_postgresql_drops_its_databases(pg_url: str, tmp_path: Path) -> None:
    _, results = _bench(tmp_path, "--backend", "postgresql", "--pg-url", pg_url)
    _check_runs(results["runs"][0], 300)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :mine"),
            {"mine": f"propmail\\_bench\\_{os.getpid()}\\_%"},
        ).all()
    engine.dispose()
    assert left == []


def test_an_unreachable_postgresql_exits_4_naming_the_server(tmp_path: Path) -> None:
    closed = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"
    args = ["bench", "--rows", "100", "--backend", "postgresql", "--pg-url", closed]
    result = CliRunner().invoke(main, [*args, "--work", str(tmp_path)])
    assert result.exit_code == 4  # DatabaseUnavailable, as every other command
    assert "127.0.0.1:1" in result.stderr and "--pg-url" in result.stderr
    assert "Traceback" not in result.stderr
    assert "generating" not in result.stderr  # found out before any row is generated
