"""Rows the database could not store are rejected to the report, on every backend alike."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from propmail import pipeline, synth
from propmail.contract import SOURCE_ROW
from propmail.read import read_upload
from propmail.settings import load_rules


def run_with(tmp_path: Path, column: str, value: str) -> pipeline.Processed:
    """Three synthetic rows through the reader and the pipeline, row 3 holding `value`."""
    frame = synth.upload(3, seed=5).with_columns(
        pl.when(pl.int_range(3) == 1).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    frame.write_csv(tmp_path / "up.csv")
    return pipeline.run(read_upload(tmp_path / "up.csv").frame, load_rules())


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("OwnerName", "N" * 256, "OwnerName is longer than 255 characters"),
        ("LocationGrantor", "🏠" * 128, "LocationGrantor is longer than 255 characters"),
        ("LocationCity", "ROA\x00NOKE", "LocationCity holds a NUL character"),
        ("FullAccuzipResponse", "DPV\x00", "FullAccuzipResponse holds a NUL character"),
        ("OwnerAddress1", "1 " + "MAIN " * 60, "OwnerAddress1 is longer than 255 characters"),
    ],
)
def test_unstorable_rows_are_rejected_with_the_column(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    result = run_with(tmp_path, column, value)
    assert result.rejects.select(SOURCE_ROW, "reason").rows() == [(3, reason)]
    assert result.locations.height == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("OwnerName", "N" * 255),
        ("LocationGrantor", "🏠" * 127 + "x"),  # 255 UTF-16 code units
        ("FullAccuzipResponse", "R" * 5000),  # a long-text column
    ],
)
def test_values_that_fit_are_loaded(tmp_path: Path, column: str, value: str) -> None:
    result = run_with(tmp_path, column, value)
    assert result.rejects.height == 0
    assert result.locations.height == 3
