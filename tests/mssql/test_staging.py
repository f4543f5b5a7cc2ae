"""Large uploads: bounded JSON payloads (NVARCHAR(MAX) is UTF-16 and caps at 2 GB) and Arrow
batches for bulk copy."""

from __future__ import annotations

import json

import polars as pl
import pytest

from propmail.db.mssql import staging
from propmail.db.schema import OWNER_FIELDS, STAGE_LOCATION_FIELDS
from propmail.errors import InputError
from tests.mssql import data

MB = 1024 * 1024


def test_a_million_rows_split_into_payloads_under_the_cap() -> None:
    locations = data.locations(1_000_000)
    payloads = staging.json_payloads(
        locations, max_bytes=staging.MAX_PAYLOAD_BYTES, max_rows=2_000_000
    )
    total = next_row = count = 0
    sizes = []
    for payload in payloads:  # one at a time, as the backend sends them
        assert payload.first_row == next_row
        size = payload.utf16_bytes
        assert size <= staging.MAX_PAYLOAD_BYTES
        sizes.append(size)
        total += payload.rows
        next_row += payload.rows
        count += 1
        head, tail = payload.text[:2000], payload.text[-2000:]
        assert head.startswith('[{"PrimaryId":') and tail.endswith("}]")
    assert total == 1_000_000
    # the whole upload is well over one cap, so it really was split, and not into slivers
    assert sum(sizes) > 5 * staging.MAX_PAYLOAD_BYTES
    assert count >= sum(sizes) / staging.MAX_PAYLOAD_BYTES
    assert min(sizes[:-1]) > 0.9 * staging.MAX_PAYLOAD_BYTES


def test_payloads_carry_every_row_once_in_order_even_with_wide_characters() -> None:
    owners = data.owners_of(data.locations(3_000)).with_columns(
        pl.when(pl.int_range(pl.len()) % 3 == 0)
        .then(pl.lit('José 😀 Ñandú "quoted" \\ back'))
        .otherwise(pl.col("Name"))
        .alias("Name")
    )
    cap = 64 * 1024
    payloads = list(staging.json_payloads(owners, max_bytes=cap, names=staging.OWNER_JSON_NAMES))
    assert len(payloads) > 5
    assert all(p.utf16_bytes <= cap for p in payloads)
    records = [r for p in payloads for r in json.loads(p.text)]
    back = pl.DataFrame(records, schema=owners.rename(staging.OWNER_JSON_NAMES).schema)
    assert back.rename({v: k for k, v in staging.OWNER_JSON_NAMES.items()}).equals(owners)
    starts = [p.first_row for p in payloads]
    assert starts == [0, *[sum(p.rows for p in payloads[:i]) for i in range(1, len(payloads))]]


def test_payloads_are_bounded_in_rows_too() -> None:
    payloads = list(staging.json_payloads(data.locations(2_500), max_rows=1_000))
    assert [p.rows for p in payloads] == [1_000, 1_000, 500]


def test_a_record_larger_than_the_cap_is_refused_before_sending() -> None:
    wide = data.owners_of(data.locations(3)).with_columns(
        pl.lit("x" * 5000).alias("AccuzipResponse")
    )
    with pytest.raises(InputError, match="payload cap"):
        list(staging.json_payloads(wide, max_bytes=8_000))


def test_nan_becomes_null_not_invalid_json() -> None:
    frame = data.locations(2).with_columns(pl.lit(float("nan")).alias("Acres"))
    (payload,) = staging.json_payloads(frame)
    assert [r["Acres"] for r in json.loads(payload.text)] == [None, None]


def test_text_longer_than_its_column_names_the_row_and_column() -> None:
    locations = data.locations(10)
    long_city = locations.with_columns(
        pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit("C" * 300))
        .otherwise(pl.col("City"))
        .alias("City")
    )
    with pytest.raises(InputError) as caught:
        staging.check_text(long_city, STAGE_LOCATION_FIELDS, "locations")
    assert (caught.value.file, caught.value.row, caught.value.column) == ("locations", 7, "City")
    staging.check_text(locations, STAGE_LOCATION_FIELDS, "locations")  # fits
    # long text columns are NVARCHAR(MAX): no limit
    staging.check_text(
        data.owners_of(locations).with_columns(pl.lit("r" * 10_000).alias("AccuzipResponse")),
        OWNER_FIELDS,
        "owners",
    )


def test_bulk_copy_batches_are_keyed_numbered_and_bounded() -> None:
    owners = data.owners_of(data.locations(2_500))
    columns, batches = staging.arrow_batches(owners, upload_key=41, max_rows=1_000)
    assert columns == ["UploadLogId", "StageRow", *staging.OWNER_COLUMNS]
    assert all(b.num_rows <= 1_000 for b in batches)
    frame = pl.concat([pl.from_arrow(b) for b in batches])  # type: ignore[misc]
    assert frame["UploadLogId"].unique().to_list() == [41]
    assert frame["StageRow"].to_list() == list(range(owners.height))
    assert frame.drop("UploadLogId", "StageRow").equals(owners)
