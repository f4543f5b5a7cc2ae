"""The plausibility guards: each with a file built to trip it and one that must not, and
`process` loading with the warnings named, `process --strict` stopping before anything is
written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
from click.testing import CliRunner, Result

from propmail import guards, pipeline, synth
from propmail.cli import main
from propmail.read import read_upload
from propmail.settings import load_rules


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _processed(frame: pl.DataFrame, tmp_path: Path) -> tuple[object, pipeline.Processed]:
    path = tmp_path / "upload.csv"
    frame.write_csv(path)
    upload = read_upload(path)
    return upload, pipeline.run(upload.frame, load_rules())


def _out_of_state(n: int, *, site_state_left_out: bool) -> pl.DataFrame:
    """Every fourth owner mails from New York, the others from Virginia, the site's state; the
    layout leaves the New Yorkers' site state out or not."""
    rows = synth.upload(n, seed=5).with_columns(
        pl.lit("VA").alias("LocationState"), pl.lit("24016").alias("LocationZip")
    )
    away = pl.int_range(pl.len()) % 4 == 0
    rows = rows.with_columns(
        pl.when(away).then(pl.lit("NY")).otherwise(pl.lit("VA")).alias("OwnerState"),
        pl.when(away).then(pl.lit("10001")).otherwise(pl.col("OwnerZip")).alias("OwnerZip"),
        pl.when(away).then(pl.lit("9 PARK AVE")).otherwise("OwnerAddress1").alias("OwnerAddress1"),
    )
    if site_state_left_out:
        rows = rows.with_columns(
            pl.when(~away).then(pl.col("LocationState")).alias("LocationState")
        )
    return rows


def _guards(frame: pl.DataFrame, tmp_path: Path) -> list[str]:
    upload, processed = _processed(frame, tmp_path)
    return [w.guard for w in guards.check(upload, processed)]  # type: ignore[arg-type]


def test_abs1_that_never_fires_while_owners_mail_from_another_state_is_named(
    tmp_path: Path,
) -> None:
    assert "ABS1 never fires" in _guards(_out_of_state(200, site_state_left_out=True), tmp_path)
    assert "ABS1 never fires" not in _guards(
        _out_of_state(200, site_state_left_out=False), tmp_path
    )


def test_occupancy_that_never_fires_while_mailing_lines_are_the_site_lines_is_named() -> None:
    frame = pl.DataFrame(
        {
            "BasePriorityCode": ["ABS3"] * 10,
            "IsOwnerOccupied": [False] * 10,
            "LocationAddress1": ["1 MAIN ST"] * 10,
            "OwnerAddress1": ["1 Main Street"] * 5 + ["9 OAK AVE"] * 5,
        }
    )
    assert [w.guard for w in guards.never_fires(frame)] == ["IsOwnerOccupied never fires"]
    fires = frame.with_columns(pl.Series("IsOwnerOccupied", [True] * 5 + [False] * 5))
    assert guards.never_fires(fires) == []


def test_a_site_state_filled_only_where_the_owner_lives_there_is_named() -> None:
    occupied = [True] * 6 + [False] * 4
    frame = pl.DataFrame(
        {
            "IsOwnerOccupied": occupied,
            "LocationState": ["PA" if o else None for o in occupied],
            "LocationCity": ["PHILADELPHIA"] * 10,
        }
    )
    found = guards.filled_by_layout(frame)
    assert [w.guard for w in found] == ["LocationState filled by the layout on some rows"]
    assert "6 of 6 rows (100%) owner-occupied and on 0 of 4 rows (0%) absentee" in found[0].evidence
    assert guards.filled_by_layout(frame.with_columns(pl.lit("PA").alias("LocationState"))) == []


def test_a_reject_share_over_five_percent_is_named(tmp_path: Path) -> None:
    rows = synth.upload(100, seed=6)
    blank = pl.int_range(pl.len()) < 6
    many = rows.with_columns(pl.when(~blank).then(pl.col("OwnerZip")).alias("OwnerZip"))
    assert "more than 5% of the rows rejected" in _guards(many, tmp_path)
    few = rows.with_columns(
        pl.when(pl.int_range(pl.len()) >= 4).then(pl.col("OwnerZip")).alias("OwnerZip")
    )
    assert "more than 5% of the rows rejected" not in _guards(few, tmp_path)


def test_a_column_whose_values_are_not_its_kind_is_named(tmp_path: Path) -> None:
    rows = synth.upload(50, seed=7)
    found = _guards(rows.with_columns(pl.col("OwnerZip").alias("OwnerCity")), tmp_path)
    assert "OwnerCity does not look like its kind" in found
    assert not [g for g in _guards(rows, tmp_path) if g.endswith("its kind")]


def test_process_loads_and_names_the_warnings_strict_stops_before_writing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "upload.csv"
    _out_of_state(200, site_state_left_out=True).write_csv(path)
    db = tmp_path / "p.db"
    url = f"sqlite:///{db}"
    assert run("db", "init", "--db", url, "--region", "40=Roanoke").exit_code == 0
    strict = run("process", str(path), "--region", "40", "--db", url, "--strict")
    assert strict.exit_code == 2
    assert "ABS1 never fires" in strict.output
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM Location").fetchone() == (0,)
        assert con.execute("SELECT COUNT(*) FROM UploadLog").fetchone() == (0,)
    loaded = run("process", str(path), "--region", "40", "--db", url, "--report", str(tmp_path))
    assert loaded.exit_code == 0
    assert "warning: ABS1 never fires" in " ".join(loaded.output.split())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<strong>ABS1 never fires</strong>" in page
