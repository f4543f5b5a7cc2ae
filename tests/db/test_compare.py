"""Compare before writing: what a load writes follows from one comparison of the staged rows
with the stored ones; and how SQLite stages them (Arrow through ADBC, else executemany) and
PostgreSQL (binary COPY from Arrow, else COPY in CSV format)."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from propmail import synth
from propmail.contract import DATE, FLAG, INT, LONGTEXT, NUMBER, TEXT, TIMESTAMP, Field
from propmail.db import Backend, Batch, connect, sql
from propmail.db.postgres import backend as postgres_backend
from propmail.db.sqlite import backend as sqlite_backend
from propmail.inputs import Inputs
from propmail.job import load_options, prepare, run_job
from propmail.settings import Rules
from propmail.summary import summary_rows
from tests.conftest import backend_url
from tests.db.helpers import MONTH1, MONTH2, checksum

SAME_DAY = MONTH1.replace(hour=15)


def upload(folder: Path, name: str, frame: pl.DataFrame) -> Path:
    path = folder / name
    frame.write_csv(path)
    return path


def months(folder: Path) -> tuple[Path, Path]:
    """Month 1 of 200 parcels; month 2 the same but 20 parcels with a new sale amount."""
    first = synth.upload(200, seed=3)
    changed = first["LocationPrimaryId"].head(20)
    second = first.with_columns(
        pl.when(pl.col("LocationPrimaryId").is_in(changed.implode()))
        .then(pl.lit("123456"))
        .otherwise(pl.col("LocationSellAmount"))
        .alias("LocationSellAmount")
    )
    return upload(folder, "month1.csv", first), upload(folder, "month2.csv", second)


def journal_rows(
    backend: Backend, log_id: int, table: str = "PropmailJournalLocation"
) -> list[dict[str, object]]:
    with backend.engine.connect() as conn:
        rows = conn.execute(
            text(f'SELECT * FROM "{table}" WHERE "UploadLogId" = :i'), {"i": log_id}
        )
        return [dict(r._mapping) for r in rows]


def test_the_same_file_again_the_same_day_writes_nothing(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: None}, load_options(rules))
    p1, _ = months(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    data = ("Owner", "Location", "ListPriority", "RegionListFrequency")
    before = checksum(backend, data)
    # --force: compared in full, not recognised as identical (tests/db/test_identical.py)
    again = run_job(Inputs.gather(p1), 40, backend=backend, now=SAME_DAY, force=True).load
    assert again is not None
    assert (again.locations_inserted, again.locations_updated) == (0, 0)
    assert again.locations_unchanged == 200
    assert (again.owners_inserted, again.owners_updated) == (0, 0)
    assert checksum(backend, data) == before
    for table in ("PropmailJournalLocation", "PropmailJournalLocationKey"):
        assert journal_rows(backend, again.upload_log_id or 0, table) == []


def test_next_month_journals_whole_rows_only_for_the_rows_that_change(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: None}, load_options(rules))
    p1, p2 = months(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    second = run_job(Inputs.gather(p2), 40, backend=backend, now=MONTH2).load
    assert second is not None and second.locations_updated == 200

    log_id = second.upload_log_id or 0
    changed = journal_rows(backend, log_id)
    refreshed = journal_rows(backend, log_id, "PropmailJournalLocationKey")
    assert [r["Inserted"] for r in changed] == [0] * 20
    assert [r["Inserted"] for r in refreshed] == [2] * 180
    # a changed row: its whole before-image, in the wide table; a refreshed one: its key, id
    # and two dates only, in the narrow one
    assert all(r["SellAmount"] is not None and r["OwnerId"] is not None for r in changed)
    assert all(r["InsertedDate"] is not None for r in changed)
    assert {r["PrimaryId"] for r in changed}.isdisjoint(r["PrimaryId"] for r in refreshed)
    for r in refreshed:
        assert r["LocationId"] is not None and r["ModifiedDate"] is None  # as month 1 left it
        assert r["UpdatedDate"] is None and r["RegionId"] == 40

    with backend.engine.connect() as conn:
        stamps = conn.execute(
            text('SELECT DISTINCT "UpdatedDate", "ModifiedDate" FROM "Location"')
        ).all()
    assert len(stamps) == 1  # every row refreshed or rewritten with the load's clock


def load_months(url: str, rules: Rules, folder: Path, staging: str) -> dict[str, str]:
    """Months 1 and 2 loaded into the empty database at `url`, each staged as `staging` (and
    the summary says so): the checksums of the tables they write."""
    backend = connect(url)
    backend.init({40: None}, load_options(rules))
    for path, now in zip(months(folder), (MONTH1, MONTH2), strict=True):
        result = run_job(Inputs.gather(path), 40, backend=backend, now=now)
        assert result.staging == staging
        assert ("staging", staging) in summary_rows(result)
    state = checksum(backend, ("Owner", "Location", "ListPriority"))
    backend.dispose()
    return state


def test_sqlite_stages_as_arrow_and_without_the_driver_as_before(
    rules: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adbc = load_months(f"sqlite:///{tmp_path / 'adbc.db'}", rules, tmp_path, "adbc")
    monkeypatch.setattr(sqlite_backend, "adbc_driver", lambda: None)
    url = f"sqlite:///{tmp_path / 'executemany.db'}"
    assert load_months(url, rules, tmp_path, "executemany") == adbc


# every kind of staged value, each column of every kind also once all null
VALUE_FIELDS = (
    Field("Row", INT),
    Field("Text", TEXT),
    Field("Long", LONGTEXT),
    Field("Flag", FLAG),
    Field("Count", INT),
    Field("Amount", NUMBER),
    Field("Day", DATE),
    Field("At", TIMESTAMP),
    *(Field(f"Null{kind}", kind) for kind in (TEXT, LONGTEXT, FLAG, INT, NUMBER, DATE, TIMESTAMP)),
)
PG_TYPES = {  # as pg_catalog names them
    TEXT: "text",
    LONGTEXT: "text",
    FLAG: "smallint",
    INT: "integer",
    NUMBER: "double precision",
    DATE: "date",
    TIMESTAMP: "timestamp without time zone",
}
TEXTS = [
    "plain",
    "a,b,,c",
    'say "hi", then ""bye""',
    "line one\nline two\r\nline three\rend",
    "tab\there",
    "  padded  ",
    "ünïcødé 日本語 🏠 ß Ω",
    "",  # an empty string, not a NULL
    None,
    "NULL",
    "\\N",
    "C:\\path\\to",
    "'single'",
    '"',
]
AMOUNTS = [
    0.0,
    -0.0,
    0.1 + 0.2,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.5e300,
    123456789.123456789,
    1e-20,
    float("inf"),
    float("-inf"),
    None,
    42.0,
    -7.25,
]


def staged_values() -> pl.DataFrame:
    n = len(TEXTS)
    frame = pl.DataFrame(
        {
            "Row": list(range(n)),
            "Text": TEXTS,
            "Long": [t * 300 if t else t for t in reversed(TEXTS)],
            "Flag": [True, False, None] * 4 + [True, False],
            "Count": [0, 1, -1, 2_147_483_647, -2_147_483_648, None, *range(8)],
            "Amount": AMOUNTS,
            "Day": [date(2024, 2, 29), date(1900, 1, 1), date(9999, 12, 31), None]
            + [date(1970, 1, 1 + i) for i in range(10)],
            "At": [datetime(2024, 2, 29, 23, 59, 59, 999_999), None]
            + [datetime(1999, 12, 31, 0, 0, i, i * 1_000) for i in range(12)],
        },
        schema_overrides={"Flag": pl.Boolean, "Count": pl.Int64},
    )
    nulls = [pl.lit(None).alias(f.name) for f in VALUE_FIELDS if f.name.startswith("Null")]
    return frame.with_columns(nulls)  # polars types these Null: staging gives them theirs


@pytest.mark.postgres
def test_postgresql_stages_binary_copy_as_it_stages_csv(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = staged_values()
    assert {frame.schema[f.name] for f in VALUE_FIELDS if f.name.startswith("Null")} == {pl.Null}
    backend = connect(pg_url)
    staged = {}
    with backend.rolled_back() as conn:
        for staging in ("copy (binary)", "copy (csv)"):
            if staging == "copy (csv)":
                monkeypatch.setattr(postgres_backend, "binary_encoder", lambda: None)
            backend.stage(conn, sql.STAGE_OWNER, VALUE_FIELDS, frame)
            assert backend.staging == staging
            query = f'SELECT * FROM {sql.STAGE_OWNER} ORDER BY "Row"'
            staged[staging] = [tuple(r) for r in conn.execute(text(query))]
            types = conn.execute(
                text(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    f" WHERE attrelid = 'pg_temp.{sql.STAGE_OWNER}'::regclass AND attnum > 0"
                    " ORDER BY attnum"
                )
            ).scalars()
            assert list(types) == [PG_TYPES[f.kind] for f in VALUE_FIELDS]
    backend.dispose()
    assert staged["copy (binary)"] == staged["copy (csv)"]
    expected = [
        tuple(int(v) if isinstance(v, bool) else v for v in row) for row in frame.iter_rows()
    ]
    assert staged["copy (binary)"] == expected
    assert [repr(r[5]) for r in staged["copy (binary)"]] == [repr(a) for a in AMOUNTS]  # -0.0


@pytest.mark.postgres
def test_postgresql_stages_as_binary_copy_and_without_pgpq_as_csv(
    request: pytest.FixtureRequest,
    rules: Rules,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = backend_url(request, "postgresql", tmp_path)
    binary = load_months(url, rules, tmp_path, "copy (binary)")
    monkeypatch.setattr(postgres_backend, "binary_encoder", lambda: None)
    url = backend_url(request, "postgresql", tmp_path)  # emptied again
    assert load_months(url, rules, tmp_path, "copy (csv)") == binary


def test_the_scratch_database_goes_with_the_load_even_when_it_fails(
    rules: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    backend = connect(f"sqlite:///{tmp_path / 'propmail.db'}")
    backend.init({40: None}, load_options(rules))
    p1, _ = months(tmp_path)

    def explode(step: str) -> None:
        if step == "merging locations":
            raise RuntimeError("injected fault")

    with pytest.raises(Exception, match="injected fault"):
        run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1, step=explode)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    backend.dispose()
    assert list(tmp_path.glob("propmail-stage-*")) == []


def test_owners_are_staged_in_the_byte_order_of_their_slugs(rules: Rules, tmp_path: Path) -> None:
    """The order of the Owner table's key (BINARY in SQLite, the upsert's COLLATE elsewhere),
    so the comparison walks its index; the upload's own order is not that one."""
    path = upload(tmp_path, "upload.csv", synth.upload(300, seed=4))
    _, _, processed = prepare(Inputs(path, rules=rules))
    batch = Batch(40, processed.owners, processed.locations, load_options(rules), MONTH1)
    given = processed.owners["Slug"].to_list()
    staged = batch.staged_owners()["Slug"].to_list()
    assert given != sorted(given, key=str.encode)
    assert staged == sorted(given, key=str.encode)
    assert (
        batch.staged_locations()["PrimaryId"].to_list()
        == processed.locations["PrimaryId"].to_list()
    )
