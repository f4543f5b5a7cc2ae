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

from collections.abc import Callable

import polars as pl


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


def _underscore(street: pl.Expr, zip_: pl.Expr) -> pl.Expr:
    return street.str.replace_all(r"\s+", "_") + "_" + zip_


def _propercase(street: pl.Expr, zip_: pl.Expr) -> pl.Expr:
    # polars' titlecase upper-cases a letter after any non-letter, as dbo.ProperCase does
    return (street + "_" + zip_).str.to_titlecase()


# The slug styles, from the cleaned street and ZIP; the rules file's `style` must be one of these.
STYLES: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "underscore": _underscore,
    "propercase": _propercase,
}


def slug_expr(style: str, street: str = "OwnerAddress1", zip_: str = "OwnerZip") -> pl.Expr:
    """The slug as an expression; null when the street or the ZIP is empty."""
    street_part, zip_part = slug_parts(street, zip_)
    slug = STYLES[style](street_part, zip_part)
    return pl.when((street_part != "") & (zip_part != "")).then(slug)


def owner_slug(frame: pl.DataFrame, style: str) -> pl.Series:
    return frame.select(slug_expr(style).alias("OwnerSlug")).to_series()


def derive(frame: pl.DataFrame, slug_style: str) -> pl.DataFrame:
    """Add OwnerSlug in `slug_style`, a name of `STYLES` (null where the street or ZIP is
    empty)."""
    return frame.with_columns(slug_expr(slug_style).alias("OwnerSlug"))
