"""Small upload files for the reader tests: the required columns, csv and xlsx writers."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter

from propmail.read import ReadResult, read_upload

BASE = {
    "LocationPrimaryId": "P1",
    "OwnerName": "JOHN SMITH",
    "OwnerAddress1": "1 MAIN ST",
    "OwnerZip": "24016",
    "LocationAddress1": "1 MAIN ST",
    "LocationZip": "24016",
}


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def upload_csv(tmp_path: Path, column: str, values: list[str]) -> ReadResult:
    """An upload with the required columns filled in and `column` holding `values`."""
    base = {k: v for k, v in BASE.items() if k != column}
    header = [*base, column]
    rows = [[*base.values(), v] for v in values]
    return read_upload(write_csv(tmp_path / "up.csv", header, rows))


def write_xlsx(path: Path, fill: Callable[[Any, Any], None]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    fill(book, book.add_worksheet())
    book.close()
    return path
