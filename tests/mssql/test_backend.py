"""The SQL Server backend against a recording session: what it sends, in what order, in what
sizes, and what it makes of the answers. (What SQL Server then does with it is the subject of
the operator's validation on staging; see docs/sqlserver.md.)"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest

from propmail.db import Batch
from propmail.db.mssql import dialect as tsql
from propmail.db.schema import State
from propmail.errors import InputError, LoadError
from propmail.job import load_options
from propmail.settings import Rules
from tests.mssql import data
from tests.mssql.fakes import FakeServer, backend, result_row
from tests.mssql.tsql_grammar import parse_batch, parse_statement

NOW = datetime(2026, 6, 4, 9, 30)
KEY = 17


def loaded(server: FakeServer, locations: int, owners: int, codes: tuple[str, ...] = ()) -> None:
    server.answers[tsql.process_upload(False)] = [result_row(KEY, locations, owners, codes)]
    server.answers[tsql.process_upload(True)] = [result_row(KEY, locations, owners, codes)]


def test_a_load_stages_in_chunks_then_merges_once(rules: Rules) -> None:
    owners, locations = data.upload(3_000)
    server = FakeServer()
    loaded(server, 3_000, owners.height, ("Liens - ABS1",))
    b = backend(server, chunk_bytes=256 * 1024, staging="json")
    steps: list[str] = []
    result = b.load(KEY, Batch(40, owners, locations, load_options(rules), NOW), steps.append)

    statements = [c.statement for c in server.calls]
    merges = [i for i, s in enumerate(statements) if "ProcessPythonEnhancedData" in s]
    stages = [i for i, s in enumerate(statements) if s == tsql.STAGE_JSON]
    clears = [i for i, s in enumerate(statements) if s in tsql.CLEAR_STAGE]
    assert len(merges) == 1 and clears == [0, 1]
    assert len(stages) > 2 and max(stages) < merges[0]
    assert server.opened == 1  # one connection for the whole load
    # every payload is under the cap and keyed by the upload
    for call in server.sent(tsql.STAGE_JSON):
        key, owners_json, locations_json, _first_row = call.params
        payload = owners_json or locations_json
        assert key == KEY and (owners_json is None) != (locations_json is None)
        assert len(payload.encode("utf-16-le")) <= 256 * 1024
    # together the chunks are the upload, row for row, in the guide's JSON names
    staged = server.staged("locations")
    assert staged["PrimaryId"].to_list() == locations["PrimaryId"].to_list()
    assert server.staged("owners")["OwnerSlug"].to_list() == owners["Slug"].to_list()
    first_rows = [c.params[3] for c in server.sent(tsql.STAGE_JSON) if c.params[2]]
    assert first_rows[0] == 0 and first_rows == sorted(first_rows)
    # counts come from the procedure
    assert (
        result.upload_log_id,
        result.rows_processed,
        result.owners_inserted,
        result.locations_inserted,
        result.new_codes,
        result.processing_state,
    ) == (KEY, 3_000, owners.height, 3_000, ["Liens - ABS1"], State.DONE)
    assert any(s.startswith("staging locations") for s in steps)


def test_the_merge_gets_the_rules_and_the_server_clock(rules: Rules) -> None:
    owners, locations = data.upload(10)
    server = FakeServer()
    loaded(server, 10, owners.height)
    backend(server, staging="json").load(
        KEY, Batch(40, owners, locations, load_options(rules), NOW)
    )
    (call,) = server.sent("EXEC dbo.ProcessPythonEnhancedData")
    assert call.statement == tsql.process_upload(client_clock=False)  # @now = NULL: GETDATE()
    named = [
        e.this.name
        for e in parse_statement(call.statement).expressions
        if e.expression.sql() == "?"
    ]
    bound = dict(zip(named, call.params, strict=True))
    assert bound == {
        "uploadLogId": KEY,
        "regionId": 40,
        "updateWindowMonths": rules.update_window_months,
        "priorityLevel": rules.new_list.priority_level,
        "processingOrder": rules.new_list.processing_order,
        "isAbsentee": rules.new_list.is_absentee,
        "frequency": rules.new_list.frequency,
        "dividedBy": rules.new_list.divided_by,
        "lockTimeoutMs": 600_000,
        "dryRun": 0,
        "journal": 1,
        "keepLoads": rules.journal.keep_loads_per_region,
    }
    server = FakeServer()
    loaded(server, 10, owners.height)
    backend(server, staging="json", clock="client").load(
        KEY, Batch(40, owners, locations, load_options(rules), NOW)
    )
    (call,) = server.sent("EXEC dbo.ProcessPythonEnhancedData")
    assert call.statement == tsql.process_upload(client_clock=True) and call.params[2] == NOW


def test_bulk_copy_is_preferred_where_the_driver_has_it(rules: Rules) -> None:
    owners, locations = data.upload(2_000)
    server = FakeServer(bulk=True)
    loaded(server, 2_000, owners.height)
    backend(server).load(KEY, Batch(40, owners, locations, load_options(rules), NOW))
    assert not server.sent(tsql.STAGE_JSON)
    tables = [(t, f.height) for t, _c, f in server.copies]
    assert tables == [(tsql.STAGE_OWNER, owners.height), (tsql.STAGE_LOCATION, 2_000)]
    _, columns, frame = server.copies[1]
    assert columns[:2] == ["UploadLogId", "StageRow"]
    assert frame["UploadLogId"].unique().to_list() == [KEY]
    assert frame.drop("UploadLogId", "StageRow").equals(locations)
    assert len(server.sent("EXEC dbo.ProcessPythonEnhancedData")) == 1


def test_a_failed_bulk_copy_falls_back_to_json_after_clearing(rules: Rules) -> None:
    owners, locations = data.upload(50)
    server = FakeServer(bulk=True, bulk_error=RuntimeError("bcp refused"))
    loaded(server, 50, owners.height)
    backend(server).load(KEY, Batch(40, owners, locations, load_options(rules), NOW))
    statements = [c.statement for c in server.calls]
    assert statements[:4] == [*tsql.CLEAR_STAGE, *tsql.CLEAR_STAGE]
    assert server.staged("locations").height == 50
    server = FakeServer(bulk=True, bulk_error=RuntimeError("bcp refused"))
    with pytest.raises(LoadError, match="bcp refused"):
        backend(server, staging="bulk").load(
            KEY, Batch(40, owners, locations, load_options(rules), NOW)
        )


def test_a_failed_merge_reconnects_cleans_up_and_records_state_4(rules: Rules) -> None:
    owners, locations = data.upload(20)
    server = FakeServer(
        fail_on={
            "EXEC dbo.ProcessPythonEnhancedData": RuntimeError(
                "[SQL Server] Violation of UNIQUE KEY constraint 'UX_Owner_Slug' (2627)"
            )
        }
    )
    server.answers[tsql.UPLOAD_LOG_ROW] = [(KEY, 40, "u.csv", 4, None, NOW, NOW, "x")]
    b = backend(server, staging="json")
    with pytest.raises(LoadError, match=r"rolled back: .*UX_Owner_Slug"):
        b.load(KEY, Batch(40, owners, locations, load_options(rules), NOW))
    after = [c for c in server.calls if c.session == 2]
    assert server.opened == 2 and server.closed == 1  # the broken connection was dropped
    assert [c.statement for c in after[:3]] == [*tsql.CLEAR_STAGE, tsql.FAIL_UPLOAD_LOG]
    assert "UX_Owner_Slug" in after[2].params[0] and after[2].params[1] == KEY


def test_when_the_load_committed_but_the_answer_was_lost_it_says_so(rules: Rules) -> None:
    owners, locations = data.upload(5)
    server = FakeServer(fail_on={"EXEC dbo.ProcessPythonEnhancedData": ConnectionError("reset")})
    server.answers[tsql.UPLOAD_LOG_ROW] = [(KEY, 40, "u.csv", 3, 5, NOW, NOW, None)]
    with pytest.raises(LoadError, match=r"committed .* but its result was lost"):
        backend(server, staging="json").load(
            KEY, Batch(40, owners, locations, load_options(rules), NOW)
        )


def test_bad_text_is_refused_before_anything_is_sent(rules: Rules) -> None:
    owners, locations = data.upload(5)
    locations = locations.with_columns(pl.lit("x" * 400).alias("Grantor"))
    server = FakeServer()
    with pytest.raises(InputError, match="column Grantor"):
        backend(server).load(KEY, Batch(40, owners, locations, load_options(rules), NOW))
    assert server.calls == [] and server.opened == 0


def test_a_dry_run_uses_a_session_key_writes_no_uploadlog_and_rolls_back(rules: Rules) -> None:
    owners, locations = data.upload(30)
    server = FakeServer(answers={tsql.SESSION_ID: [(58,)]})
    server.answers[tsql.process_upload(False)] = [
        result_row(-58, 30, owners.height, ("Vacant-OO",), state=None)
    ]
    preview = backend(server, staging="json").preview(
        Batch(40, owners, locations, load_options(rules), NOW)
    )
    result = preview.counts
    assert result.upload_log_id is None and result.processing_state is None
    assert result.new_codes == ["Vacant-OO"] and result.locations_inserted == 30
    vacant = locations.filter(locations["PriorityCode"] == "Vacant-OO").height
    assert preview.new_code_rows == {"Vacant-OO": vacant} and preview.existing == 0
    (call,) = server.sent("EXEC dbo.ProcessPythonEnhancedData")
    assert call.params[0] == -58 and call.params[-3] == 1  # @dryRun = 1 (then @journal, @keepLoads)
    assert all(c.params[0] == -58 for c in server.sent(tsql.STAGE_JSON))
    assert not server.sent("UPDATE dbo.UploadLog") and not server.sent("INSERT INTO dbo.UploadLog")


def test_init_installs_every_script_then_regions_then_base_codes(rules: Rules) -> None:
    server = FakeServer()
    server.answers[tsql.GET_OR_CREATE_CODES] = [("ABS1", 2, 1), ("OO", 1, 0)]
    created = backend(server).init({40: "Roanoke", 41: None}, load_options(rules))
    statements = [c.statement for c in server.calls]
    batches = [b for _n, b in tsql.install_batches()]
    assert statements[: len(batches)] == batches
    regions = server.sent("EXEC dbo.PropmailEnsureRegion")
    assert [c.params[:2] for c in regions] == [(40, "Roanoke"), (41, None)]
    (codes,) = server.sent("EXEC dbo.PropmailGetOrCreateListCodes")
    assert json.loads(codes.params[0]) == [
        {"Code": r.code, "IsAbsentee": r.is_absentee} for r in rules.priority
    ]
    assert created == ["ABS1"]


def test_list_codes_are_resolved_in_one_call_of_the_procedure(rules: Rules) -> None:
    server = FakeServer()
    server.answers[tsql.GET_OR_CREATE_CODES] = [("abs1", 2, 0), ("Vacant-OO", 9, 1)]
    ids, created = backend(server).resolve_codes(["ABS1", "Vacant-OO", "ABS1"], rules.new_list)
    # the server's collation folds case: every spelling asked for gets the row it returned
    assert ids == {"ABS1": 2, "Vacant-OO": 9} and created == ["Vacant-OO"]
    (call,) = server.sent("EXEC dbo.PropmailGetOrCreateListCodes")
    assert json.loads(call.params[0]) == [{"Code": "ABS1"}, {"Code": "Vacant-OO"}]


def test_upload_log_and_regions(rules: Rules) -> None:
    server = FakeServer(
        answers={
            tsql.OPEN_UPLOAD_LOG: [(91,)],
            tsql.REGION_EXISTS: [(0,)],
            tsql.MISSING_OBJECTS: [("dbo.ProcessPythonEnhancedData",)],
        }
    )
    b = backend(server)
    assert b.open_upload_log(40, "may.xlsx", NOW) == 91
    assert server.calls[-1].params == (40, "may.xlsx", None)  # the server's clock
    with pytest.raises(InputError, match="propmail db init --region 40=NAME"):
        b.require_region(40)
    assert b.has_schema() is False
    b.dispose()
    assert server.closed == 1


def test_connection_test_checks_version_compatibility_and_openjson() -> None:
    good = {
        tsql.SERVER_INFO: [("Microsoft SQL Server 2016 (SP3)\n...", "13.0.6300.2", "Mail", 130)],
        tsql.OPENJSON_PROBE: [("test", 123)],
    }
    info = backend(FakeServer(answers=dict(good))).test_connection()
    assert info["openjson"] is True and info["compatibility_level"] == 130
    assert info["version"] == "Microsoft SQL Server 2016 (SP3)"
    old = dict(good, **{tsql.SERVER_INFO: [("SQL Server 2014", "12.0.6024.0", "Mail", 120)]})
    with pytest.raises(LoadError, match="older than 2016 SP1"):
        backend(FakeServer(answers=old)).test_connection()
    low = dict(good, **{tsql.SERVER_INFO: [("2019", "15.0.4415.2", "Mail", 120)]})
    with pytest.raises(LoadError, match="COMPATIBILITY_LEVEL = 130"):
        backend(FakeServer(answers=low)).test_connection()
    broken = dict(good, **{tsql.OPENJSON_PROBE: []})
    with pytest.raises(LoadError, match="OPENJSON round trip"):
        backend(FakeServer(answers=broken)).test_connection()


def test_every_statement_a_load_sends_parses(rules: Rules) -> None:
    owners, locations = data.upload(200)
    server = FakeServer(
        answers={
            tsql.SESSION_ID: [(58,)],
            tsql.OPEN_UPLOAD_LOG: [(KEY,)],
            tsql.REGION_EXISTS: [(1,)],
        }
    )
    loaded(server, 200, owners.height)
    server.answers[tsql.process_upload(False)] = [result_row(-58, 200, owners.height)]
    b = backend(server, staging="json", chunk_bytes=64 * 1024)
    b.init({40: None}, load_options(rules))
    b.has_schema()
    b.require_region(40)
    b.open_upload_log(40, "u.csv", NOW)
    b.preview(Batch(40, owners, locations, load_options(rules), NOW))
    for call in {c.statement for c in server.calls}:
        parse_batch(call if call.rstrip().endswith(";") else call + ";")
