"""The load journal and `propmail undo`, on every backend: a load taken back exactly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from propmail.cli import main
from propmail.db import Backend, journal, schema
from propmail.db.schema import State
from propmail.errors import InputError
from propmail.inputs import Inputs
from propmail.job import run_job
from propmail.settings import Rules, load_rules
from tests.db.canonical import canonical
from tests.db.helpers import MONTH1, MONTH2
from tests.db.test_monthly import month_files

DATA = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location")


def load(backend: Backend, path: Path, now: datetime, rules: Path | None = None) -> int:
    result = run_job(Inputs.gather(path, rules=rules), 40, backend=backend, now=now).load
    assert result is not None and result.upload_log_id is not None
    return result.upload_log_id


def journal_rules(folder: Path, setting: str) -> Path:
    path = folder / "rules.toml"
    path.write_text(f"[journal]\n{setting}\n", encoding="utf-8")
    return path


@pytest.fixture
def months(backend: Backend, rules: Rules, tmp_path: Path) -> tuple[Path, Path]:
    backend.init({40: "Roanoke", 41: "Salem"}, rules)
    return month_files(tmp_path)


def test_undo_of_month_two_then_month_one_gives_back_each_earlier_state(
    backend: Backend, months: tuple[Path, Path]
) -> None:
    p1, p2 = months
    empty = canonical(backend, DATA)
    first = load(backend, p1, MONTH1)
    after_one = canonical(backend, DATA)
    second = load(backend, p2, MONTH2)
    assert canonical(backend, DATA) != after_one

    (undone,) = backend.undo(second)
    assert undone.locations_restored > 0 and undone.locations_deleted == 30
    assert undone.codes_deleted > 0  # month 2's lien codes were new
    assert canonical(backend, DATA) == after_one
    assert backend.upload_log(second)["ProcessingState"] == State.UNDONE

    backend.undo(first)
    assert canonical(backend, DATA) == empty
    assert backend.journaled_loads() == []


def test_undo_is_refused_while_a_later_load_wrote_the_rows_and_cascade_undoes_both(
    backend: Backend, months: tuple[Path, Path]
) -> None:
    p1, p2 = months
    empty = canonical(backend, DATA)
    first = load(backend, p1, MONTH1)
    second = load(backend, p2, MONTH2)
    after_two = canonical(backend, DATA)
    with pytest.raises(InputError, match=f"upload {second} \\(region 40, \\d+ rows in common\\)"):
        backend.undo(first)
    assert canonical(backend, DATA) == after_two

    done = backend.undo(first, cascade=True)
    assert [u.upload_log_id for u in done] == [second, first]
    assert canonical(backend, DATA) == empty


def test_a_dry_run_counts_what_undo_would_put_back_and_writes_nothing(
    backend: Backend, months: tuple[Path, Path]
) -> None:
    p1, p2 = months
    load(backend, p1, MONTH1)
    second = load(backend, p2, MONTH2)
    before = canonical(backend, DATA)
    (predicted,) = backend.undo(second, dry_run=True)
    assert canonical(backend, DATA) == before
    assert backend.upload_log(second)["ProcessingState"] == State.DONE
    (done,) = backend.undo(second)
    assert done == predicted


def test_a_load_without_journal_cannot_be_undone_and_blocks_the_one_before(
    backend: Backend, months: tuple[Path, Path], tmp_path: Path
) -> None:
    p1, p2 = months
    first = load(backend, p1, MONTH1)
    second = load(backend, p2, MONTH2, journal_rules(tmp_path, "enabled = false"))
    with pytest.raises(InputError, match=f"upload {second} cannot be undone: its journal"):
        backend.undo(second)
    with pytest.raises(InputError, match="written since by a load that kept no journal"):
        backend.undo(first, cascade=True)


def test_retention_keeps_the_newest_loads_of_each_region(
    backend: Backend, months: tuple[Path, Path], tmp_path: Path
) -> None:
    p1, p2 = months
    keep_two = journal_rules(tmp_path, "keep_loads_per_region = 2")
    ids = [load(backend, p, now, keep_two) for p, now in ((p1, MONTH1), (p2, MONTH2))]
    ids.append(load(backend, p1, MONTH2.replace(month=7), keep_two))
    listed = backend.journaled_loads(40)
    assert [j.upload_log_id for j in listed] == [ids[2], ids[1]]
    assert listed[1].locations_inserted == 30 and listed[1].codes_created > 0
    assert backend.prune_journal(1) == 1
    assert [j.upload_log_id for j in backend.journaled_loads()] == [ids[2]]
    with pytest.raises(InputError, match=f"upload {ids[0]} cannot be undone: its journal"):
        backend.undo(ids[0])


def test_the_commands_list_undo_and_prune(backend: Backend, months: tuple[Path, Path]) -> None:
    p1, _ = months
    first = load(backend, p1, MONTH1)
    url = backend.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    runner = CliRunner()
    listed = runner.invoke(main, ["journal", "list", "--db", url, "--region", "40"])
    assert listed.exit_code == 0 and "month1.csv" in listed.output
    dry = runner.invoke(main, ["undo", str(first), "--db", url, "--dry-run"])
    assert dry.exit_code == 0 and "would undo: upload" in dry.output
    assert "locations 0 restored, 400 deleted" in dry.output
    done = runner.invoke(main, ["undo", str(first), "--db", url])
    assert done.exit_code == 0, done.output
    again = runner.invoke(main, ["undo", str(first), "--db", url])
    assert again.exit_code == 2 and "undone already" in again.output
    pruned = runner.invoke(main, ["journal", "prune", "--db", url])
    assert pruned.exit_code == 0 and "0 loads dropped" in pruned.output


def test_a_reused_upload_log_id_loads_and_undoes_with_its_own_journal(
    backend: Backend, months: tuple[Path, Path]
) -> None:
    p1, _ = months
    load(backend, p1, MONTH1)
    with backend.engine.begin() as conn:  # type: ignore[attr-defined]
        for table in ("Location", "Owner", "UploadLog"):
            conn.execute(text(f'DELETE FROM "{table}"'))
    again = load(backend, p1, MONTH2)  # SQLite hands out UploadLogId 1 again
    (undone,) = backend.undo(again)
    assert undone.locations_deleted == 400
    # month 1's list codes stay: the second load found them there and created none
    assert canonical(backend, ("Owner", "Location")) == {"Owner": [], "Location": []}


def to_earlier_layout(backend: Backend, log_id: int) -> dict[int, int]:
    """Move a load's rows from the narrow key tables into the wide ones, as journals were kept
    before the key tables existed: every kind of row in the wide table, NULL where not kept."""
    moved: dict[int, int] = {}
    with backend.engine.begin() as conn:
        for e in (journal.OWNERS, journal.LOCATIONS):
            cols = ", ".join(f'"{n}"' for n in ("UploadLogId", *e.key, "Inserted", e.id))
            dates = '"ModifiedDate", "UpdatedDate"'
            where = {"i": log_id}
            for kind, rows in conn.execute(
                text(
                    f'SELECT "Inserted", COUNT(*) FROM "{e.narrow}" WHERE "UploadLogId" = :i '
                    'GROUP BY "Inserted"'
                ),
                where,
            ):
                moved[kind] = moved.get(kind, 0) + rows
            conn.execute(
                text(
                    f'INSERT INTO "{e.wide}" ({cols}, {dates}) SELECT {cols}, {dates} '
                    f'FROM "{e.narrow}" WHERE "UploadLogId" = :i'
                ),
                where,
            )
            conn.execute(text(f'DELETE FROM "{e.narrow}" WHERE "UploadLogId" = :i'), where)
    return moved


def test_a_journal_kept_in_the_earlier_layout_still_undoes_exactly(
    backend: Backend, months: tuple[Path, Path]
) -> None:
    p1, p2 = months
    first = load(backend, p1, MONTH1)
    after_one = canonical(backend, DATA)
    second = load(backend, p2, MONTH2)
    moved = to_earlier_layout(backend, second)
    assert moved.get(journal.INSERTED) and moved.get(journal.REFRESH_ONLY)
    (listed,) = [j for j in backend.journaled_loads() if j.upload_log_id == second]

    backend.undo(second)
    assert canonical(backend, DATA) == after_one
    assert listed.locations_inserted == 30
    backend.undo(first)
    assert backend.journaled_loads() == []


def test_a_database_of_the_earlier_layout_is_refused_until_db_init_adds_the_key_tables(
    backend: Backend, months: tuple[Path, Path]
) -> None:
    p1, _ = months
    for table in schema.KEY_JOURNAL_TABLES:
        table.drop(backend.engine)  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=r"not all of them .* propmail db init --region 40=NAME"):
        load(backend, p1, MONTH1)
    before = canonical(backend, DATA)
    backend.init({}, load_rules())
    assert canonical(backend, DATA) == before  # every row kept
    first = load(backend, p1, MONTH1)
    (listed,) = backend.journaled_loads()
    assert (listed.upload_log_id, listed.locations_inserted) == (first, 400)
