"""Base priority code (SPEC 3.5): the first rule of the rules file whose condition holds.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({"IsOwnerOccupied": [True, False, False, False],
...     "LocationState": ["VA", "VA", "VA", "VA"], "OwnerState": ["VA", "NC", "va", "VA"],
...     "LocationZip": ["24016", "24016", "24016", "24016"],
...     "OwnerZip": ["24016", "27601", "24018", "24016"]})
>>> derive(frame, load_rules().priority)["BasePriorityCode"].to_list()
['OO', 'ABS1', 'ABS2', 'ABS3']
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


def _clean(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.to_uppercase()


def _differs(left: str, right: str) -> pl.Expr:
    # Null on either side cannot prove a difference (SQL's <> on NULL is not true).
    return (_clean(left) != _clean(right)).fill_null(False)


_ABSENTEE = ~pl.col("IsOwnerOccupied")

# The named conditions a priority rule may use (no user text is evaluated); the rules file's
# `when` must be one of these names.
CONDITIONS: dict[str, pl.Expr] = {
    "owner_occupied": pl.col("IsOwnerOccupied"),
    "state_differs": _ABSENTEE & _differs("OwnerState", "LocationState"),
    "zip_differs": _ABSENTEE & _differs("OwnerZip", "LocationZip"),
    "same_zip": _ABSENTEE & ~_differs("OwnerZip", "LocationZip"),
    "always": pl.lit(True),
}


@dataclass(frozen=True)
class PriorityRule:
    """One ``[[priority]]`` rule of rules.toml: `code` where the condition `when` (a name of
    `CONDITIONS`) holds."""

    code: str
    when: str
    is_absentee: int


def derive(frame: pl.DataFrame, priority: tuple[PriorityRule, ...]) -> pl.DataFrame:
    """Add BasePriorityCode and IsAbsentee; null where no rule matches (rejected later)."""
    code: pl.Expr = pl.lit(None, dtype=pl.String)
    absentee: pl.Expr = pl.lit(None, dtype=pl.Int8)
    for rule in reversed(priority):  # build the chain so the first rule wins
        condition = CONDITIONS[rule.when]
        code = pl.when(condition).then(pl.lit(rule.code)).otherwise(code)
        absentee = pl.when(condition).then(pl.lit(rule.is_absentee, pl.Int8)).otherwise(absentee)
    return frame.with_columns(code.alias("BasePriorityCode"), absentee.alias("IsAbsentee"))
