"""SPEC 3.1: owner classification flags from the owner name.

Each flag is a whole-token match of the rules file's keyword lists against the owner name and
its second line (``OwnerName2``, where the upload has one), upper-cased with punctuation turned
into spaces (apostrophes dropped: ``DEC'D`` -> ``DECD``), so ``TR`` is a trust but ``TRUMAN`` is
not, and ``INC`` never fires on ``INCE``. A keyword of several words matches those words in a
row. Text after a care-of mark (``%``, ``C/O``) is not the owner's and is not read. The flags
are independent: a church's LLC is both.

Position and form refine the plain match:

- **Legal forms** (``business``) match however they are written: letters with periods are
  closed up first (``P.C.`` -> ``PC``, ``L.L.C.`` -> ``LLC``, ``ACME L.P.`` -> ``ACME LP``).
  A legal form makes a business on its own. Company words without one (``business_words``:
  ``HOLDINGS``, ``REALTY``, ``ASSOCIATES``...) make a business too, except in a trust's name,
  in a public body's name (``PHILADELPHIA LAND BANK``) and as a person's name. A name with
  neither (``MD RENO 2``) is not flagged: nothing in it says company.
- **Person-shaped** names: ``SURNAME, GIVEN ...`` (one word, a generational suffix allowed,
  then a comma and a given name) with no legal form. In such a name the keywords that are also
  people's names (``person_names``: ``TEMPLE, ANDREW C``, ``HOLDING, CHARLIE H & MILDRED K``)
  do not count, wherever they stand (``REED, DIANA CHURCH, SHAVON`` is two people); a keyword
  that is no one's name (``MUMININ, MASJID AL``) still does. A name without a comma is not
  person-shaped (``HOLDING CHARLIE H`` counts), except that where the provider filled both the
  first and the last name columns, a one-word last name opening or closing the name is the
  person's (``CHURCH JOHN`` with last name ``CHURCH``).
- **Trusts**: ``CO-TRUSTEE`` is one word (``COTRUSTEE``), so its ``CO`` is not a company. The
  entity words ``trust_in_company`` (``TRUST``) in a name with a legal form are a company's name
  (``UPPER VALLEY LAND TRUST INC``); a trustee (``TR``, ``TTEE``) is a trust whatever else the
  name holds. ``trust_exclude`` phrases (``BANK & TRUST``, ``COLLEGE TRUSTEES``) do not count.
- **Estates**: an estate keyword inside an ``estate_exclude`` phrase does not count (``REAL
  ESTATE``, ``... ESTATES LLC``). A life estate is written ``LIFE ESTATE``, ``(LIFE)``, ``L/E``
  or a closing ``LE`` after an initial or a suffix (``MCKEOUGH JAMES C LE``); a closing ``LE``
  after a given name is the surname Le (``SMITH, ROSE LE``).
- **Government** by form: ``government`` phrases (``TOWN OF`` either side, ``COMMONWEALTH``,
  ``COMM OF``, ``... AUTHORITY``) in a name with no legal form and no church word (``CITY OF
  REFUGE APOSTOLIC CHURCH`` is a church); ``government_weak`` tokens (``USA``) only where no
  company word is present either (``FGV USA PROPERTIES INC`` is a company).
- Church words in a ``church_exclude`` phrase (``CHURCH ST``, ``TEMPLE UNIVERSITY``) do not count.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> names = ["SMITH JOHN TR", "TEMPLE, ANDREW C", "GRACE CHURCH LLC", "BOTTI LAW FIRM, P.C."]
>>> frame = pl.DataFrame({"OwnerName": names})
>>> derive(frame, load_rules().classification).select("IsTrust", "IsChurch", "IsBusiness").rows()
[(True, False, False), (False, False, False), (False, True, True), (False, False, True)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from propmail.contract import added_by
from propmail.rules.trades import trade_words

FLAGS = added_by("classification")  # IsTrust, IsChurch, IsBusiness, IsEstate, IsGovernment


@dataclass(frozen=True)
class Classification:
    """The settings of the flags, ``[classification]`` in rules.toml: the keyword lists, the
    phrases and forms that rule a keyword out, and the flags matched by substring."""

    trust: tuple[str, ...]
    church: tuple[str, ...]
    business: tuple[str, ...]
    estate: tuple[str, ...]
    estate_exclude: tuple[str, ...]
    government: tuple[str, ...]
    business_words: tuple[str, ...]
    government_weak: tuple[str, ...]
    person_names: tuple[str, ...]
    trust_in_company: tuple[str, ...]
    trust_exclude: tuple[str, ...]
    church_exclude: tuple[str, ...]
    estate_in_company: tuple[str, ...]
    # the flags whose keywords match anywhere in the upper-cased OwnerName, as the legacy
    # `LIKE '%TRUST%'` did, instead of as whole tokens refined by position and form
    substring: tuple[str, ...] = ()


# How a flag's keywords may match (``[classification.match]``), and the flag each key of that
# table names: ``trust`` -> IsTrust.
MATCHES = ("token", "substring")
MATCHED_FLAGS = {flag.removeprefix("Is").lower(): flag for flag in FLAGS}


def normalize_text(text: str) -> str:
    """`normalized` in Python, for keywords: ``Dec'd`` -> ``DECD``, ``L.L.C.`` -> ``L L C``."""
    text = re.sub(r"\bCO-", "CO", text.upper()).replace("'", "")
    return re.sub(r"[^A-Z0-9]+", " ", text).strip()


def normalized(name: pl.Expr) -> pl.Expr:
    """Upper case, apostrophes dropped, every other run of non-alphanumerics one space."""
    return _tokens(name.str.to_uppercase())


def _tokens(upper: pl.Expr) -> pl.Expr:
    """`normalized` of text already in upper case."""
    return (
        upper.str.replace_all(r"\bCO-", "CO")
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
    """The regex of each keyword list of the rules file, built once per rules object."""
    c = classification
    return {
        **{flag: keyword_pattern(substring_words(c, flag)) for flag in FLAGS},
        "estate_exclude": keyword_pattern(c.estate_exclude),
        "business_words": keyword_pattern(c.business_words),
        "government_weak": keyword_pattern(c.government_weak),
        "person_names": keyword_pattern(c.person_names),
        "trust_in_company": keyword_pattern(c.trust_in_company),
        "trust_exclude": keyword_pattern(c.trust_exclude),
        "church_exclude": keyword_pattern(c.church_exclude),
        # with a legal form, the estate keywords other than the company's own words
        "estate_with_form": keyword_pattern(_minus(c.estate, c.estate_in_company)),
        # a name with none of these words has no flag: the rules run only on the others
        "any": keyword_pattern(
            (
                *(*c.trust, *c.church, *c.business, *c.business_words),
                *(*c.estate, *c.government, *c.government_weak, *LIFE_WORDS),
            )
        ),
    }


def _minus(words: tuple[str, ...], left_out: tuple[str, ...]) -> tuple[str, ...]:
    drop = {normalize_text(w) for w in left_out}
    return tuple(w for w in words if normalize_text(w) not in drop)


def text_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column of the frame, or all-null text when the (optional) column is absent."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


# `SURNAME, GIVEN`: one word (a generational suffix allowed), a comma, then a given name
PERSON_SHAPED = r"^[A-Z][A-Z'-]*(?: (?:JR|SR|II|III|IV))?\s*,\s*[A-Z]"
# a life estate written as a marker, read before normalizing: (LIFE), L/E
LIFE_MARK = r"\(LIFE\b|\bL/E\b|\bL[FT] EST"
# a life tenant closing an owner's name on either line (SMITH ROSE LT / SMITH PAUL RM), not
# opening a company's (LT ALAMEDA LLC)
LIFE_TENANT = r"\S\s+(?:LT|LIFE TENANTS?)\s*(?:$|[&/;,]|\bAND\b)"
# a closing LE after an initial or a suffix, in the normalized name: MCKEOUGH JAMES C LE
LIFE_LE = r"\b(?:[A-Z]|JR|SR|II|III|IV) LE$"
# what a life estate marker becomes once normalized: (LIFE), L/E, LE
LIFE_WORDS = ("LIFE", "L E", "LE", "LT", "LF")
# the word after OF names a place, not a legal form: COMMONWEALTH OF PA
AFTER_OF = r"\bOF \S+"


def owner_text(frame: pl.DataFrame) -> pl.Expr:
    """Both owner lines, upper case, care-of text cut, letters written with periods closed up."""
    both = pl.col("OwnerName")
    if "OwnerName2" in frame.columns:
        both = pl.concat_str(both, pl.col("OwnerName2"), separator=" ", ignore_nulls=True)
    return (
        both.str.to_uppercase()
        .str.replace(r"(?:%|\bC/O\b|\bATTN\b).*$", "")
        .str.replace_all(r"\b([A-Z])\.\s?([A-Z])\.(?:\s?([A-Z])(?:\.|\b))?", "$1$2$3 ")
    )


def _contains(text: pl.Expr, pattern: str | None) -> pl.Expr:
    if pattern is None:
        return pl.lit(False)
    return text.str.contains(pattern).fill_null(False)


def _without(text: pl.Expr, pattern: str | None) -> pl.Expr:
    """`text` with every match of `pattern` blanked out (a phrase that must not count)."""
    return text if pattern is None else text.str.replace_all(pattern, " ")


def _after_first_word(text: pl.Expr) -> pl.Expr:
    """`text` from its first space on (a company's opening word is its name)."""
    return text.str.slice(text.str.find(" ", literal=True).fill_null(text.str.len_chars()))


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


def _trade_named(frame: pl.DataFrame, classification: Classification) -> pl.Expr:
    """A name that closes an owner, or the whole name, with a trade word of the NAICS titles
    (`propmail.rules.trades`): RIVERSIDE FLORIST & NURSERY, NORTHSIDE TIRE & AUTOMOTIVE. Not a
    person-shaped name (a comma), nor one the provider split into a first and a last name. The
    closing words are read and looked up in the set, no alternation of the words is matched."""
    raw = text_column(frame, "OwnerName").str.to_uppercase().str.replace(r"(?:%|\bC/O\b).*$", "")
    # a word of another flag's vocabulary keeps its own rule (SMITH JOHN ESTATE is an estate)
    others = {
        normalize_text(w)
        for words in (classification.trust, classification.church, classification.estate,
                      classification.government, classification.person_names)
        for w in words
    }  # fmt: skip
    trades = sorted(trade_words() - others)
    closes = raw.str.extract(r"\S\s+([A-Z]+)\W*$").is_in(trades) | raw.str.extract(
        r"\S\s+([A-Z]+)\s*(?:&|\bAND\b|/)"
    ).is_in(trades)
    person = (
        raw.str.contains(",", literal=True) | text_column(frame, "OwnerFirstName").is_not_null()
    )
    return (closes & ~person).fill_null(False)


def derive(frame: pl.DataFrame, classification: Classification) -> pl.DataFrame:
    """Add IsTrust, IsChurch, IsBusiness, IsEstate, IsGovernment (Boolean, never null)."""
    found = patterns(classification)
    # the texts and the facts several flags share are computed once, as temporary columns
    raw, name, last = pl.col("__raw"), pl.col("__name"), pl.col("__last")
    legal = pl.col("__legal")
    person = raw.str.contains(PERSON_SHAPED).fill_null(False) & ~legal
    personal = _without_person_surname(name, last, pl.col("OwnerFirstName"))
    # in a person-shaped name, a keyword that is also a person's name is the person's
    as_named = pl.when(person).then(_without(personal, found["person_names"])).otherwise(personal)
    trust_named = _without(name, found["trust_exclude"])
    trust_text = (
        pl.when(legal)
        .then(_after_first_word(_without(trust_named, found["trust_in_company"])))
        .otherwise(trust_named)
    )
    church = _contains(_without(as_named, found["church_exclude"]), found["IsChurch"])
    company_word = _contains(as_named, found["business_words"]) | pl.col("__trade")
    government = (_contains(name, found["IsGovernment"]) & ~church) | (
        _contains(name, found["government_weak"]) & ~company_word
    )
    estate_text = _without(name, found["estate_exclude"])
    estate = (
        pl.when(legal)
        .then(_contains(estate_text, found["estate_with_form"]))
        .otherwise(_contains(estate_text, found["IsEstate"]))
        | raw.str.contains(LIFE_MARK).fill_null(False)
        | (pl.col("__tenant") & ~legal)
        | name.str.contains(LIFE_LE).fill_null(False)
    )
    prepared = (
        frame.lazy()
        .select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
            owner_text(frame).alias("__raw"),
            *(text_column(frame, c).alias(c) for c in ("OwnerFirstName", "OwnerLastName")),
            pl.any_horizontal(
                text_column(frame, line).str.to_uppercase().str.contains(LIFE_TENANT)
                for line in ("OwnerName", "OwnerName2")
            )
            .fill_null(False)
            .alias("__tenant"),
            _trade_named(frame, classification).alias("__trade"),
        )
        .with_columns(_tokens(raw).alias("__name"))
        .filter(_contains(name, found["any"]) | pl.col("__trade"))
        .with_columns(
            normalized(pl.col("OwnerLastName")).alias("__last"),
            _contains(name.str.replace_all(AFTER_OF, "OF"), found["IsBusiness"]).alias("__legal"),
        )
    )
    flagged = (
        prepared.with_columns(
            _contains(trust_text, found["IsTrust"]).alias("IsTrust"),
            _contains(trust_named, found["trust_in_company"]).alias("__trust_entity"),
            church.alias("IsChurch"),
            (government & ~legal).alias("IsGovernment"),
            estate.alias("IsEstate"),
        )
        .with_columns(
            (legal | (company_word & ~pl.col("IsGovernment") & ~pl.col("__trust_entity"))).alias(
                "IsBusiness"
            )
        )
        .select("__row", *FLAGS)
        .collect()
    )
    # the flagged rows' flags put in place: a join would gather every column of the frame
    unflagged = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    classified = frame.drop(*FLAGS, strict=False).with_columns(
        unflagged.scatter(flagged["__row"], flagged[f].fill_null(False)).alias(f) for f in FLAGS
    )
    substring = classification.substring
    return classified.with_columns(substring_flag(classification, f) for f in substring)


def substring_words(classification: Classification, flag: str) -> tuple[str, ...]:
    """The keywords of `flag` (``IsTrust``) as the rules file lists them (``trust``)."""
    key = next(key for key, named in MATCHED_FLAGS.items() if named == flag)
    words: tuple[str, ...] = getattr(classification, key)
    return words


def substring_flag(classification: Classification, flag: str) -> pl.Expr:
    """`flag` as a legacy ``LIKE '%WORD%'``: a keyword anywhere in the upper-cased OwnerName.

    >>> from propmail.settings import load_rules
    >>> c = load_rules().classification
    >>> legacy = type(c)(**{**c.__dict__, "trust": ("TRUST",), "substring": ("IsTrust",)})
    >>> frame = pl.DataFrame({"OwnerName": ["SMITH JOHN TR", "TRUSTCO BANK", None]})
    >>> frame.select(substring_flag(legacy, "IsTrust"))["IsTrust"].to_list()
    [False, True, False]
    """
    words = substring_words(classification, flag)
    upper = pl.col("OwnerName").str.to_uppercase()
    found = pl.any_horizontal([upper.str.contains(w, literal=True) for w in words] or [False])
    return found.fill_null(False).alias(flag)


def _token_at(text: str, start: int) -> int:
    """The 1-based token position of the character `start` in a normalized name."""
    return text[:start].count(" ") + 1


def keyword_evidence(frame: pl.DataFrame, classification: Classification) -> list[dict[str, str]]:
    """Per row of a (small) frame, for `propmail explain`: the owner name as the flags read it
    and, per flag, the keyword behind it and its token position, or the keyword found but not
    counted and the phrase or form that rules it out.

    >>> from propmail.settings import load_rules
    >>> frame = pl.DataFrame({"OwnerName": ["SMITH JOHN TR", "FIRST BANK & TRUST"]})
    >>> found = keyword_evidence(frame, load_rules().classification)
    >>> found[0]["name"], found[0]["IsTrust"]
    ('SMITH JOHN TR', "keyword 'TR' at token 3")
    >>> found[1]["IsTrust"]
    "keyword 'TRUST' at token 3 inside 'BANK TRUST' of trust_exclude: not counted"
    """
    found = patterns(classification)
    names = frame.select(_tokens(owner_text(frame)).alias("name"))["name"].to_list()
    upper = frame.select(pl.col("OwnerName").str.to_uppercase())["OwnerName"].to_list()
    excludes = {
        "IsTrust": ("trust_exclude", "trust_in_company"),
        "IsChurch": ("church_exclude", "person_names"),
        "IsBusiness": ("person_names",),
        "IsEstate": ("estate_exclude",),
        "IsGovernment": (),
    }
    out = []
    for name, raw in zip(names, upper, strict=True):
        row = {"name": name or ""}
        for flag in FLAGS:
            if flag in classification.substring:
                hit = next(
                    (w for w in substring_words(classification, flag) if w in (raw or "")), None
                )
                at = (raw or "").find(hit or "") + 1
                row[flag] = (
                    f"{hit!r} inside OwnerName at character {at} (substring)"
                    if hit
                    else "no keyword inside OwnerName (substring)"
                )
                continue
            match = re.search(found[flag] or "(?!)", name or "")
            if match is None:
                row[flag] = "no keyword as a whole token"
                continue
            said = f"keyword {match.group(0)!r} at token {_token_at(name, match.start())}"
            for excluded in excludes[flag]:
                phrase = re.search(found[excluded] or "(?!)", name)
                if phrase and phrase.start() <= match.start() < phrase.end():
                    said += f" inside {phrase.group(0)!r} of {excluded}: not counted"
                    break
            row[flag] = said
        out.append(row)
    return out
