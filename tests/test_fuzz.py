"""Property tests over generated uploads (tests/fuzz/uploads.py builds them).

Laws, for every generated upload (csv, xlsx, xlsx in the 1904 date system):
- nothing crashes: the job loads it, or refuses it with an InputError naming the file;
- every accepted value lands exactly: text identical (outer white space stripped), ZIPs,
  dates and numbers equal to what the cell meant; unparseable values null and counted;
- every refused row is in the rejects with its reason, and every row is loaded or refused;
- loading the same upload twice leaves the database as loading it once.

The number of uploads comes from the Hypothesis profile (tests/conftest.py): `ci` by default,
`full` for the 10,000 uploads of docs/hostile-input.md.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from sqlalchemy import delete, select

from propmail.contract import SOURCE_ROW, UPLOAD_COLUMNS
from propmail.db import Backend, schema
from propmail.errors import InputError
from propmail.inputs import Inputs
from propmail.job import run_job
from propmail.read import read_upload
from propmail.settings import Rules
from tests.db.helpers import MONTH1, checksum
from tests.fuzz import oracle
from tests.fuzz.uploads import Upload, uploads, write

# Each test's share of the profile's examples; the shares add up to 1.
SHARES = {"read": 0.5, "sqlite": 0.4, "postgresql": 0.1}


def examples(share: str) -> settings:
    total = settings.default.max_examples
    return settings(
        max_examples=max(1, round(total * SHARES[share])),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- the reader ------------------------------------------------------------------------------


@examples("read")
@given(uploads())
def test_generated_uploads_read_exactly(upload: Upload) -> None:
    expected = oracle.expect(upload)
    with tempfile.TemporaryDirectory() as tmp:
        path = write(upload, Path(tmp) / "upload")
        if not expected.values:
            with pytest.raises(InputError, match="no data rows") as info:
                read_upload(path)
            assert info.value.file == path.name
            return
        result = read_upload(path)

    rows = {row[SOURCE_ROW]: row for row in result.frame.iter_rows(named=True)}
    assert sorted(rows) == sorted(expected.values)
    for number, values in expected.values.items():
        for column, value in values.items():
            assert _same(rows[number][column], value), (number, column, rows[number][column])
    assert result.unparseable == expected.unparseable
    assert result.missing_columns == [c for c in UPLOAD_COLUMNS if c not in upload.headers]


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return actual == expected or (actual != actual and expected != expected)
    return bool(actual == expected and type(actual) is type(expected))


# --- the whole job -----------------------------------------------------------------------------


def _reset(backend: Backend, rules: Rules) -> None:
    """An empty database with region 40, between two generated uploads."""
    if not backend.has_schema():
        backend.create_schema()
    with backend.engine.begin() as conn:
        for table in reversed(schema.TABLES):
            conn.execute(delete(table))
    backend.init({40: "Roanoke"}, rules)


def check_job(backend: Backend, rules: Rules, upload: Upload) -> None:
    _reset(backend, rules)
    expected = oracle.expect(upload)
    event(f"{upload.format}: {'loads' if expected.loaded else 'refused'}")
    event(f"rejected rows: {sorted(set(expected.rejected.values())) or 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        path = write(upload, Path(tmp) / "upload")
        if not expected.loaded:
            message = "no data rows" if not expected.values else "no row can be loaded"
            with pytest.raises(InputError, match=message) as info:
                run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1)
            assert path.name in str(info.value)
            return
        first = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1)
        once = checksum(backend, ("Owner", "Location", "ListPriority", "RegionListFrequency"))
        second = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1)
        twice = checksum(backend, ("Owner", "Location", "ListPriority", "RegionListFrequency"))

    # every row is loaded or refused, and each refusal has the expected reason
    rejects = {r[SOURCE_ROW]: r["reason"] for r in first.processed.rejects.iter_rows(named=True)}
    assert {n: oracle.category(r) for n, r in rejects.items()} == expected.rejected
    for number, columns in expected.unstorable.items():
        assert rejects[number].split(" ")[0] in columns, rejects[number]

    # every accepted value lands exactly
    locations, owners = _stored(backend)
    assert sorted(locations) == sorted(expected.loaded)
    by_owner: dict[int, list[int]] = defaultdict(list)
    for parcel, number in expected.loaded.items():
        stored = locations[parcel]
        for name, column in oracle.LOCATION.items():
            want = expected.values[number][column]
            assert _same_stored(stored[name], want), (number, name, stored[name], want)
        by_owner[stored["OwnerId"]].append(number)
    assert sorted(by_owner) == sorted(owners)
    for owner_id, numbers in by_owner.items():
        want_owner = oracle.owner_values(expected, numbers)
        for name, value in want_owner.items():
            assert _same_stored(owners[owner_id][name], value), (numbers, name)

    # loading twice equals loading once
    assert twice == once
    assert second.load is not None
    assert (second.load.locations_inserted, second.load.locations_updated) == (0, 0)
    assert (second.load.owners_inserted, second.load.owners_updated) == (0, 0)


def _stored(backend: Backend) -> tuple[dict[str, dict[str, Any]], dict[int, dict[str, Any]]]:
    with backend.engine.connect() as conn:
        locations = {r.PrimaryId: dict(r._mapping) for r in conn.execute(select(schema.location))}
        owners = {r.OwnerId: dict(r._mapping) for r in conn.execute(select(schema.owner))}
    return locations, owners


def _same_stored(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return isinstance(actual, float) and actual == expected
    return bool(actual == expected)


@examples("sqlite")
@given(upload=uploads())
def test_generated_uploads_load_exactly_once_on_sqlite(
    upload: Upload, rules: Rules, tmp_path: Path
) -> None:
    from propmail.db import connect

    backend = connect(f"sqlite:///{tmp_path / 'fuzz.db'}")
    try:
        check_job(backend, rules, upload)
    finally:
        backend.dispose()


@pytest.mark.postgres
@examples("postgresql")
@given(upload=uploads())
def test_generated_uploads_load_exactly_once_on_postgresql(
    upload: Upload, rules: Rules, pg_url: str
) -> None:
    from propmail.db import connect

    backend = connect(pg_url)
    try:
        check_job(backend, rules, upload)
    finally:
        backend.dispose()
