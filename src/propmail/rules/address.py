"""Street lines and ZIPs in USPS Publication 28 form, for comparing addresses (not for printing).

The key is upper case ASCII, words separated by one space, every word abbreviated as Pub 28 does:
street suffixes (``AVENUE`` -> ``AVE``), directionals (``NORTHEAST`` -> ``NE``), ordinal words
(``FIRST`` -> ``1ST``), unit designators, and the abbreviations assessors use beyond Pub 28
(``CR`` -> ``CIR``, ``BD`` -> ``BLVD``, ``SAINT`` -> ``ST``). A unit that takes a number
(``APT``, ``UNIT``, ``STE``, ``#``, ...) becomes Pub 28's generic ``# <id>``, so ``APT 4``,
``UNIT 4``, ``# 4`` and ``#4`` are the same unit. Words are mapped wherever they stand, the same
way on both sides of a comparison, so ``123 COURT ST`` becomes ``123 CT ST``: a key, not a
mailing line.

>>> import polars as pl
>>> pl.select(normalize_street(pl.lit("456 North Oak Avenue, Apt. 2-B"))).item()
'456 N OAK AVE # 2B'
"""

from __future__ import annotations

import unicodedata

import polars as pl

from propmail.rules.pub28 import (
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)

_ONES = ("FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH")
_TEENS = ("TENTH", "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH", "FIFTEENTH", "SIXTEENTH",
          "SEVENTEENTH", "EIGHTEENTH", "NINETEENTH")  # fmt: skip
_TENS = ("TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY")

# Designators that stand without a number (REAR, PH, ...) or name something other than the
# dwelling (BLDG, FL) keep their own abbreviation; KEY is also a street suffix (KY).
_NOT_A_UNIT_NUMBER = {"BSMT", "FRNT", "LBBY", "LOWR", "OFC", "PH", "REAR", "SIDE", "UPPER",
                      "BLDG", "FL", "KEY", "STOP"}  # fmt: skip


def _ordinal(n: int) -> str:
    suffix = "TH" if 11 <= n % 100 <= 13 else {1: "ST", 2: "ND", 3: "RD"}.get(n % 10, "TH")
    return f"{n}{suffix}"


def _ordinal_words() -> dict[str, str]:
    words = {word: _ordinal(n) for n, word in enumerate(_ONES + _TEENS, start=1)}
    for t, tens in enumerate(_TENS, start=2):
        words[tens[:-1] + "IETH"] = _ordinal(10 * t)  # TWENTY -> TWENTIETH
        for one, word in enumerate(_ONES, start=1):
            words[tens + word] = _ordinal(10 * t + one)  # TWENTY FIRST is joined first
    return words


# What assessors write that Pub 28 does not list (CR is Pub 28's CREEK, PK its PARK; on a
# county's roll they are CIRCLE and PIKE), and SAINT, which Pub 28 leaves spelled out while
# counties write ST: ST JAMES CHURCH RD and SAINT JAMES CHURCH RD are one street.
ASSESSOR_WORDS = {"CR": "CIR", "CRSG": "XING", "BD": "BLVD", "PK": "PIKE", "PKY": "PKWY",
                   "SAINT": "ST", "SO": "S"}  # fmt: skip


def _word_map() -> dict[str, str]:
    """One word -> its Pub 28 form; later tables win (KEY is a street suffix before a unit)."""
    street_types = {k: v for k, v in STREET_TYPE_ABBREVIATIONS.items() if " " not in k}
    for long, short in STREET_TYPE_ABBREVIATIONS.items():  # STATE RT -> STATE RTE gives RT -> RTE
        street_types.update(zip(long.split(), short.split(), strict=False))
    words = {
        **OCCUPANCY_TYPE_ABBREVIATIONS,
        **DIRECTIONAL_REPLACEMENTS,
        **street_types,
        **_ordinal_words(),
        **ASSESSOR_WORDS,
    }
    words = {k: v for k, v in words.items() if k != v}
    # a replaced word must not be replaced again, or normalizing twice would differ from once
    assert not {v for v in words.values() if v in words}, "word map is not idempotent"
    return words


def _latin_letters() -> dict[str, str]:
    """Accented Latin letters -> plain ASCII (É -> E, Ø -> O, Æ -> AE), like USPS address lines."""
    out = {}
    for char in map(chr, range(0xC0, 0x250)):
        plain = unicodedata.normalize("NFKD", char).upper()
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        if plain.isascii() and plain.isalpha():
            out[char] = plain
    return out


_LATIN = _latin_letters()
_LATIN_PATTERNS, _LATIN_REPLACEMENTS = list(_LATIN), list(_LATIN.values())
STREET_WORDS = _word_map()
"""Every word the street key abbreviates -> its Pub 28 form (``AVENUE`` -> ``AVE``)."""
# Words are matched as " WORD " in a line whose spaces are doubled, so that every word keeps
# its own pair of spaces: one Aho-Corasick pass replaces them all, no split into lists.
_WORD_PATTERNS = [f" {k} " for k in STREET_WORDS]
_WORD_REPLACEMENTS = [f" {v} " for v in STREET_WORDS.values()]

_UNIT_DESIGNATORS = {  # APARTMENT and APT, SUITE and STE, ...
    word
    for long, short in OCCUPANCY_TYPE_ABBREVIATIONS.items()
    if short.isalpha() and short not in _NOT_A_UNIT_NUMBER
    for word in (long, short)
}
_DESIGNATOR = "(?:" + "|".join(sorted(_UNIT_DESIGNATORS, key=len, reverse=True)) + ")"
UNIT_DESIGNATOR = _DESIGNATOR
"""A regular expression for the unit designators that take a number (``APT``, ``UNIT``, ...)."""
# APT4 -> APT 4 (a designator glued to its number)
_GLUED_UNIT = rf"\b({_DESIGNATOR})([0-9])"
# the last word(s) of the line: designators and #, then the unit id -> "# id". After a named
# designator the id must hold a digit or be one letter, so 10 LOT RD is a street, not a unit.
_UNIT = (
    rf"(?:^| )(?:(?:{_DESIGNATOR}|#) )*"
    rf"(?:{_DESIGNATOR} ([A-Z]*[0-9][A-Z0-9/]*|[A-Z])|# ([A-Z0-9/]+))$"
)
_TENS_THEN_ONES = rf"\b({'|'.join(_TENS)}) ({'|'.join(_ONES)})\b"
_PO_BOX = r"\b(?:P ?O|POST OFFICE) ?(?:BOX|BX)\b"


def normalize_street(expr: pl.Expr) -> pl.Expr:
    """A street line in Pub 28 form (see the module docstring); null or blank in, null out.

    >>> import polars as pl
    >>> pl.Series(["123 North Main Street", "789 first st.", "#4", "  "]).to_frame("s").select(
    ...     normalize_street(pl.col("s"))
    ... ).to_series().to_list()
    ['123 N MAIN ST', '789 1ST ST', '# 4', None]
    """
    line = (
        expr.cast(pl.String)
        .str.to_uppercase()
        .str.replace_many(_LATIN_PATTERNS, _LATIN_REPLACEMENTS)  # PEÑA -> PENA
        .str.replace_all(r"\b([A-Z])\.", "${1}")  # N.E. -> NE, P.O. -> PO
        .str.replace_all(r"['`’-]", "")  # O'NEIL -> ONEIL, NORTH-EAST -> NORTHEAST, 4-B -> 4B
        .str.replace_all("#", " # ", literal=True)
        # every other character is a word break; single spaces are left alone (fast path)
        .str.replace_all(r"[^A-Z0-9#/]*[^A-Z0-9#/ ][^A-Z0-9#/]*| {2,}", " ")
        .str.strip_chars(" ")
        .str.replace_all(_TENS_THEN_ONES, "${1}${2}")  # TWENTY FIRST -> TWENTYFIRST -> 21ST
        .str.replace_all(_PO_BOX, "PO BOX")
        .str.replace_all(_GLUED_UNIT, "${1} ${2}")
    )
    spaced = pl.concat_str(pl.lit(" "), line.str.replace_all(" ", "  ", literal=True), pl.lit(" "))
    return (
        spaced.str.replace_many(_WORD_PATTERNS, _WORD_REPLACEMENTS, leftmost=True)
        .str.replace_all("  ", " ", literal=True)
        .str.strip_chars(" ")
        .str.replace_all(_UNIT, " # ${1}${2}")
        .str.strip_chars(" ")
        .replace("", None)  # a line of punctuation only is blank too
    )


def normalize_zip5(expr: pl.Expr) -> pl.Expr:
    """The 5-digit ZIP of a ZIP text (``02134``, ``24016-1234``, ``240161234``), else null.

    A ZIP must already be text: padding a number back to five digits is the reader's job.

    >>> import polars as pl
    >>> pl.Series([" 02134 ", "24016-1234", "2134", "123456", None]).to_frame("z").select(
    ...     normalize_zip5(pl.col("z"))
    ... ).to_series().to_list()
    ['02134', '24016', None, None, None]
    """
    return (
        expr.cast(pl.String)
        .str.strip_chars()
        .str.extract(r"^([0-9]{5})(?:[0-9]{4})?(?:[^0-9]|$)", 1)
    )


# the normalized LocationAddress1, made once by the pipeline for the niche rule
LOCATION_STREET = "_location_street"


def address_key(street: pl.Expr, zip_: pl.Expr, *, normalized: bool = False) -> pl.Expr:
    """``normalized street|zip5``, null when either part is null (niche-list address matching).

    >>> import polars as pl
    >>> pl.select(address_key(pl.lit("123 Main Street"), pl.lit("02134"))).item()
    '123 MAIN ST|02134'
    """
    key_street = street if normalized else normalize_street(street)
    return pl.concat_str(key_street, pl.lit("|"), normalize_zip5(zip_))
