"""A PostgreSQL database from its URL: the engine (psycopg 3), and the drivers a load uses
where they are installed (the `postgres` extra): ADBC to read the stored rows as Arrow, `pgpq`
to encode staged rows as binary COPY."""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL


def engine_url(url: URL) -> URL:
    """The URL with its driver named: a bare ``postgresql://`` means psycopg 3."""
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def make_engine(url: URL) -> Engine:
    return create_engine(engine_url(url), pool_pre_ping=True)


def adbc_driver() -> ModuleType | None:
    """The ADBC PostgreSQL driver's DB-API module, or None where it is not installed."""
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:
        return None
    return adbc


def binary_encoder() -> ModuleType | None:
    """The `pgpq` module (Arrow to binary COPY), or None where it is not installed."""
    try:
        import pgpq
    except ImportError:
        return None
    return pgpq
