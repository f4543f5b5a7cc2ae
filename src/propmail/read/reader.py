"""The readers: an upload or niche file (xlsx / csv / parquet) -> the canonical frame of SPEC 2.

A file passes through the modules of `propmail.read` in turn: safety checks and its sheet
(`files`), headers matched to canonical columns (`headers`, by the `mapping`), then every
matched column cast by its `Kind` (`values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from propmail.contract import NICHE_COLUMNS, UPLOAD_COLUMNS, Kind
from propmail.errors import InputError
from propmail.read import files, headers, values
from propmail.read.mapping import ColumnMapping


@dataclass
class ReadResult:
    frame: pl.DataFrame  # every canonical column in order, typed by Kind, then SOURCE_ROW
    missing_columns: list[str]  # optional columns absent from the file: all null
    unparseable: dict[str, int]  # per column, values that became null
    unparseable_examples: list[tuple[int, str, str]]  # (row, column, raw value)
    extra_columns: list[str]  # source columns not mapped, ignored
    source: str  # the file name


def read_upload(path: str | Path, mapping: ColumnMapping | None = None) -> ReadResult:
    """Read an upload file; `mapping` (a user file) is laid over the default mapping."""
    return _read(Path(path), mapping, UPLOAD_COLUMNS, niche=False)


def read_niche(path: str | Path, mapping: ColumnMapping | None = None) -> ReadResult:
    """Read a niche list: it needs LocationPrimaryId, or LocationAddress1 and LocationZip."""
    return _read(Path(path), mapping, NICHE_COLUMNS, niche=True)


def _read(
    path: Path, mapping: ColumnMapping | None, columns: Mapping[str, Kind], *, niche: bool
) -> ReadResult:
    name = path.name
    sheet = files.load(path)
    picked, extra = headers.match_headers(sheet, columns, mapping, niche, name)
    headers.check_required(picked, niche, sheet.headers, name)

    text = values.text_frame(sheet, picked, columns)
    if text.height == 0:
        raise InputError("no data rows below the header", file=name)
    formats = {c: sheet.formats.get(p, "") for c, p in picked.items()}
    parsed = values.parsed_frame(text, columns, formats, date1904=sheet.date1904)
    counts, examples = values.unparseable(parsed, picked, columns)
    return ReadResult(
        frame=values.canonical_frame(parsed, picked, columns),
        missing_columns=[c for c in columns if c not in picked],
        unparseable=counts,
        unparseable_examples=examples,
        extra_columns=extra,
        source=name,
    )
