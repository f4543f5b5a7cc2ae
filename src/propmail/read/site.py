"""The site block of a file that does not give it whole, derived the same way on every row.

A county roll often gives the site street but not its city, state or ZIP (a mapping's
`from_mailing`). Each is filled by one rule for the whole file, never by a layout on some rows:

- where the site street and the mailing street are one place, by the normaliser occupancy uses
  (`propmail.rules.occupancy.same_street`: ranges, half lots, units, Pub 28 suffixes, so
  ``413 NEW YORK AVE.`` is ``413 NEW YORK AVENUE``) and the mailing state is the file's, the
  mailing city and ZIP are the site's;
- the site state and city the file implies: a roll covers one county, so where the rows whose
  streets match (`EVIDENCE` of them at least) mail from one state (and one city) on at least
  `ONE_PLACE` of them, that state (city) is every row's (a city ending in it counts as it:
  WEST LEBANON is in LEBANON); where the file gives a site ZIP, the ZIP table's state for it
  comes first. A city is never taken from the ZIP table: a ZIP serves several towns;
- a site ZIP is never guessed: where the streets do not match it stays empty;
- a site state the file gives is checked against its site ZIP (`checked_state`): where the ZIP
  table puts the ZIP in another state and the column there holds the mailing state, the ZIP's
  state is the site's (a mailing state column read as the site's, Philadelphia's
  `state_code`, is caught so; stray values, and values that name no state, are left as the
  file gives them).

Each fill is named in the read notes (the summary and the report show them).

>>> text = pl.DataFrame({"LocationAddress1": ["413 NEW YORK AVE.", "9 OAK ST", "5 ELM ST"],
...     "OwnerAddress1": ["413 NEW YORK AVENUE", "1 PINE RD", "5 ELM STREET"],
...     "OwnerCity": ["JERSEY CITY", "NEWARK", "JERSEY CITY"], "OwnerState": ["NJ", "NJ", "NJ"],
...     "OwnerZip": ["07307", "07102", "07306"]})
>>> roll = pl.concat([text] * 5)  # 10 owners living at their site: enough to say
>>> filled, notes = fill_site(roll, ("LocationZip", "LocationCity", "LocationState"))
>>> filled.head(3).select("LocationCity", "LocationState", "LocationZip").rows()
[('JERSEY CITY', 'NJ', '07307'), ('JERSEY CITY', 'NJ', None), ('JERSEY CITY', 'NJ', '07306')]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from propmail.rules.address import normalize_zip5
from propmail.rules.occupancy import Occupancy, same_street
from propmail.rules.zip_codes import states, zip_table

ONE_PLACE = 0.9  # the share of street-matching rows that must mail from one state (city)
EVIDENCE = 10  # and how many street-matching rows it takes to say so
_FROM = {"LocationZip": "OwnerZip", "LocationCity": "OwnerCity", "LocationState": "OwnerState"}
_NUMBER = r"^\s*([0-9]+)"
_RANGE = r"^\s*[0-9]+[A-Z]?\s*-{1,2}\s*[0-9]+"  # 16-18, 45--47: a range holds the other number


def _upper(text: pl.DataFrame, column: str) -> pl.Expr:
    value = pl.col(column) if column in text.columns else pl.lit(None, pl.String)
    return value.cast(pl.String).str.strip_chars().str.to_uppercase()


def _streets_match(text: pl.DataFrame) -> pl.Series:
    """Per row: the site and mailing streets are one place (parsed only where the leading house
    numbers agree or one side is a range, so most absentee rows are never parsed)."""
    site, mailing = pl.col("LocationAddress1"), pl.col("OwnerAddress1")
    near = text.select(
        (
            (site.str.extract(_NUMBER, 1) == mailing.str.extract(_NUMBER, 1))
            | site.str.contains(_RANGE)
            | mailing.str.contains(_RANGE)
        ).fill_null(False)
    ).to_series()
    rows = near.arg_true()
    out = pl.repeat(False, text.height, dtype=pl.Boolean, eager=True)
    if rows.len():
        columns = [c for c in ("LocationAddress1", "OwnerAddress1", "OwnerAddress2") if c in text]
        out = out.scatter(rows, same_street(text[rows].select(columns), Occupancy()))
    return out


def _one_value(values: pl.Series) -> tuple[str | None, float]:
    """The most common non-empty value and its share of the non-empty ones, a value that ends
    with it counting as it (WEST LEBANON is a village of the city of LEBANON)."""
    values = values.drop_nulls()
    if values.is_empty():
        return None, 0.0
    best = values.value_counts(sort=True).row(0)[0]
    within = (values == best) | values.str.ends_with(" " + best)
    return best, within.sum() / values.len()


def _given(text: pl.DataFrame, column: str) -> pl.Expr:
    """The file's own value of a site column (blank is none), or none at all."""
    if column not in text.columns:
        return pl.lit(None, pl.String)
    value = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(value.str.len_bytes() > 0).then(pl.col(column))


def _empty_somewhere(text: pl.DataFrame, wanted: Sequence[str]) -> list[str]:
    """The columns of `wanted` the file does not give on every row."""
    out = []
    for column in wanted:
        if _FROM[column] not in text.columns:
            continue
        if column not in text.columns or text.select(_given(text, column).is_null().any()).item():
            out.append(column)
    return out


def checked_state(text: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The file's site state, where its own site ZIP lies in another state, replaced by the
    ZIP's state, when the column is a mailing state: on `EVIDENCE` rows at least, and on
    `ONE_PLACE` of them it is the mailing state. With the note that says on how many rows."""
    if not {"LocationState", "LocationZip"} <= set(text.columns):
        return text, []
    table = zip_table()
    zip_state = normalize_zip5(pl.col("LocationZip")).replace_strict(
        table["zip"], table["state"], default=None
    )
    given = _upper(text, "LocationState").str.replace_all(r"[^A-Z]", "")
    mailing = _upper(text, "OwnerState").str.replace_all(r"[^A-Z]", "")
    # a value that names no state is a stray value, never "the mailing state"
    other = ((given != zip_state) & given.is_in(sorted(states()))).fill_null(False)
    wrong, as_mailing = text.select(
        other.sum().alias("wrong"), (other & (given == mailing)).sum().alias("as_mailing")
    ).row(0)
    # only a column that is the mailing state where it disagrees: a few stray values stay
    if wrong < EVIDENCE or as_mailing < ONE_PLACE * wrong:
        return text, []
    note = (
        f"site state: the site ZIP's state on {wrong:,} rows where the file's site state "
        "column names another (it may hold the mailing state)"
    )
    fixed = pl.when(other).then(zip_state).otherwise(pl.col("LocationState"))
    return text.with_columns(fixed.alias("LocationState")), [note]


def fill_site(text: pl.DataFrame, wanted: Sequence[str]) -> tuple[pl.DataFrame, list[str]]:
    """`text` with the site columns of `wanted` filled where the file leaves them empty (module
    doc); the notes that say how."""
    wanted = _empty_somewhere(text, wanted)
    if not wanted or not {"LocationAddress1", "OwnerAddress1"} <= set(text.columns):
        return text, []
    match = _streets_match(text)
    state = _upper(text, "OwnerState").str.replace_all(r"[^A-Z]", "")
    city = _upper(text, "OwnerCity")
    matched = text.select(state.alias("state"), city.alias("city")).filter(match)
    home_state, state_share = _one_value(matched["state"])
    home_city, city_share = _one_value(matched["city"])
    enough = matched.height >= EVIDENCE
    one_state = home_state if state_share >= ONE_PLACE and enough else None
    one_city = home_city if city_share >= ONE_PLACE and one_state else None
    same = pl.lit(match) & (state == one_state if one_state else pl.lit(True))
    table = zip_table()
    site_zip = normalize_zip5(_given(text, "LocationZip"))
    zip_gives = "LocationZip" in text.columns
    by_zip = {"state": site_zip.replace_strict(table["zip"], table["state"], default=None)}
    rules = {
        "LocationZip": pl.when(same).then(pl.col("OwnerZip")),
        "LocationState": pl.coalesce(by_zip["state"], pl.lit(one_state, pl.String)),
        "LocationCity": pl.coalesce(
            pl.when(same).then(pl.col("OwnerCity")), pl.lit(one_city, pl.String)
        ),
    }
    notes = {
        "LocationZip": f"site ZIP, where the file gives none: the mailing ZIP where the mailing "
        f"street is the site street ({int(match.sum()):,} rows), else empty",
        "LocationState": "site state, where the file gives none: "
        + ("the site ZIP's state, else " if zip_gives else "")
        + (
            f"{one_state} on every row, the state {state_share:.0%} of the owners living at "
            "the site mail from (a roll covers one county)"
            if one_state
            else "empty (the owners living at the site mail from no one state)"
        ),
        "LocationCity": "site city, where the file gives none: the mailing city where the "
        "mailing street is the site street"
        + (f", else {one_city} ({city_share:.0%} of the owners at the site)" if one_city else ""),
    }
    steps = [pl.coalesce(_given(text, c), rules[c]).alias(c) for c in wanted]
    return text.with_columns(steps), [notes[c] for c in wanted]


__all__ = ["EVIDENCE", "ONE_PLACE", "checked_state", "fill_site"]
