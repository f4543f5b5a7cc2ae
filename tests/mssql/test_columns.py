"""Every Owner and Location column of the contract in the hand-written T-SQL, with its type.

The .sql files restate the contract's stored columns for a DBA to read; these checks name the
column and the file that lost it: the tables and staging tables of schema.sql, the JSON
staging of PropmailStageJson.sql, and the deduplicated sources and MERGEs of
ProcessPythonEnhancedData.sql.
"""

from __future__ import annotations

from functools import cache

import pytest
from sqlglot import exp

from propmail.contract import (
    DATE,
    FLAG,
    INT,
    LOCATION,
    LONGTEXT,
    NUMBER,
    OWNER,
    TEXT,
    Stored,
    stored,
)
from propmail.db.mssql import dialect as tsql
from propmail.db.mssql import staging
from propmail.db.sql import KEPT, OWNER_KEPT
from tests.mssql.tsql_grammar import parse_batch

TSQL_TYPES = {
    TEXT: "NVARCHAR(255)",
    LONGTEXT: "NVARCHAR(MAX)",
    FLAG: "BIT",
    INT: "INTEGER",
    NUMBER: "FLOAT",
    DATE: "DATE",
}
STAGE = {OWNER: "PropmailStageOwner", LOCATION: "PropmailStageLocation"}
SOURCE = {OWNER: "PropmailOwnerSource", LOCATION: "PropmailLocationSource"}
KEYS = {OWNER: {"Slug"}, LOCATION: {"PrimaryId"}}  # the MERGE's match keys, never updated
COLUMNS = [pytest.param(c, id=f"{c.table}.{c.name}") for c in (*stored(OWNER), *stored(LOCATION))]


@cache
def trees(script: str) -> list[exp.Expression]:
    """The statements of one shipped script, parsed with the T-SQL grammar."""
    batches = [parse_batch(text) for name, text in tsql.install_batches() if name == script]
    return [t for b in batches for t in b.trees()]


def created(table: str) -> dict[str, str]:
    """Column -> T-SQL type of `CREATE TABLE dbo.<table>` in schema.sql."""
    for tree in trees("schema.sql"):
        for create in tree.find_all(exp.Create):
            if isinstance(create.this, exp.Schema) and create.this.this.name == table:
                return {
                    d.name: d.args["kind"].sql("tsql")
                    for d in create.this.expressions
                    if isinstance(d, exp.ColumnDef)
                }
    raise AssertionError(f"schema.sql creates no table {table}")


def json_name(column: Stored) -> str:
    if column.table == OWNER:
        return staging.OWNER_JSON_NAMES.get(column.name, column.name)
    return column.name


def staged_from_json(table: str) -> dict[str, str]:
    """Staging column -> what PropmailStageJson's INSERT ... SELECT puts in it."""
    for tree in trees("PropmailStageJson.sql"):
        for insert in tree.find_all(exp.Insert):
            if isinstance(insert.this, exp.Schema) and insert.this.this.name == STAGE[table]:
                columns = [c.name for c in insert.this.expressions]
                values = [e.sql("tsql") for e in insert.expression.expressions]
                assert len(columns) == len(values), f"INSERT INTO {STAGE[table]}"
                return dict(zip(columns, values, strict=True))
    raise AssertionError(f"PropmailStageJson.sql fills no {STAGE[table]}")


def openjson_types(table: str) -> dict[str, tuple[str, str]]:
    """JSON record key -> (T-SQL type, path) of the OPENJSON ... WITH that reads `table`."""
    withs = [o for t in trees("PropmailStageJson.sql") for o in t.find_all(exp.OpenJSON)]
    declared = [o for o in withs if o.expressions]
    parsed = declared[0] if table == OWNER else declared[1]
    return {d.name: (d.args["kind"].sql("tsql"), d.args["path"].this) for d in parsed.expressions}


def source_columns(table: str) -> set[str]:
    """What the deduplicated MERGE source (#Propmail...Source) holds."""
    for tree in trees("ProcessPythonEnhancedData.sql"):
        for select in tree.find_all(exp.Select):
            into = select.args.get("into")
            if into is not None and into.this.name == SOURCE[table]:
                return {e.alias_or_name for e in select.expressions}
    raise AssertionError(f"ProcessPythonEnhancedData.sql fills no #{SOURCE[table]}")


def merge_writes(table: str) -> tuple[dict[str, str], dict[str, str]]:
    """The MERGE INTO dbo.<table>: column -> value of its UPDATE SET, and of its INSERT."""
    merge = next(
        m
        for t in trees("ProcessPythonEnhancedData.sql")
        for m in t.find_all(exp.Merge)
        if m.this.name == table
    )
    whens = merge.args["whens"].expressions
    update = next(w.args["then"] for w in whens if w.args["matched"])
    insert = next(w.args["then"] for w in whens if not w.args["matched"])
    updated = {e.this.name: e.expression.sql("tsql") for e in update.expressions}
    names = [c.name for c in insert.this.expressions]
    values = [v.sql("tsql") for v in insert.expression.expressions]
    assert len(names) == len(values), f"MERGE INTO {table}: INSERT"
    return updated, dict(zip(names, values, strict=True))


@pytest.mark.parametrize("column", COLUMNS)
def test_schema_sql_creates_the_column_with_its_type(column: Stored) -> None:
    expected, stage = TSQL_TYPES[column.kind], STAGE[column.table]
    if not column.staged_only:
        assert created(column.table).get(column.name) == expected, f"schema.sql: {column.table}"
    assert created(stage).get(column.name) == expected, f"schema.sql: {stage}"


@pytest.mark.parametrize("column", COLUMNS)
def test_propmail_stage_json_reads_and_stages_the_column(column: Stored) -> None:
    key = json_name(column)
    assert openjson_types(column.table).get(key) == (TSQL_TYPES[column.kind], f"$.{key}")
    assert staged_from_json(column.table).get(column.name) == f"j.{key}"


@pytest.mark.parametrize("column", COLUMNS)
def test_the_merge_writes_the_column_from_its_source(column: Stored) -> None:
    assert column.name in source_columns(column.table), f"#{SOURCE[column.table]}"
    if column.staged_only:
        return  # the owner key of a location: OwnerId is resolved from it
    updated, inserted = merge_writes(column.table)
    if column.name not in KEYS[column.table]:
        assert updated.get(column.name) == f"s.{column.name}", "WHEN MATCHED THEN UPDATE SET"
    assert inserted.get(column.name) == f"s.{column.name}", "WHEN NOT MATCHED THEN INSERT"


# per table: the stored row's alias, its columns kept, and how a source row finds it
KEEPING = {
    OWNER: ("o", OWNER_KEPT, "o.Slug = s.Slug"),
    LOCATION: ("l", KEPT, "l.PrimaryId = s.PrimaryId AND l.RegionId = @regionId"),
}


def _by_keep_stored(kind: type[exp.Expression], table: str) -> list[exp.Expression]:
    """The statements of that kind over the merge source of `table` (as s) by KeepStored."""
    return [
        e
        for t in trees("ProcessPythonEnhancedData.sql")
        for e in t.find_all(kind)
        if f"FROM #{SOURCE[table]} AS s" in e.sql("tsql") and "KeepStored" in e.sql("tsql")
    ]


@pytest.mark.parametrize("table", [OWNER, LOCATION])
def test_the_merge_source_keeps_the_stored_value_of_every_cell_not_read(table: str) -> None:
    """The UPDATE of the merge source puts the stored value in place of each cell the file
    could not read (KeepStored), for exactly the columns the generated SQL keeps."""
    alias, columns, match = KEEPING[table]
    updates = _by_keep_stored(exp.Update, table)
    assert len(updates) == 1, f"one UPDATE of #{SOURCE[table]} by KeepStored"
    sets = {e.this.name: e.expression.sql("tsql") for e in updates[0].expressions}
    expected = {
        name: f"CASE WHEN s.KeepStored LIKE N'%|{source}|%' THEN {alias}.{name} ELSE s.{name} END"
        for name, source in columns.items()
    }
    assert sets == expected
    statement = updates[0].sql("tsql")  # only the rows stored already, with such a cell
    assert match in statement
    assert "WHERE NOT s.KeepStored IS NULL" in statement


@pytest.mark.parametrize("table", [OWNER, LOCATION])
def test_the_cells_kept_are_counted_as_the_generated_sql_counts_them(table: str) -> None:
    """@cellsKept adds, per source row stored already, one for each column kept (the count
    `sql.kept_cells` makes)."""
    _, columns, match = KEEPING[table]
    counts = [s for s in _by_keep_stored(exp.Select, table) if "@cellsKept" in s.sql("tsql")]
    assert len(counts) == 1, f"one count of #{SOURCE[table]}'s cells kept"
    statement = counts[0].sql("tsql")
    cases = [f"CASE WHEN s.KeepStored LIKE N'%|{s}|%' THEN 1 ELSE 0 END" for s in columns.values()]
    assert f"SUM({' + '.join(cases)})" in statement
    assert match in statement and "WHERE NOT s.KeepStored IS NULL" in statement
