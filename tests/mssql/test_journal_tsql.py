"""The load journal on SQL Server: ProcessPythonEnhancedData writes it inside its transaction.

Checked on the parsed T-SQL: the journal tables of `schema.sql` are those of the generic plan
(`propmail.db.schema`); each MERGE outputs the before-image of every column it rewrites
(deleted.*) and the key of each row, and those rows reach the journal tables after the MERGE
and before the COMMIT, inside the TRY whose CATCH rolls everything back.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from propmail.db import schema
from propmail.db.mssql import dialect as tsql
from propmail.db.results import Undone
from propmail.errors import InputError
from tests.mssql.fakes import FakeServer, backend
from tests.mssql.test_tsql import PROCEDURES, _columns, _created_tables, first
from tests.mssql.tsql_grammar import Batch, parse_batch

JOURNALED = {"Owner": schema.journal_owner, "Location": schema.journal_location}
KEYS = {"Owner": ("Slug",), "Location": ("PrimaryId",)}
# SQL Server journals every row in the wide tables, from the MERGE's OUTPUT
MSSQL_JOURNAL = [t for t in schema.JOURNAL_TABLES if t not in schema.KEY_JOURNAL_TABLES]


def test_schema_sql_creates_the_journal_tables_of_the_generic_plan() -> None:
    created = _created_tables()
    for table in MSSQL_JOURNAL:
        assert set(_columns(created[table.name])) == {c.name for c in table.columns}, table.name


def _output(merge: exp.Merge) -> exp.Returning:
    returning = merge.args.get("returning")
    assert isinstance(returning, exp.Returning), merge.this.name
    return returning


def test_each_merge_outputs_every_before_image_column_and_the_key_into_a_temp_table() -> None:
    batch = PROCEDURES["ProcessPythonEnhancedData"]
    merges = [s.tree for s in batch.statements if isinstance(s.tree, exp.Merge)]
    assert {m.this.name for m in merges} == set(JOURNALED)
    created = _created_tables()
    for merge in merges:
        target = merge.this.name
        journal = JOURNALED[target]
        output = _output(merge)
        into = output.args["into"]
        assert into.args.get("temporary"), target
        columns_of = {
            side: {
                c.name for c in output.expressions if isinstance(c, exp.Column) and c.table == side
            }
            for side in ("deleted", "inserted")
        }
        before, keys = columns_of["deleted"], columns_of["inserted"]
        image = {c.name for c in schema.metadata.tables[target].columns}
        assert before == image - {"RegionId", *KEYS[target]}, target
        keys = {
            c.name
            for c in output.expressions
            if isinstance(c, exp.Column) and c.table == "inserted"
        }
        assert keys == set(KEYS[target])
        assert "$action" in output.sql("tsql")
        # OUTPUT INTO a table without a column list fills it by position: each value lands in
        # the column of its name, and the columns are the journal table's
        columns = list(_columns(created[into.name]))
        assert set(columns) == {c.name for c in journal.columns}, target
        named = {"@uploadLogId": "UploadLogId", "@regionId": "RegionId"}
        for value, column in zip(output.expressions, columns, strict=True):
            text = value.sql("tsql")
            expected = value.name if isinstance(value, exp.Column) else named.get(text, "Inserted")
            assert column == expected, (target, text)


def test_the_journal_is_written_after_the_merges_inside_the_transaction() -> None:
    batch = PROCEDURES["ProcessPythonEnhancedData"]
    begin = first(batch, lambda s: isinstance(s.tree, exp.Transaction))
    commit = first(batch, lambda s: s.tree is not None and s.tree.find(exp.Commit) is not None)
    last_merge = max(i for i, s in enumerate(batch.statements) if isinstance(s.tree, exp.Merge))
    for table in MSSQL_JOURNAL:
        written = first(
            batch,
            lambda s, name=table.name: (
                isinstance(s.tree, exp.Insert)
                and s.tree.this.find(exp.Table) is not None
                and s.tree.this.find(exp.Table).name == name
            ),
        )
        assert begin < last_merge < written < commit, table.name
        assert batch.statements[written].blocks[-1] == "IF", table.name
        assert "TRY" in batch.statements[written].blocks, table.name
    pruned = [
        s
        for s in batch.statements
        if isinstance(s.tree, exp.Delete) and "@pruned" in s.text and "PropmailJournal" in s.text
    ]
    assert len(pruned) == len(MSSQL_JOURNAL)
    assert all(begin < batch.statements.index(s) < commit for s in pruned)


# -- undo: dbo.PropmailUndoLoad -----------------------------------------------------------------


def _written(batch: Batch, kind: type[exp.Expression], table: str) -> int:
    return first(
        batch,
        lambda s: (
            isinstance(s.tree, kind) and any(t.name == table for t in s.tree.find_all(exp.Table))
        ),
    )


def test_undo_is_one_transaction_under_the_region_lock_that_refuses_first() -> None:
    batch = PROCEDURES["PropmailUndoLoad"]
    begin = first(batch, lambda s: isinstance(s.tree, exp.Transaction))
    lock = first(batch, lambda s: "sp_getapplock" in s.text)
    resource = first(batch, lambda s: "SET @lockResource" in s.text)
    assert "propmail:region:" in batch.statements[resource].text
    refusals = {
        code: i
        for i, s in enumerate(batch.statements)
        for code in ("50031", "50032")
        if s.kind == "throw" and code in s.text
    }
    assert set(refusals) == {"50031", "50032"}
    commit = first(batch, lambda s: s.tree is not None and s.tree.find(exp.Commit) is not None)
    deleted = _written(batch, exp.Delete, "Location")
    assert begin < lock < min(refusals.values()) and max(refusals.values()) < deleted < commit
    state = first(
        batch, lambda s: isinstance(s.tree, exp.Update) and "ProcessingState = 11" in s.text
    )
    assert deleted < state < commit
    catch = [s for s in batch.statements if "CATCH" in s.blocks]
    assert "ROLLBACK" in catch[0].text.upper() and catch[-1].text.upper() == "THROW"


def test_undo_restores_every_before_image_column_in_the_order_the_keys_allow() -> None:
    batch = PROCEDURES["PropmailUndoLoad"]
    order = [
        _written(batch, exp.Delete, "Location"),
        _written(batch, exp.Update, "Location"),
        _written(batch, exp.Update, "Owner"),
        _written(batch, exp.Delete, "Owner"),
        _written(batch, exp.Delete, "RegionListFrequency"),
        _written(batch, exp.Delete, "ListPriority"),
    ]
    assert order == sorted(order)
    for index, target, journal, keys in (
        (order[1], "Location", schema.journal_location, {"LocationId", "RegionId", "PrimaryId"}),
        (order[2], "Owner", schema.journal_owner, {"OwnerId", "Slug"}),
    ):
        update = batch.statements[index].tree
        restored = {e.this.name: e.expression for e in update.expressions}
        image = {c.name for c in schema.metadata.tables[target].columns} - keys
        assert set(restored) == image, target
        assert all(v.table == "x" and v.name == n for n, v in restored.items()), target
        assert journal.name in update.sql("tsql")


def test_the_backend_undoes_through_the_procedure_and_refuses_with_its_words() -> None:
    server = FakeServer()
    server.answers[tsql.UNDO_LOAD] = [(12, 40, 5, 1, 7, 3, 2, 1)]
    (undone,) = backend(server).undo(12, dry_run=True)
    assert undone == Undone(12, 40, 5, 1, 7, 3, 2, 1)
    (call,) = server.sent("EXEC dbo.PropmailUndoLoad")
    assert call.params == (12, 600_000, 1)
    server.fail_on[tsql.UNDO_LOAD] = RuntimeError(
        "[50031] upload 12 cannot be undone: later loads wrote its rows since: upload 13"
    )
    with pytest.raises(InputError, match=r"^upload 12 cannot be undone: later"):
        backend(server).undo(12)


# -- undo --cascade: the later loads first, newest first, one transaction ------------------------

# load 12 of region 40; 13 rewrote its rows, 14 (region 41) shared owners with 13, 15 is apart
LATER = [(13, 40), (14, 41), (15, 40)]
SHARED = {(12, 13): 3, (13, 14): 1}


def cascade_server() -> FakeServer:
    server = FakeServer()
    server.answers[tsql.JOURNALED_REGION] = [(40,)]
    server.answers[tsql.LATER_LOADS] = list(LATER)
    # bound as (later, earlier, later, earlier)
    server.answers[tsql.JOURNAL_OVERLAP] = lambda p: [(SHARED.get((p[1], p[0]), 0),)]
    server.answers[tsql.UNDO_LOAD] = lambda p: [(p[0], 41 if p[0] == 14 else 40, 1, 0, 2, 0, 0, 0)]
    return server


@pytest.mark.parametrize("dry_run", [False, True])
def test_cascade_undoes_the_later_loads_newest_first_in_one_transaction(dry_run: bool) -> None:
    server = cascade_server()
    undone = backend(server).undo(12, cascade=True, dry_run=dry_run)
    assert [(u.upload_log_id, u.region_id) for u in undone] == [(14, 41), (13, 40), (12, 40)]
    sent = [c.statement for c in server.calls]
    begin = sent.index(tsql.UNDO_CASCADE_BEGIN)
    undos = [i for i, c in enumerate(server.calls) if c.statement == tsql.UNDO_LOAD]
    end = tsql.UNDO_CASCADE_ROLLBACK if dry_run else tsql.UNDO_CASCADE_COMMIT
    assert begin < min(undos) and max(undos) < sent.index(end) == len(sent) - 1
    # each through the procedure, for real inside the transaction; a dry run rolls it all back
    assert [server.calls[i].params for i in undos] == [(i, 600_000, 0) for i in (14, 13, 12)]
    assert len({c.session for c in server.calls}) == 1  # one connection, one transaction


def test_a_refusal_inside_the_cascade_rolls_all_back_and_drops_the_connection() -> None:
    server = cascade_server()
    server.fail_on[tsql.UNDO_LOAD] = RuntimeError(
        "[50032] upload 14 cannot be undone: 2 of the rows it wrote were written since"
    )
    with pytest.raises(InputError, match=r"upload 14 cannot be undone: 2 of the rows"):
        backend(server).undo(12, cascade=True)
    assert not server.sent(tsql.UNDO_CASCADE_COMMIT)
    assert server.closed == 1  # the server rolls back the open transaction with the session


def test_cascade_of_a_load_without_journal_says_why_through_the_procedure() -> None:
    server = cascade_server()
    server.answers[tsql.JOURNALED_REGION] = []
    server.fail_on[tsql.UNDO_LOAD] = RuntimeError(
        "[50030] upload 12 cannot be undone: it was undone"
    )
    with pytest.raises(InputError, match="upload 12 cannot be undone: it was undone"):
        backend(server).undo(12, cascade=True)
    assert not server.sent(tsql.UNDO_CASCADE_BEGIN)


def test_the_cascade_transaction_aborts_on_any_error_and_nests_the_procedures() -> None:
    begin = parse_batch(tsql.UNDO_CASCADE_BEGIN).statements
    assert [s.text.upper() for s in begin] == ["SET XACT_ABORT ON", "BEGIN TRANSACTION"]
    assert isinstance(begin[1].tree, exp.Transaction)
    # the procedure's region lock belongs to the transaction, so the cascade holds every
    # region's lock to its end; outside CATCH it rolls back only on its own dry run, which the
    # cascade never asks for
    undo_load = PROCEDURES["PropmailUndoLoad"]
    lock = undo_load.statements[first(undo_load, lambda s: "sp_getapplock" in s.text)].text
    assert "@LockOwner = N'Transaction'" in lock
    statements = undo_load.statements
    rollbacks = [
        i
        for i, s in enumerate(statements)
        if "ROLLBACK" in s.text.upper() and "CATCH" not in s.blocks
    ]
    assert rollbacks
    for i in rollbacks:
        condition = next(s for s in reversed(statements[:i]) if s.kind == "if")
        assert condition.text == "IF @dryRun = 1", condition.text


def test_the_cascade_overlap_counts_what_the_generic_plan_counts() -> None:
    tree = sqlglot.parse_one(tsql.JOURNAL_OVERLAP, dialect="tsql")
    joins = {
        join.this.name: sorted(c.name for c in join.args["on"].find_all(exp.Column))
        for join in tree.find_all(exp.Join)
    }
    assert joins == {
        "PropmailJournalOwner": ["Slug", "Slug", "UploadLogId"],
        "PropmailJournalLocation": [
            "PrimaryId",
            "PrimaryId",
            "RegionId",
            "RegionId",
            "UploadLogId",
        ],
    }
    assert tsql.JOURNAL_OVERLAP.count("?") == 4
