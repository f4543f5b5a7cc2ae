"""Every stop tells the truth: Ctrl-C (SIGINT) and SIGTERM sent at each named stage of a load
(the progress stages are the hooks, `tests/stop_runner.py`), on SQLite: the exit status, the
sentence, UploadLog and the tables; and a load killed with -9 leaves no staging file behind."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from propmail.cli import main
from propmail.errors import INTERRUPTED
from tests.db.processes import ROOT, child_env

UPLOAD = str(ROOT / "examples" / "upload.csv")
BEFORE_THE_LOAD = ("reading upload", "applying rules", "connecting")
IN_THE_LOAD = (
    "upload received",
    "staging: Arrow file",
    "staging",
    "merging owners",
    "merging locations",
    "final updates",
    "commit",
)
AFTER_THE_COMMIT = ("load committed", "writing the report")
COMMITTED = "after the load was committed"


def _db(folder: Path) -> Path:
    path = folder / "data" / "propmail.db"
    path.parent.mkdir()
    result = CliRunner().invoke(main, ["db", "init", "--db", f"sqlite:///{path}", "--region", "40"])
    assert result.exit_code == 0, result.output
    return path


def _stopped(
    folder: Path, path: Path, stage: str, signame: str, how: str = "direct"
) -> subprocess.CompletedProcess[str]:
    args = ["process", UPLOAD, "--region", "40", "--db", f"sqlite:///{path}"]
    args += ["--report", str(folder / "report")]
    (folder / "tmp").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "tests.stop_runner", stage, signame, how, "--", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**child_env(), "TMPDIR": str(folder / "tmp")},
        timeout=600,
    )


def _query(path: Path, statement: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(statement).fetchall()


def _log(path: Path) -> list[tuple[object, ...]]:
    return _query(path, "SELECT ProcessingState, ErrorMessage FROM UploadLog")


QUICK = {("merging locations", "TERM"), ("load committed", "INT")}  # the others: --slow
STOPS = [(s, "INT") for s in (*BEFORE_THE_LOAD, *IN_THE_LOAD, *AFTER_THE_COMMIT)] + [
    (s, "TERM") for s in ("reading upload", "staging: Arrow file", "merging locations")
]


@pytest.mark.parametrize(
    ("stage", "signame"),
    [
        pytest.param(*stop, marks=[] if stop in QUICK else [pytest.mark.slow])
        for stop in [*STOPS, ("load committed", "TERM")]
    ],
)
def test_a_stop_at_each_stage_says_what_it_left(tmp_path: Path, stage: str, signame: str) -> None:
    path = _db(tmp_path)
    done = _stopped(tmp_path, path, stage, signame)
    assert done.returncode == {"INT": 130, "TERM": 143}[signame], done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr
    if stage in AFTER_THE_COMMIT:
        assert COMMITTED in done.stderr and "nothing was written" not in done.stderr
        assert _log(path) == [(3, None)]
        assert _query(path, "SELECT COUNT(*) FROM Location") != [(0,)]
        return
    assert f"propmail: error: {INTERRUPTED}" in done.stderr
    assert _query(path, "SELECT COUNT(*) FROM Location") == [(0,)]
    if stage in BEFORE_THE_LOAD:
        assert _log(path) == []
    else:  # the load's UploadLog row closed with the reason
        assert _log(path) == [(4, INTERRUPTED)]


def test_a_driver_that_answers_the_signal_with_its_own_error_is_still_a_stop(
    tmp_path: Path,
) -> None:
    """ADBC answers Ctrl-C during its staging with NOT_IMPLEMENTED: not a failed load (1)."""
    path = _db(tmp_path)
    done = _stopped(tmp_path, path, "staging: Arrow file", "INT", how="driver")
    assert done.returncode == 130, done.stderr
    assert f"propmail: error: {INTERRUPTED}" in done.stderr
    assert "NOT_IMPLEMENTED" not in done.stderr
    assert _log(path) == [(4, INTERRUPTED)]


def test_a_load_killed_while_staging_leaves_its_file_beside_the_database_and_the_next_removes_it(
    tmp_path: Path,
) -> None:
    path = _db(tmp_path)
    done = _stopped(tmp_path, path, "staging: Arrow file", "KILL")
    assert done.returncode == -signal.SIGKILL
    beside = [p.name for p in path.parent.iterdir() if ".propmail-stage-" in p.name]
    assert len(beside) == 1 and beside[0].startswith("propmail.db.propmail-stage-"), beside
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing in $TMPDIR
    again = CliRunner().invoke(
        main, ["process", UPLOAD, "--region", "40", "--db", f"sqlite:///{path}"]
    )
    assert again.exit_code == 0, again.output
    assert [p.name for p in path.parent.iterdir() if ".propmail-stage-" in p.name] == []
