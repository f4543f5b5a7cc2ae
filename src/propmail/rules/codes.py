"""Enhanced list code (SPEC 3.6): prefix rules applied in order, each prepended to the code.

The last prefix applied ends up leftmost, so LTV 40 % plus a lien gives ``Liens-HE-ABS1``.
Text comparisons are trimmed and case-insensitive, as under SQL Server's default collation.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({"BasePriorityCode": ["ABS1"], "EstLoanToValue": [40.0],
...     "LienType": ["Tax"]}).with_columns(
...     [pl.lit(None, pl.String).alias(c) for c in ("BKDate", "DivorceDate",
...      "PreFcRecordingDate", "EstEquity", "Vacant", "ResponseNCOA")])
>>> rules = load_rules()
>>> derive(frame, rules.prefixes, rules.ncoa)["EnhancedCode"].to_list()
['Liens-HE-ABS1']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Condition:
    """One condition of a prefix rule: `op` (a name of `OPERATORS`) on an upload column."""

    column: str
    op: str
    value: str | float | None = None
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    high_inclusive: bool = True


@dataclass(frozen=True)
class PrefixRule:
    """One ``[[prefix]]`` rule of rules.toml: `prefix` where all its conditions hold."""

    prefix: str
    conditions: tuple[Condition, ...]  # all must hold


@dataclass(frozen=True)
class Ncoa:
    """The NCOA response codes the ``ncoa_*`` operators read (``[ncoa]`` in rules.toml)."""

    moves: tuple[str, ...]  # a move with a new address
    not_drops: tuple[str, ...]  # neither a move nor a drop (``00``: no match)


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()


def _not_null(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    return pl.col(condition.column).is_not_null()


def _eq(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    if isinstance(condition.value, str):
        return _text(condition.column) == condition.value.strip().upper()
    number = pl.col(condition.column).cast(pl.Float64, strict=False)
    return number == float(condition.value or 0)


def _in(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    return _text(condition.column).is_in([v.strip().upper() for v in condition.values])


def _between(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    number = pl.col(condition.column).cast(pl.Float64, strict=False)
    expr = pl.lit(True)
    if condition.low is not None:
        low = pl.lit(condition.low)
        expr = expr & (number >= low if condition.low_inclusive else number > low)
    if condition.high is not None:
        high = pl.lit(condition.high)
        expr = expr & (number <= high if condition.high_inclusive else number < high)
    return expr


def _ncoa_move(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    return _text(condition.column).is_in(list(ncoa.moves))


def _ncoa_drop(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    not_drops = list(ncoa.moves) + list(ncoa.not_drops)
    return pl.col(condition.column).is_not_null() & ~_text(condition.column).is_in(not_drops)


# The operators a prefix condition may use; the rules file's `op` must be one of these names.
OPERATORS: dict[str, Callable[[Condition, Ncoa], pl.Expr]] = {
    "not_null": _not_null,
    "eq": _eq,
    "in": _in,
    "between": _between,
    "ncoa_move": _ncoa_move,
    "ncoa_drop": _ncoa_drop,
}


def condition_expr(condition: Condition, ncoa: Ncoa) -> pl.Expr:
    """A prefix condition as a polars expression that is never null."""
    return OPERATORS[condition.op](condition, ncoa).fill_null(False)


def derive(frame: pl.DataFrame, prefixes: tuple[PrefixRule, ...], ncoa: Ncoa) -> pl.DataFrame:
    """Add EnhancedCode: BasePriorityCode with every matching prefix prepended in rule order."""
    added = []
    for rule in prefixes:
        holds = pl.lit(True)
        for condition in rule.conditions:
            holds = holds & condition_expr(condition, ncoa)
        added.append(pl.when(holds).then(pl.lit(rule.prefix)).otherwise(pl.lit("")))
    # the last prefix applied ends up leftmost; one concatenation, not a chain of nested
    # when/then whose branches would each repeat the code so far (2**9 copies of it)
    code = pl.concat_str([*reversed(added), pl.col("BasePriorityCode")])
    return frame.with_columns(code.alias("EnhancedCode"))
