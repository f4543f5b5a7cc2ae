"""The envelope name, last step: the letter case (SPEC 3.4, `propmail.rules.names`).

This module owns the casing of an upper-case name `order` put in order: title case, with
``McKeough``, ``MacDonald`` (known Mac surnames only), ``O'Brien``, hyphenated parts, ``III``,
``2nd`` and ``St John's``; in an organisation's name legal forms and acronyms (no vowel, or a
known one) in capitals and small joining words in lower case (`cased`). Whole strings are cased
at once; only an organisation's name with a possible acronym or closed-up letters (`CLOSED`) is
cased word by word.

>>> import polars as pl
>>> envelope = pl.DataFrame({"__envelope": ["JOHN MCKEOUGH III", "BRT HOLDINGS OF OHIO LLC"],
...                          "__org": [False, True]})
>>> cased(envelope).to_list()
['John McKeough III', 'BRT Holdings of Ohio LLC']
"""

from __future__ import annotations

import polars as pl

from propmail.rules.names.clean import CLOSED

# Words an organisation's name prints in capitals: legal forms, roman numerals, known acronyms.
UPPER_WORDS = (
    "LLC", "LC", "LLP", "LLLP", "LP", "PLLC", "PC", "PA", "NA", "FSB", "HOA", "USA", "US",
    "HUD", "YMCA", "YWCA", "REIT", "NAACP", "AME", "VFW", "USDA", "DBA", "FBO",
)  # fmt: skip
ROMAN = ("II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "XIII", "XIV", "XV")
# Joining words printed in lower case inside an organisation's name.
LOWER_WORDS = ("OF", "THE", "AND", "FOR", "IN", "AT")
# No vowel, yet not an acronym: abbreviations printed in title case.
NOT_ACRONYMS = ("ST", "MT", "FT", "JR", "SR", "MR", "MRS", "DR", "MS", "LTD", "TR", "TRS", "TRST")
# Mac is a prefix only in these surnames (Mack, Macy, Machado, Mackintosh stay as they are).
MAC_SURNAMES = (
    "MACDONALD", "MACDONNELL", "MACDOUGALL", "MACKENZIE", "MACKAY", "MACKINNON", "MACLEOD",
    "MACLEAN", "MACLELLAN", "MACMILLAN", "MACGREGOR", "MACARTHUR", "MACAULAY", "MACPHERSON",
    "MACNEIL", "MACNEILL", "MACFARLANE", "MACINTYRE", "MACINNIS", "MACIVER", "MACRAE",
    "MACLAREN", "MACQUARRIE", "MACGILLIVRAY", "MACFADYEN", "MACKIE", "MACLACHLAN",
)  # fmt: skip


def _word_case(org: bool) -> pl.Expr:
    """One upper-case word (or separator) of a name, cased."""
    w = pl.element()
    rest = w.str.slice(1).str.to_lowercase()
    mc = "Mc" + w.str.slice(2, 1) + w.str.slice(3).str.to_lowercase()
    mac = "Mac" + w.str.slice(3, 1) + w.str.slice(4).str.to_lowercase()
    cased = (
        pl.when(w.str.contains(CLOSED, literal=True)).then(w)
        .when(w.str.contains(r"^['’]S$")).then(w.str.to_lowercase())
        .when(w.str.contains(r"^\d+(?:ST|ND|RD|TH)$")).then(w.str.to_lowercase())
        .when(w.is_in(ROMAN)).then(w)
        .when(w.str.contains(r"^MC[A-Z]{2}")).then(mc)
        .when(w.is_in(MAC_SURNAMES)).then(mac)
    )  # fmt: skip
    if org:
        consonants = r"^[0-9]*[B-DF-HJ-NP-TV-XZ][B-DF-HJ-NP-TV-XZ0-9]*$"
        acronym = w.str.contains(consonants) & (w.str.count_matches(r"[A-Z0-9]") >= 2)
        cased = (
            cased.when(w.is_in(UPPER_WORDS) | (acronym & ~w.is_in(NOT_ACRONYMS))).then(w)
            .when(w.is_in(LOWER_WORDS)).then(w.str.to_lowercase())
        )  # fmt: skip
    return cased.otherwise(w.str.slice(0, 1) + rest)


def _token_cased(name: pl.Expr) -> pl.Expr:
    """An organisation's name cased word by word (`_word_case`), for acronyms and closed letters."""
    tokens = name.str.extract_all(r"['’]S\b|[^\s\-&,'’/()]+|.")
    cased = tokens.list.eval(_word_case(org=True)).list.join("")
    return cased.str.slice(0, 1).str.to_uppercase() + cased.str.slice(1)


def _fixes(org: bool) -> dict[str, str]:
    """Literal replacements on title-cased text whose words are each wrapped in spaces."""
    fixes = {f" {w.title()} ": f" {w} " for w in ROMAN}  # " Iii " -> " III "
    ordinals = ("St", "Nd", "Rd", "Th")  # as title case writes them after a digit: 1St, 2Nd
    fixes |= {f"{d}{s} ": f"{d}{s.lower()} " for d in "0123456789" for s in ordinals}
    fixes |= {"'S ": "'s ", "’S ": "’s "}  # St John's, not St John'S
    if org:
        fixes |= {f" {w.title()} ": f" {w} " for w in UPPER_WORDS}  # " Llc " -> " LLC "
        fixes |= {f" {w.title()} ": f" {w.lower()} " for w in LOWER_WORDS}  # " Of " -> " of "
    return fixes


ORG_FIXES, PERSON_FIXES = _fixes(org=True), _fixes(org=False)
MARK = "\x01"  # title case capitalizes the letter after it: MC<MARK>KEOUGH -> Mc<MARK>Keough
MAC_PREFIX = r"\bMAC(" + "|".join(w[3:] for w in MAC_SURNAMES) + r")\b"
# a word of an organisation that may be an acronym: two or more letters and digits, no vowel
ACRONYM = r"\b[0-9]*[B-DF-HJ-NP-TV-XZ][B-DF-HJ-NP-TV-XZ0-9]+\b|\b[0-9]+[B-DF-HJ-NP-TV-XZ]\b"
NOT_CANDIDATES = rf"\b(?:{'|'.join((*UPPER_WORDS, *NOT_ACRONYMS))})\b"


def _title_cased(name: pl.Expr, org: pl.Expr) -> pl.Expr:
    """Title case with the exceptions of `_fixes`, Mc and Mac, all on whole strings."""
    titled = (
        name.str.replace_all(r"\bMC([A-Z]{2})", f"MC{MARK}$1")
        .str.replace_all(MAC_PREFIX, f"MAC{MARK}$1")
        .str.to_titlecase()
    )
    # every word between two spaces on each side, a comma a word of its own, so that each
    # fix matches whole words only and two fixed words in a row do not share a space
    commas = titled.str.replace_all(",", " ,", literal=True)
    spaced = " " + commas.str.replace_all(" ", "  ", literal=True) + " "
    fixed = (
        pl.when(org)
        .then(spaced.str.replace_many(ORG_FIXES))
        .otherwise(spaced.str.replace_many(PERSON_FIXES))
        .str.replace_all(MARK, "", literal=True)
        .str.replace_all("  ", " ", literal=True)
        .str.replace_all(" ,", ",", literal=True)
        .str.strip_chars(" ")
    )
    return fixed.str.slice(0, 1).str.to_uppercase() + fixed.str.slice(1)


def cased(envelope: pl.DataFrame) -> pl.Series:
    """The envelope names (__envelope, __org) cased; word by word only where a word needs it."""
    name, org = pl.col("__envelope"), pl.col("__org")
    words = org & (
        name.str.contains(CLOSED, literal=True)
        | name.str.replace_all(NOT_CANDIDATES, "").str.contains(ACRONYM)
    )
    cased = envelope.select(_title_cased(name, org).str.replace_all(CLOSED, "", literal=True))
    by_word = envelope.filter(words.fill_null(False))
    rows = envelope.select(words.fill_null(False).arg_true()).to_series()
    tokens = by_word.select(_token_cased(name).str.replace_all(CLOSED, "", literal=True))
    return cased.to_series().scatter(rows, tokens.to_series())
