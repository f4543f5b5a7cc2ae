"""The pipeline's split of loadable and rejected rows."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

import polars as pl

from propmail import pipeline, synth
from propmail.contract import KEEP_STORED, LOCATION, SOURCE_ROW, STORED, UPLOAD_COLUMNS, stored
from propmail.db.schema import STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS
from propmail.read import read_upload
from propmail.rules import grantor, slug
from propmail.settings import Rules, load_rules


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


def test_the_pure_pipeline_loads_without_the_database_layer() -> None:
    check = (
        "import sys, propmail.pipeline; "
        "assert 'propmail.db' not in sys.modules and 'sqlalchemy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


def test_owners_and_locations_are_the_stored_columns_of_the_contract(tmp_path: Path) -> None:
    synth.upload(20, seed=3).write_csv(tmp_path / "u.csv")
    result = pipeline.run(read_upload(tmp_path / "u.csv").frame, load_rules())
    assert set(result.owners.columns) == {f.name for f in STAGE_OWNER_FIELDS}
    assert result.locations.columns == [c.name for c in stored(LOCATION)]
    assert {f.name for f in STAGE_LOCATION_FIELDS} == set(result.locations.columns)
    # every source is an upload column or a derived field the pipeline makes
    made = {*result.processed.columns, "FullAddress"}
    assert {c.source for c in STORED} <= made
    assert {c.source for c in STORED if not c.derived} <= set(UPLOAD_COLUMNS)


def test_each_rule_takes_only_parts_of_the_settings_of_the_type_they_are() -> None:
    # a rule names the fields of Rules it takes; the pipeline hands it those and nothing else
    fields = {f.name: f.type for f in dataclasses.fields(Rules)}
    for rule in (*pipeline.RULES, slug.derive):
        parameters = list(inspect.signature(rule).parameters.values())[1:]
        assert parameters, rule.__module__
        for parameter in parameters:
            assert parameter.name in fields, f"{rule.__module__}: {parameter.name}"
            assert parameter.annotation == fields[parameter.name], rule.__module__
    assert pipeline.takes(grantor.derive) == ("classification",)


def test_repeated_parcels_are_one_reason_with_their_count_whatever_row_each_keeps() -> None:
    rejects = pl.DataFrame(
        {
            "reason": [
                "duplicate parcel id: row 6 of the file is kept",
                "duplicate parcel id: row 6 of the file is kept",
                "duplicate parcel id: row 9 of the file is kept",
                "empty owner ZIP (OwnerZip): the owner key would be empty",
            ]
        }
    )
    assert pipeline.rejects_by_reason(rejects).rows() == [
        ("duplicate parcel id: a later row of the file with the same id is kept", 3),
        ("empty owner ZIP (OwnerZip): the owner key would be empty", 1),
    ]


def test_an_owner_keeps_stored_only_the_columns_none_of_its_rows_read(tmp_path: Path) -> None:
    """Two parcels of one owner, one ZIP+4 not read and the other given: the given one is
    written. An owner whose one row could not read its ZIP+4 keeps the stored one."""
    rows = synth.upload(3, seed=4).with_columns(
        pl.Series("OwnerAddress1", ["1 MAIN ST", "1 MAIN ST", "9 ELM ST"]),
        pl.Series("OwnerZip", ["24016", "24016", "24017"]),
        pl.Series("OwnerMailingZip4", ["12AB", "1234", "abc"]),
    )
    path = tmp_path / "u.csv"
    rows.write_csv(path)
    owners = pipeline.run(read_upload(path).frame, load_rules()).owners
    kept = dict(owners.select("Slug", KEEP_STORED).iter_rows())
    zip4 = dict(owners.select("Slug", "MailingZip4").iter_rows())
    assert kept == {"1_MAIN_ST_24016": None, "9_ELM_ST_24017": "|OwnerMailingZip4|"}
    assert zip4 == {"1_MAIN_ST_24016": "1234", "9_ELM_ST_24017": None}
