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
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, limited in reversed(list(columns.items())):  # the first column named wins
        value = pl.col(name)
        reason = (
            pl.when(value.str.contains("\x00", literal=True))
            .then(pl.lit(f"{name} holds a NUL character"))
            .otherwise(reason)
        )
        if limited:
            reason = (
                pl.when(utf16_length(value) > TEXT_WIDTH)
                .then(pl.lit(f"{name} is longer than {TEXT_WIDTH} characters"))
                .otherwise(reason)
            )
    return reason.alias("reason")
