"""The shipped T-SQL and every statement the backend sends: parsed with sqlglot's T-SQL
grammar, then checked on the trees for the hardening the load depends on."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from sqlglot import exp

from propmail.db import schema, sql
from propmail.db.mssql import dialect as tsql
from propmail.db.mssql import staging
from tests.mssql.tsql_grammar import (
    Batch,
    Statement,
    parse_batch,
    parse_statement,
    procedure_name,
    procedure_parameters,
)

BATCHES = tsql.install_batches()
PARSED = {(name, i): parse_batch(text) for i, (name, text) in enumerate(BATCHES)}
PROCEDURES: dict[str, Batch] = {
    str(procedure_name(b)): b for b in PARSED.values() if b.procedure is not None
}
WINDOW_WORDS = {"InsertedDate", "UpdatedDate", "ModifiedDate", "cutoff", "dayStart", "now"}


def names(node: exp.Expression) -> set[str]:
    """Column names and @variables mentioned anywhere under `node`."""
    found = {c.name for c in node.find_all(exp.Column)}
    return found | {p.name for p in node.find_all(exp.Parameter)}


def all_trees() -> list[exp.Expression]:
    trees = [t for b in PARSED.values() for t in b.trees()]
    return trees + [parse_statement(s) for s in tsql.statements().values() if ";" not in s]


def merges() -> list[tuple[str, exp.Merge]]:
    return [
        (name, m)
        for name, b in PROCEDURES.items()
        for t in b.trees()
        for m in t.find_all(exp.Merge)
    ]


def first(batch: Batch, predicate: object) -> int:
    for i, s in enumerate(batch.statements):
        if callable(predicate) and predicate(s):
            return i
    raise AssertionError("statement not found")


def is_update_state(state: int) -> object:
    def check(s: Statement) -> bool:
        if s.tree is None or not isinstance(s.tree, exp.Update):
            return False
        return s.tree.this.name == "UploadLog" and any(
            e.this.name == "ProcessingState" and e.expression.sql() == str(state)
            for e in s.tree.expressions
        )

    return check


# -- everything parses ------------------------------------------------------------------


@pytest.mark.parametrize("key", list(PARSED), ids=[f"{n}#{i}" for n, i in PARSED])
def test_every_shipped_batch_parses_statement_by_statement(key: tuple[str, int]) -> None:
    batch = PARSED[key]
    assert batch.statements, "an empty batch"
    assert all(s.tree is not None or s.kind == "throw" for s in batch.statements)


@pytest.mark.parametrize("name", list(tsql.statements()))
def test_every_generated_statement_parses(name: str) -> None:
    text = tsql.statements()[name]
    if ";" in text:  # a small batch
        assert parse_batch(text).statements
    else:
        parse_statement(text)


def test_the_checker_rejects_what_sqlglot_cannot_read() -> None:
    with pytest.raises(AssertionError):
        parse_statement("MERGE dbo.Owner AS o USING s ON o.Slug = s.Slug WHEN MATCHED THEN")
    with pytest.raises(AssertionError):
        parse_statement("PRINT N'x'")  # sqlglot falls back to an unparsed Command
    with pytest.raises(AssertionError):
        parse_batch("BEGIN TRY SELECT 1; END TRY SELECT 2;")  # TRY without CATCH
    with pytest.raises(AssertionError):
        parse_batch("BEGIN SELECT 1;")  # unbalanced
    with pytest.raises(AssertionError):
        parse_batch("SELECT 1")  # not terminated


def test_every_script_is_installed() -> None:
    shipped = {
        p.name for p in resources.files("propmail.db.mssql").iterdir() if p.name.endswith(".sql")
    }
    assert shipped == set(tsql.SCRIPTS)
    assert set(PROCEDURES) == set(tsql.PROCEDURES)


# -- the hardening ------------------------------------------------------------------------


@pytest.mark.parametrize("name", tsql.PROCEDURES)
def test_every_procedure_sets_xact_abort_before_doing_anything(name: str) -> None:
    batch = PROCEDURES[name]
    texts = [re.sub(r"\s+", " ", s.text).upper() for s in batch.statements]
    assert "SET XACT_ABORT ON" in texts
    assert "SET NOCOUNT ON" in texts
    xact = texts.index("SET XACT_ABORT ON")
    writes = (exp.Merge, exp.Insert, exp.Update, exp.Delete, exp.Transaction, exp.Execute)
    first_write = next(
        i for i, s in enumerate(batch.statements) if s.tree is not None and s.tree.find(*writes)
    )
    assert xact < first_write


def test_every_merge_holds_its_target_with_holdlock() -> None:
    found = merges()
    assert {m.this.name for _, m in found} == {"Owner", "Location"}
    for _, merge in found:
        hints = [v.name.upper() for h in merge.this.args.get("hints") or [] for v in h.expressions]
        assert "HOLDLOCK" in hints, merge.sql("tsql")[:80]


def test_no_window_predicate_inside_on_and_the_window_is_in_when_matched() -> None:
    for _, merge in merges():
        assert not names(merge.args["on"]) & WINDOW_WORDS, merge.args["on"].sql("tsql")
    location = next(m for _, m in merges() if m.this.name == "Location")
    matched = [w for w in location.args["whens"].expressions if w.args["matched"]]
    assert len(matched) == 1
    condition = names(matched[0].args["condition"])
    assert {"InsertedDate", "UpdatedDate", "cutoff"} <= condition


def test_every_merge_source_is_deduplicated_on_its_match_key() -> None:
    for name, merge in merges():
        batch = PROCEDURES[name]
        source = merge.args["using"]
        assert isinstance(source, exp.Table) and source.this.args.get("temporary"), source.sql()
        alias = source.alias_or_name
        on_keys = {c.name for c in merge.args["on"].find_all(exp.Column) if c.table == alias}
        trees = batch.trees()
        index = [
            t
            for t in trees
            if isinstance(t, exp.Create)
            and t.args.get("unique")
            and isinstance(t.this, exp.Index)
            and t.this.args["table"].name == source.name
        ]
        assert len(index) == 1, f"{source.name} needs one unique index"
        columns = {o.this.name for o in index[0].this.args["params"].args["columns"]}
        assert columns == on_keys
        filled = next(
            t
            for t in trees
            if isinstance(t, exp.Select)
            and t.args.get("into")
            and t.args["into"].this.name == source.name
        )
        window = filled.find(exp.Window)
        assert window is not None and isinstance(window.this, exp.RowNumber)
        assert {c.name for c in window.args["partition_by"]} == on_keys
        assert "RowRank = 1" in filled.args["where"].sql("tsql")


def _merge_columns(table: str) -> tuple[set[str], set[str]]:
    merge = next(m for _, m in merges() if m.this.name == table)
    whens = merge.args["whens"].expressions
    update = next(w.args["then"] for w in whens if w.args["matched"])
    insert = next(w.args["then"] for w in whens if not w.args["matched"])
    return {e.this.name for e in update.expressions}, {c.name for c in insert.this.expressions}


def test_the_location_merge_writes_every_location_column() -> None:
    every = {c.name for c in schema.location.columns}
    updated, inserted = _merge_columns("Location")
    assert updated == every - {"LocationId", "RegionId", "PrimaryId", "InsertedDate"}
    assert inserted == every - {"LocationId", "ModifiedDate", "UpdatedDate"}


def test_the_owner_merge_writes_every_owner_column() -> None:
    every = {c.name for c in schema.owner.columns}
    updated, inserted = _merge_columns("Owner")
    assert updated == every - {"OwnerId", "Slug", "InsertedDate"}
    assert inserted == every - {"OwnerId", "ModifiedDate", "UpdatedDate"}


def test_the_merge_is_one_transaction_with_a_catch_that_records_state_4() -> None:
    batch = PROCEDURES["ProcessPythonEnhancedData"]
    begin = first(batch, lambda s: isinstance(s.tree, exp.Transaction))
    assert batch.statements[begin].blocks[-1] == "TRY"
    assert len([s for s in batch.statements if isinstance(s.tree, exp.Transaction)]) == 1
    catch = [s for s in batch.statements if "CATCH" in s.blocks]
    assert "ROLLBACK" in catch[0].text.upper() and "@@TRANCOUNT" in catch[0].text
    failed = [s for s in catch if s.tree is not None and is_update_state(4)(s)]
    assert len(failed) == 1 and "ErrorMessage" in names(failed[0].tree)
    assert catch[-1].kind == "throw" and catch[-1].text.upper() == "THROW"
    # the states in order: 7 and 8 committed before the transaction, 9, 10 and 3 inside it
    order = [first(batch, is_update_state(s)) for s in (7, 8, 9, 10, 3)]
    assert order == sorted(order)
    assert order[1] < begin < order[2]
    commit = first(batch, lambda s: s.tree is not None and s.tree.find(exp.Commit) is not None)
    assert order[4] < commit


def test_a_region_lock_is_taken_inside_the_transaction_before_any_merge() -> None:
    batch = PROCEDURES["ProcessPythonEnhancedData"]
    begin = first(batch, lambda s: isinstance(s.tree, exp.Transaction))
    lock = first(batch, lambda s: "sp_getapplock" in s.text)
    merge = first(batch, lambda s: isinstance(s.tree, exp.Merge))
    assert begin < lock < merge
    text = batch.statements[lock].text
    assert "@LockOwner = N'Transaction'" in text and "@LockMode = N'Exclusive'" in text
    assert "@lockResource" in text
    resource = first(batch, lambda s: "DECLARE @lockResource" in s.text)
    assert "propmail:region:" in batch.statements[resource].text
    assert tsql.region_lock_resource(40) == "propmail:region:40"


def test_list_codes_are_created_under_a_lock_and_updlock_holdlock() -> None:
    batch = PROCEDURES["PropmailEnsureListCodes"]
    lock = first(batch, lambda s: "sp_getapplock" in s.text)
    insert = first(
        batch, lambda s: isinstance(s.tree, exp.Insert) and s.tree.this.this.name == "ListPriority"
    )
    assert lock < insert
    probe = batch.statements[insert].tree.find(exp.Exists)
    assert probe is not None
    table = probe.find(exp.Table)
    hints = {v.name.upper() for h in table.args.get("hints") or [] for v in h.expressions}
    assert {"UPDLOCK", "HOLDLOCK"} <= hints
    frequencies = first(
        batch,
        lambda s: isinstance(s.tree, exp.Insert) and s.tree.this.this.name == "RegionListFrequency",
    )
    assert insert < frequencies
    # the merge creates its codes through this procedure, inside its own transaction
    merge = PROCEDURES["ProcessPythonEnhancedData"]
    call = first(merge, lambda s: "EXEC dbo.PropmailEnsureListCodes" in s.text)
    assert merge.statements[call].blocks[-1] == "TRY"


# -- the shipped schema matches the contract -------------------------------------------------


def _created_tables() -> dict[str, exp.Schema]:
    tables = {}
    for batch in PARSED.values():
        for tree in batch.trees():
            for create in tree.find_all(exp.Create):
                if create.args.get("kind") == "TABLE" and isinstance(create.this, exp.Schema):
                    tables[create.this.this.name] = create.this
    return tables


def _columns(table: exp.Schema) -> dict[str, exp.ColumnDef]:
    return {c.name: c for c in table.expressions if isinstance(c, exp.ColumnDef)}


def test_schema_sql_has_every_table_and_column_of_the_contract() -> None:
    created = _created_tables()
    for table in schema.TABLES:
        assert set(_columns(created[table.name])) == {c.name for c in table.columns}, table.name


def test_schema_sql_keys_are_identities_and_the_unique_indexes_exist() -> None:
    created = _created_tables()
    for table, key in (
        ("ListPriority", "ListPriorityId"),
        ("Owner", "OwnerId"),
        ("Location", "LocationId"),
        ("UploadLog", "UploadLogId"),
        ("RegionListFrequency", "RegionListFrequencyId"),
    ):
        column = _columns(created[table])[key]
        assert column.find(exp.GeneratedAsIdentityColumnConstraint), f"{table}.{key}"
    unique = {
        (
            c.this.args["table"].name,
            tuple(o.this.name for o in c.this.args["params"].args["columns"]),
        )
        for b in PARSED.values()
        for t in b.trees()
        for c in t.find_all(exp.Create)
        if c.args.get("unique")
        and isinstance(c.this, exp.Index)
        and not c.this.args["table"].this.args.get("temporary")
    }
    assert unique == {
        ("Owner", ("Slug",)),
        ("Location", ("PrimaryId", "RegionId")),
        ("ListPriority", ("Code",)),
    }


def test_schema_sql_adds_the_indexes_under_locations_foreign_keys_where_none_leads() -> None:
    """Undo deletes owners and list codes: the foreign keys' checks need an index each. Each
    is created only where no index of dbo.Location starts with its column (`MISSING_INDEXES`
    asks the same), and these and the unique keys are the only changes to a legacy table."""
    made = {
        (c.this.name, c.this.args["table"].name, c.this.args["params"].args["columns"][0].name)
        for b in PARSED.values()
        for t in b.trees()
        for c in t.find_all(exp.Create)
        if isinstance(c.this, exp.Index) and not c.args.get("unique")
    }
    expected = {(name, "Location", column) for name, column in tsql.FOREIGN_KEY_INDEXES}
    assert expected <= made
    assert {m for m in made if m[1] in {t.name for t in schema.TABLES}} == expected
    guard = tsql.MISSING_INDEXES
    assert "key_ordinal = 1" in guard and "OBJECT_ID(N'dbo.Location', N'U') IS NOT NULL" in guard
    script = tsql.script_text("schema.sql")
    for name, column in tsql.FOREIGN_KEY_INDEXES:
        block = script[: script.index(f"CREATE NONCLUSTERED INDEX {name}")]
        assert f"ic.key_ordinal = 1 AND c.name = N'{column}'" in block[-600:], name


def test_staging_tables_take_what_python_sends() -> None:
    created = _created_tables()
    owner_stage = _columns(created["PropmailStageOwner"])
    location_stage = _columns(created["PropmailStageLocation"])
    # bulk copy: the Arrow columns are staging columns of the same SQL types as the targets
    for stage, columns, target in (
        (owner_stage, staging.OWNER_COLUMNS, created["Owner"]),
        (location_stage, staging.LOCATION_COLUMNS, created["Location"]),
    ):
        assert {"UploadLogId", "StageRow", *columns} <= set(stage)
        for name, column in _columns(target).items():
            if name in stage:
                assert stage[name].args["kind"] == column.args["kind"], name
    # JSON: the OPENJSON paths are exactly the record keys, with the staging column types
    stage_json = PROCEDURES["PropmailStageJson"]
    openjson = [o for t in stage_json.trees() for o in t.find_all(exp.OpenJSON) if o.expressions]
    owner_json, location_json = openjson
    expected_owner_keys = {staging.OWNER_JSON_NAMES.get(c, c) for c in staging.OWNER_COLUMNS}
    for parsed, keys, stage in (
        (owner_json, expected_owner_keys, owner_stage),
        (location_json, set(staging.LOCATION_COLUMNS), location_stage),
    ):
        paths = {d.args["path"].this.removeprefix("$.") for d in parsed.expressions}
        assert keys <= paths
        assert paths - keys <= {"ListPriorityId"}  # the guide's callers may send ids
        renamed = (
            {v: k for k, v in staging.OWNER_JSON_NAMES.items()} if stage is owner_stage else {}
        )
        for definition in parsed.expressions:
            column = stage[renamed.get(definition.name, definition.name)]
            assert definition.args["kind"] == column.args["kind"], definition.name


def test_python_binds_the_parameters_the_procedures_declare() -> None:
    def bound(statement: str) -> tuple[str, list[str]]:
        tree = parse_statement(statement)
        assert isinstance(tree, exp.Execute)
        return tree.this.name, [e.this.name for e in tree.expressions]

    for statement in (
        tsql.process_upload(False),
        tsql.process_upload(True),
        tsql.STAGE_JSON,
        tsql.GET_OR_CREATE_CODES,
        tsql.ENSURE_REGION,
    ):
        procedure, parameters = bound(statement)
        assert set(parameters) <= set(procedure_parameters(PROCEDURES[procedure])), procedure
    _, process = bound(tsql.process_upload(True))
    assert [p for p in process if p in tsql.PROCESS_PARAMETERS] == list(tsql.PROCESS_PARAMETERS)


def test_the_merge_returns_the_columns_python_reads() -> None:
    last = PROCEDURES["ProcessPythonEnhancedData"].statements[-1].tree
    assert isinstance(last, exp.Select)
    assert tuple(e.alias for e in last.expressions) == tsql.PROCESS_RESULT


def test_the_merge_uses_the_unchanged_row_refresh_rule_of_the_generic_plan() -> None:
    for _, merge in merges():
        condition = next(w for w in merge.args["whens"].expressions if w.args["matched"])
        text = condition.args["condition"].sql("tsql")
        target = merge.this.alias_or_name
        touched = f"COALESCE({target}.UpdatedDate, {target}.InsertedDate)"
        assert f"{touched} < @dayStart" in text and f"{touched} IS NULL" in text
        # null-safe "changed" (IS DISTINCT FROM elsewhere) over the generic plan's columns
        (intersect,) = condition.args["condition"].find_all(exp.Intersect)
        source = [c.name for c in intersect.left.expressions]
        stored = [c.name for c in intersect.right.expressions]
        assert {c.table for c in intersect.right.expressions} == {target}
        expected = sql.OWNER_DATA if merge.this.name == "Owner" else sql.LOCATION_KEYED
        assert sorted(source) == sorted(stored) == sorted(expected)
