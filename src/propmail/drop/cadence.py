"""When a location is due: propmail's reading of RegionListFrequency (SPEC section 8).

Default reading (``cadence = "touches_per_year"``): ``Frequency`` is touches a year, so two
touches of one location are at least ``365 // Frequency`` days apart (26 -> 14); ``DividedBy``
splits a list into that many rotating groups by `stable_hash` of ``"RegionId|PrimaryId"``, and
a drop takes the group whose turn its week is (weeks counted from Monday 1970-01-05, modulo
DividedBy). Over DividedBy weekly drops every group has its turn once.

Other reading (``cadence = "days_between"``): ``Frequency`` is the days between two touches and
``DividedBy`` the pieces of the list one drop takes at most (`select` applies that cap).

>>> int(stable_hash(pl.Series(["40|000000006046"]))[0])
1393464960
>>> [week_turn(date(2026, 12, day), 4) for day in (7, 13, 14)]
[2, 2, 3]
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

TOUCHES_PER_YEAR, DAYS_BETWEEN = "touches_per_year", "days_between"
EPOCH_MONDAY = date(1970, 1, 5)
_BASE, _PRIME = 257, 2**31 - 1


def stable_hash(keys: pl.Series) -> pl.Series:
    """A hash of each text that never changes between versions of anything: the polynomial
    sum of its UTF-8 bytes (each + 1) in base 257, modulo the prime 2**31 - 1. Vectorized over
    the Arrow buffers (no loop over rows)."""
    array = pc.cast(keys.cast(pl.String).fill_null("").to_arrow(), pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + n + 1]
    buffer = array.buffers()[2]
    start, end = offsets[0], offsets[-1]
    if buffer is None or end == start:
        return pl.Series(np.zeros(n, dtype=np.int64))
    data = np.frombuffer(buffer, dtype=np.uint8)[start:end].astype(np.int64) + 1
    offsets = offsets - start
    lengths = np.diff(offsets)
    row = np.repeat(np.arange(n), lengths)
    exponent = offsets[1:][row] - 1 - np.arange(len(data))
    powers = np.ones(int(lengths.max()), dtype=np.int64)
    for i in range(1, len(powers)):  # one step per character of the longest key, not per row
        powers[i] = powers[i - 1] * _BASE % _PRIME
    weighted = data * powers[exponent] % _PRIME
    sums = np.zeros(n, dtype=np.int64)
    np.add.at(sums, row, weighted)
    return pl.Series(sums % _PRIME)


def week_turn(on: date, divided_by: int) -> int:
    """The group whose turn the week of `on` is, of `divided_by` groups."""
    return ((on - EPOCH_MONDAY).days // 7) % max(divided_by, 1)


def spacing_days(frequency: pl.Expr, reading: str) -> pl.Expr:
    """The least days between two touches of a location (null: never due)."""
    if reading == DAYS_BETWEEN:
        return pl.when(frequency > 0).then(frequency)
    return pl.when(frequency > 0).then(pl.max_horizontal(pl.lit(365) // frequency, pl.lit(1)))


def group_expr(hashes: str, divided_by: pl.Expr) -> pl.Expr:
    """The rotating group of each location (0 where DividedBy is missing or below 2)."""
    groups = pl.when(divided_by > 1).then(divided_by).otherwise(1)
    return pl.col(hashes) % groups


def turn_expr(on: date, divided_by: pl.Expr) -> pl.Expr:
    """The group whose turn `on`'s week is, per row's DividedBy."""
    week = (on - EPOCH_MONDAY).days // 7
    groups = pl.when(divided_by > 1).then(divided_by).otherwise(1)
    return pl.lit(week) % groups


def touched_recently(on: date, last_touch: pl.Expr, spacing: pl.Expr) -> pl.Expr:
    """Whether the last touch is fewer than `spacing` days before `on`."""
    days = (pl.lit(on) - last_touch).dt.total_days()
    return last_touch.is_not_null() & (days < spacing)


def not_its_turn(on: date, reading: str, divided_by: pl.Expr) -> pl.Expr:
    """Whether a location's group is not the one whose turn the week is (default reading)."""
    if reading == DAYS_BETWEEN:
        return pl.lit(False)
    return group_expr("__hash", divided_by) != turn_expr(on, divided_by)
