"""The library API under the guide's names, with pandas at the surface."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from propmail import DatabaseIntegrator, ListPriorityManager, PropertyProcessor
from propmail.db import Backend
from propmail.job import load_options
from propmail.settings import Rules
from tests.db.helpers import by_key, dump

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_process_excel_file_for_database_gives_the_guides_frames() -> None:
    out = PropertyProcessor().process_excel_file_for_database(EXAMPLES / "upload.xlsx", 40)
    owners, locations = out["owners_df"], out["locations_df"]
    assert isinstance(owners, pd.DataFrame) and isinstance(locations, pd.DataFrame)
    assert out["total_records"] == 310 and len(locations) == 308
    assert out["unique_owners"] == len(owners) == owners["OwnerSlug"].nunique()
    assert set(locations["OwnerSlug"]) <= set(owners["OwnerSlug"])
    assert (locations["RegionId"] == 40).all()
    assert locations.set_index("PrimaryId").loc["000000006046", "PriorityCode"] == "Liens-HE-OO"
    assert len(out["rejects_df"]) == 2
    assert out["processing_summary"]["flags"]["IsChurch"] >= 1


def test_generate_database_ready_output_from_a_processed_frame() -> None:
    processor = PropertyProcessor()
    processed = processor.process_excel_file(EXAMPLES / "upload.csv")
    owners, locations = processor.generate_database_ready_output(processed, 41)
    assert len(processed) == 310 and len(locations) == 308
    assert set(locations["OwnerSlug"]) == set(owners["OwnerSlug"])
    assert (locations["RegionId"] == 41).all()
    assert locations["PrimaryId"].is_unique


def test_insert_processed_data_returns_the_guides_result(backend: Backend, rules: Rules) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    url = backend.engine.url.render_as_string(hide_password=False)
    out = PropertyProcessor().process_excel_file_for_database(EXAMPLES / "upload.csv", 40)
    result = DatabaseIntegrator(url).insert_processed_data(
        out["owners_df"], out["locations_df"], region_id=40
    )
    assert result["success"] is True
    assert (result["rows_processed"], result["processing_state"]) == (308, 3)
    assert (result["owners_count"], result["locations_count"]) == (len(out["owners_df"]), 308)
    assert result["locations_inserted"] == 308
    assert len(dump(backend, "Location")) == 308


def test_insert_processed_data_reports_invalid_frames(backend: Backend, rules: Rules) -> None:
    backend.init({40: None}, load_options(rules))
    url = backend.engine.url.render_as_string(hide_password=False)
    out = PropertyProcessor().process_excel_file_for_database(EXAMPLES / "upload.csv", 40)
    orphan = out["locations_df"].copy()
    orphan.loc[0, "OwnerSlug"] = "NOBODY_00000"
    result = DatabaseIntegrator(url).insert_processed_data(out["owners_df"], orphan, 40)
    assert result["success"] is False and result["error_type"] == "validation"
    assert "NOBODY_00000" in result["error"]
    assert dump(backend, "Location") == []


def test_making_an_integrator_writes_nothing(backend: Backend, tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "propmail.db"
    with pytest.raises(ConnectionError, match="does not exist; create it with: propmail db init"):
        DatabaseIntegrator(f"sqlite:///{missing}")
    assert not missing.exists() and not missing.parent.exists()

    backend.test_connection()  # the database exists (a SQLite file is made), empty
    url = backend.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    out = PropertyProcessor().process_excel_file_for_database(EXAMPLES / "upload.csv", 40)
    with DatabaseIntegrator(url) as db:
        assert not backend.has_schema()
        result = db.insert_processed_data(out["owners_df"], out["locations_df"], region_id=40)
    assert result["success"] is False and result["error_type"] == "validation"
    assert "has no propmail tables" in result["error"] and "propmail db init" in result["error"]
    assert not backend.has_schema()


def test_list_priority_manager_batches_and_caches(backend: Backend, rules: Rules) -> None:
    backend.init({40: None, 41: None}, load_options(rules))
    manager = ListPriorityManager(backend, rules)
    ids = manager.get_or_create_list_priority_ids(["Liens - ABS1", "OO", "Probate - OO"])
    assert manager.created == ["Liens - ABS1", "Probate - OO"]
    assert manager.get_or_create_list_priority_id("Liens - ABS1") == ids["Liens - ABS1"]
    assert manager.created == ["Liens - ABS1", "Probate - OO"]  # cached, not created again
    # a second manager (another process) finds the same ids and creates nothing
    other = ListPriorityManager(backend, rules)
    assert other.get_or_create_list_priority_ids(ids) == ids and other.created == []
    lists = by_key(backend, "ListPriority", "Code")
    assert lists["Probate - OO"]["IsAbsentee"] == 2
    freq = [r for r in dump(backend, "RegionListFrequency") if r[2] == ids["Probate - OO"]]
    assert sorted(r[3] for r in freq) == [40, 41]


def test_generate_enhanced_list_codes(rules: Rules, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "IsOwnerOccupied": [False],
            "LocationState": ["VA"],
            "OwnerState": ["NC"],
            "LocationZip": ["24016"],
            "OwnerZip": ["27601"],
            "EstLoanToValue": [40.0],
            "EstEquity": [None],
            "LienType": ["TAX"],
            "BKDate": [None],
            "DivorceDate": [None],
            "PreFcRecordingDate": [None],
            "Vacant": [None],
            "ResponseNCOA": [None],
        }
    )
    manager = ListPriorityManager(f"sqlite:///{tmp_path / 'p.db'}", rules)
    assert manager.generate_enhanced_list_codes(frame).tolist() == ["Liens-HE-ABS1"]


@pytest.mark.parametrize("missing", ["OwnerSlug", "PriorityCode"])
def test_validation_names_the_missing_column(backend: Backend, rules: Rules, missing: str) -> None:
    backend.init({40: None}, load_options(rules))
    url = backend.engine.url.render_as_string(hide_password=False)
    out = PropertyProcessor().process_excel_file_for_database(EXAMPLES / "upload.csv", 40)
    result = DatabaseIntegrator(url).insert_processed_data(
        out["owners_df"], out["locations_df"].drop(columns=[missing]), 40
    )
    assert result["success"] is False and missing in result["error"]
