"""SPEC 3.4: AlternateName, the owner name as printed on the envelope.

The conventions are written out, with examples, in ``docs/conventions.md``; in short:

- **People** print given names first, surname last, in name case. A comma says the surname
  comes first (``SMITH, JOHN A`` -> ``John A Smith``). Without one the order is decided on
  evidence: the provider's OwnerLastName; the shape of the row (an initial last, ``SMITH JOHN &
  MARY``, two lines sharing a word); US surname and given-name frequencies
  (`name_frequencies`); and, where a row says nothing, the whole column (a county that writes
  surname first does so on every row).
- **Co-owners** (``&``, ``AND``, ``/``, ``;``, the second owner line OwnerName2, or run together
  as ``SMITH, ANN SMITH, JOHN``): at most two are printed; a shared surname is written once
  unless a suffix needs its owner (``Richard J Braun Jr & Cherie M Braun``). A co-owner's full
  name after an ``&`` takes its own order where the frequencies are decisive (``SMITH JOHN &
  MARY JONES`` -> ``John Smith & Mary Jones``).
- **Markers** of tenancy, life estate, trusteeship and capacity (``ETAL``, ``H/W``, ``LE``,
  ``TR``, ``TTEE``, ``EXEC`` ...), credentials and care-of text are dropped; an entry naming the
  trust beside its trustees is dropped. ``[names] trustee_title = true`` prints
  ``, Trustee(s)`` after a trustee's name instead.
- **Organisations** keep their order, except ``LYME, TOWN OF`` -> ``Town of Lyme`` and an
  inverted trust (``SMITH TRUST, ANN`` -> ``Ann Smith Trust``); legal forms and acronyms (no
  vowel, or a known one) in capitals, small joining words in lower case. A name no flag covers
  is an organisation by its words (`ORGANISATION`: ``WOODS LOT OWNERS``) or a closing ``HOA``
  (``MAPLE RIDGE HOA`` -> ``Maple Ridge HOA``; ``NGUYEN THI HOA`` is a woman named Hoa).
- **Casing**: ``McKeough``, ``MacDonald`` (known Mac surnames only), ``O'Brien``, hyphenated
  parts, ``III``, ``2nd``, ``St John's``.

The rule is three steps, a module each:

- `clean`: what the name is read from: the owner lines cleaned, a person's markers dropped,
  the co-owners split, and whether the name is an organisation's;
- `order`: the order of the words: a person's given names first (on the evidence above), an
  organisation's as written but for ``TOWN OF`` and an inverted trust;
- `casing`: the letter case of the name in order.

This module puts them together (`envelopes`, `derive`) and gives `propmail explain` the order's
evidence (`order_evidence`). Everything is polars expressions over whole columns. An owner of
many parcels is named once: `derive` reads each distinct owner (its name columns and flags) and
joins the name back to its rows, the column's evidence counting every row.

>>> import polars as pl
>>> from propmail.rules import classification
>>> from propmail.settings import load_rules
>>> rules = load_rules()
>>> owners = ["JOHN SMITH", "SMITH JOHN & MARY", "MCDONALD HOLDINGS LLC", "BRAINTREE TOWN OF"]
>>> frame = pl.DataFrame({"OwnerName": owners})
>>> flagged = classification.derive(frame, rules.classification)
>>> derive(flagged, rules.names, rules.classification)["AlternateName"].to_list()
['John Smith', 'John & Mary Smith', 'McDonald Holdings LLC', 'Town of Braintree']
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from propmail.rules.classification import FLAGS, Classification
from propmail.rules.classification import derive as classified
from propmail.rules.names import casing, clean, confidence, order
from propmail.rules.names.clean import ORGANISATION_FLAGS, ROWS
from propmail.rules.names.order import name_frequencies

__all__ = [
    "FALLBACKS",
    "ORGANISATION_FLAGS",
    "ROWS",
    "Names",
    "derive",
    "envelopes",
    "name_frequencies",
    "names_to_check",
    "order_evidence",
    "readings",
    "to_check",
]


@dataclass(frozen=True)
class Names:
    """How the envelope name prints what operators may print differently (``[names]``)."""

    trustee_title: bool = False  # print ", Trustee" after a trustee's name
    check_below: str = "likely"  # names less sure than this are listed to check
    fallback: str = "owner_field"  # what a fall-back prints: "owner_field" or "salutation"
    salutation: str = "Current Owner"  # printed by a fall-back under fallback = "salutation"


# what a fall-back prints: the owner field in name case, or `Names.salutation`
FALLBACKS = ("owner_field", confidence.SALUTATION)


def to_check(frame: pl.DataFrame, names: Names) -> pl.Expr:
    """True on the rows whose envelope name is less sure than ``[names] check_below``."""
    below = [
        level
        for level in confidence.LEVELS
        if confidence.rank(level) < confidence.rank(names.check_below)
    ]
    return (
        pl.col("NameConfidence").is_in(below)
        if "NameConfidence" in frame.columns
        else pl.lit(False)
    )


# the columns of names_to_check.csv, after the row number and the parcels the owner has
CHECKED = ("OwnerName", "OwnerName2", "AlternateName", "NameConfidence", "NameEvidence")


def names_to_check(processed: pl.DataFrame, names: Names, row: str) -> pl.DataFrame:
    """Each distinct envelope name less sure than ``[names] check_below``, once: the first
    `row` of the upload it is on, its parcels, the owner fields, the name, its confidence and
    evidence; least sure first, then by row."""
    if "NameConfidence" not in processed.columns:
        return pl.DataFrame(
            schema={row: pl.UInt32, "parcels": pl.UInt32, **dict.fromkeys(CHECKED, pl.String)}
        )
    columns = [c for c in CHECKED if c in processed.columns]
    listed = (
        processed.filter(to_check(processed, names))
        .group_by(columns)
        .agg(pl.col(row).min(), pl.len().cast(pl.UInt32).alias("parcels"))
        .with_columns(
            pl.col("NameConfidence")
            .replace_strict(
                {level: i for i, level in enumerate(confidence.LEVELS)}, return_dtype=pl.Int8
            )
            .alias("__rank")
        )
        .sort("__rank", row)
        .drop("__rank")
    )
    return listed.select(row, "parcels", *columns)


# the evidence of a person's reading that is the row's own (decisive) or weaker (likely); the
# column's habit alone is a guess
LIKELY = ("a common given name followed by another given name",)
COLUMN = "the whole column"


# what the envelope name is read from, and the columns the rule adds
OWNER_INPUTS = ("OwnerName", "OwnerName2", "OwnerLastName")
ADDED = ("AlternateName", "NameConfidence", "NameEvidence")


def order_evidence(frame: pl.DataFrame, classification: Classification) -> pl.DataFrame:
    """Per row, for `propmail explain`: whether the name is read as an organisation's
    (``organisation``), else whether the surname comes first (``surname_first``) and the
    evidence it was decided on (``evidence``); computed over the whole file, as the column's
    own order is evidence too.

    >>> from propmail.rules import classification
    >>> from propmail.settings import load_rules
    >>> rules = load_rules()
    >>> owners = pl.DataFrame({"OwnerName": ["SMITH, JOHN", "ACME LLC"]})
    >>> frame = classification.derive(owners, rules.classification)
    >>> order_evidence(frame, rules.classification).rows()
    [(False, True, 'a comma after the surname'), (True, None, None)]
    """
    flagged = frame if set(FLAGS) <= set(frame.columns) else classified(frame, classification)
    base = clean.base(flagged.with_columns(pl.lit(1, pl.UInt32).alias(clean.ROWS)), classification)
    persons = (
        order.people(base.lazy().filter(~pl.col("__org")))
        .select("__row", pl.col("__sf").alias("surname_first"), pl.col("__sf_reason"))
        .collect()
    )
    return (
        base.select("__row", pl.col("__org").alias("organisation"))
        .join(persons, on="__row", how="left", maintain_order="left")
        .select("organisation", "surname_first", pl.col("__sf_reason").alias("evidence"))
    )


def readings(owners: pl.DataFrame, names: Names, classification: Classification) -> pl.DataFrame:
    """Per row of `owners` (see `clean.base`): ``AlternateName``, ``NameConfidence`` (a level of
    `confidence.LEVELS`) and ``NameEvidence`` (what the reading rests on, in words)."""
    # the person and the organisation readings, each computed on its own rows only
    base = clean.base(owners, classification)
    org = pl.col("__org")
    orgs = base.filter(org).select(
        "__row",
        order.organisation(clean.org_lines(pl.col("__name"), pl.col("__line2"))).alias(
            "__envelope"
        ),
        org,
        pl.when(pl.col("__org_sure"))
        .then(pl.lit("decisive"))
        .otherwise(pl.lit("likely"))
        .alias("NameConfidence"),
        pl.when(pl.col("__org_sure"))
        .then(pl.lit("an organisation: a flag, a legal form or a trust's own name"))
        .otherwise(pl.lit("an organisation by its words or its many parcels"))
        .alias("NameEvidence"),
    )
    people = pl.col("__people")
    titled = (
        pl.when(~pl.col("__trustee") | ~pl.lit(names.trustee_title)).then(people)
        .when(people.str.contains("&", literal=True)).then(people + ", TRUSTEES")
        .otherwise(people + ", TRUSTEE")
    )  # fmt: skip
    person = pl.when(pl.col("__estate")).then(titled + " ESTATE").otherwise(titled)
    reason = pl.col("__sf_reason")
    level = (
        pl.when(pl.col("__n1") < 2).then(pl.lit("decisive"))
        .when(reason.str.starts_with(COLUMN)).then(pl.lit("guess"))
        .when(reason.is_in(LIKELY)).then(pl.lit("likely"))
        .otherwise(pl.lit("decisive"))
    )  # fmt: skip
    persons = (
        order.people(base.lazy().filter(~org))
        .select(
            "__row",
            person.alias("__envelope"),
            org,
            level.alias("NameConfidence"),
            pl.when(pl.col("__n1") < 2)
            .then(pl.lit("one word"))
            .otherwise(reason)
            .alias("NameEvidence"),
        )
        .collect()
    )
    named = pl.concat([orgs, persons]).sort("__row")
    cased = casing.cased(named).replace("", None)
    return _guarded(base, named.with_columns(cased.alias("__envelope")), names)


def _guarded(base: pl.DataFrame, named: pl.DataFrame, names: Names) -> pl.DataFrame:
    """`named` with each reading that breaks an invariant replaced by the fall-back."""
    seg = pl.col("__segments").list.get(0, null_on_oob=True).str.replace_all("~", " ")
    before_comma = seg.str.extract(r"^([^,]+),")
    without_suffix = seg.str.replace(r"(?:\s+(?:JR|SR|II|III|IV|2ND|3RD|[A-Z]))+$", "")
    fields = base.select(
        "__row",
        pl.col("OwnerName").alias("__field1"),
        text_field(base, "OwnerName2").alias("__field2"),
        text_field(base, "OwnerLastName").alias("__field3"),
        pl.when(~pl.col("__org")).then(seg.str.extract(r"^([^\s,]+)")).alias("__sur_a"),
        pl.when(~pl.col("__org"))
        .then(
            pl.coalesce(before_comma.str.extract(r"(\S+)$"), without_suffix.str.extract(r"(\S+)$"))
        )
        .alias("__sur_b"),
        pl.col("__person1").str.count_matches(r"[A-Z][A-Z'-]*").alias("__person_words"),
        # the owner field as the rules read it, markers dropped, owners joined by &
        pl.coalesce(pl.col("__person1"), pl.col("__line2"))
        .str.replace_all(r"\s*\|\s*", " & ")
        .str.replace_all("~", " ", literal=True)
        .alias("__owner_field"),
    )
    checked = named.join(fields, on="__row", how="left", maintain_order="left")
    # the capacity the trustee_title setting adds is no word of the owner's name
    plain = pl.col("__envelope").str.replace(r", Trustees?$", "")
    why = confidence.broken(
        checked.filter(pl.col("__envelope").is_not_null()).with_columns(plain.alias("__envelope"))
    )
    rows = checked.filter(pl.col("__envelope").is_not_null())["__row"]
    broken = pl.DataFrame({"__row": rows, "__broken": why})
    checked = checked.join(broken, on="__row", how="left", maintain_order="left")
    safe = (
        pl.lit(names.salutation)
        if names.fallback == confidence.SALUTATION
        else casing.cased(
            checked.select(
                pl.col("__owner_field").str.strip_chars(" ,&").alias("__envelope"),
                pl.lit(False).alias("__org"),
            )
        )
    )
    fell = pl.col("__broken").is_not_null()
    return checked.with_columns(safe.alias("__safe")).select(
        pl.when(fell).then(pl.col("__safe")).otherwise(pl.col("__envelope")).alias("AlternateName"),
        pl.when(fell)
        .then(pl.lit("fallback"))
        .otherwise(pl.col("NameConfidence"))
        .alias("NameConfidence"),
        pl.when(fell)
        .then(pl.format("fell back: the reading {} ({})", pl.col("__broken"), pl.col("__envelope")))
        .otherwise(pl.col("NameEvidence"))
        .alias("NameEvidence"),
    )


def text_field(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, pl.String)


def envelopes(owners: pl.DataFrame, names: Names, classification: Classification) -> pl.Series:
    """The envelope name of each row of `owners` (see `readings`); with ``ROWS`` 1 on every row
    this is the rule read row by row."""
    return readings(owners, names, classification)["AlternateName"]


def derive(frame: pl.DataFrame, names: Names, classification: Classification) -> pl.DataFrame:
    """Add AlternateName (String; null when the owner name is null or empty); `names` says how
    it prints a trustee, `classification` reads the flags of both owner lines."""
    # classification runs first in the pipeline; on its own this rule computes the flags itself
    flagged = frame if set(FLAGS) <= set(frame.columns) else classified(frame, classification)
    # an owner of many parcels is named once: the name is read per distinct owner (its columns
    # and flags), each standing for its number of rows, then joined back to every row
    key = [c for c in OWNER_INPUTS if c in frame.columns] + list(clean.ORGANISATION_FLAGS)
    owners = flagged.group_by(key).agg(pl.len().alias(clean.ROWS))
    named = pl.concat(
        [owners.select(key), readings(owners, names, classification)], how="horizontal"
    )
    found = flagged.select(key).join(
        named, on=key, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.with_columns(found.select(ADDED))
