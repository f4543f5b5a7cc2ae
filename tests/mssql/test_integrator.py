"""The guide's DatabaseIntegrator on SQL Server: connection test, validation before anything is
sent, the guide's result dict, one connection for all its loads."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from propmail import api
from propmail.db.mssql import dialect as tsql
from tests.mssql import data
from tests.mssql.fakes import FakeServer, backend, result_row

ENDED = datetime(2026, 6, 4, 9, 31)
SERVER_INFO = [("Microsoft SQL Server 2019 (RTM-CU22)", "15.0.4322.2", "Mail", 150)]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    fake = FakeServer(
        answers={
            tsql.SERVER_INFO: SERVER_INFO,
            tsql.OPENJSON_PROBE: [("test", 123)],
            tsql.REGION_EXISTS: [(1,)],
            tsql.OPEN_UPLOAD_LOG: [(7,)],
            tsql.UPLOAD_LOG_ROW: [(7, 40, "api", 3, 120, ENDED, ENDED, None)],
        }
    )
    fake.answers[tsql.process_upload(False)] = [result_row(7, 120, 90, ("Liens - ABS1",))]
    monkeypatch.setattr(api, "connect", lambda _url: backend(fake, staging="json"))
    return fake


def frames(n: int = 120) -> tuple[pd.DataFrame, pd.DataFrame]:
    owners, locations = data.upload(n)
    return (
        owners.rename({"Slug": "OwnerSlug"}).to_pandas(),
        locations.to_pandas().assign(RegionId=40),
    )


def test_the_connection_is_tested_on_creation(server: FakeServer) -> None:
    integrator = api.DatabaseIntegrator("mssql+mssqlpython://u:p@sql/Mail")
    assert [c.statement for c in server.calls[:2]] == [tsql.SERVER_INFO, tsql.OPENJSON_PROBE]
    assert server.calls[1].params == (tsql.OPENJSON_PROBE_PAYLOAD,)
    assert integrator.connection_info["openjson"] is True


def test_a_failed_connection_test_raises_connection_error(server: FakeServer) -> None:
    server.answers[tsql.OPENJSON_PROBE] = [("test", 0)]
    with pytest.raises(ConnectionError, match="OPENJSON round trip"):
        api.DatabaseIntegrator("mssql+mssqlpython://u:p@sql/Mail")


def test_insert_returns_the_guides_result_over_one_connection(server: FakeServer) -> None:
    owners, locations = frames()
    with api.DatabaseIntegrator("mssql+mssqlpython://u:p@sql/Mail") as integrator:
        first = integrator.insert_processed_data(owners, locations, region_id=40)
        second = integrator.insert_processed_data(owners, locations, region_id=40)
    for result in (first, second):
        assert {
            k: result[k]
            for k in (
                "success",
                "rows_processed",
                "processing_state",
                "processing_ended",
                "owners_count",
                "locations_count",
                "upload_log_id",
                "region_id",
            )
        } == {
            "success": True,
            "rows_processed": 120,
            "processing_state": 3,
            "processing_ended": ENDED,
            "owners_count": len(owners),
            "locations_count": 120,
            "upload_log_id": 7,
            "region_id": 40,
        }
        assert result["new_codes"] == ["Liens - ABS1"] and result["locations_inserted"] == 120
    assert server.opened == 1 and server.closed == 1
    assert len(server.sent("EXEC dbo.ProcessPythonEnhancedData")) == 2


def test_frames_are_validated_before_anything_is_sent(server: FakeServer) -> None:
    owners, locations = frames(20)
    integrator = api.DatabaseIntegrator("mssql+mssqlpython://u:p@sql/Mail")
    before = len(server.calls)
    orphan = locations.assign(OwnerSlug="NOBODY_24016")
    for bad in (owners.drop(columns=["Zip"]), owners.assign(OwnerSlug=None)):
        result = integrator.insert_processed_data(bad, locations, region_id=40)
        assert (result["success"], result["error_type"]) == (False, "validation")
    result = integrator.insert_processed_data(owners, orphan, region_id=40)
    assert result["success"] is False and "not in owners_df" in result["error"]
    assert len(server.calls) == before


def test_the_list_priority_manager_goes_through_the_procedure_once(server: FakeServer) -> None:
    server.answers[tsql.GET_OR_CREATE_CODES] = [("Liens - ABS1", 12, 1)]
    server.answers[tsql.REGIONS] = [(40, "Roanoke")]
    manager = api.ListPriorityManager(backend(server))
    assert manager.get_or_create_list_priority_ids(["Liens - ABS1"]) == {"Liens - ABS1": 12}
    assert manager.get_or_create_list_priority_id("Liens - ABS1") == 12  # from the cache
    assert len(server.sent(tsql.GET_OR_CREATE_CODES)) == 1
    assert manager.created == ["Liens - ABS1"]
