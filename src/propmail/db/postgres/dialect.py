"""How PostgreSQL spells the load's statements: ``IS DISTINCT FROM``, its own column types,
temporary tables dropped at commit, byte order by the "C" collation, a transaction-level
advisory lock per region, ANALYZE of a staging table just filled, and the load's memory."""

from __future__ import annotations

from typing import ClassVar

from propmail.db.schema import DATE, FLAG, INT, LONGTEXT, NUMBER, TEXT, TIMESTAMP
from propmail.db.sql.dialect import Dialect

# per-transaction memory for the load's sorts and hash joins (the server default is 4 MB)
LOAD_WORK_MEM = "256MB"
# advisory lock namespace: the first key of pg_advisory_xact_lock(int, int)
REGION_LOCK_KEY = 0x70726F  # "pro"


class PostgresDialect(Dialect):
    name = "postgresql"
    types: ClassVar[dict[str, str]] = {
        TEXT: "TEXT",
        LONGTEXT: "TEXT",
        FLAG: "SMALLINT",
        INT: "INTEGER",
        NUMBER: "DOUBLE PRECISION",
        DATE: "DATE",
        TIMESTAMP: "TIMESTAMP",
    }
    temp_schema = "pg_temp"
    temp_table_suffix = " ON COMMIT DROP"
    byte_collation = '"C"'

    def distinct(self, left: str, right: str) -> str:
        return f"{left} IS DISTINCT FROM {right}"

    def transaction_setup(self) -> list[str]:
        # the load hash-joins a million staged rows: in memory, not in 4 MB batches on disk
        return [f"SET LOCAL work_mem = '{LOAD_WORK_MEM}'"]

    def lock_region(self) -> str:
        return f"SELECT pg_advisory_xact_lock({REGION_LOCK_KEY}, :region)"

    def table_bytes(self, tables: list[str]) -> str:
        return "SELECT " + " + ".join(f"pg_total_relation_size('\"{n}\"')" for n in tables)

    def analyze(self, name: str) -> str:
        # autovacuum never analyzes temporary tables: without this the planner guesses sizes
        return f"ANALYZE {name}"


DIALECT = PostgresDialect()
