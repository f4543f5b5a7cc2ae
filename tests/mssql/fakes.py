"""A recording stand-in at the `Session` seam: it answers the statements propmail sends with
scripted rows, the way a server would, and keeps everything it was sent."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from propmail.db.mssql import dialect as tsql
from propmail.db.mssql.backend import MssqlBackend
from propmail.db.mssql.connect import BulkCopyUnavailable
from propmail.db.mssql.credentials import Secret, Settings

Row = tuple[Any, ...]
SENTINEL = "Sentinel-Pa55w0rd!"


@dataclass
class Call:
    session: int
    statement: str
    params: tuple[Any, ...]


@dataclass
class FakeServer:
    """Opens `FakeSession`s; `answers` maps a statement to rows (or a function of params)."""

    answers: dict[str, list[Row] | Callable[[tuple[Any, ...]], list[Row]]] = field(
        default_factory=dict
    )
    fail_on: dict[str, Exception] = field(default_factory=dict)  # statement prefix -> error
    bulk: bool = False
    bulk_error: Exception | None = None
    calls: list[Call] = field(default_factory=list)
    copies: list[tuple[str, list[str], pl.DataFrame]] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    def open(self) -> FakeSession:
        self.opened += 1
        return FakeSession(self, self.opened)

    def sent(self, prefix: str = "") -> list[Call]:
        return [c for c in self.calls if c.statement.startswith(prefix)]

    def staged(self, which: str) -> pl.DataFrame:
        """Every row staged as JSON for owners or locations, in the order sent."""
        index = 1 if which == "owners" else 2
        records = []
        for call in self.sent(tsql.STAGE_JSON):
            if call.params[index] is not None:
                records += json.loads(call.params[index])
        return pl.DataFrame(records, infer_schema_length=None)


class FakeSession:
    def __init__(self, server: FakeServer, number: int) -> None:
        self.server = server
        self.number = number

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self.server.calls.append(Call(self.number, statement, tuple(params)))
        for prefix, error in self.server.fail_on.items():
            if statement.startswith(prefix):
                raise error
        answer = self.server.answers.get(statement, [])
        return answer(tuple(params)) if callable(answer) else answer

    def bulk_copy(self, table: str, columns: list[str], batches: list[pa.RecordBatch]) -> int:
        if not self.server.bulk:
            raise BulkCopyUnavailable("no bulk copy in this fake")
        if self.server.bulk_error is not None:
            raise self.server.bulk_error
        frame = pl.from_arrow(pa.Table.from_batches(batches))
        assert isinstance(frame, pl.DataFrame)
        self.server.copies.append((table, columns, frame))
        return frame.height

    def close(self) -> None:
        self.server.closed += 1


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "driver": "mssqlpython",
        "server": "sql.staging.example",
        "port": 1433,
        "database": "Mail",
        "username": "loader",
        "password": Secret(SENTINEL),
    }
    values.update(overrides)
    return Settings(**values)


def backend(server: FakeServer, **overrides: Any) -> MssqlBackend:
    return MssqlBackend(settings(**overrides), open_session=server.open)


def result_row(
    key: int, locations: int, owners: int, new_codes: Sequence[str] = (), state: int | None = 3
) -> Row:
    """What ProcessPythonEnhancedData returns for a first load: everything inserted."""
    codes = json.dumps([{"Code": c} for c in new_codes]) if new_codes else None
    return (key, locations, owners, owners, 0, 0, locations, 0, 0, 0, codes, state, 0)
