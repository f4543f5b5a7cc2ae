"""SPEC 3.3: OwnerGrantorMatch, the owner and the grantor (last seller) are the same party.

Typically a transfer to self, often into the owner's own trust. Each name becomes a set of
words: upper case, punctuation a separator, apostrophes dropped (``O'BRIEN`` = ``OBRIEN``), and
dropped too: single letters (middle initials), numbers (trust dates), ``&``, ``ET AL`` /
``ET UX`` / ``ET VIR``, and every word of the rules file's trust and estate keywords and of
`PARTY_WORDS` (``AND``, ``TRUST``, ``TRUSTEE``, ``TR``, ``REVOCABLE``, ``LIVING``, ``FAMILY``,
``ESTATE``, ``OF``, ...).

The rule: the two are the same party when one set contains the other, in any word order.

- ``JOHN A SMITH`` / ``SMITH JOHN``: match; ``JOHN SMITH`` / ``JANE SMITH``: no match.
- ``SMITH JOHN & MARY`` / ``SMITH MARY``: match (a spouse added or removed).
- ``SMITH FAMILY TRUST`` (``{SMITH}``) / ``SMITH JOHN & MARY``: match, the usual transfer into
  a family trust. The price: any one-word remainder matches on that word alone.
- ``ACME LLC`` / ``ZETA LLC``: no match (a shared legal suffix is not a shared party).
- ``JR`` / ``SR`` are kept: ``SMITH JOHN JR`` matches ``SMITH JOHN`` but not ``SMITH JOHN SR``
  (father and son are two parties).
- A null owner or grantor, or one with no word left (``TRUST``), is no match.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({
...     "OwnerName": ["SMITH JOHN A & MARY TRS", "JOHN SMITH", "SMITH FAMILY TRUST"],
...     "LocationGrantor": ["JOHN SMITH", "JANE SMITH", None],
... })
>>> derive(frame, load_rules())["OwnerGrantorMatch"].to_list()
[True, False, False]
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import polars as pl

from propmail.rules.classification import normalize_text, text_column

if TYPE_CHECKING:
    from propmail.settings import Classification, Rules

# Words that say how a party holds title, not who it is (besides the trust and estate keywords).
PARTY_WORDS = (
    "AND", "THE", "OF", "FOR", "FAMILY", "LIVING", "REV", "LIV", "TRUST", "TRUSTEE", "TR",
    "ESTATE", "EST", "ETAL", "ETUX", "ETVIR", "AGREEMENT", "DECLARATION", "DTD", "DATED",
    "UA", "UAD", "UTA", "UDT", "LIFE", "TENANT",
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


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Add OwnerGrantorMatch (Boolean, never null)."""
    ignored = ignored_words(rules.classification)
    owner, grantor = pl.col("__owner"), pl.col("__grantor")
    shared = owner.list.set_intersection(grantor).list.len()
    # one set contains the other: all the words of the smaller one are shared
    smaller = pl.min_horizontal(owner.list.len(), grantor.list.len())
    match = (
        frame.lazy()
        .select(
            party_words(pl.col("OwnerName"), ignored).alias("__owner"),
            party_words(text_column(frame, "LocationGrantor"), ignored).alias("__grantor"),
        )
        .select(((shared > 0) & (shared == smaller)).fill_null(False).alias("OwnerGrantorMatch"))
    )
    return frame.with_columns(match.collect())
