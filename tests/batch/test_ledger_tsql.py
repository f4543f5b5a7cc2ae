"""The ledger's T-SQL for SQL Server: parsed with sqlglot, the same columns as db/schema.py."""

from __future__ import annotations

from importlib import resources

from sqlglot import exp

from propmail.db.mssql import dialect as tsql
from propmail.db.schema import batch_job
from tests.mssql.tsql_grammar import parse_batch


def test_the_ledger_table_has_the_columns_of_the_schema() -> None:
    text = resources.files("propmail.db.mssql").joinpath("PropmailBatchJob.sql").read_text()
    creates = [c for t in parse_batch(text).trees() for c in t.find_all(exp.Create)]
    (create,) = creates
    assert create.this.this.name == "PropmailBatchJob"
    columns = [d.name for d in create.find_all(exp.ColumnDef)]
    assert columns == [c.name for c in batch_job.columns]
    assert "PropmailBatchJob.sql" in tsql.SCRIPTS  # installed by propmail db init


def test_a_ledger_of_an_earlier_version_gains_the_columns_as_created() -> None:
    text = resources.files("propmail.db.mssql").joinpath("PropmailBatchJob.sql").read_text()
    trees = parse_batch(text).trees()
    (create,) = [c for t in trees for c in t.find_all(exp.Create)]
    created = {d.name: d.sql("tsql") for d in create.find_all(exp.ColumnDef)}
    added = [d for t in trees for a in t.find_all(exp.Alter) for d in a.find_all(exp.ColumnDef)]
    assert [d.name for d in added] == ["Month", "ClaimedBy"]  # the columns since the first
    for column in added:
        assert column.sql("tsql") == created[column.name]  # nullable, typed as a new table's
