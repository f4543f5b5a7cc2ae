"""What an operator trips over, tried as the operator runs it: each test checks the exit status,
the message and what is left in the database and on disk afterwards."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect

from propmail import ListPriorityManager, __version__
from propmail.cli import main
from propmail.db.plan import SqlBackend
from propmail.errors import InputError

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
UPLOAD = str(EXAMPLES / "upload.xlsx")
LIENS = str(EXAMPLES / "Liens.csv")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def query(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "propmail.db"
    url = f"sqlite:///{path}"
    result = run("db", "init", "--db", url, "--region", "40=Roanoke")
    assert result.exit_code == 0, result.output
    return url, path


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# 1. a committed load is never reported as bad input


def test_a_report_folder_that_cannot_be_made_is_refused_before_anything_is_loaded(
    db: tuple[str, Path], tmp_path: Path
) -> None:
    url, path = db
    assert query(path, "SELECT COUNT(*) FROM UploadLog") == [(0,)]
    before = files_under(tmp_path)  # the database's own files (WAL) included
    result = run("process", UPLOAD, "--region", "40", "--db", url, "--report", f"{LIENS}/out")
    assert result.exit_code == 2
    assert f"option --report: cannot write the report: {LIENS} is not a folder" in result.stderr
    assert query(path, "SELECT COUNT(*) FROM UploadLog") == [(0,)]
    assert query(path, "SELECT COUNT(*) FROM Location") == [(0,)]
    assert files_under(tmp_path) == before


def test_a_report_that_fails_after_the_commit_says_the_load_is_committed(
    db: tuple[str, Path], tmp_path: Path
) -> None:
    url, path = db
    report = tmp_path / "report"
    (report / "report.html").mkdir(parents=True)  # a folder where the page is to be written
    result = run("process", UPLOAD, "--region", "40", "--db", url, "--report", str(report))
    assert result.exit_code == 3
    assert "the load is committed (UploadLogId 1); only the report failed" in result.stderr
    assert "rows read" in result.output and "UploadLogId" in result.output  # the summary
    assert query(path, "SELECT ProcessingState FROM UploadLog") == [(3,)]
    assert query(path, "SELECT COUNT(*) FROM Location") == [(308,)]


# 2. a partial rules file changes the rules it names and keeps the others


def test_a_rules_file_with_one_prefix_keeps_the_other_prefixes(
    db: tuple[str, Path], tmp_path: Path
) -> None:
    url, path = db
    rules = tmp_path / "he60.toml"
    rules.write_text(
        '[[prefix]]\nprefix = "HE-"\ncolumn = "EstLoanToValue"\nop = "between"\n'
        "low = 0\nhigh = 60\n"
    )
    shown = run("rules", "show", "--rules", str(rules))
    assert shown.exit_code == 0
    assert f"# {rules}: prefix 'HE-' replaced" in shown.output
    assert shown.output.count("[[prefix]]") == 9 and "high = 60" in shown.output
    report = tmp_path / "report"
    args = ["--db", url, "--rules", str(rules), "--report", str(report)]
    result = run("process", UPLOAD, "--region", "40", "--niche", LIENS, *args)
    assert result.exit_code == 0, result.stderr
    assert "prefix 'HE-' replaced" in result.output
    assert json.loads((report / "report.json").read_text())["rules"] == {
        "file": str(rules),
        "changes": ["prefix 'HE-' replaced"],
    }
    codes = {c for (c,) in query(path, "SELECT PriorityCode FROM Location")}
    assert any(c.startswith("Vacant-") for c in codes)  # a prefix the file does not name
    assert any("HE-" in c for c in codes)


def test_replace_names_a_rule_list_the_file_replaces_whole(tmp_path: Path) -> None:
    rules = tmp_path / "only_he.toml"
    rules.write_text(
        'replace = ["prefix"]\n[[prefix]]\nprefix = "HE-"\ncolumn = "EstEquity"\nop = "not_null"\n'
    )
    shown = run("rules", "show", "--rules", str(rules))
    assert shown.exit_code == 0
    assert "prefix: the whole list replaced (1 rule)" in shown.output
    assert shown.output.count("[[prefix]]") == 1 and shown.output.count("[[priority]]") == 4
    assert files_under(tmp_path) == {"only_he.toml"}


# 3. everything that can be checked before the upload is read is checked first


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--region", "99"], "option --region: region 99 does not exist"),
        (["--region", "40", "--niche", "Liens=nowhere/Liens.csv"], "Liens.csv: file not found"),
        (["--region", "40", "--report", f"{LIENS}/out"], "is not a folder"),
        (["--region", "40", "--rules", "nowhere.toml"], "cannot read rules file: not found"),
        (["--region", "40", "--mapping", "nowhere.toml"], "not found"),
    ],
)
def test_what_can_be_checked_before_reading_the_upload_is(
    db: tuple[str, Path], caplog: pytest.LogCaptureFixture, extra: list[str], message: str
) -> None:
    url, path = db
    with caplog.at_level(logging.INFO, logger="propmail"):
        result = run("process", UPLOAD, "--db", url, *extra)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "reading upload" not in caplog.messages  # refused before the upload was opened
    assert query(path, "SELECT COUNT(*) FROM UploadLog") == [(0,)]


def test_an_unreachable_database_is_found_before_the_upload_is_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    closed = "postgresql+psycopg://postgres@127.0.0.1:1/propmail?connect_timeout=3"
    with caplog.at_level(logging.INFO, logger="propmail"):
        result = run("process", UPLOAD, "--region", "40", "--db", closed)
    assert result.exit_code == 4
    assert "cannot use the database postgresql+psycopg://postgres@127.0.0.1:1" in result.stderr
    assert "reading upload" not in caplog.messages
    assert files_under(tmp_path) == set()


# 4. a failed command leaves nothing behind; a rename is reported


def test_process_into_a_database_that_does_not_exist_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("process", UPLOAD, "--region", "40")  # the default sqlite:///propmail.db
    assert result.exit_code == 2
    assert f"the SQLite file {tmp_path / 'propmail.db'} has no propmail tables" in result.stderr
    assert "propmail db init --region 40=NAME" in result.stderr
    assert files_under(tmp_path) == set()


def test_db_test_on_a_mistyped_file_creates_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("db", "test", "--db", "sqlite:///typo.db")
    assert result.exit_code == 4
    assert f"the SQLite file {tmp_path / 'typo.db'} does not exist" in result.stderr
    assert files_under(tmp_path) == set()


@pytest.mark.postgres
def test_process_with_a_missing_region_creates_no_table_in_postgresql(pg_url: str) -> None:
    from propmail.db import schema

    engine = create_engine(pg_url)
    schema.metadata.drop_all(engine)
    schema.ledger_metadata.drop_all(engine)  # left by a batch test of this session
    result = run("process", UPLOAD, "--region", "40", "--db", pg_url)
    assert result.exit_code == 2
    assert "has no propmail tables, or not all of them" in result.stderr
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_db_init_reports_a_region_it_renames(db: tuple[str, Path]) -> None:
    url, path = db
    result = run("db", "init", "--db", url, "--region", "40=Salem", "--region", "41=Troy")
    assert result.exit_code == 0
    assert "region 40: Roanoke -> Salem" in result.output
    assert "region 41: created (Troy)" in result.output
    assert query(path, "SELECT RegionId, Name FROM Region") == [(40, "Salem"), (41, "Troy")]
    again = run("db", "init", "--db", url, "--region", "40")
    assert "region 40" not in again.output  # nothing changed, nothing said


# 5. the README's library example, as written


def readme_library_code() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Library") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_readmes_library_example_runs_as_written_in_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(readme_library_code(), "README.md", "exec"), scope)
    result = scope["result"]
    assert isinstance(result, dict) and result["success"] is True, result
    assert query(tmp_path / "propmail.db", "SELECT COUNT(*) FROM Location") == [(308,)]
    assert query(tmp_path / "propmail.db", "SELECT ProcessingState FROM UploadLog") == [(3,)]
    codes = {c for (c,) in query(tmp_path / "propmail.db", "SELECT Code FROM ListPriority")}
    assert {"OO", "ABS1", "Liens - ABS1", "Probate - OO"} <= codes


def test_list_priority_manager_refuses_a_database_that_was_never_initialised(
    tmp_path: Path,
) -> None:
    manager = ListPriorityManager(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(InputError, match="has not been initialised"):
        manager.get_or_create_list_priority_ids(["Liens - ABS1"])
    manager.backend.dispose()
    assert files_under(tmp_path) == set()


# 6. messages


def test_messages_name_options_list_file_types_and_the_path_tried(
    db: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = db
    wrong = run("process", UPLOAD, "--region", "99", "--db", url)
    assert wrong.exit_code == 2 and "propmail: error: option --region: region 99" in wrong.stderr
    text = tmp_path / "upload.txt"
    text.write_text("x\n")
    kind = run("process", str(text), "--region", "40", "--db", url)
    assert kind.exit_code == 2
    assert "use .xlsx, .xlsm, .xls, .csv, .parquet" in kind.stderr and "(" not in kind.stderr
    missing = run("process", "nowhere/upload.csv", "--region", "40", "--db", url)
    assert missing.exit_code == 2
    assert f"looked for {Path('nowhere/upload.csv').absolute()}" in missing.stderr


def test_ctrl_c_during_the_load_says_nothing_was_written(
    db: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, path = db

    def interrupted(self: SqlBackend, run: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SqlBackend, "_merge_locations", interrupted)
    result = run("process", UPLOAD, "--region", "40", "--db", url)
    assert result.exit_code == 130
    assert "interrupted by the operator; nothing was written" in result.stderr
    assert "Aborted!" not in result.stderr
    assert query(path, "SELECT ProcessingState, ErrorMessage FROM UploadLog") == [
        (4, "interrupted by the operator; nothing was written")
    ]
    assert query(path, "SELECT COUNT(*) FROM Owner") == [(0,)]


def test_new_list_codes_are_in_the_summary_not_a_line_each_on_stderr(
    db: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    url, path = db
    with caplog.at_level(logging.INFO, logger="propmail"):
        result = run("process", UPLOAD, "--region", "40", "--niche", LIENS, "--db", url)
    assert result.exit_code == 0
    assert not [m for m in caplog.messages if m.startswith("new list code")]
    assert "Liens - HE-OO" in result.output  # in the summary's list
    assert ("Liens - HE-OO",) in query(path, "SELECT Code FROM ListPriority")


def test_without_a_report_the_summary_shows_the_first_rejects_and_where_to_see_all(
    db: tuple[str, Path],
) -> None:
    url, path = db
    result = run("process", UPLOAD, "--region", "40", "--db", url)
    assert result.exit_code == 0
    assert "first 2 of 2 rejected rows" in result.output
    assert "run again with --report DIR" in result.output
    assert query(path, "SELECT COUNT(*) FROM Location") == [(308,)]


def test_help_documents_every_exit_status() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for status in ("0", "1", "2", "3", "4", "130"):
        assert re.search(rf"^\s+{status}\s+\w", result.output, re.M), status


# 7. --version


def test_version_is_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"propmail, version {__version__}"
    assert os.listdir(tmp_path) == []
