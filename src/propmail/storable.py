"""What the database can store: text that fits its column and holds no NUL character.

A value that does not fit would fail the whole load on PostgreSQL (VARCHAR(255)) or SQL
Server (NVARCHAR(255)), and a NUL character fails PostgreSQL's text; SQLite would take both.
The row is rejected to the report instead, on every backend alike. Width is counted in UTF-16
code units, as SQL Server does (an emoji counts twice), so a file that loads on one backend
loads on all.

>>> import polars as pl
>>> frame = pl.DataFrame({"OwnerName": ["A", "B" * 256, "C\\x00"], "Vacant": ["Y", "Y", "Y"]})
>>> frame.select(problem({"OwnerName": True, "Vacant": True})).to_series().to_list()
[None, 'OwnerName is longer than 255 characters', 'OwnerName holds a NUL character']
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

TEXT_WIDTH = 255


def utf16_length(column: pl.Expr) -> pl.Expr:
    """Length in UTF-16 code units: characters beyond the BMP take two."""
    return column.str.len_chars() + column.str.count_matches(r"[\x{10000}-\x{10FFFF}]")


def problem(columns: Mapping[str, bool]) -> pl.Expr:
    """Why a row cannot be stored (the first column at fault), else null.

    `columns` maps each text column of the processed frame that is written to the database
    to whether its database column is limited to TEXT_WIDTH.
    """
    faults = []
    for name, limited in columns.items():  # the first column named wins, its width first
        value = pl.col(name)
        if limited:
            too_long = utf16_length(value) > TEXT_WIDTH
            faults.append(
                pl.when(too_long).then(pl.lit(f"{name} is longer than {TEXT_WIDTH} characters"))
            )
        nul = value.str.contains("\x00", literal=True)
        faults.append(pl.when(nul).then(pl.lit(f"{name} holds a NUL character")))
    if not faults:
        return pl.lit(None, dtype=pl.String).alias("reason")
    return pl.coalesce(faults).alias("reason")


def limits_to_check(frame: pl.DataFrame, columns: Mapping[str, bool]) -> dict[str, bool]:
    """`columns` with the width limit kept only where some value of the column is longer
    than TEXT_WIDTH bytes: a text takes at most as many UTF-16 code units as UTF-8 bytes, so
    no other value can be too long, and counting its code units is the costly part.

    >>> frame = pl.DataFrame({"A": ["x" * 300], "B": ["é" * 200]})
    >>> limits_to_check(frame, {"A": True, "B": True, "C": False})
    {'A': True, 'B': True, 'C': False}
    >>> limits_to_check(frame.with_columns(pl.lit("x").alias("A")), {"A": True, "B": True})
    {'A': False, 'B': True}
    """
    limited = [name for name, limit in columns.items() if limit and name in frame.columns]
    longest = (
        frame.select(pl.col(limited).str.len_bytes().max()).row(0, named=True) if limited else {}
    )
    return {
        name: limit and (longest.get(name) or 0) > TEXT_WIDTH for name, limit in columns.items()
    }
