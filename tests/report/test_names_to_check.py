"""names_to_check.csv and the report's "names to check": every envelope name less sure than
[names] check_below, once, with its evidence and owner field, formula-safe; the summary's count."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from propmail.db import connect
from propmail.inputs import Inputs
from propmail.job import JobResult, load_options, run_job
from propmail.report import write_report
from propmail.report.cells import FORMULA_START
from propmail.rules.names import confidence
from propmail.settings import load_rules
from propmail.summary import summary_rows
from tests.db.helpers import MONTH1
from tests.report.conftest import write_upload

# an owner name whose reading falls back, written to run as a formula
GUESSED = "=DOYLE, PETER & JR ETUX"

HEADER = ["row", "parcels", "OwnerName", "OwnerName2", "AlternateName", "NameConfidence",
          "NameEvidence"]  # fmt: skip


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> JobResult:
    """A load whose every name short of decisive is to check (the hostile one among them)."""
    folder = tmp_path_factory.mktemp("names")
    upload = write_upload(folder)
    frame = pl.read_csv(upload, infer_schema=False)
    extra = frame.head(1).with_columns(
        pl.lit("999999999999").alias("LocationPrimaryId"), pl.lit(GUESSED).alias("OwnerName")
    )
    pl.concat([frame, extra]).write_csv(upload)
    rules = folder / "rules.toml"
    rules.write_text('[names]\ncheck_below = "decisive"\n')
    url = f"sqlite:///{folder / 'propmail.db'}"
    backend = connect(url)
    backend.init({40: "Roanoke"}, load_options(load_rules()))
    backend.dispose()
    return run_job(Inputs.gather(upload, [], rules), 40, db_url=url, now=MONTH1)


def test_the_csv_lists_each_name_below_the_setting_once(job: JobResult, tmp_path: Path) -> None:
    files = write_report(job, tmp_path)
    with files.names_to_check.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == HEADER
    assert {r["NameConfidence"] for r in rows} <= {"fallback", "guess", "likely"}
    names = [(r["OwnerName"], r["OwnerName2"], r["AlternateName"]) for r in rows]
    assert len(names) == len(set(names)), "each distinct name once"
    assert all(r["NameEvidence"] for r in rows)
    report = json.loads(files.json.read_text("utf-8"))["names_to_check"]
    assert report["total"] == len(rows) and report["check_below"] == "decisive"
    levels = {c["confidence"]: c["rows"] for c in report["rows_by_confidence"]}
    assert list(levels) == list(confidence.LEVELS)
    assert sum(levels.values()) == job.figures.rows
    label = "envelope names to check (less sure than decisive)"
    assert dict(summary_rows(job))[label] == f"{len(rows):,}"


def test_the_csv_neutralizes_formula_cells(job: JobResult, tmp_path: Path) -> None:
    files = write_report(job, tmp_path)
    with files.names_to_check.open(encoding="utf-8-sig", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert "'" + GUESSED in cells


def test_the_page_shows_the_names_to_check(job: JobResult, tmp_path: Path) -> None:
    files = write_report(job, tmp_path)
    page = files.html.read_text("utf-8")
    assert '<section id="names">' in page and "names_to_check.csv" in page
    assert "<script>" not in page.split('<section id="names">')[1].split("</section>")[0]
