"""SPEC 3.4: AlternateName, the owner name as printed on the envelope.

People are put in first-name order; a name is read as surname-first only on evidence:

1. a comma: ``SMITH, JOHN A`` -> ``John A Smith``;
2. the provider's last name (OwnerLastName) opens the name: it moves to the end
   (``SMITH JOHN & MARY`` with last name ``SMITH`` -> ``John & Mary Smith``);
3. without a last name, the shape ``LAST FIRST [I] &|AND FIRST2 [I]`` (one word before the
   first name, one given name and optional initial on each side of the ``&``):
   ``SMITH JOHN & MARY`` -> ``John & Mary Smith``. ``JOHN SMITH & MARY JONES`` does not have
   that shape and keeps its order; so does a plain ``SMITH JOHN`` (it cannot be told from
   ``JOHN SMITH``).

A generational suffix stays last (``SMITH JOHN JR`` -> ``John Smith Jr``), ``AND`` becomes ``&``.
Trusts, churches, businesses, estates and government owners keep their word order.
Everyone: periods and ``ET AL`` / ``ET UX`` / ``ET VIR`` are dropped; each word is title-cased
with the exceptions of `UPPER_WORDS` (legal suffixes, roman numerals), ``Mc`` (``McDonald``),
``O'Brien``, ``St John's``, ordinals (``1st``) and small joining words (``Bank of America``).

>>> import polars as pl
>>> from propmail.rules import classification
>>> from propmail.settings import load_rules
>>> rules = load_rules()
>>> owners = ["JOHN SMITH", "SMITH JOHN & MARY", "MCDONALD HOLDINGS LLC"]
>>> frame = pl.DataFrame({"OwnerName": owners})
>>> derive(classification.derive(frame, rules), rules)["AlternateName"].to_list()
['John Smith', 'John & Mary Smith', 'McDonald Holdings LLC']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from propmail.rules import classification
from propmail.rules.classification import FLAGS, text_column

if TYPE_CHECKING:
    from propmail.settings import Rules

# Words printed in capitals: legal suffixes and roman numerals (Inc, Corp, Co, Ltd are title case).
UPPER_WORDS = (
    "LLC", "LC", "LLP", "LLLP", "LP", "PLLC", "PC", "PA", "NA", "FSB", "HOA", "USA", "US",
    "DBA", "FBO", "II", "III", "IV", "VI", "VII", "VIII",
)  # fmt: skip
# Joining words printed in lower case unless they open the name.
LOWER_WORDS = ("OF", "THE", "AND", "FOR")
ORDINALS = ("St", "Nd", "Rd", "Th")  # as title case writes them after a digit: 1St, 2Nd
GENERATION = r"JR|SR|II|III|IV"
WORD = r"[A-Z][A-Z'\-]+"
GIVEN = rf"{WORD}(?: [A-Z])?"
AMPERSAND_SHAPE = rf"^(?<surname>{WORD}) (?<given>{GIVEN} & {GIVEN})$"


def _clean(name: pl.Expr) -> pl.Expr:
    """Upper case, periods and ET AL dropped, one space between words, ``", "`` after commas."""
    return (
        name.str.to_uppercase()
        .str.replace_all(".", "", literal=True)
        .str.replace_all(r"\bET ?(?:AL|UX|VIR)\b", " ")
        .str.replace_all(r"\s*,[\s,]*", ", ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(" ,&")
    )


def _surname_and_given(name: pl.Expr, last: pl.Expr) -> pl.Expr:
    """A struct (surname, given) when there is evidence that the name opens with the surname."""
    comma = name.str.extract_groups(r"^(?<surname>[^,]+), (?<given>.+)$")
    shape = name.str.extract_groups(AMPERSAND_SHAPE)
    by_last = last.is_not_null() & name.str.starts_with(last + " ")
    return pl.struct(
        pl.coalesce(
            comma.struct.field("surname"),
            pl.when(by_last).then(last),
            pl.when(last.is_null()).then(shape.struct.field("surname")),
        ).alias("surname"),
        pl.coalesce(
            comma.struct.field("given"),
            pl.when(by_last).then(name.str.slice(last.str.len_chars() + 1)),
            pl.when(last.is_null()).then(shape.struct.field("given")),
        ).alias("given"),
    )


def _first_name_order(name: pl.Expr, found: pl.Expr) -> pl.Expr:
    """The name with the surname found by `_surname_and_given` moved to the end."""
    surname, given = found.struct.field("surname"), found.struct.field("given")
    # a generational suffix stays last: SMITH JOHN JR -> JOHN SMITH JR
    suffix = given.str.extract(rf" ({GENERATION})$", 1)
    given = given.str.replace(rf" (?:{GENERATION})$", "")
    reordered = pl.concat_str([given, surname, suffix], separator=" ", ignore_nulls=True)
    return pl.when(surname.is_not_null()).then(reordered).otherwise(name)


def _title_case_fixes() -> dict[str, str]:
    """Literal replacements on title-cased text whose words are each wrapped in spaces."""
    fixes = {f" {w.title()} ": f" {w} " for w in UPPER_WORDS}  # " Llc " -> " LLC "
    fixes |= {f" {w.title()} ": f" {w.lower()} " for w in LOWER_WORDS}  # " Of " -> " of "
    fixes |= {f"{d}{s} ": f"{d}{s.lower()} " for d in "0123456789" for s in ORDINALS}  # 1St
    fixes["'S "] = "'s "  # St John's, not St John'S
    return fixes


TITLE_CASE_FIXES = _title_case_fixes()
MARK = "\x01"  # title case capitalizes the letter after it: MC<MARK>DONALD -> Mc<MARK>Donald


def _cased(name: pl.Expr) -> pl.Expr:
    """Title case with the exceptions of the module docstring, all on whole strings."""
    titled = name.str.replace_all(r"\bMC([A-Z]{3})", f"MC{MARK}$1").str.to_titlecase()
    # every word between two spaces on each side, a comma a word of its own, so that each
    # fix matches whole words only and two fixed words in a row do not share a space
    spaced = (
        " "
        + titled.str.replace_all(",", " ,", literal=True).str.replace_all(" ", "  ", literal=True)
        + " "
    )
    fixed = (
        spaced.str.replace_many(TITLE_CASE_FIXES, leftmost=True)
        .str.replace_all(MARK, "", literal=True)
        .str.replace_all("  ", " ", literal=True)
        .str.replace_all(" ,", ",", literal=True)
        .str.strip_chars(" ")
    )
    # a small word that opens the name is capitalized again: "The Smith Family Trust"
    return fixed.str.slice(0, 1).str.to_uppercase() + fixed.str.slice(1)


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Add AlternateName (String; null when the owner name is null or empty)."""
    # classification runs first in the pipeline; on its own this rule computes the flags itself
    flagged = frame if set(FLAGS) <= set(frame.columns) else classification.derive(frame, rules)
    # each stage is a temporary column, so no expression is evaluated twice
    name, last, person = pl.col("__name"), pl.col("__last"), pl.col("__person")
    alternate = (
        flagged.lazy()
        .select(
            (~pl.any_horizontal(FLAGS)).alias("__person"),
            _clean(pl.col("OwnerName")).alias("__name"),
            _clean(text_column(frame, "OwnerLastName")).alias("__last"),
        )
        .with_columns(
            pl.when(person)
            .then(name.str.replace_all(r"\bAND\b", "&").str.replace(rf", ({GENERATION})$", " $1"))
            .otherwise(name)
            .alias("__name")
        )
        .with_columns(pl.when(person).then(_surname_and_given(name, last)).alias("__found"))
        .select(_first_name_order(name, pl.col("__found")).alias("__name"))
        .select(_cased(name).alias("__name"))
        .select(pl.when(name != "").then(name).alias("AlternateName"))
        .collect()
    )
    return frame.with_columns(alternate)
