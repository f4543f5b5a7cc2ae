"""The pipeline's split of loadable and rejected rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from propmail import pipeline, synth
from propmail.contract import SOURCE_ROW
from propmail.read import read_upload
from propmail.settings import load_rules


def test_a_repeated_parcel_keeps_its_last_row_and_the_reason_names_it(tmp_path: Path) -> None:
    rows = synth.upload(5, seed=2)
    repeated = rows.with_columns(
        pl.Series("LocationPrimaryId", ["A", "B", "A", "C", "A"]),
        pl.Series("OwnerName", ["FIRST", "B", "SECOND", "C", "THIRD"]),
    )
    path = tmp_path / "u.csv"
    repeated.write_csv(path)
    frame = read_upload(path).frame  # data rows are spreadsheet rows 2-6
    processed = pipeline.run(frame, load_rules())
    kept = processed.processed.filter(pl.col("LocationPrimaryId") == "A")
    assert processed.locations.filter(pl.col("PrimaryId") == "A").height == 1
    assert processed.rejects.select(SOURCE_ROW, "reason").rows() == [
        (2, "duplicate parcel id: row 6 of the file is kept"),
        (4, "duplicate parcel id: row 6 of the file is kept"),
    ]
    assert kept[SOURCE_ROW].to_list() == [2, 4, 6]
