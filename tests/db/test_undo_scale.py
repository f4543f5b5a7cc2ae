"""Undo in time proportional to the load: the indexes under Location's foreign keys, made by
`db init` (and added to a database that lacks them), and undo's deletes written as lookups by
key, never a scan of Location per row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from propmail.cli import main
from propmail.db import Backend
from propmail.db.sql import journal
from propmail.db.sqlite.dialect import DIALECT as SQLITE
from propmail.job import load_options
from propmail.settings import Rules

FK_INDEXES = {"IX_Location_OwnerId": "OwnerId", "IX_Location_ListPriorityId": "ListPriorityId"}


def _url(backend: Backend) -> str:
    return backend.engine.url.render_as_string(hide_password=False)


def _leading(backend: Backend) -> dict[str, str]:
    found = inspect(backend.engine).get_indexes("Location")
    return {ix["name"]: ix["column_names"][0] for ix in found if ix["name"]}


def _drop_fk_indexes(backend: Backend) -> None:
    with backend.engine.begin() as conn:
        for name in FK_INDEXES:
            conn.execute(text(f'DROP INDEX "{name}"'))


def test_db_init_creates_the_indexes_under_locations_foreign_keys(
    backend: Backend, rules: Rules
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    assert FK_INDEXES.items() <= _leading(backend).items()
    assert backend.missing_indexes() == []


def test_db_init_adds_them_to_an_existing_database_and_says_so(
    backend: Backend, rules: Rules
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    _drop_fk_indexes(backend)
    assert backend.missing_indexes() == [
        "IX_Location_OwnerId on Location(OwnerId)",
        "IX_Location_ListPriorityId on Location(ListPriorityId)",
    ]
    first = CliRunner().invoke(main, ["db", "init", "--db", _url(backend)])
    assert first.exit_code == 0, first.output
    assert "index added to the existing table: IX_Location_OwnerId on Location(OwnerId)" in (
        first.stdout
    )
    assert "IX_Location_ListPriorityId on Location(ListPriorityId)" in first.stdout
    assert FK_INDEXES.items() <= _leading(backend).items()
    again = CliRunner().invoke(main, ["db", "init", "--db", _url(backend)])
    assert again.exit_code == 0 and "index added" not in again.stdout


def test_an_index_a_dba_made_under_another_name_counts(backend: Backend, rules: Rules) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    _drop_fk_indexes(backend)
    with backend.engine.begin() as conn:
        conn.execute(text('CREATE INDEX "legacy_owner" ON "Location" ("OwnerId", "RegionId")'))
    assert backend.missing_indexes() == ["IX_Location_ListPriorityId on Location(ListPriorityId)"]


def test_a_new_database_lacks_no_index_before_it_has_tables(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "init", "--db", f"sqlite:///{tmp_path / 'n.db'}"])
    assert result.exit_code == 0 and "index added" not in result.stdout


def test_undo_finds_rows_by_key_and_never_scans_location_or_owner(tmp_path: Path) -> None:
    """SQLite's plan of every undo statement: each Location and Owner row is found through an
    index (the deleted owners' references through IX_Location_OwnerId), none by a scan."""
    path = tmp_path / "plan.db"
    CliRunner().invoke(main, ["db", "init", "--db", f"sqlite:///{path}"], catch_exceptions=False)
    conn = sqlite3.connect(path)
    aliases = {"Location", "Owner", "r", "s"}
    for name, statement in journal.undo_steps(SQLITE):
        plan = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {statement}", {"log_id": 1})]
        scans = [p for p in plan if p.startswith("SCAN ") and p.split()[1] in aliases]
        assert not scans, (name, plan)
    conn.close()


@pytest.mark.parametrize("name", [n for n, _ in journal.undo_steps(SQLITE)])
def test_no_undo_statement_ors_two_exists(name: str) -> None:
    """`EXISTS (...) OR EXISTS (...)` over the two journal tables blocks a hash semi-join."""
    statement = dict(journal.undo_steps(SQLITE))[name]
    assert ") OR EXISTS" not in statement.upper()
