"""The quality report of one job (`--report DIR`): report.json, report.html, rejects.csv and
names_to_check.csv.

report.json is for machines (stable keys, validated by `report.schema.json`, described in
docs/report.md); report.html is one self-contained page for people; rejects.csv lists every
rejected row with all its columns and the reason; names_to_check.csv lists every envelope name
less sure than ``[names] check_below``, once per distinct owner, with its evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from propmail import jsontext
from propmail.contract import SOURCE_ROW
from propmail.errors import InputError
from propmail.job import JobResult
from propmail.report.cells import write_csv, write_text
from propmail.report.content import build
from propmail.report.page import render

__all__ = [
    "ReportFiles",
    "build",
    "names_to_check_frame",
    "rejects_frame",
    "render",
    "schema",
    "write_report",
]


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    html: Path
    rejects: Path
    names_to_check: Path


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema report.json follows."""
    text = resources.files("propmail.report").joinpath("report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def rejects_frame(result: JobResult) -> pl.DataFrame:
    """Each rejected row: its row number in the file, the reason, then every column as read."""
    return result.figures.rejected.rename({SOURCE_ROW: "row"})


def names_to_check_frame(result: JobResult) -> pl.DataFrame:
    """Each envelope name less sure than the setting: its first row in the file, the parcels
    its owner has, the owner fields, the name, its confidence and evidence."""
    return result.figures.names_to_check.rename({SOURCE_ROW: "row"}, strict=False)


def write_report(
    result: JobResult, directory: str | Path, generated_at: datetime | None = None
) -> ReportFiles:
    """Write the three files into `directory` (created if needed)."""
    folder = Path(directory)
    files = ReportFiles(
        folder / "report.json",
        folder / "report.html",
        folder / "rejects.csv",
        folder / "names_to_check.csv",
    )
    report = build(result, generated_at)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text(files.json, jsontext.dumps(report, indent=2, ensure_ascii=False) + "\n")
        write_text(files.html, render(report))
        write_csv(rejects_frame(result), files.rejects)
        write_csv(names_to_check_frame(result), files.names_to_check)
    except OSError as exc:
        where = exc.filename or folder
        raise InputError(f"cannot write the report: {exc.strerror}", file=str(where)) from None
    return files
