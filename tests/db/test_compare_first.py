"""Compare before staging: the upload compared in polars with its region's stored rows
(`propmail.db.compare`), so that PostgreSQL stages only the rows a load may write, and leaves
the tables exactly as the comparison in SQL alone does."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import insert, select, text, update

from propmail.contract import KEEP_STORED
from propmail.db import Backend, connect, schema, sql
from propmail.db.compare import STORED_CODE, STORED_SLUG, Keys, Moments, compare
from propmail.db.plan import SqlBackend
from propmail.db.postgres import backend as postgres_backend
from propmail.db.schema import OWNER_FIELDS, STAGE_LOCATION_FIELDS, STAGE_OWNER_FIELDS
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.selftest.scenario import Scenario
from propmail.settings import Rules, load_rules
from propmail.summary import summary_rows
from tests.conftest import backend_url
from tests.db.canonical import canonical
from tests.db.helpers import MONTH1, MONTH2, checksum
from tests.db.test_compare import journal_rows, months

NOW = datetime(2026, 12, 1, 10, 0)
MOMENTS = Moments(day_start=datetime(2026, 12, 1), cutoff=datetime(2026, 6, 1, 10, 0))
TODAY, LAST_MONTH, LONG_AGO = NOW - timedelta(hours=1), datetime(2026, 11, 2), datetime(2025, 1, 5)
# a staged value of each kind of field but text (each text is its column's name and row)
STAGED = {"flag": True, "number": 1.5, "date": date(2020, 1, 2)}
DATA = ("Owner", "Location", "ListPriority", "RegionListFrequency")


def _value(kind: str, field: str, row: int) -> Any:
    if kind in ("text", "longtext"):
        return f"{field}-{row}"
    return STAGED[kind]


def staged(fields: tuple[Any, ...], keys: list[str], key: str) -> pl.DataFrame:
    """A staged frame of `fields`, one row per key."""
    columns: dict[str, list[Any]] = {
        f.name: [_value(f.kind, f.name, i) for i in range(len(keys))] for f in fields
    }
    columns[key] = keys
    return pl.DataFrame(columns)


def stored_rows(
    owners: pl.DataFrame, locations: pl.DataFrame, written: dict[str, tuple[Any, Any]]
) -> pl.DataFrame:
    """The stored rows a load of `owners` and `locations` leaves, as `sql.stored_region` reads
    them: flags as 0/1, every location with (InsertedDate, UpdatedDate) from `written`, its
    owner written at the same time."""
    flags = [f.name for f in STAGE_LOCATION_FIELDS if f.kind == "flag"]
    flags += [f"o.{f.name}" for f in OWNER_FIELDS if f.kind == "flag"]
    o = owners.select(
        pl.col("Slug").alias(STORED_SLUG),
        pl.int_range(pl.len()).alias("OwnerId") + 100,
        *(pl.col(n).alias(f"o.{n}") for n in sql.OWNER_DATA),
    )
    rows = locations.select(
        pl.int_range(pl.len()).alias("LocationId") + 1,
        "PrimaryId",
        pl.col("PriorityCode").alias(STORED_CODE),
        pl.col("OwnerSlug").alias(STORED_SLUG),
        *(pl.col(n).alias(f"l.{n}") for n in sql.LOCATION_DATA),
    ).join(o, on=STORED_SLUG, how="left")
    rows = rows.with_columns(pl.col(f"l.{n}").cast(pl.Int16) for n in flags if "." not in n)
    rows = rows.with_columns(pl.col(n).cast(pl.Int16) for n in flags if "." in n)
    inserted = [written[p][0] for p in rows["PrimaryId"]]
    updated = [written[p][1] for p in rows["PrimaryId"]]
    dates = {
        "InsertedDate": pl.Series(inserted, dtype=pl.Datetime("us")),
        "ModifiedDate": pl.Series(updated, dtype=pl.Datetime("us")),
        "UpdatedDate": pl.Series(updated, dtype=pl.Datetime("us")),
    }
    return rows.with_columns(
        *(v.alias(f"l.{n}") for n, v in dates.items()),
        *(v.alias(f"o.{n}") for n, v in dates.items()),
    )


def frames(parcels: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Staged owners (one per parcel, slugs in byte order) and locations, every cell read."""
    slugs = [f"OWNER_{i:02d}" for i in range(parcels)]
    read = pl.lit(None, pl.String).alias(KEEP_STORED)
    owners = staged(STAGE_OWNER_FIELDS, slugs, "Slug").with_columns(read)
    locations = staged(STAGE_LOCATION_FIELDS, [f"P{i:02d}" for i in range(parcels)], "PrimaryId")
    return owners, locations.with_columns(pl.Series("OwnerSlug", slugs), read)


# each stored location: what differs from the upload, when it was written, its kind
CASES: dict[str, tuple[dict[str, Any], tuple[Any, Any], int]] = {
    "written today, same values": ({}, (LAST_MONTH, TODAY), sql.UNCHANGED),
    "inserted today, never updated": ({}, (TODAY, None), sql.UNCHANGED),
    "written last month, same values": ({}, (LONG_AGO, LAST_MONTH), sql.REFRESHED),
    "inserted last month, never updated": ({}, (LAST_MONTH, None), sql.REFRESHED),
    "a text differs": ({"l.City": "ELSEWHERE"}, (LAST_MONTH, TODAY), sql.CHANGED),
    "a text stored null": ({"l.City": None}, (LAST_MONTH, TODAY), sql.CHANGED),
    "a text stored empty": ({"l.City": ""}, (LAST_MONTH, TODAY), sql.CHANGED),
    "a flag differs": ({"l.IsTrust": 0}, (LAST_MONTH, TODAY), sql.CHANGED),
    "an amount differs in its last bit": (
        {"l.SellAmount": 1.5000000000000002},
        (LAST_MONTH, TODAY),
        sql.CHANGED,
    ),
    "a date differs": ({"l.SellDate": date(2020, 1, 3)}, (LAST_MONTH, TODAY), sql.CHANGED),
    "another owner": ({STORED_SLUG: "OWNER_XX"}, (LAST_MONTH, TODAY), sql.CHANGED),
    "another list code": ({STORED_CODE: "OTHER"}, (LAST_MONTH, TODAY), sql.CHANGED),
    "outside the window, changed": ({"l.City": "ELSEWHERE"}, (LONG_AGO, None), sql.FROZEN),
    "outside the window, same values": ({}, (LONG_AGO, LONG_AGO), sql.FROZEN),
}


def with_changes(stored: pl.DataFrame, row: int, changes: dict[str, Any]) -> pl.DataFrame:
    at = pl.int_range(pl.len()) == row
    return stored.with_columns(
        pl.when(at).then(pl.lit(v, dtype=stored.schema[n])).otherwise(pl.col(n)).alias(n)
        for n, v in changes.items()
    )


def test_each_stored_location_gets_the_kind_the_sql_comparison_gives_it() -> None:
    owners, locations = frames(len(CASES) + 1)  # the last parcel is not stored: new
    parcels = locations["PrimaryId"].to_list()
    written = {p: case[1] for p, case in zip(parcels, CASES.values(), strict=False)}
    stored = stored_rows(owners, locations.head(len(CASES)), written)
    for row, (changes, _, _) in enumerate(CASES.values()):
        stored = with_changes(stored, row, changes)
    # two batches, as the database hands them over
    result = compare(owners, locations, [stored.head(5), stored.tail(-5)], MOMENTS, (3,))
    expected = {p: case[2] for p, case in zip(parcels, CASES.values(), strict=False)}
    to_stage = {p for p, kind in expected.items() if kind in (sql.NEW, sql.CHANGED)}
    assert set(result.locations["PrimaryId"]) == to_stage | {parcels[-1]}
    refreshed = {p for p, kind in expected.items() if kind == sql.REFRESHED}
    assert set(result.refreshed["PrimaryId"]) == refreshed
    assert result.locations_left == {
        sql.UNCHANGED: sum(k == sql.UNCHANGED for k in expected.values()),
        sql.FROZEN: sum(k == sql.FROZEN for k in expected.values()),
    }
    # the refreshed rows' kind rows carry the stored id and dates, as the journal keeps them
    by_parcel = {r["PrimaryId"]: r for r in result.refreshed.iter_rows(named=True)}
    for row, parcel in enumerate(parcels[: len(CASES)]):
        if parcel in by_parcel:
            assert by_parcel[parcel]["LocationId"] == row + 1
            assert by_parcel[parcel]["Kind"] == sql.REFRESHED
            assert by_parcel[parcel]["UpdatedDate"] == written[parcel][1]
    assert result.refreshed.columns == [f.name for f in sql.LOCATION_KIND_FIELDS]


def test_a_row_with_a_cell_not_read_is_staged_for_sql_to_keep_the_stored_value() -> None:
    """Found the same, but with a cell the file could not read: staged (SQL puts the stored
    value there and counts it), neither left out nor counted here."""
    owners, locations = frames(3)
    written = {p: (LAST_MONTH, TODAY) for p in ("P00", "P01", "P02")}  # all unchanged
    stored = stored_rows(owners, locations, written)
    unread = pl.Series(KEEP_STORED, [None, "|OwnerCity|", None])
    owners = owners.with_columns(unread)
    locations = locations.with_columns(unread.replace("|OwnerCity|", "|BKDate|"))
    result = compare(owners, locations, [stored], MOMENTS, (sql.UNCHANGED,))
    assert result.owners["Slug"].to_list() == ["OWNER_01"]
    assert result.locations["PrimaryId"].to_list() == ["P01"]
    assert result.owners_left == {sql.UNCHANGED: 2}
    assert result.locations_left == {sql.UNCHANGED: 2, sql.FROZEN: 0}


def test_only_the_owners_found_unchanged_are_left_out_and_they_are_counted() -> None:
    owners, locations = frames(5)
    written = {
        "P00": (LAST_MONTH, TODAY),  # unchanged: left out
        "P01": (LAST_MONTH, None),  # refreshed: the owner upsert writes it, so it is staged
        "P02": (LAST_MONTH, TODAY),  # changed: staged
        "P03": (LAST_MONTH, TODAY),  # its owner never dated: refreshed, so staged
    }
    stored = with_changes(stored_rows(owners, locations.head(4), written), 2, {"o.City": "X"})
    stored = with_changes(stored, 3, {"o.InsertedDate": None, "o.UpdatedDate": None})
    result = compare(owners, locations, [stored], MOMENTS, (sql.UNCHANGED,))
    # OWNER_04 is named by no stored location of the region: staged, compared in SQL
    assert result.owners["Slug"].to_list() == ["OWNER_01", "OWNER_02", "OWNER_03", "OWNER_04"]
    assert result.owners_left == {sql.UNCHANGED: 1}


def test_an_owner_of_several_locations_is_compared_once_for_all_of_them() -> None:
    owners, locations = frames(3)
    locations = locations.with_columns(pl.lit("OWNER_00").alias("OwnerSlug"))
    written = {p: (LAST_MONTH, TODAY) for p in locations["PrimaryId"]}
    stored = stored_rows(owners.head(1), locations, written)
    result = compare(owners.head(1), locations, [stored.head(1), stored.tail(2)], MOMENTS, (3,))
    assert result.owners.is_empty() and result.owners_left == {sql.UNCHANGED: 1}
    assert result.locations.is_empty() and result.locations_left[sql.UNCHANGED] == 3


def test_a_region_with_nothing_stored_stages_every_row_as_it_is() -> None:
    owners, locations = frames(3)
    written = {p: (TODAY, None) for p in locations["PrimaryId"]}
    empty = stored_rows(owners, locations, written).clear()
    for batches in ([], [empty]):
        result = compare(owners, locations, batches, MOMENTS, (sql.UNCHANGED,))
        assert result.owners.equals(owners) and result.locations.equals(locations)
        assert result.refreshed.is_empty()


def test_keys_that_share_a_hash_are_told_apart_by_the_keys_themselves() -> None:
    # a staged key "X" whose hash stands in for that of "Y": "Y" must not find it
    keys = Keys(pl.Series(["X"]), pl.Series([pl.Series(["Y"]).hash()[0]]), pl.Series([0]))
    found, rows = keys.find(pl.Series(["Y", "X"]))
    assert found.to_list() == [False, False] and rows.is_empty()
    genuine = Keys.of(pl.DataFrame({"k": ["B", "A", "C"]}), "k")
    found, rows = genuine.find(pl.Series(["C", "Z", "A", None]))
    assert found.to_list() == [True, False, True, False] and rows.to_list() == [2, 1]
    nothing = Keys.of(pl.DataFrame({"k": pl.Series([], dtype=pl.String)}), "k")
    found, rows = nothing.find(pl.Series(["A"]))
    assert found.to_list() == [False] and rows.is_empty()


# -- on PostgreSQL ------------------------------------------------------------------------------


def load(backend: Backend, path: Path, now: datetime) -> tuple[dict[str, Any], str | None]:
    # --force: the same file the same day is compared in full, not recognised as identical
    result = run_job(Inputs.gather(path), 40, backend=backend, now=now, force=True)
    assert result.load is not None
    counts = result.load.as_dict()
    counts.pop("upload_log_id")
    if result.compared:
        assert ("compared before staging", result.compared) in summary_rows(result)
    return counts, result.compared


def three_loads(url: str, rules: Rules, folder: Path) -> list[Any]:
    """Month 1, the same file again the same day, month 2: per load its counts, what the
    comparison staged, the tables' checksums and the load's journal."""
    backend = connect(url)
    backend.init({40: None}, load_options(rules))
    first, second = months(folder)
    out: list[Any] = []
    for path, now in ((first, MONTH1), (first, MONTH1.replace(hour=15)), (second, MONTH2)):
        counts, compared = load(backend, path, now)
        log_id = len(out) + 1
        journal = [
            sorted(journal_rows(backend, log_id, t), key=repr)
            for t in (
                "PropmailJournalLocation",
                "PropmailJournalLocationKey",
                "PropmailJournalOwner",
                "PropmailJournalOwnerKey",
            )
        ]
        out.append((counts, compared, checksum(backend, DATA), journal))
    backend.dispose()
    return out


@pytest.mark.postgres
def test_postgresql_stages_only_what_the_comparison_cannot_leave_out(
    request: pytest.FixtureRequest,
    rules: Rules,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = three_loads(backend_url(request, "postgresql", tmp_path), rules, tmp_path)
    assert [c for _, c, _, _ in first] == [
        "staged 200 of 200 owners, 200 of 200 locations",  # nothing stored yet
        "staged 0 of 200 owners, 0 of 200 locations",  # the same day: all unchanged
        # month 2: 20 sale amounts changed; the owners only refreshed go to the upsert by
        # key, unstaged, and the 180 locations only refreshed get their two dates by key
        "staged 0 of 200 owners, 20 of 200 locations",
    ]
    monkeypatch.setattr(postgres_backend, "adbc_driver", lambda: None)
    alone = three_loads(backend_url(request, "postgresql", tmp_path), rules, tmp_path)
    assert [c for _, c, _, _ in alone] == [None, None, None]
    for (counts, _, tables, journal), (counts_sql, _, tables_sql, journal_sql) in zip(
        first, alone, strict=True
    ):
        assert counts == counts_sql
        assert tables == tables_sql
        assert journal == journal_sql


@pytest.mark.postgres
def test_a_scenario_of_two_regions_ends_as_it_does_when_compared_in_sql_alone(
    request: pytest.FixtureRequest,
    rules: Rules,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shared owners, parcels gone and new, niche codes, rows aged out of the window."""
    scenario = Scenario()
    scenario.write(tmp_path)

    def run_all() -> list[Any]:
        backend = connect(backend_url(request, "postgresql", tmp_path))
        backend.init(scenario.regions, load_options(rules))
        out: list[Any] = []
        for i, step in enumerate(scenario.loads()):
            niches = step.niche_specs(tmp_path)
            result = run_job(
                Inputs.gather(tmp_path / step.upload, niches),
                step.region,
                backend=backend,
                now=step.now,
                force=True,  # a same-day rerun of the scenario is compared in full too
            )
            assert result.load is not None
            counts = result.load.as_dict()
            counts.pop("upload_log_id")
            if i == 1:
                scenario.age(backend.engine)  # type: ignore[attr-defined]
            out.append((counts, canonical(backend), result.compared))
        backend.dispose()
        return out

    compared = run_all()
    assert all(c is not None for _, _, c in compared)
    assert compared[-1][0]["locations_frozen"] == len(scenario.aged)
    monkeypatch.setattr(postgres_backend, "adbc_driver", lambda: None)
    alone = run_all()
    for (counts, tables, _), (counts_sql, tables_sql, _) in zip(compared, alone, strict=True):
        assert counts == counts_sql
        assert tables == tables_sql


# -- the stored rows read ahead ----------------------------------------------------------------


def test_batches_read_ahead_come_in_order_and_the_readers_error_reaches_the_caller() -> None:
    assert list(postgres_backend.prefetched(iter(range(50)))) == list(range(50))

    def failing() -> Any:
        yield 1
        raise ValueError("connection lost")

    got = []
    with pytest.raises(ValueError, match="connection lost"):
        for part in postgres_backend.prefetched(failing()):
            got.append(part)
    assert got == [1]


def test_a_caller_that_stops_early_stops_the_reader() -> None:
    read = []

    def endless() -> Any:
        for i in range(10**9):
            read.append(i)
            yield i

    parts = postgres_backend.prefetched(endless(), depth=2)
    assert next(parts) == 0
    parts.close()  # the load failed: the reader thread is stopped and joined
    assert not any(t.name == "propmail-read-ahead" for t in threading.enumerate())
    assert len(read) <= 5  # it read at most its queue's depth ahead


@pytest.mark.postgres
def test_a_load_whose_arrow_connection_fails_compares_in_sql_and_says_so(
    request: pytest.FixtureRequest,
    rules: Rules,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Refusing:
        @staticmethod
        def connect(uri: str) -> None:
            raise OSError("connection refused")

    monkeypatch.setattr(postgres_backend, "adbc_driver", lambda: Refusing)
    backend = connect(backend_url(request, "postgresql", tmp_path))
    backend.init({40: None}, load_options(rules))
    first, _ = months(tmp_path)
    with caplog.at_level("WARNING", logger="propmail"):
        counts, compared = load(backend, first, MONTH1)
    backend.dispose()
    assert compared is None and counts["locations_inserted"] == 200
    assert "cannot be read as Arrow (connection refused" in caplog.text


def test_an_owner_handed_over_by_key_keeps_its_stored_values_and_gets_its_dates(
    backend: Backend,
) -> None:
    """The one owner upsert takes the owners found only refreshed before staging by key, not
    staged: each keeps every value it has (another region's load may have written it since
    the comparison) and gets the two dates, unless written today; none is inserted."""
    assert isinstance(backend, SqlBackend)
    backend.init({40: None}, load_options(load_rules()))
    d, stamp = backend.dialect, backend.timestamp
    rows = {"A": LAST_MONTH, "B": TODAY}  # B: written today already, by another region's load
    with backend.engine.begin() as conn:
        for slug, written in rows.items():
            conn.execute(
                insert(schema.owner).values(Slug=slug, Name=f"name {slug}", InsertedDate=written)
            )
    with backend.engine.begin() as conn:
        ids = dict(conn.execute(select(schema.owner.c.Slug, schema.owner.c.OwnerId)).all())
        conn.exec_driver_sql(sql.create_stage_table(d, sql.STAGE_OWNER, STAGE_OWNER_FIELDS))
        conn.exec_driver_sql(sql.create_stage_table(d, sql.STAGE_OWNER_KIND, sql.OWNER_KIND_FIELDS))
        for slug in rows:
            conn.execute(
                text(
                    f"INSERT INTO {sql.STAGE_OWNER_KIND} "
                    '("Slug", "OwnerId", "Kind", "ModifiedDate", "UpdatedDate") '
                    "VALUES (:slug, :id, :kind, NULL, NULL)"
                ),
                {"slug": slug, "id": ids[slug], "kind": sql.REFRESHED},
            )
        # written since the comparison: the upsert keeps it
        conn.execute(update(schema.owner).where(schema.owner.c.Slug == "A").values(Name="new A"))
        params = {"now": stamp(NOW), "day_start": stamp(MOMENTS.day_start)}
        conn.execute(text(sql.owner_upsert(d, sql.WRITTEN)), params)
        stored = {
            r.Slug: r
            for r in conn.execute(select(schema.owner).order_by(schema.owner.c.Slug)).all()
        }
    assert list(stored) == ["A", "B"]
    assert stored["A"].Name == "new A"
    assert (
        str(stored["A"].UpdatedDate)[:16]
        == str(stored["A"].ModifiedDate)[:16]
        == "2026-12-01 10:00"
    )
    assert stored["B"].Name == "name B" and stored["B"].UpdatedDate is None
