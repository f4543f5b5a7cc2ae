"""How a database spells the statements of a load: names, types, and whole statement shapes.

The base spells them for ``INSERT ... ON CONFLICT`` databases (SQLite 3.24+, PostgreSQL 9.5+).
A dialect overrides what its database spells otherwise: a fragment (quoting, the null-safe
comparison, a type) or a whole statement (the upsert, ``UPDATE ... FROM``, a temporary table,
the counts of what an upsert wrote), so a database without ``ON CONFLICT`` replaces the
statement, not the step of the load that runs it.

>>> d = Dialect()
>>> d.upsert("T", "k, v", "SELECT 1, 2", ["k"], ["v"], "T.v IS NOT 2")
'INSERT INTO T (k, v) SELECT 1, 2 ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE T.v IS NOT 2'
>>> d.update_from('"T"', '"v" = x."v"', '"J"', "x", '"T"."k" = x."k"')
'UPDATE "T" SET "v" = x."v" FROM "J" x WHERE "T"."k" = x."k"'
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from propmail.db.schema import DATE, FLAG, INT, LONGTEXT, NUMBER, TEXT, TIMESTAMP


class Dialect:
    """The fragments and statement shapes in which backends differ."""

    name = "sql"
    # the column type of each storage kind in a staging table
    types: ClassVar[dict[str, str]] = {
        TEXT: "TEXT",
        LONGTEXT: "TEXT",
        FLAG: "INTEGER",
        INT: "INTEGER",
        NUMBER: "REAL",
        DATE: "TEXT",
        TIMESTAMP: "TEXT",
    }
    temp_schema = "temp"  # where temporary tables live
    temp_table_suffix = ""  # after a temporary table's columns
    byte_collation = "BINARY"  # compares text byte by byte: a cheap, fixed order
    # the row an upsert would have inserted, as its update names it
    incoming = "excluded"

    # -- fragments ---------------------------------------------------------------------------

    def q(self, name: str) -> str:
        return f'"{name}"'

    def columns(self, names: Iterable[str]) -> str:
        """A quoted column list: ``"a", "b"``."""
        return ", ".join(self.q(n) for n in names)

    def distinct(self, left: str, right: str) -> str:
        """Null-safe 'differs' (SQLite's IS NOT compares NULLs as values)."""
        return f"{left} IS NOT {right}"

    def type_of(self, kind: str) -> str:
        return self.types[kind]

    # -- whole statements --------------------------------------------------------------------

    def create_temp_table(self, name: str, columns: Iterable[tuple[str, str]]) -> str:
        """A temporary table of (column, storage kind), dropped with the session (or sooner)."""
        typed = ", ".join(f"{self.q(c)} {self.type_of(kind)}" for c, kind in columns)
        return f"CREATE TEMP TABLE {name} ({typed}){self.temp_table_suffix}"

    def drop_temp_table(self, name: str) -> str:
        """Drop the temporary table `name` (a table of that name elsewhere is left alone)."""
        return f"DROP TABLE IF EXISTS {self.temp_schema}.{name}"

    def upsert(
        self,
        table: str,
        columns: str,
        rows: str,
        key: list[str],
        updated: list[str],
        where: str,
        also: str = "",
        kept: str = "",
    ) -> str:
        """Insert the `rows` (a SELECT) into `table`; a row whose `key` is stored rewrites the
        `updated` columns with the incoming values (and the assignments `also`), only where
        `where` holds (it may name `table` and the incoming row, `self.incoming`); where `kept`
        holds of the incoming row, each of them keeps its stored value."""
        sets = ", ".join(f"{c} = {self._rewritten(table, c, kept)}" for c in updated)
        return (
            f"INSERT INTO {table} ({columns}) {rows} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}{also} WHERE {where}"
        )

    def _rewritten(self, table: str, column: str, kept: str) -> str:
        """The value an upsert's update gives `column`: the incoming one, or where `kept`
        holds, the stored one."""
        incoming = f"{self.incoming}.{column}"
        if not kept:
            return incoming
        return f"CASE WHEN {kept} THEN {table}.{column} ELSE {incoming} END"

    def insert_missing(self, table: str, columns: str, rows: str, key: str, returning: str) -> str:
        """Insert the `rows` whose `key` is not stored (safe against a concurrent inserter),
        returning `returning` of each row inserted."""
        return (
            f"INSERT INTO {table} ({columns}) {rows} "
            f"ON CONFLICT ({key}) DO NOTHING RETURNING {returning}"
        )

    def update_from(self, table: str, sets: str, source: str, alias: str, where: str) -> str:
        """Update `table` from the rows of `source` (as `alias`) that `where` matches."""
        return f"UPDATE {table} SET {sets} FROM {source} {alias} WHERE {where}"

    def written_counts(self, upsert: str) -> str:
        """Run `upsert` and count what it wrote: (inserted, inserted + updated).

        The counts come from the rows the statement itself wrote, so they stay exact while
        another load writes the same rows; an inserted row has no UpdatedDate yet, an updated
        one has.
        """
        return (
            f"WITH written AS ({upsert} RETURNING {self.q('UpdatedDate')} IS NULL AS inserted) "
            "SELECT COALESCE(SUM(CASE WHEN inserted THEN 1 ELSE 0 END), 0), COUNT(*) FROM written"
        )

    def stage_insert(self, name: str, names: list[str], marker: str = "?") -> str:
        """One row into the staging table `name`, bound by position (executemany)."""
        return (
            f"INSERT INTO {name} ({self.columns(names)}) "
            f"VALUES ({', '.join(marker for _ in names)})"
        )

    def table_bytes(self, tables: list[str]) -> str:
        """The space `tables` (and their indexes) take in the database: one row, one value."""
        listed = ", ".join(f"'{n}'" for n in tables)
        return (
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "
            f"(SELECT name FROM sqlite_master WHERE tbl_name IN ({listed}))"
        )

    def timestamp(self, moment: datetime) -> Any:
        """A timestamp as the driver should bind it."""
        return moment

    # -- the session -------------------------------------------------------------------------

    def transaction_setup(self) -> list[str]:
        """Run first in every write transaction (session settings for the load)."""
        return []

    def lock_region(self) -> str | None:
        """Make two loads of one region wait for each other until commit (``:region``); None
        where the write transaction already excludes every other writer."""
        return None

    def analyze(self, name: str) -> str | None:
        """Give the planner the size of a temporary table just filled (where it needs it)."""
        return None


__all__ = ["Dialect"]
