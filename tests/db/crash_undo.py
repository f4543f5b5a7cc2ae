"""An undo process that can stop at a chosen point of `propmail undo`, there to be killed.

    python -m tests.db.crash_undo DB_URL UPLOADLOGID STOP

The points are numbered as in `tests.db.crash_loader`: each SQL statement (before it is sent),
the commit, and the end of the undo. With STOP = n it prints `PAUSED` there and waits on stdin,
its transaction open; with STOP = 0 it prints every point and finishes.
"""

from __future__ import annotations

import sys

from propmail.db import connect
from propmail.db.postgres import PostgresBackend
from tests.db.crash_loader import Points, install, install_statements


def main(url: str, log_id: str, stop: str) -> None:
    points = Points(stop)
    backend = connect(url)
    if isinstance(backend, PostgresBackend):
        install(points, backend)
    else:
        install_statements(points, backend.engine)
    backend.undo(int(log_id))
    points("after the undo (committed)")
    backend.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
