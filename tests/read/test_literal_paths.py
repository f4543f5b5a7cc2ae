"""A path names one file: `[`, `]`, `*`, `?` and `{}` in a name are characters, never a pattern.

Each reader is given the name `up[ab]...` beside the files `upa...` and `upb...` a glob would
match (and `up*`, `up?` likewise): it must read the named file's rows, and only those.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from propmail.batch.manifest import load_manifest
from propmail.batch.split import load_regions, split
from propmail.cli import main
from propmail.errors import InputError
from propmail.read import load_mapping, read_niche, read_upload
from propmail.settings import load_rules
from tests.read.samples import BASE, write_csv, write_xlsx

NAMES = ["up[ab]", "up*", "up?", "up{a,b}"]


def _upload_rows(ids: list[str]) -> list[list[str]]:
    return [[i, *list(BASE.values())[1:]] for i in ids]


def _decoys(folder: Path, suffix: str, write: object) -> None:
    """`upa`, `upb` (what a glob of the names would match), each with rows of its own."""
    for stem in ("upa", "upb"):
        write(folder / f"{stem}{suffix}", [f"{stem}-{i}" for i in range(100)])  # type: ignore[operator]


def _csv(path: Path, ids: list[str]) -> Path:
    return write_csv(path, list(BASE), _upload_rows(ids))


def _parquet(path: Path, ids: list[str]) -> Path:
    rows = _upload_rows(ids)
    pl.DataFrame(rows, schema=list(BASE), orient="row").write_parquet(path)
    return path


def _xlsx(path: Path, ids: list[str]) -> Path:
    def fill(_book: object, sheet: object) -> None:
        sheet.write_row(0, 0, list(BASE))  # type: ignore[attr-defined]
        for r, row in enumerate(_upload_rows(ids), start=1):
            sheet.write_row(r, 0, row)  # type: ignore[attr-defined]

    return write_xlsx(path, fill)


WRITERS = {".csv": _csv, ".parquet": _parquet, ".xlsx": _xlsx}


@pytest.mark.parametrize("stem", NAMES)
@pytest.mark.parametrize("suffix", list(WRITERS))
def test_an_upload_name_with_wildcards_reads_that_file_only(
    tmp_path: Path, suffix: str, stem: str
) -> None:
    write = WRITERS[suffix]
    _decoys(tmp_path, suffix, write)
    named = write(tmp_path / f"{stem}{suffix}", ["N1", "N2", "N3"])
    result = read_upload(named)
    assert result.frame["LocationPrimaryId"].to_list() == ["N1", "N2", "N3"]


def test_a_niche_list_name_with_brackets_reads_that_file_only(tmp_path: Path) -> None:
    for stem in ("liensa", "liensb"):
        write_csv(tmp_path / f"{stem}.csv", ["LocationPrimaryId"], [["OTHER"]] * 50)
    named = write_csv(tmp_path / "liens[ab].csv", ["LocationPrimaryId"], [["N1"]])
    assert read_niche(named).frame["LocationPrimaryId"].to_list() == ["N1"]


def test_rules_and_mapping_names_with_brackets_read_that_file(tmp_path: Path) -> None:
    (tmp_path / "ra.toml").write_text("[load]\nupdate_window_months = 3\n", encoding="utf-8")
    (tmp_path / "r[ab].toml").write_text("[load]\nupdate_window_months = 9\n", encoding="utf-8")
    assert load_rules(tmp_path / "r[ab].toml").update_window_months == 9
    (tmp_path / "ma.toml").write_text('[columns]\nOwnerName = ["Decoy"]\n', encoding="utf-8")
    (tmp_path / "m[ab].toml").write_text('[columns]\nOwnerName = ["Owner"]\n', encoding="utf-8")
    mapping = load_mapping(tmp_path / "m[ab].toml")
    assert mapping.aliases(False).get("owner") == "OwnerName"
    assert "decoy" not in mapping.aliases(False)


def test_a_manifest_job_names_its_file_literally(tmp_path: Path) -> None:
    (tmp_path / "m[ab].toml").write_text(
        '[[job]]\nregion = 40\nupload = "up[ab].csv"\n', encoding="utf-8"
    )
    (tmp_path / "ma.toml").write_text('[[job]]\nregion = 1\nupload = "x.csv"\n', encoding="utf-8")
    (job,) = load_manifest(tmp_path / "m[ab].toml").jobs
    assert job.upload == tmp_path / "up[ab].csv"


def test_the_glob_form_reads_brackets_as_characters(tmp_path: Path) -> None:
    for name in ("up[ab]-40.csv", "upa-41.csv", "upb-42.csv"):
        (tmp_path / name).touch()
    (tmp_path / "m.toml").write_text('[[job]]\nupload = "up[ab]-{region}.csv"\n', encoding="utf-8")
    jobs = load_manifest(tmp_path / "m.toml").jobs
    assert [(j.region, j.upload.name) for j in jobs] == [(40, "up[ab]-40.csv")]


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_split_reads_the_named_source_and_regions_table(tmp_path: Path, ext: str) -> None:
    def national(path: Path, fips: str, rows: int) -> None:
        frame = pl.DataFrame({"Id": [f"{fips}-{i}" for i in range(rows)], "Fips": [fips] * rows})
        frame.write_parquet(path) if ext == "parquet" else frame.write_csv(path)

    national(tmp_path / f"na.{ext}", "51161", 40)
    national(tmp_path / f"nb.{ext}", "51161", 40)
    national(tmp_path / f"n[ab].{ext}", "51161", 3)
    (tmp_path / "ra.csv").write_text("Fips,RegionId\n51161,99\n", encoding="utf-8")
    (tmp_path / "r[ab].csv").write_text("Fips,RegionId\n51161,40\n", encoding="utf-8")
    assert load_regions(tmp_path / "r[ab].csv", ["Fips"])["RegionId"].to_list() == [40]
    done = split(tmp_path / f"n[ab].{ext}", ["Fips"], tmp_path / "r[ab].csv", tmp_path / "out")
    assert done.counts == {40: 3}


def test_process_loads_the_named_file_not_the_files_its_name_would_match(tmp_path: Path) -> None:
    _decoys(tmp_path, ".csv", _csv)
    named = _csv(tmp_path / "up[ab].csv", ["N1", "N2", "N3"])
    db = f"sqlite:///{tmp_path / 'p.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init", "--db", db, "--region", "40=Roanoke"]).exit_code == 0
    done = runner.invoke(main, ["process", str(named), "--region", "40", "--db", db])
    assert done.exit_code == 0, done.output
    with sqlite3.connect(tmp_path / "p.db") as conn:
        ids = [r[0] for r in conn.execute('SELECT PrimaryId FROM "Location" ORDER BY 1')]
        names = [r[0] for r in conn.execute('SELECT FileName FROM "UploadLog"')]
    assert ids == ["N1", "N2", "N3"] and names == ["up[ab].csv"]


# --- what is not a file ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "named pipe"),
        (lambda p: os.symlink("/dev/zero", p), "character device"),
    ],
)
def test_a_path_that_is_not_a_regular_file_is_named_for_what_it_is(
    tmp_path: Path, make: object, kind: str
) -> None:
    path = tmp_path / "up.csv"
    make(path)  # type: ignore[operator]
    with pytest.raises(InputError, match=kind) as caught:
        read_upload(path)
    assert "not found" not in str(caught.value)
    db = f"sqlite:///{tmp_path / 'p.db'}"
    done = CliRunner().invoke(main, ["process", str(path), "--region", "40", "--db", db])
    assert done.exit_code == 2 and kind in done.output and "not found" not in done.output


def test_sheet_with_a_csv_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path / "up.csv", ["N1"])
    with pytest.raises(InputError, match="--sheet"):
        read_upload(path, sheet="Data")
    db = f"sqlite:///{tmp_path / 'p.db'}"
    done = CliRunner().invoke(
        main, ["process", str(path), "--region", "40", "--db", db, "--sheet", "Data"]
    )
    assert done.exit_code == 2 and "--sheet" in done.output and "has none" in done.output


def test_a_parquet_list_column_is_bad_input(tmp_path: Path) -> None:
    frame = pl.DataFrame({**{c: [v] for c, v in BASE.items()}, "OwnerZip": [["24016"]]})
    path = tmp_path / "up.parquet"
    frame.write_parquet(path)
    db = f"sqlite:///{tmp_path / 'p.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init", "--db", db, "--region", "40=Roanoke"]).exit_code == 0
    done = runner.invoke(main, ["process", str(path), "--region", "40", "--db", db])
    assert done.exit_code == 2, done.output
    assert "OwnerZip" in done.output and "lists" in done.output


def test_an_undo_refusal_names_the_upload_not_a_column(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init", "--db", db, "--region", "40=Roanoke"]).exit_code == 0
    done = runner.invoke(main, ["undo", "7", "--db", db])
    assert done.exit_code == 2
    assert "upload 7 cannot be undone: there is no such upload" in done.output
    assert "column" not in done.output
