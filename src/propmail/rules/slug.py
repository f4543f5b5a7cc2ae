"""OwnerSlug (SPEC 3.9): the legacy owner key, in one of two styles.

``underscore`` (default, the guide's example): trim, drop ``.`` and ``,``, upper-case, runs of
white space to ``_``, then ``_`` and the cleaned ZIP.
``propercase``: the legacy T-SQL ``dbo.ProperCase(UPPER(street) + '_' + UPPER(zip))`` with
the widely copied ProperCase: a letter is upper-cased when the character before it is not a
letter, lower-cased otherwise.

>>> import polars as pl
>>> frame = pl.DataFrame({"OwnerAddress1": [" 123 Main St. ", "1ST AVE"],
...                       "OwnerZip": ["24016", "02134"]})
>>> owner_slug(frame, "underscore").to_list()
['123_MAIN_ST_24016', '1ST_AVE_02134']
>>> owner_slug(frame, "propercase").to_list()
['123 Main St_24016', '1St Ave_02134']
"""

from __future__ import annotations

import polars as pl

from propmail.settings import Rules


def _clean(column: str) -> pl.Expr:
    # REPLACE(REPLACE(RTRIM(LTRIM(x)), '.', ''), ',', ''), then UPPER
    return (
        pl.col(column)
        .str.strip_chars()
        .str.replace_all(r"[.,]", "")
        .str.strip_chars()
        .str.to_uppercase()
    )


def slug_parts(street: str = "OwnerAddress1", zip_: str = "OwnerZip") -> tuple[pl.Expr, pl.Expr]:
    """The cleaned street and ZIP a slug is made of; empty text means the slug is unusable."""
    return _clean(street).fill_null(""), _clean(zip_).fill_null("")


def slug_expr(style: str, street: str = "OwnerAddress1", zip_: str = "OwnerZip") -> pl.Expr:
    """The slug as an expression; null when the street or the ZIP is empty."""
    street_part, zip_part = slug_parts(street, zip_)
    if style == "underscore":
        slug = street_part.str.replace_all(r"\s+", "_") + "_" + zip_part
    elif style == "propercase":
        # polars' titlecase upper-cases a letter after any non-letter, as dbo.ProperCase does
        slug = (street_part + "_" + zip_part).str.to_titlecase()
    else:
        raise ValueError(f"unknown slug style {style!r}")
    return pl.when((street_part != "") & (zip_part != "")).then(slug)


def owner_slug(frame: pl.DataFrame, style: str) -> pl.Series:
    return frame.select(slug_expr(style).alias("OwnerSlug")).to_series()


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Add OwnerSlug in the configured style (null where the street or ZIP is empty)."""
    return frame.with_columns(slug_expr(rules.slug_style).alias("OwnerSlug"))
