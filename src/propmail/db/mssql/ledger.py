"""The batch ledger on SQL Server: the table is made by the shipped `PropmailBatchJob.sql` (also
installed by `propmail db init`), and a claim holds the region's row with an update lock (SQL
Server has no ``SELECT ... FOR UPDATE``)."""

from __future__ import annotations

from sqlalchemy import Select, text

from propmail.db.ledger import Ledger
from propmail.db.mssql.dialect import script_text
from propmail.db.schema import region

LEDGER_SCRIPT = "PropmailBatchJob.sql"


class MssqlLedger(Ledger):
    def create(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(script_text(LEDGER_SCRIPT)))

    def region_row(self, region_id: int) -> Select:
        return super().region_row(region_id).with_hint(region, "WITH (UPDLOCK, ROWLOCK)", "mssql")
