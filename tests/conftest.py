"""Shared fixtures: every database test runs on each backend through one parameter."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from propmail.db import Backend, connect
from propmail.settings import Rules, load_rules

PG_URL = os.environ.get("PROPMAIL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _postgres_or_skip() -> Backend:
    """A clean PostgreSQL database; in CI an unreachable server fails instead of skipping."""
    try:
        backend = connect(PG_URL)
        with backend.engine.connect():
            pass
    except Exception as exc:  # any connection failure
        message = f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}): {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " -- CI must run the PostgreSQL tests")
        pytest.skip(message + " -- set PROPMAIL_TEST_PG_URL to run them")
    from propmail.db import schema

    schema.metadata.drop_all(backend.engine)
    return backend


def make_backend(kind: str, tmp_path: Path) -> Backend:
    if kind == "sqlite":
        return connect(f"sqlite:///{tmp_path / 'propmail.db'}")
    return _postgres_or_skip()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = make_backend(request.param, tmp_path)
    yield b
    b.dispose()


@pytest.fixture
def rules() -> Rules:
    return load_rules()
