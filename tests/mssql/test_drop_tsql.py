"""The mail drop on SQL Server: MailDrop.sql creates the tables the other backends create, and
every statement the drop sends, compiled for SQL Server, parses with sqlglot's T-SQL grammar."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.dialects import mssql
from sqlalchemy.sql import ClauseElement
from sqlglot import exp

from propmail.db import drops, schema
from propmail.db.mssql import dialect as tsql
from tests.mssql.tsql_grammar import parse_batch, parse_statement

DROP = drops.DropRow(7, 40, date(2026, 12, 7), "planned", 3, datetime(2026, 12, 7), None, "{}")


def _created() -> dict[str, exp.Schema]:
    tables = {}
    for batch in tsql.split_batches(tsql.script_text("MailDrop.sql")):
        for tree in parse_batch(batch).trees():
            for create in tree.find_all(exp.Create):
                if create.args.get("kind") == "TABLE" and isinstance(create.this, exp.Schema):
                    tables[create.this.this.name] = create.this
    return tables


def test_maildrop_sql_is_installed_after_the_schema() -> None:
    assert tsql.SCRIPTS.index("MailDrop.sql") == tsql.SCRIPTS.index("schema.sql") + 1


def test_maildrop_sql_creates_every_drop_table_with_the_columns_of_the_others() -> None:
    created = _created()
    assert set(created) == {t.name for t in schema.DROP_TABLES}
    for table in schema.DROP_TABLES:
        columns = {c.name for c in created[table.name].expressions if isinstance(c, exp.ColumnDef)}
        assert columns == {c.name for c in table.columns}, table.name


def _statements() -> dict[str, ClauseElement]:
    piece, supp = schema.mail_piece, schema.suppression
    return {
        "latest load": drops.latest_load_query(40),
        "candidates": drops.candidates_query(40),
        "suppressions": drops.suppressions_query(date(2026, 12, 7)),
        "region lock": drops.region_lock(40),
        "overlapping": drops.overlapping_query(DROP),
        "pieces": drops.pieces_query(7),
        "sample": drops.pieces_query(7, limit=25),
        "insert drop": insert(schema.mail_drop).values(
            RegionId=40,
            DropDate=date(2026, 12, 7),
            State="planned",
            Pieces=0,
            CreatedDate=datetime(2026, 12, 7),
            Settings="{}",
        ),
        "insert piece": insert(piece).values(
            DropId=7, OwnerId=1, LocationId=2, ListPriorityId=3, TouchNumber=1
        ),
        "commit": update(schema.mail_drop)
        .where(schema.mail_drop.c.DropId == 7)
        .values(State="committed", CommittedDate=datetime(2026, 12, 7)),
        "cancel pieces": delete(piece).where(piece.c.DropId == 7),
        "suppression delete": delete(supp).where(
            supp.c.KeyKind == "parcel", supp.c.KeyValue.in_(["1", "2"])
        ),
    }


def test_the_pieces_insert_parses_as_tsql_with_at_most_1000_rows_a_statement() -> None:
    class SqlServer:
        dialect = mssql.dialect()

    pieces = pl.DataFrame(
        {
            "OwnerId": [1, None, 3] * 700,
            "LocationId": list(range(2100)),
            "ListPriorityId": [3] * 2100,
            "TouchNumber": [1] * 2100,
        }
    )
    statements = list(drops.insert_pieces(SqlServer(), 7, pieces))  # type: ignore[arg-type]
    assert len(statements) == 3
    for text in statements:
        tree = parse_statement(text)
        assert isinstance(tree, exp.Insert)
        assert len(tree.expression.expressions) <= 1000  # SQL Server's limit of a VALUES
    assert "(7, NULL, 1, 3, 1)" in statements[0]


@pytest.mark.parametrize("name", list(_statements()))
def test_every_drop_statement_parses_as_tsql(name: str) -> None:
    compiled = str(_statements()[name].compile(dialect=mssql.dialect()))
    compiled = compiled.replace("__[POSTCOMPILE_KeyValue_1]", "?, ?")
    compiled = compiled.replace("__[POSTCOMPILE_param_1]", "25")
    assert parse_statement(compiled) is not None
