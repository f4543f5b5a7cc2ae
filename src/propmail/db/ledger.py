"""What the batch ledger (`propmail.batch.ledger`) needs of a database: the engine its
statements run on, its table made, and the region's row held while a month is claimed.

The ledger's statements are SQLAlchemy Core, the same on every backend; a backend's folder
overrides only how the table is made and how the region's row is held (`ledger.py` there).
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Select, inspect, select, text

from propmail.db.schema import batch_job, ledger_metadata, region


class Ledger:
    """The ledger table's home in one database."""

    # a column added to a table of an earlier version: the clause that tolerates a racing add
    add_column_guard = ""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create the ledger table if it is not there; one of an earlier version gains its
        columns."""
        ledger_metadata.create_all(self.engine)
        have = {c["name"] for c in inspect(self.engine).get_columns(batch_job.name)}
        with self.engine.begin() as conn:
            for column in batch_job.columns:
                if column.name not in have:  # nullable, as every column added since the first
                    kind = column.type.compile(self.engine.dialect)
                    add = f'ADD COLUMN{self.add_column_guard} "{column.name}" {kind}'
                    conn.execute(text(f'ALTER TABLE "{batch_job.name}" {add}'))

    def region_row(self, region_id: int) -> Select:
        """The region's row, locked until the claim's transaction ends."""
        return select(region.c.RegionId).where(region.c.RegionId == region_id).with_for_update()

    def hold_region(self, conn: Connection, region_id: int) -> None:
        """Hold the region's row in `conn`'s transaction: claims of one region's months wait
        for each other."""
        conn.execute(self.region_row(region_id))
