"""Shared fixtures: every database test runs on each backend through one parameter."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, make_url, text

from propmail.db import BACKENDS as REGISTERED
from propmail.db import Backend, connect, parse_url, schema
from propmail.settings import Rules, load_rules

# Property tests: `ci` (the default) runs a few hundred generated uploads, `full` the 10,000 of
# docs/hostile-input.md: python -m pytest tests/test_fuzz.py --hypothesis-profile=full
settings.register_profile("ci", max_examples=200, deadline=None)
settings.register_profile("full", max_examples=10_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="run the tests marked slow here too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long proofs (marked `slow`) run in CI and with --slow, not on every local run."""
    if os.environ.get("CI") or config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow proof: runs in CI (CI=true) or with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


PG_SERVER_URL = os.environ.get(
    "PROPMAIL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The backends of the registry every database test runs on, each with the marks it needs: the
# embedded one always, PostgreSQL on a server. SQL Server runs the procedures it installs and
# is tested through a recorded session (tests/mssql), without a server.
SERVERS = {"sqlite": [], "postgresql": [pytest.mark.postgres]}
BACKENDS = [pytest.param(kind, marks=SERVERS[kind]) for kind in REGISTERED if kind in SERVERS]
assert set(SERVERS) <= set(REGISTERED), "a tested backend the registry does not know"


def _unreachable(exc: Exception) -> None:
    message = f"PostgreSQL not reachable at {PG_SERVER_URL} ({type(exc).__name__}): {exc}"
    if os.environ.get("CI"):
        pytest.fail(message + " -- CI must run the PostgreSQL tests")
    pytest.skip(message + " -- set PROPMAIL_TEST_PG_URL to run them")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, dropped at the end.

    In CI an unreachable server fails the tests instead of skipping them.
    """
    server = make_url(PG_SERVER_URL)
    name = f"propmail_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure
        _unreachable(exc)
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _postgres(url: str) -> Backend:
    """propmail's tables dropped, so each test starts from an empty database."""
    backend = connect(url)
    schema.metadata.drop_all(backend.engine)
    schema.ledger_metadata.drop_all(backend.engine)
    return backend


def backend_url(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    """The URL of an empty database of the given kind, for this test: a file of its own for
    the embedded backend, the session's server database emptied for a server's."""
    if not SERVERS[kind]:
        return f"{kind}:///{tmp_path / 'propmail.db'}"
    url: str = request.getfixturevalue("pg_url")
    assert parse_url(url).get_backend_name() == kind
    _postgres(url).dispose()
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = connect(backend_url(request, request.param, tmp_path))
    yield b
    b.dispose()


@pytest.fixture
def rules() -> Rules:
    return load_rules()
