"""Passwords never show: not in a log line, an error, the summary or UploadLog.ErrorMessage.

Every test puts a sentinel password in the connection URL and looks for it everywhere the
product writes text.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import propmail
from propmail import redact
from propmail.db import connect
from tests.conftest import backend_url

SENTINEL = "Sentinel-pw-7f3a9"
EXAMPLES = Path(__file__).parents[1] / "examples"
SRC = str(Path(propmail.__file__).parents[1])


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line as an operator runs it, with -v: every log line shows."""
    return subprocess.run(
        [sys.executable, "-m", "propmail", "-v", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC, "PROPMAIL_DB_URL": "", "COLUMNS": "200"},
    )


# --- the masking itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("postgresql+psycopg://loader:abc@db:5432/x", "postgresql+psycopg://loader:***@db:5432/x"),
        ("mssql+pyodbc://sa:p%40ss@srv/db?driver=x", "mssql+pyodbc://sa:***@srv/db?driver=x"),
        ("host=db user=loader password=abc dbname=x", "host=db user=loader password=*** dbname=x"),
        ("host=db password='a b c' port=5432", "host=db password=*** port=5432"),
        ("DRIVER={ODBC};SERVER=s;UID=sa;PWD={a;b};", "DRIVER={ODBC};SERVER=s;UID=sa;PWD=***;"),
        ("Server=s;Password=abc;Encrypt=yes", "Server=s;Password=***;Encrypt=yes"),
        (
            "postgresql://u@h/db?password=abc&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=require",
        ),
        ("sqlite:///propmail.db", "sqlite:///propmail.db"),
        ("no secrets here: user:name@example", "no secrets here: user:name@example"),
    ],
)
def test_anything_shaped_like_a_password_is_masked(raw: str, masked: str) -> None:
    assert redact.redact(raw) == masked


def test_a_remembered_password_is_masked_wherever_it_appears() -> None:
    redact.remember(make_url(f"postgresql+psycopg://loader:{SENTINEL}%2F1@db/x"))
    for form in (f"{SENTINEL}/1", f"{SENTINEL}%2F1"):
        message = f"FATAL: password authentication failed ({form!r} rejected)"
        assert SENTINEL not in redact.redact(message)
        assert "***" in redact.redact(message)


def test_a_very_short_password_is_masked_by_shape_only() -> None:
    redact.remember(make_url("postgresql://u:ab@h/db"))
    assert redact.redact("table ab_cd at postgresql://u:ab@h/db") == (
        "table ab_cd at postgresql://u:***@h/db"
    )


def test_display_url_masks_the_query_too() -> None:
    url = make_url(f"postgresql+psycopg://u:{SENTINEL}@h/db?password={SENTINEL}&sslmode=disable")
    shown = redact.display_url(url)
    assert SENTINEL not in shown
    assert shown == "postgresql+psycopg://u:***@h/db?password=***&sslmode=disable"


def test_a_sql_server_secret_is_masked_by_the_one_masker() -> None:
    from propmail.db.mssql import Secret

    Secret(f"{SENTINEL}-mssql")
    message = f"Login failed: PWD was '{SENTINEL}-mssql'"
    assert redact.redact(message) == "Login failed: PWD was '***'"


def test_log_records_and_their_tracebacks_are_masked() -> None:
    redact.remember(make_url(f"postgresql://u:{SENTINEL}@h/db"))
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    logger = logging.getLogger("propmail.test_redact")
    logger.propagate = False
    handler = Collect()
    logger.addHandler(handler)
    redact.install(logger)
    try:
        logger.warning("connecting to %s", f"postgresql://u:{SENTINEL}@h/db")
        try:
            raise RuntimeError(f"driver said: password={SENTINEL}")
        except RuntimeError:
            logger.exception("load failed")
    finally:
        logger.removeHandler(handler)
    assert len(records) == 2
    assert all(SENTINEL not in r for r in records)
    assert "postgresql://u:***@h/db" in records[0]
    assert "RuntimeError: driver said: password=***" in records[1]


# --- every path an operator sees ---------------------------------------------------------------


def test_an_unreachable_server(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://loader:{SENTINEL}@127.0.0.1:9/propmail"  # nothing listens on 9
    run = cli("process", str(EXAMPLES / "upload.csv"), "--region", "40", "--db", url)
    assert run.returncode == 4  # the database cannot be reached
    assert "cannot use the database postgresql+psycopg://loader:***@127.0.0.1:9" in run.stderr
    assert "Traceback" not in run.stderr
    assert SENTINEL not in run.stdout + run.stderr


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://loader:{SENTINEL}@db:notaport/x",
        f"mysql://loader:{SENTINEL}@db/x?password={SENTINEL}",
        f"postgresql+psycopg://127.0.0.1:9/x?password={SENTINEL}&sslmode=nonsense",
    ],
)
def test_bad_urls(url: str) -> None:
    run = cli("process", str(EXAMPLES / "upload.csv"), "--region", "40", "--db", url)
    assert run.returncode in (2, 4)
    assert "propmail: error:" in run.stderr
    assert "Traceback" not in run.stderr
    assert SENTINEL not in run.stdout + run.stderr


@pytest.mark.postgres
def test_a_load_with_a_password_and_a_failure_that_quotes_it(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The whole job on PostgreSQL with a password in the URL: init, a load, a failed load."""
    url = make_url(backend_url(request, "postgresql", tmp_path)).set(password=SENTINEL)
    db = url.render_as_string(hide_password=False)
    assert SENTINEL in db

    init = cli("db", "init", "--db", db, "--region", "40=Roanoke")
    done = cli("process", str(EXAMPLES / "upload.csv"), "--region", "40", "--db", db)
    assert (init.returncode, done.returncode) == (0, 0), init.stderr + done.stderr
    assert "postgresql+psycopg://postgres:***@" in done.stdout  # the summary names the database
    assert "reading upload" in done.stderr  # the log lines are there

    # a failure whose text carries the password (as a driver's error quoting its DSN would)
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"RAISE EXCEPTION 'connection password={SENTINEL} rejected'; END $$"
            )
        )
        conn.execute(
            text(
                'CREATE TRIGGER boom BEFORE INSERT ON "Location" '
                "FOR EACH ROW EXECUTE FUNCTION boom()"
            )
        )
    other = tmp_path / "other.csv"
    other.write_text((EXAMPLES / "upload.csv").read_text().replace("000000", "999999"))
    failed = cli("process", str(other), "--region", "40", "--db", db)
    with engine.connect() as conn:
        state, message = conn.execute(
            text(
                'SELECT "ProcessingState", "ErrorMessage" FROM "UploadLog" '
                'ORDER BY "UploadLogId" DESC'
            )
        ).first() or (None, None)
        conn.execute(text('DROP TRIGGER boom ON "Location"'))
        conn.commit()
    engine.dispose()

    assert failed.returncode == 1
    assert state == 4
    assert "password=*** rejected" in message
    assert "password=*** rejected" in failed.stderr
    for output in (init, done, failed):
        assert SENTINEL not in output.stdout + output.stderr
    assert SENTINEL not in message


def test_the_backend_remembers_the_password_it_connects_with() -> None:
    backend = connect(f"postgresql+psycopg://u:{SENTINEL}x@127.0.0.1:9/db")
    try:
        assert SENTINEL not in backend.display_url
        assert redact.redact(f"error: {SENTINEL}x") == "error: ***"
    finally:
        backend.dispose()
