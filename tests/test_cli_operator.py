"""The operator's commands end to end on SQLite: dry run, report, verify-slugs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from propmail.cli import main
from propmail.rules.slug import slug_expr

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_ARGS = (
    str(EXAMPLES / "upload.xlsx"),
    "--region",
    "40",
    "--niche",
    str(EXAMPLES / "Liens.csv"),
    "--niche",
    f"Probate={EXAMPLES / 'Probate.xlsx'}",
)
TABLES = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location", "UploadLog")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in TABLES}


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "propmail.db"
    url = f"sqlite:///{path}"
    assert run("db", "init", "--db", url, "--region", "40=Roanoke").exit_code == 0
    return url, path


def test_dry_run_prints_the_diff_and_writes_nothing(db: tuple[str, Path]) -> None:
    url, path = db
    before = snapshot(path)
    result = run("process", *EXAMPLE_ARGS, "--db", url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(path) == before
    out = result.output
    assert "nothing was written" in out
    assert "owners to insert / update / leave unchanged" in out and "308 / 0 / 0" in out
    assert "308 / 0 / 0 / 0" in out  # locations: insert / update / unchanged / frozen
    assert "list codes to create" in out and "Liens - HE-OO" in out


def test_dry_run_after_a_load_shows_the_parity_view(db: tuple[str, Path]) -> None:
    url, path = db
    assert run("process", *EXAMPLE_ARGS, "--db", url).exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE Location SET PriorityCode = 'OLD-X' WHERE PrimaryId = '12-345-678'")
    before = snapshot(path)
    result = run("process", *EXAMPLE_ARGS, "--db", url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(path) == before
    assert "parity" in result.output
    assert "OLD-X" in result.output and "Bankrupcy-ABS3" in result.output
    assert "12-345-678" in result.output
    assert "307 of 308 existing locations keep their code" in result.output


def test_dry_run_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "absent.db"
    result = run("process", *EXAMPLE_ARGS, "--db", f"sqlite:///{target}", "--dry-run")
    assert result.exit_code == 2
    assert "no propmail tables" in result.stderr and "db init --region 40" in result.stderr
    assert not target.exists()


def test_report_writes_json_html_and_rejects(db: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = db
    folder = tmp_path / "out" / "report"
    result = run("process", *EXAMPLE_ARGS, "--db", url, "--report", str(folder))
    assert result.exit_code == 0, result.output
    assert f"report: {folder / 'report.html'}" in result.output.replace("\n", "")
    report = json.loads((folder / "report.json").read_text("utf-8"))
    assert report["mode"] == "load" and report["summary"]["rows_read"] == 310
    assert report["load"]["locations"]["insert"] == 308
    rejects = (folder / "rejects.csv").read_text("utf-8-sig").splitlines()
    assert len(rejects) == 1 + 2 and rejects[0].startswith("row,reason,LocationPrimaryId")
    assert (folder / "report.html").read_text("utf-8").startswith("<!DOCTYPE html>")


def test_verify_slugs_confirms_the_default_style(db: tuple[str, Path]) -> None:
    url, _ = db
    assert run("process", *EXAMPLE_ARGS, "--db", url).exit_code == 0
    result = run("verify-slugs", "--db", url)
    assert result.exit_code == 0, result.output
    assert "underscore (configured)" in result.output
    assert "the configured underscore style reproduces 100.00 % of the stored slugs" in (
        result.output.replace("\n", " ")
    )


def test_verify_slugs_suggests_the_style_that_matches_more(db: tuple[str, Path]) -> None:
    url, path = db
    assert run("process", *EXAMPLE_ARGS, "--db", url).exit_code == 0
    with sqlite3.connect(path) as conn:  # keys as dbo.ProperCase made them, but for 10 owners
        owners = pl.DataFrame(
            conn.execute("SELECT OwnerId, Address1, Zip FROM Owner ORDER BY OwnerId").fetchall(),
            schema=["OwnerId", "Address1", "Zip"],
            orient="row",
        ).with_columns(slug_expr("propercase", "Address1", "Zip").alias("Slug"))
        conn.executemany(
            "UPDATE Owner SET Slug = ? WHERE OwnerId = ?",
            owners.slice(10).select("Slug", "OwnerId").rows(),
        )
    result = run("verify-slugs", "--db", url, "--sample", "2")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"underscore (configured) │ 10 │ {owners.height}" in text
    assert f"propercase │ {owners.height - 10} │ {owners.height}" in text
    assert "sample of slugs the underscore style does not reproduce" in text
    assert 'set [slug] style = "propercase" in your rules file' in text


def test_verify_slugs_on_a_database_without_tables_exits_2(tmp_path: Path) -> None:
    result = run("verify-slugs", "--db", f"sqlite:///{tmp_path / 'absent.db'}")
    assert result.exit_code == 2
    assert "no propmail tables" in result.stderr
    assert not (tmp_path / "absent.db").exists()
