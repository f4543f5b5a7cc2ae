"""SQL Server tests run without a server: a recording session at the backend's seam, moto for
AWS SSM, and the real drivers only up to a refused connection."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

# mssql-python's bundled Rust driver needs no system package (its ODBC driver needs libltdl7),
# so the real driver gets as far as a refused TCP connection on any machine.
os.environ.setdefault("MSSQL_PYTHON_NATIVE_PROVIDER", "mssql-odbc")


class Everything(logging.Handler):
    """Every record of every logger, formatted with its traceback, with no filter."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def debug_log() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
