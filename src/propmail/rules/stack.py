"""The stack count of a list code: how many prefixes and niche lists it carries.

A code is built as SPEC 3.6-3.7 say: prefixes (each ending in ``-``, such as ``HE-`` or
``NCOA_Drops-``) prepended to a base code that has no ``-`` (``OO``, ``ABS1``), then niche types
stacked in front with the niche separator (``"Liens - Probate - HE-ABS1"``). Its stack count is
the niche segments before the last plus the ``-`` of the last segment: a location on more lists
counts more (the mail drop ranks it first).

>>> stack_count("Liens - Probate - Vacant-HE-ABS1")
4
>>> stack_count("ABS1"), stack_count("F&C-OO"), stack_count(None)
(0, 1, 0)
>>> import polars as pl
>>> pl.select(stack_counts(pl.lit("Liens - HE-ABS1"))).item()
2
"""

from __future__ import annotations

import polars as pl

DEFAULT_SEPARATOR = " - "  # [niche] separator in rules.toml


def stack_count(code: str | None, separator: str = DEFAULT_SEPARATOR) -> int:
    """The prefixes plus the niche lists of one code (0 for none)."""
    if not code:
        return 0
    segments = code.split(separator)
    return len(segments) - 1 + segments[-1].count("-")


def stack_counts(code: pl.Expr, separator: str = DEFAULT_SEPARATOR) -> pl.Expr:
    """`stack_count` over a column of codes, vectorized (null: 0)."""
    segments = code.str.split(separator)
    niches = segments.list.len() - 1
    prefixes = segments.list.last().str.count_matches("-", literal=True)
    return (niches + prefixes).fill_null(0).cast(pl.Int64)
