"""The scratch databases of `propmail selftest`: made beside the operator's, always dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from propmail.db import scratch
from propmail.db.mssql import scratch as session
from propmail.errors import DatabaseUnavailable, InputError


def test_sqlite_gets_a_temporary_file_that_goes_away(tmp_path: Path) -> None:
    operator = tmp_path / "propmail.db"
    with scratch(f"sqlite:///{operator}") as url:
        path = Path(make_url(url).database or "")
        assert path.parent != tmp_path and path.name == "selftest.db"
        create_engine(url).connect().close()
        assert path.exists()
    assert not path.exists() and not operator.exists()


@pytest.mark.postgres
def test_postgresql_gets_a_schema_of_its_own_on_the_search_path(pg_url: str) -> None:
    with pytest.raises(RuntimeError, match="boom"), scratch(pg_url) as url:
        engine = create_engine(url)
        with engine.connect() as conn:
            name = conn.scalar(text("SELECT current_schema()"))
        engine.dispose()
        assert name is not None and name.startswith("propmail_selftest_")
        raise RuntimeError("boom")  # dropped however the block ends
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        left = conn.scalar(
            text("SELECT count(*) FROM pg_namespace WHERE nspname = :n"), {"n": name}
        )
    engine.dispose()
    assert left == 0


class Recorder:
    """A DB-API connection that records what it is sent."""

    def __init__(self, fail_on: str = "") -> None:
        self.sent: list[str] = []
        self.fail_on = fail_on
        self.closed = False

    def cursor(self) -> Recorder:
        return self

    def execute(self, statement: str) -> None:
        self.sent.append(statement)
        if self.fail_on and statement.startswith(self.fail_on):
            raise RuntimeError("CREATE DATABASE permission denied in database 'master'")

    def close(self) -> None:
        self.closed = True


def test_sql_server_gets_a_database_with_the_client_clock_dropped_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Recorder()
    monkeypatch.setattr(session, "connect_dbapi", lambda settings, autocommit: server)
    operator = "mssql+mssqlpython://loader:pw@sql.example:1433/DirectMail"
    with pytest.raises(RuntimeError, match="boom"), scratch(operator) as url:
        scoped = make_url(url)
        name = scoped.database or ""
        assert name.startswith("propmail_selftest_") and server.sent == [
            f"CREATE DATABASE [{name}]"
        ]
        assert scoped.query["clock"] == "client" and scoped.host == "sql.example"
        raise RuntimeError("boom")
    assert server.sent[1:] == [
        f"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
        f"DROP DATABASE [{name}]",
    ]
    assert server.closed


def test_without_create_database_sql_server_is_unavailable_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Recorder(fail_on="CREATE DATABASE")
    monkeypatch.setattr(session, "connect_dbapi", lambda settings, autocommit: server)
    with (
        pytest.raises(DatabaseUnavailable, match="the login needs CREATE DATABASE"),
        scratch("mssql+mssqlpython://loader:pw@sql.example/DirectMail"),
    ):
        pass
    assert server.closed and len(server.sent) == 1


def test_another_database_is_bad_input() -> None:
    with pytest.raises(InputError, match="unsupported database 'oracle'"), scratch("oracle://x/y"):
        pass
