"""Enhanced list code (SPEC 3.6): prefix rules applied in order, each prepended to the code.

The last prefix applied ends up leftmost, so LTV 40 % plus a lien gives ``Liens-HE-ABS1``.
Text comparisons are trimmed and case-insensitive, as under SQL Server's default collation.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({"BasePriorityCode": ["ABS1"], "EstLoanToValue": [40.0],
...     "LienType": ["Tax"]}).with_columns(
...     [pl.lit(None, pl.String).alias(c) for c in ("BKDate", "DivorceDate",
...      "PreFcRecordingDate", "EstEquity", "Vacant", "ResponseNCOA")])
>>> derive(frame, load_rules())["EnhancedCode"].to_list()
['Liens-HE-ABS1']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from propmail.settings import Condition, Rules


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()


def _not_null(condition: Condition, rules: Rules) -> pl.Expr:
    return pl.col(condition.column).is_not_null()


def _eq(condition: Condition, rules: Rules) -> pl.Expr:
    if isinstance(condition.value, str):
        return _text(condition.column) == condition.value.strip().upper()
    number = pl.col(condition.column).cast(pl.Float64, strict=False)
    return number == float(condition.value or 0)


def _in(condition: Condition, rules: Rules) -> pl.Expr:
    return _text(condition.column).is_in([v.strip().upper() for v in condition.values])


def _between(condition: Condition, rules: Rules) -> pl.Expr:
    number = pl.col(condition.column).cast(pl.Float64, strict=False)
    expr = pl.lit(True)
    if condition.low is not None:
        low = pl.lit(condition.low)
        expr = expr & (number >= low if condition.low_inclusive else number > low)
    if condition.high is not None:
        high = pl.lit(condition.high)
        expr = expr & (number <= high if condition.high_inclusive else number < high)
    return expr


def _ncoa_move(condition: Condition, rules: Rules) -> pl.Expr:
    return _text(condition.column).is_in(list(rules.ncoa_moves))


def _ncoa_drop(condition: Condition, rules: Rules) -> pl.Expr:
    not_drops = list(rules.ncoa_moves) + list(rules.ncoa_not_drops)
    return pl.col(condition.column).is_not_null() & ~_text(condition.column).is_in(not_drops)


# The operators a prefix condition may use; the rules file's `op` must be one of these names.
OPERATORS: dict[str, Callable[[Condition, Rules], pl.Expr]] = {
    "not_null": _not_null,
    "eq": _eq,
    "in": _in,
    "between": _between,
    "ncoa_move": _ncoa_move,
    "ncoa_drop": _ncoa_drop,
}


def condition_expr(condition: Condition, rules: Rules) -> pl.Expr:
    """A prefix condition as a polars expression that is never null."""
    return OPERATORS[condition.op](condition, rules).fill_null(False)


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Add EnhancedCode: BasePriorityCode with every matching prefix prepended in rule order."""
    prefixes = []
    for rule in rules.prefixes:
        holds = pl.lit(True)
        for condition in rule.conditions:
            holds = holds & condition_expr(condition, rules)
        prefixes.append(pl.when(holds).then(pl.lit(rule.prefix)).otherwise(pl.lit("")))
    # the last prefix applied ends up leftmost; one concatenation, not a chain of nested
    # when/then whose branches would each repeat the code so far (2**9 copies of it)
    code = pl.concat_str([*reversed(prefixes), pl.col("BasePriorityCode")])
    return frame.with_columns(code.alias("EnhancedCode"))
