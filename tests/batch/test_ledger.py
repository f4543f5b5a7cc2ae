"""The ledger's claim: one statement in the database, so of two claims of one job one wins;
and a ledger table of an earlier version gains the columns it lacks."""

from __future__ import annotations

import threading

from sqlalchemy import inspect, text

from propmail.batch import ledger
from propmail.db import connect
from tests.batch.data import init
from tests.batch.test_batch import _reset_to_empty, url  # noqa: F401  (the url fixture)


def test_two_claims_of_one_job_only_one_wins(url: str) -> None:  # noqa: F811
    _reset_to_empty(url)
    backend = connect(url)
    book = backend.ledger
    ledger.create(book)
    try:
        assert ledger.start(book, "7:a.csv", 7, "h1") == 1
        assert ledger.start(book, "7:a.csv", 7, "h1") is None

        ledger.record(book, "7:a.csv", State=ledger.FAILED)  # a failed job, claimed again
        assert ledger.start(book, "7:a.csv", 7, "h1") == 2
        assert ledger.start(book, "7:a.csv", 7, "h1") is None

        ledger.record(book, "7:a.csv", State=ledger.DONE)  # done: not with the same content
        assert ledger.start(book, "7:a.csv", 7, "h1") is None
        assert ledger.start(book, "7:a.csv", 7, "h2") == 1

        ledger.release(book, "7:a.csv")  # its worker died: the next claim takes it
        assert ledger.start(book, "7:a.csv", 7, "h2", claimed_by="batch on b pid 2") == 2
        assert ledger.entries(book)["7:a.csv"].claimed_by == "batch on b pid 2"
    finally:
        backend.dispose()


def test_of_claims_made_at_once_by_many_workers_one_wins(url: str) -> None:  # noqa: F811
    _reset_to_empty(url)
    backend = connect(url)
    ledger.create(backend.ledger)
    backend.dispose()
    results: list[int | None] = []
    gate = threading.Barrier(6)

    def claim() -> None:
        mine = connect(url)  # a worker's own connection, as another process's would be
        try:
            gate.wait()
            results.append(ledger.start(mine.ledger, "7:a.csv", 7, "h1"))
        finally:
            mine.dispose()

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=lambda r: r is None) == [1, None, None, None, None, None]


def test_one_month_of_a_region_at_a_time_and_never_one_older_than_a_month_done(
    url: str,  # noqa: F811
) -> None:
    _reset_to_empty(url)
    init(url, (7, 8))  # the claim of a month holds the region's Region row
    backend = connect(url)
    book = backend.ledger
    ledger.create(book)
    nov, dec = "2026-11:7:a.csv", "2026-12:7:a.csv"
    try:
        assert ledger.start(book, dec, 7, "h", month="2026-12") == 1
        assert ledger.start(book, nov, 7, "h", month="2026-11") is None  # December is loading
        assert ledger.start(book, "2026-11:8:a.csv", 8, "h", month="2026-11") == 1
        ledger.record(book, dec, State=ledger.FAILED)  # nothing of December landed
        assert ledger.start(book, nov, 7, "h", month="2026-11") == 1
        assert ledger.start(book, dec, 7, "h", month="2026-12") is None  # November is loading
        ledger.record(book, nov, State=ledger.DONE)
        assert ledger.start(book, dec, 7, "h", month="2026-12") == 2
        ledger.record(book, dec, State=ledger.DONE)
        assert ledger.start(book, nov, 7, "h2", month="2026-11") is None  # older than done
    finally:
        backend.dispose()


def test_of_months_of_one_region_claimed_at_once_one_wins(url: str) -> None:  # noqa: F811
    _reset_to_empty(url)
    init(url, (7,))  # the region's Region row: what the claims of its months hold in turn
    backend = connect(url)
    ledger.create(backend.ledger)
    backend.dispose()
    months = [f"2026-{m:02}" for m in range(1, 7)]
    won: list[str] = []
    gate = threading.Barrier(len(months))

    def claim(month: str) -> None:
        mine = connect(url)
        try:
            gate.wait()
            if ledger.start(mine.ledger, f"{month}:7:a.csv", 7, "h", month=month) is not None:
                won.append(month)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=claim, args=(m,)) for m in months]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_a_ledger_of_an_earlier_version_gains_its_columns(url: str) -> None:  # noqa: F811
    _reset_to_empty(url)
    backend = connect(url)
    ledger.create(backend.ledger)
    with backend.engine.begin() as conn:  # the table as the first version made it
        for column in ("Month", "ClaimedBy"):
            conn.execute(text(f'ALTER TABLE "PropmailBatchJob" DROP COLUMN "{column}"'))
        conn.execute(
            text(
                'INSERT INTO "PropmailBatchJob" ("JobKey", "RegionId", "ContentHash", "State", '
                "\"Attempts\") VALUES ('7:a.csv', 7, 'h', 'done', 1)"
            )
        )
    try:
        assert "Month" not in {
            c["name"] for c in inspect(backend.engine).get_columns("PropmailBatchJob")
        }
        ledger.create(backend.ledger)
        (entry,) = ledger.entries(backend.ledger).values()
        assert (entry.key, entry.state, entry.month, entry.claimed_by) == (
            "7:a.csv",
            "done",
            None,
            None,
        )
        ledger.create(backend.ledger)  # and again: nothing left to add
    finally:
        backend.dispose()
