"""`propmail changes` on SQL Server: its queries, compiled by SQLAlchemy's T-SQL dialect for a
journal without key tables, parse strictly as T-SQL and read only the wide journal."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Select
from sqlalchemy.dialects import mssql
from sqlglot import exp

from propmail.db.mssql.backend import CAPABILITIES
from propmail.db.sql import changes
from tests.mssql.tsql_grammar import parse_statement

DAY = datetime(2026, 6, 4)
QUERIES = {
    "moves": changes.moves(40, 2, 3, key_tables=False),
    "moves, a later load": changes.moves(40, 2, 3, key_tables=False, later=True),
    "gone": changes.gone(40, 3, DAY, DAY, DAY, key_tables=False),
    "gone, a later load": changes.gone(40, 3, DAY, DAY, DAY, key_tables=False, later=True),
    "code counts": changes.code_counts(40),
    "region loads": changes.region_loads(40),
}


def tsql(query: Select) -> str:
    compiled = query.compile(dialect=mssql.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled)


@pytest.mark.parametrize("name", list(QUERIES))
def test_each_query_parses_as_tsql_and_reads_no_key_table(name: str) -> None:
    text = tsql(QUERIES[name])
    tree = parse_statement(text)
    assert isinstance(tree, exp.Select | exp.Union)
    tables = {t.name for t in tree.find_all(exp.Table)}
    assert not tables & {"PropmailJournalLocationKey", "PropmailJournalOwnerKey"}, text


def test_sql_server_has_no_key_tables() -> None:
    assert CAPABILITIES.journal_key_tables is False
