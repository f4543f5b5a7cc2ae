"""The stack count: how many lists a location's final code puts it on.

A final code (Location.PriorityCode) is its niche lists, each joined by the niche separator,
then its prefixes, then its base code: ``Probate - Liens-HE-ABS1`` is on the Probate niche list
and the Liens and HE prefix lists, three in all. Investors rank by it ("2+ lists"). It is read
back from the code, never stored: the legacy Location table keeps its columns.

Codes are few (one per ListPriority row), so a column of codes is counted once per distinct
code (`stack_counts`), never once per row.

>>> stack_count("Probate - Liens-HE-ABS1", ("HE-", "Liens-"), " - ")
3
>>> stack_parts("Probate - Liens-HE-ABS1", ("HE-", "Liens-"), " - ")
(('Probate',), ('Liens-', 'HE-'), 'ABS1')
>>> stack_count("OO", ("HE-",), " - ")
0
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def stack_parts(
    code: str, prefixes: Sequence[str], separator: str
) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """The niche lists, the prefixes (leftmost first) and the base code of a final code.

    A prefix is one of `prefixes` (case-insensitive, the longest first where two could match);
    the base code is what remains and is never itself taken as a prefix. A code written by
    other settings keeps what it does not recognise in its base.

    >>> stack_parts("F&C-Vacant-ABS2", ("F&C-", "Vacant-"), " - ")
    ((), ('F&C-', 'Vacant-'), 'ABS2')
    >>> stack_parts("Liens - Liens-ABS3", ("Liens-",), " - ")
    (('Liens',), ('Liens-',), 'ABS3')
    """
    *niches, rest = code.split(separator) if separator else [code]
    ordered = sorted(prefixes, key=len, reverse=True)
    found: list[str] = []
    rest = rest.strip()
    while True:
        upper = rest.upper()
        hit = next((p for p in ordered if p and upper.startswith(p.upper())), None)
        if hit is None or len(hit) >= len(rest):
            break
        found.append(rest[: len(hit)])
        rest = rest[len(hit) :]
    return tuple(n.strip() for n in niches if n.strip()), tuple(found), rest


def stack_count(code: str | None, prefixes: Sequence[str], separator: str) -> int:
    """The number of prefixes plus niche lists `code` carries (0 for no code)."""
    if not code:
        return 0
    niches, found, _ = stack_parts(code, prefixes, separator)
    return len(niches) + len(found)


def stack_counts(codes: pl.Series, prefixes: Sequence[str], separator: str) -> pl.Series:
    """The stack count of every code of a column, counted once per distinct code.

    >>> stack_counts(pl.Series(["HE-OO", "OO", "HE-OO", None]), ("HE-",), " - ").to_list()
    [1, 0, 1, 0]
    """
    distinct = codes.drop_nulls().unique().to_list()
    counted = {code: stack_count(code, prefixes, separator) for code in distinct}
    return (
        codes.replace_strict(counted, default=0, return_dtype=pl.Int32)
        .fill_null(0)
        .rename("StackCount")
    )


def distribution(codes: pl.Series, prefixes: Sequence[str], separator: str) -> list[dict[str, int]]:
    """Locations per stack count, from 0 lists up, for every count that occurs.

    >>> distribution(pl.Series(["HE-OO", "OO", "Liens - HE-OO"]), ("HE-",), " - ")
    [{'lists': 0, 'rows': 1}, {'lists': 1, 'rows': 1}, {'lists': 2, 'rows': 1}]
    """
    counts = stack_counts(codes, prefixes, separator).value_counts(name="rows").sort("StackCount")
    return [{"lists": int(n), "rows": int(r)} for n, r in counts.iter_rows()]
