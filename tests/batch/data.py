"""A month of six regions for the batch tests: uploads, a manifest, a database made ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from propmail import synth
from propmail.db import connect
from propmail.inputs import Inputs
from propmail.job import run_job
from propmail.settings import load_rules
from tests.db.canonical import canonical
from tests.db.helpers import MONTH1

REGIONS = (11, 12, 13, 14, 15, 16)
ROWS = 150


def write_month(folder: Path, regions: tuple[int, ...] = REGIONS, seed: int = 0) -> Path:
    """One upload per region (glob form `uploads/region-{region}.csv`); returns the manifest."""
    (folder / "uploads").mkdir(parents=True, exist_ok=True)
    for region in regions:
        upload = synth.upload(ROWS, seed=seed + region)
        upload.write_csv(folder / "uploads" / f"region-{region}.csv")
    manifest = folder / "batch.toml"
    manifest.write_text('[[job]]\nupload = "uploads/region-{region}.csv"\n', encoding="utf-8")
    return manifest


def write_months(
    folder: Path, months: tuple[str, ...], regions: tuple[int, ...], *, month_key: bool = True
) -> dict[str, Path]:
    """`month/{month}/batch.toml` per month, each with its own uploads under the same relative
    paths (`uploads/region-{region}.csv`), the month named in the manifest when `month_key`."""
    manifests = {}
    for i, month in enumerate(months):
        write_month(folder / "month" / month, regions, seed=1000 * (i + 1))
        manifest = folder / "month" / month / "batch.toml"
        if month_key:
            manifest.write_text(f'month = "{month}"\n' + manifest.read_text(), encoding="utf-8")
        manifests[month] = manifest
    return manifests


def init(url: str, regions: tuple[int, ...] = REGIONS) -> None:
    backend = connect(url)
    try:
        backend.init({r: f"Region {r}" for r in regions}, load_rules())
    finally:
        backend.dispose()


def one_by_one(folder: Path, url: str, regions: tuple[int, ...] = REGIONS) -> None:
    """The same month as six `propmail process` runs, in region order."""
    for region in regions:
        run_job(
            Inputs.gather(folder / "uploads" / f"region-{region}.csv"),
            region,
            db_url=url,
            now=MONTH1,
        )


def tables(url: str) -> dict[str, Any]:
    """The canonical tables; UploadLog as a sorted list (parallel jobs take ids in any order)."""
    backend = connect(url)
    try:
        dump = canonical(backend)
    finally:
        backend.dispose()
    dump["UploadLog"] = sorted(dump["UploadLog"], key=repr)
    return dump
