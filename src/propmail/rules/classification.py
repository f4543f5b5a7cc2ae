"""SPEC 3.1: owner classification flags from the owner name.

Each flag is a whole-token match of the rules file's keyword list against the owner name,
upper-cased with punctuation turned into spaces (apostrophes dropped: ``DEC'D`` -> ``DECD``),
so ``TR`` is a trust but ``TRUMAN`` is not, and ``INC`` never fires on ``INCE``. A keyword of
several words matches those words in a row. The flags are independent: a church's LLC is both.

Three refinements:

- ``CO-TRUSTEE`` is one word (``COTRUSTEE``, a trust word), so its ``CO`` is not a company.
- An estate keyword inside an ``estate_exclude`` phrase does not count (``REAL ESTATE``,
  ``... ESTATES LLC``).
- Church words are also surnames (Church, Temple, Parish, Chapel). When the provider split the
  owner into first and last name, a one-word last name at the start or end of the owner name is
  not read as a church word (``CHURCH JOHN`` with last name ``CHURCH`` is a person).

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({"OwnerName": ["SMITH JOHN TR", "TRUMAN HARRY", "GRACE CHURCH LLC"]})
>>> derive(frame, load_rules()).select("IsTrust", "IsChurch", "IsBusiness").rows()
[(True, False, False), (False, False, False), (False, True, True)]
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from propmail.settings import Classification, Rules


FLAGS = ("IsTrust", "IsChurch", "IsBusiness", "IsEstate", "IsGovernment")


def normalize_text(text: str) -> str:
    """`normalized` in Python, for keywords: ``Dec'd`` -> ``DECD``, ``L.L.C.`` -> ``L L C``."""
    text = re.sub(r"\bCO-", "CO", text.upper()).replace("'", "")
    return re.sub(r"[^A-Z0-9]+", " ", text).strip()


def normalized(name: pl.Expr) -> pl.Expr:
    """Upper case, apostrophes dropped, every other run of non-alphanumerics one space."""
    return (
        name.str.to_uppercase()
        .str.replace_all(r"\bCO-", "CO")
        .str.replace_all("'", "", literal=True)
        .str.replace_all(r"[^A-Z0-9]+", " ")
        .str.strip_chars()
    )


def keyword_pattern(words: tuple[str, ...]) -> str | None:
    """One regex matching any of `words` as whole tokens; None for an empty list."""
    phrases = {normalize_text(w) for w in words} - {""}
    if not phrases:
        return None
    # longest first, so a phrase wins over its own first word
    alternatives = sorted(phrases, key=lambda p: (-len(p), p))
    escaped = (" ".join(re.escape(token) for token in p.split()) for p in alternatives)
    return r"\b(?:" + "|".join(escaped) + r")\b"


@lru_cache(maxsize=16)
def patterns(classification: Classification) -> dict[str, str | None]:
    """The regex of each flag (and of the estate exclusions), built once per rules object."""
    c = classification
    return {
        "IsTrust": keyword_pattern(c.trust),
        "IsChurch": keyword_pattern(c.church),
        "IsBusiness": keyword_pattern(c.business),
        "IsEstate": keyword_pattern(c.estate),
        "IsGovernment": keyword_pattern(c.government),
        "estate_exclude": keyword_pattern(c.estate_exclude),
    }


def text_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column of the frame, or all-null text when the (optional) column is absent."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def _contains(text: pl.Expr, pattern: str | None) -> pl.Expr:
    if pattern is None:
        return pl.lit(False)
    return text.str.contains(pattern).fill_null(False)


def _without_person_surname(name: pl.Expr, last: pl.Expr, first: pl.Expr) -> pl.Expr:
    """The name minus the provider's one-word last name when it opens or closes the name."""
    person = first.is_not_null() & last.is_not_null() & ~last.str.contains(" ", literal=True)
    cut = last.str.len_chars() + 1
    return (
        pl.when(person & name.str.starts_with(last + " "))
        .then(name.str.slice(cut))
        .when(person & name.str.ends_with(" " + last))
        .then(name.str.slice(0, name.str.len_chars() - cut))
        .otherwise(name)
    )


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Add IsTrust, IsChurch, IsBusiness, IsEstate, IsGovernment (Boolean, never null)."""
    found = patterns(rules.classification)
    exclude = found["estate_exclude"]
    # the normalized names are computed once, as temporary columns
    name, last = pl.col("__name"), pl.col("__last")
    estate_text = name if exclude is None else name.str.replace_all(exclude, " ")
    church_text = _without_person_surname(name, last, text_column(frame, "OwnerFirstName"))
    return (
        frame.lazy()
        .with_columns(
            normalized(pl.col("OwnerName")).alias("__name"),
            normalized(text_column(frame, "OwnerLastName")).alias("__last"),
        )
        .with_columns(
            _contains(name, found["IsTrust"]).alias("IsTrust"),
            _contains(church_text, found["IsChurch"]).alias("IsChurch"),
            _contains(name, found["IsBusiness"]).alias("IsBusiness"),
            _contains(estate_text, found["IsEstate"]).alias("IsEstate"),
            _contains(name, found["IsGovernment"]).alias("IsGovernment"),
        )
        .drop("__name", "__last")
        .collect()
    )
