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
from propmail.rules.names import casing, clean, order
from propmail.rules.names.clean import ORGANISATION_FLAGS, ROWS
from propmail.rules.names.order import name_frequencies

__all__ = [
    "ORGANISATION_FLAGS",
    "ROWS",
    "Names",
    "derive",
    "envelopes",
    "name_frequencies",
    "order_evidence",
]


@dataclass(frozen=True)
class Names:
    """How the envelope name prints what operators may print differently (``[names]``)."""

    trustee_title: bool = False  # print ", Trustee" after a trustee's name


# what the envelope name is read from
OWNER_INPUTS = ("OwnerName", "OwnerName2", "OwnerLastName")


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


def envelopes(owners: pl.DataFrame, names: Names, classification: Classification) -> pl.Series:
    """The envelope name of each row of `owners` (see `clean.base`); with ``ROWS`` 1 on every row
    this is the rule read row by row."""
    # the person and the organisation readings, each computed on its own rows only
    base = clean.base(owners, classification)
    org = pl.col("__org")
    orgs = base.filter(org).select(
        "__row",
        order.organisation(clean.org_lines(pl.col("__name"), pl.col("__line2"))).alias(
            "__envelope"
        ),
        org,
    )
    people = pl.col("__people")
    titled = (
        pl.when(~pl.col("__trustee") | ~pl.lit(names.trustee_title)).then(people)
        .when(people.str.contains("&", literal=True)).then(people + ", TRUSTEES")
        .otherwise(people + ", TRUSTEE")
    )  # fmt: skip
    person = pl.when(pl.col("__estate")).then(titled + " ESTATE").otherwise(titled)
    persons = (
        order.people(base.lazy().filter(~org))
        .select("__row", person.alias("__envelope"), org)
        .collect()
    )
    return casing.cased(pl.concat([orgs, persons]).sort("__row")).replace("", None)


def derive(frame: pl.DataFrame, names: Names, classification: Classification) -> pl.DataFrame:
    """Add AlternateName (String; null when the owner name is null or empty); `names` says how
    it prints a trustee, `classification` reads the flags of both owner lines."""
    # classification runs first in the pipeline; on its own this rule computes the flags itself
    flagged = frame if set(FLAGS) <= set(frame.columns) else classified(frame, classification)
    # an owner of many parcels is named once: the name is read per distinct owner (its columns
    # and flags), each standing for its number of rows, then joined back to every row
    key = [c for c in OWNER_INPUTS if c in frame.columns] + list(clean.ORGANISATION_FLAGS)
    owners = flagged.group_by(key).agg(pl.len().alias(clean.ROWS))
    named = owners.select(key).with_columns(
        envelopes(owners, names, classification).alias("AlternateName")
    )
    found = flagged.select(key).join(
        named, on=key, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.with_columns(found["AlternateName"])
