"""A loader process that can stop at a chosen point of a load, there to be killed (kill -9).

    python -m tests.db.crash_loader DB_URL PREPARED REGION NOW STOP

It runs the monthly job (`propmail.job.run_job`) for a prepared upload: PREPARED is a pickle
of what `propmail.job.prepare` returned, so the pure pipeline is not recomputed in every
process. Every point it passes is numbered: each stage the job names, each SQL statement
(before it is sent), the middle of each COPY, the commit, and the end of the job. With
STOP = 0 it prints every point and finishes. With STOP = n (or the start of a point's
description) it prints `PAUSED` there and waits on stdin, its connections and transactions
open: the test kills it, or closes stdin to let it go on.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, event

from propmail import job
from propmail.db import connect
from propmail.db.postgres import PostgresBackend
from propmail.inputs import Inputs


class Points:
    """Numbers the points of a load; pauses at one of them."""

    def __init__(self, stop: str) -> None:
        self.stop: str | None = stop
        self.count = 0
        self.staging = ""

    def __call__(self, description: str) -> None:
        self.count += 1
        if self.stop == "0":
            print(f"POINT\t{self.count}\t{description}", flush=True)
        elif self.stop is not None and (
            self.stop == str(self.count)
            or (not self.stop.isdigit() and description.startswith(self.stop))
        ):
            print(f"PAUSED\t{self.count}\t{description}", flush=True)
            sys.stdin.read()  # the test kills this process here, or closes stdin
            self.stop = None


def install_statements(points: Points, engine: Engine) -> None:
    """Report every statement and the commit as points (any backend)."""

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        points("before " + " ".join(statement.split()[:4]))

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", lambda _conn: points("before COMMIT"))


def install(points: Points, backend: PostgresBackend) -> None:
    """Report every statement, the middle of every COPY and the commit as points."""
    install_statements(points, backend.engine)

    stage = PostgresBackend.stage

    def staging(self: PostgresBackend, conn: Any, name: str, *args: Any) -> None:
        points.staging = name
        stage(self, conn, name, *args)

    write = psycopg.Copy.write

    def write_in_halves(self: psycopg.Copy, buffer: Any) -> None:
        half = len(buffer) // 2
        write(self, buffer[:half])
        points(f"mid-COPY {points.staging}")
        write(self, buffer[half:])

    PostgresBackend.stage = staging
    psycopg.Copy.write = write_in_halves  # type: ignore[method-assign]


def main(url: str, prepared: str, region: str, now: str, stop: str) -> None:
    with open(prepared, "rb") as file:
        ready = pickle.load(file)
    job.prepare = lambda *_args, **_kwargs: ready
    content = hashlib.sha256(prepared.encode()).hexdigest()  # of no file: the pickle's name
    Inputs.content_hash = lambda *_args: content  # type: ignore[method-assign]
    points = Points(stop)
    backend = connect(url)
    assert isinstance(backend, PostgresBackend)
    install(points, backend)
    job.run_job(
        Inputs("upload.csv"),  # not gathered: the pickle stands in for the files
        int(region),
        backend=backend,
        now=datetime.fromisoformat(now),
        step=lambda name: points(f"step {name}"),
    )
    points("after the job (committed)")
    backend.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
