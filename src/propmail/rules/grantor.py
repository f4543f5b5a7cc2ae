"""SPEC 3.3: OwnerGrantorMatch, the owner and the grantor (last seller) are the same party.

Typically a transfer to self, often into the owner's own trust. Each name becomes a set of
words: upper case, punctuation a separator, apostrophes dropped (``O'BRIEN`` = ``OBRIEN``), and
dropped too: single letters (middle initials), numbers (trust dates), ``&``, ``ET AL`` /
``ET UX`` / ``ET VIR``, and every word of the rules file's trust and estate keywords and of
`PARTY_WORDS` (``AND``, ``TRUST``, ``TRUSTEE``, ``TR``, ``REVOCABLE``, ``LIVING``, ``FAMILY``,
``ESTATE``, ``OF``, ...).

The rule: the two are the same party when one set contains the other, in any word order, or
when they have a person in common. A deed index lists its parties separated by commas
(``BARR CAROL L, GRAHAM DONALD A``); a person in common is a party of two words or more on one
side whose words all stand in one party of the other (``GRAY DONNA L, TAYLOR DONNA LEE`` /
``GRAY DONNA LEE, MERRILL HEATHER ANNE``: Donna Gray kept her share).

- ``JOHN A SMITH`` / ``SMITH JOHN``: match; ``JOHN SMITH`` / ``JANE SMITH``: no match.
- ``SMITH JOHN & MARY`` / ``SMITH MARY``: match (a spouse added or removed).
- ``SMITH FAMILY TRUST`` (``{SMITH}``) / ``SMITH JOHN & MARY``: match, the usual transfer into
  a family trust. The price: any one-word remainder matches on that word alone.
- ``ACME LLC`` / ``ZETA LLC``: no match (a shared legal suffix is not a shared party).
- ``JR`` / ``SR`` are kept: ``SMITH JOHN JR`` matches ``SMITH JOHN`` but not ``SMITH JOHN SR``
  (father and son are two parties).
- A null owner or grantor, or one with no word left (``TRUST``), is no match.
- ``SMITH JOHN & MARY`` / ``SMITH JOHN & JANE``: no match; ``&`` joins co-owners of one party,
  and neither party contains the other.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({
...     "OwnerName": ["SMITH JOHN A & MARY TRS", "JOHN SMITH", "SMITH FAMILY TRUST"],
...     "LocationGrantor": ["JOHN SMITH", "JANE SMITH", None],
... })
>>> derive(frame, load_rules().classification)["OwnerGrantorMatch"].to_list()
[True, False, False]
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from propmail.rules.classification import Classification, normalize_text, text_column

# Words that say how a party holds title, not who it is (besides the trust and estate keywords).
PARTY_WORDS = (
    "AND", "THE", "OF", "FOR", "FAMILY", "LIVING", "REV", "LIV", "TRUST", "TRUSTEE", "TR",
    "ESTATE", "EST", "ETAL", "ETUX", "ETVIR", "AGREEMENT", "DECLARATION", "DTD", "DATED",
    "UA", "UAD", "UTA", "UDT", "LIFE", "TENANT",
    # capacities a deed index writes after a name (administrator, executor, attorney)
    "ADMR", "ADMX", "EXTR", "EXTX", "EXEC", "EXR", "ATTY", "POA",
)  # fmt: skip


@lru_cache(maxsize=16)
def ignored_words(classification: Classification) -> tuple[str, ...]:
    """PARTY_WORDS and every word of the trust and estate keywords."""
    words = set(PARTY_WORDS)
    for phrase in (*classification.trust, *classification.estate):
        words.update(normalize_text(phrase).split())
    return tuple(sorted(words))


def party_words(name: pl.Expr, ignored: tuple[str, ...]) -> pl.Expr:
    """The set of words that identify the party (a list of unique words)."""
    text = (
        name.str.to_uppercase()
        .str.replace_all(r"\bCO-", "CO")  # CO-TRUSTEE is one word, as in classification
        .str.replace_all("'", "", literal=True)
        .str.replace_all(r"\bET (?:AL|UX|VIR)\b", " ")
    )
    # runs of two letters or more: punctuation, digits (dates) and initials fall away
    word = pl.element()
    return (
        text.str.extract_all(r"[A-Z]{2,}")
        .list.eval(word.filter(~word.is_in(list(ignored))))
        .list.unique()
    )


def contained(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """The smaller of two word sets is all shared with the larger (and not empty)."""
    shared = left.list.set_intersection(right).list.len()
    return (shared > 0) & (shared == pl.min_horizontal(left.list.len(), right.list.len()))


ROW = "__row"


def _parties(rows: pl.LazyFrame, name: str, ignored: tuple[str, ...]) -> pl.LazyFrame:
    """One row per comma-separated party of two identifying words or more: (__row, words)."""
    return (
        rows.select(ROW, pl.col(name).str.split(",").alias("party"))
        .explode("party")
        .with_columns(party_words(pl.col("party"), ignored).alias("words"))
        .filter(pl.col("words").list.len() >= 2)
        .select(ROW, "words")
    )


def person_in_common(names: pl.DataFrame, ignored: tuple[str, ...]) -> pl.Series:
    """Rows of `names` (owner, grantor) where a comma-separated party of each contains the other.

    Only a name with a comma can list several parties, so only those rows are taken apart.
    """
    rows = (
        names.lazy()
        .with_row_index(ROW)
        .filter(
            pl.col("grantor").is_not_null()
            & (
                pl.col("owner").str.contains(",", literal=True)
                | pl.col("grantor").str.contains(",", literal=True)
            )
        )
    )
    found = (
        _parties(rows, "owner", ignored)
        .join(_parties(rows, "grantor", ignored), on=ROW, suffix="_grantor")
        .filter(contained(pl.col("words"), pl.col("words_grantor")))
        .select(pl.col(ROW).unique())
        .collect()
    )
    return pl.int_range(names.height, eager=True, dtype=pl.UInt32).is_in(found[ROW].implode())


def derive(frame: pl.DataFrame, classification: Classification) -> pl.DataFrame:
    """Add OwnerGrantorMatch (Boolean, never null); the rules file's trust and estate keywords
    (`Classification`) are among the words it ignores."""
    ignored = ignored_words(classification)
    names = frame.select(
        pl.col("OwnerName").alias("owner"), text_column(frame, "LocationGrantor").alias("grantor")
    )
    whole = (
        names.lazy()
        .select(party_words(pl.col(c), ignored) for c in ("owner", "grantor"))
        .select(contained(pl.col("owner"), pl.col("grantor")).fill_null(False))
        .collect()
        .to_series()
        .alias("OwnerGrantorMatch")
    )
    # the parties are compared only where the whole names did not match already
    rest = names.with_columns(pl.when(~whole).then(pl.col("grantor")).alias("grantor"))
    return frame.with_columns(whole | person_in_common(rest, ignored))
