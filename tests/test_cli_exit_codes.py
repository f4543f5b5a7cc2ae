"""The adversarial probe's bad inputs, each as the operator types it: bad input exits 2, a
database that cannot be reached or a driver that is not installed 4, never 1 ("unexpected")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from propmail.cli import main

ROOT = Path(__file__).parents[1]
UPLOAD = str(ROOT / "examples" / "upload.xlsx")
HUGE = "99999999999999999999"  # more than an INT column (and a 64-bit integer) holds


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def url(tmp_path: Path) -> str:
    made = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", made, "--region", "40=Roanoke").exit_code == 0
    return made


def _refused(result: Result, status: int, *said: str) -> None:
    assert result.exit_code == status, result.output
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    for words in said:
        assert words in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("process", UPLOAD, "--region", HUGE),
        ("process", UPLOAD, "--region", "-3"),
        ("parity", UPLOAD, "--region", HUGE),
        ("journal", "list", "--region", HUGE),
        ("changes", "--region", HUGE),
        ("changes", "--region", "40", "--load", HUGE),
        ("undo", HUGE),
        ("undo", "0"),
    ],
    ids=lambda a: " ".join(a).replace(UPLOAD, "upload.xlsx"),
)
def test_an_id_no_int_column_holds_is_bad_input(url: str, args: tuple[str, ...]) -> None:
    _refused(run(*args, "--db", url), 2, "Invalid value")


def test_db_init_refuses_a_region_no_int_column_holds(url: str) -> None:
    _refused(run("db", "init", "--db", url, "--region", f"{HUGE}=Nowhere"), 2, "RegionId is from")


@pytest.mark.parametrize("command", [("undo", "5"), ("process", UPLOAD, "--region", "40")])
def test_an_unknown_driver_is_bad_input(command: tuple[str, ...]) -> None:
    result = run(*command, "--db", "postgresql+nosuchdrv://u:pw12345@h/db")
    _refused(result, 2, "unknown database driver 'postgresql+nosuchdrv'", "--db")
    assert "pw12345" not in result.output


def test_a_postgresql_url_without_its_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The base install has no psycopg: blocked here as an import that fails."""
    for name in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError
    for command in (("undo", "5"), ("db", "test"), ("journal", "list")):
        result = run(*command, "--db", "postgresql://loader@127.0.0.1:5432/mail")
        _refused(result, 4, 'pip install "propmail[postgres]"', "driver is not installed")


@pytest.mark.parametrize(
    "command",
    [
        ("undo", "1"),
        ("journal", "list"),
        ("journal", "prune"),
        ("verify-slugs",),
        ("changes", "--region", "40"),
        ("db", "test"),
        ("process", UPLOAD, "--region", "40"),
    ],
    ids=lambda c: " ".join(c[:2]).replace(UPLOAD, "upload.xlsx"),
)
def test_an_unreachable_server_is_status_4_for_every_command(command: tuple[str, ...]) -> None:
    closed = "postgresql+psycopg://loader:pw12345@127.0.0.1:1/mail"
    result = run(*command, "--db", closed)
    _refused(result, 4, "127.0.0.1:1")
    assert "pw12345" not in result.output
