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


def _town_differs() -> pl.Expr:
    """The ZIPs differ; where the file gives no site ZIP, the cities do (docs/conventions.md,
    "Absentee level without a site ZIP"): an owner mailing from the site's city is ABS3."""
    no_site_zip = pl.col("LocationZip").str.strip_chars().replace("", None).is_null()
    city = [
        pl.col(c).str.to_uppercase().str.replace_all(r"[^A-Z]+", " ").str.strip_chars()
        for c in ("OwnerCity", "LocationCity")
    ]
    cities_differ = (city[0] != city[1]).fill_null(False)
    return pl.when(no_site_zip).then(cities_differ).otherwise(_differs("OwnerZip", "LocationZip"))


# The named conditions a priority rule may use (no user text is evaluated); the rules file's
# `when` must be one of these names.
CONDITIONS: dict[str, pl.Expr] = {
    "owner_occupied": pl.col("IsOwnerOccupied"),
    "state_differs": _ABSENTEE & _differs("OwnerState", "LocationState"),
    "zip_differs": _ABSENTEE & _town_differs(),
    "same_zip": _ABSENTEE & ~_town_differs(),
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
    # each condition is worked out once, as a column both chains read
    held = {rule.when: f"__{rule.when}" for rule in priority}
    code: pl.Expr = pl.lit(None, dtype=pl.String)
    absentee: pl.Expr = pl.lit(None, dtype=pl.Int8)
    for rule in reversed(priority):  # build the chain so the first rule wins
        condition = pl.col(held[rule.when])
        code = pl.when(condition).then(pl.lit(rule.code)).otherwise(code)
        absentee = pl.when(condition).then(pl.lit(rule.is_absentee, pl.Int8)).otherwise(absentee)
    # the cities are read only where a site ZIP is missing; a frame may have none
    missing = [c for c in ("OwnerCity", "LocationCity") if c not in frame.columns]
    return (
        frame.with_columns(pl.lit(None, pl.String).alias(c) for c in missing)
        .with_columns(CONDITIONS[when].alias(name) for when, name in held.items())
        .with_columns(code.alias("BasePriorityCode"), absentee.alias("IsAbsentee"))
        .drop(*missing, *held.values())
    )
