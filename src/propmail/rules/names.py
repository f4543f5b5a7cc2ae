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

Everything is polars expressions over whole columns; words are cased inside ``list.eval``.
An owner of many parcels is named once: `derive` reads each distinct owner (its name columns
and flags) and joins the name back to its rows, the column's evidence counting every row.

>>> import polars as pl
>>> from propmail.rules import classification
>>> from propmail.settings import load_rules
>>> rules = load_rules()
>>> owners = ["JOHN SMITH", "SMITH JOHN & MARY", "MCDONALD HOLDINGS LLC", "BRAINTREE TOWN OF"]
>>> frame = pl.DataFrame({"OwnerName": owners})
>>> derive(classification.derive(frame, rules), rules)["AlternateName"].to_list()
['John Smith', 'John & Mary Smith', 'McDonald Holdings LLC', 'Town of Braintree']
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import polars as pl

from propmail.rules import classification
from propmail.rules.classification import FLAGS, text_column

if TYPE_CHECKING:
    from propmail.settings import Rules

# Words an organisation's name prints in capitals: legal forms, roman numerals, known acronyms.
UPPER_WORDS = (
    "LLC", "LC", "LLP", "LLLP", "LP", "PLLC", "PC", "PA", "NA", "FSB", "HOA", "USA", "US",
    "HUD", "YMCA", "YWCA", "REIT", "NAACP", "AME", "VFW", "USDA", "DBA", "FBO",
)  # fmt: skip
ROMAN = ("II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "XIII", "XIV", "XV")
# Joining words printed in lower case inside an organisation's name.
LOWER_WORDS = ("OF", "THE", "AND", "FOR", "IN", "AT")
# No vowel, yet not an acronym: abbreviations printed in title case.
NOT_ACRONYMS = ("ST", "MT", "FT", "JR", "SR", "MR", "MRS", "DR", "MS", "LTD")
# Mac is a prefix only in these surnames (Mack, Macy, Machado, Mackintosh stay as they are).
MAC_SURNAMES = (
    "MACDONALD", "MACDONNELL", "MACDOUGALL", "MACKENZIE", "MACKAY", "MACKINNON", "MACLEOD",
    "MACLEAN", "MACLELLAN", "MACMILLAN", "MACGREGOR", "MACARTHUR", "MACAULAY", "MACPHERSON",
    "MACNEIL", "MACNEILL", "MACFARLANE", "MACINTYRE", "MACINNIS", "MACIVER", "MACRAE",
    "MACLAREN", "MACQUARRIE", "MACGILLIVRAY", "MACFADYEN", "MACKIE", "MACLACHLAN",
)  # fmt: skip
GENERATION = r"JR|SR|II|III|IV|2ND|3RD"
TRUSTEE = r"(?:CO-?)?(?:TTE'S|TRUSTEES?|TTEES?|TTES?|TRS|TR)"
# Dropped from a person's name: tenancy, life estate, trustee, capacity, credentials, unknowns.
MARKERS = (
    rf"\b(?:AS )?{TRUSTEE}\b|\bET ?(?:AL|ALS|UX|VIR)\b|\bETHALS\b|\bETA\b|\bJTWROS\b|\bJTS?\b"
    r"|\bTIC\b|\bTEN COM\b|\bHW\b|\bADMRX?\b|\bEXTR\b|\bEXECU?T?R?I?X?\b|\bATTY\b|\bPOA\b"
    r"|\bFNU\b|\bLNU\b|\bLIFE EST(?:ATE)?\b|\b(?:MD|DDS|CPA|ESQ|PHD|DMD|RN)\b"
)
# Marker forms with punctuation, taken out before the separators split the owners.
JOINED_MARKERS = (
    r"\([^)]*\)?|\bH ?[&/] ?W\b|\bW ?/ ?H\b|& ?(?:WF|HUS)\b|\bL/E\b"
    r"|\bW/O\b.*$"
)
PARTICLES = r"(?:DE|DEL|DELA|DELLA|DA|DI|DU|LA|VAN|VON|VANDER|ST|SAN)"
TRUST_WORD = r"\bTRUSTS?\b"
GOVERNMENT_TAIL = r"^(.+?),? (TOWN|CITY|COUNTY|STATE|TOWNSHIP|VILLAGE|COMMONWEALTH) OF$"
LEGAL_END = r"\b(?:LLC|INC|CORP|CO|LP|LLP|LTD|PC|PLLC|NA|COMPANY|CORPORATION)$"
# |log odds| of surname-first beyond which a row's own words outweigh the column's order
STRONG = 6.0
COLUMN_SHARE = 0.8  # of the rows that show their order, those surname first for the whole column
SEP = "|"
# what the envelope name is read from; ROWS counts the upload rows of one distinct owner
OWNER_INPUTS = ("OwnerName", "OwnerName2", "OwnerLastName")
ORGANISATION_FLAGS = ("IsBusiness", "IsChurch", "IsGovernment")
ROWS = "__rows"
CLOSED = "\x02"  # joins letters a registry spaced out (L L C); such a word prints in capitals
# Words of an organisation's name that no flag covers (a school, a society, a farm, the
# owners of a condominium's common parts: COUNCIL OF UNIT OWNERS, TROLLE LOT OWNERS). CONDO and
# ALLIANCE are surnames too (CONDO, MANUEL) and are left out.
ORGANISATION = (
    r"\b(?:OF|THE|FOR|ACADEMY|SOCIETY|COLLEGE|SCHOOL|UNIVERSITY|CLUB|FOUNDATION|CENTER|CENTRE"
    r"|CONSERVANCY|COUNCIL|INSTITUTE|HOSPITAL|LEAGUE|MUSEUM|LIBRARY|CEMETERY|FARMS?|ORCHARDS?"
    r"|SERVICES?|ASSOCIATES|ASSOCIATION|ASSN|ASSOC|CONDOMINIUMS?|APARTMENTS|TOWNHOUSES|HOUSING"
    r"|OWNERS|HOMEOWNERS|COMMUNITY|CIVIC|COMMITTEE|NEIGHBORHOOD|PARTNERS|PARTNERSHIP"
    r"|ELECTRIC|WATER|RAILROAD|AMERICAN|NATIONAL|UNITED)\b"
)
# HOA (homeowners association) closing a first owner line of three or more words; HOA is also a
# Vietnamese given name (NGUYEN, HOA VAN; NGO HOA TU), so not after a comma, not in a shorter
# line (NGUYEN HOA) and not beside a Vietnamese middle name (KIM THI THANH HOA, LE VAN HOA).
HOA = r"^[^,]*\S+ \S+ HOA$"
NOT_HOA = r"\b(?:THI|VAN|NGOC|THANH|MINH|KIM|HONG|XUAN)\b"


@lru_cache(maxsize=1)
def name_frequencies() -> pl.DataFrame:
    """name, surname (Census 2010 count), given (SSA 1880-2015 count); read once per process."""
    table = resources.files("propmail.rules").joinpath("data/name_frequencies.parquet")
    with resources.as_file(table) as path:
        return pl.read_parquet(path)


def _clean(name: pl.Expr) -> pl.Expr:
    """Upper case, periods, care-of text and ET AL dropped, one space, ``", "`` after commas."""
    return (
        name.cast(pl.String)
        .str.to_uppercase()
        .str.replace_all(r"\.([A-Z]{2})", " $1")  # M.HUI -> M HUI
        .str.replace_all(".", "", literal=True)
        .str.replace(r"(^|[^0-9])\s*(?:%|\bC/O\b|\bATTN\b).*$", "$1")
        .str.replace_all(r"\bET ?(?:AL|ALS)\b|\(ETAL\)|\bETA\b", " ")
        .str.replace_all(r"\s+", " ")
        .str.replace_all(r"(\w)- (\w)", "$1-$2")
        .str.replace_all(r"\s*,[\s,]*", ", ")
        .str.strip_chars(" ,&")
    )


def _person_line(line: pl.Expr) -> pl.Expr:
    """A cleaned owner line of a person: markers out, co-owner separators as `SEP`."""
    return (
        line.str.replace_all(JOINED_MARKERS, " ")
        .str.replace_all(r"\b([A-Z]) LE\b", "$1")  # JAMES C LE: a life estate after an initial
        .str.replace_all(MARKERS, " ")
        .str.replace_all(r"\bMC ([A-Z])", "MC$1")  # MC LEAN -> MCLEAN
        .str.replace_all(r"\s*(?:&|/|;|\bAND\b)\s*", SEP)
        .str.replace_all(r"\s+", " ")
        .str.replace_all(r"\s*,[\s,]*", ", ")
        .str.replace_all(rf" ({GENERATION}),", "~$1,")  # SKEENS JR, -> one word before a comma
    )


def _org_name(name: pl.Expr, line2: pl.Expr) -> pl.Expr:
    """An organisation's name: the second line joined, spaced letters closed, ``TOWN OF`` first."""
    joined = (
        pl.when(line2.is_null())
        .then(name)
        .when(name.str.contains(LEGAL_END))
        .then(name + " & " + line2)
        .otherwise(name + " " + line2)
    )
    inverted_trust = r"^([^,]*\bTRUST\b[^,]*), ([A-Z']+(?: [A-Z']+)+)$"  # SMITH TRUST, ANN B
    trust_after_given = (
        r"^([^ ,]+), ([^,0-9]+?) ((?:(?:REVOCABLE|IRREVOCABLE|FAMILY|LIVING) )*TRUST)$"
    )
    return (
        joined.str.replace(r" (?:TR|TRS|TTEES?|TTE)$", "")
        .str.replace_all(r"\b([A-Z]) ([A-Z]) ([A-Z])\b", f"$1{CLOSED}$2{CLOSED}$3")
        .str.replace_all(rf"{CLOSED}([A-Z]) ([A-Z])\b", f"{CLOSED}$1{CLOSED}$2")
        .str.replace_all(rf"{CLOSED}([A-Z]) ([A-Z])\b", f"{CLOSED}$1{CLOSED}$2")
        .str.replace_all(r"\bN A$", "NA")
        .str.replace_all(r"\bL P\b", "LP")
        .str.replace(GOVERNMENT_TAIL, "$2 OF $1")
        .str.replace(trust_after_given, "$2 $1 $3")
        .str.replace(inverted_trust, "$2 $1")
        .str.strip_chars(" ,&")
    )


def _words(segment: pl.Expr) -> pl.Expr:
    return segment.str.split(" ")


def _log_odds(word: str) -> pl.Expr:
    """ln of how much likelier `word` (its joined counts) is a surname than a given name."""
    return ((pl.col(f"{word}_s") + 1) / (pl.col(f"{word}_g") + 1)).log()


def _given_name(word: str) -> pl.Expr:
    """The word is far more often a given name than a surname (two lines sharing WILLIAM share
    a given name, not a surname: NGUYEN WILLIAM / O'BRIEN WILLIAM)."""
    return pl.col(f"{word}_g") > 20 * pl.col(f"{word}_s")


def _split_comma(segment: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    found = segment.str.extract_groups(r"^(?<surname>[^,]+), ?(?<given>.*)$")
    return found.struct.field("surname"), found.struct.field("given")


def _reading(
    choices: list[tuple[pl.Expr, pl.Expr, pl.Expr]], surname: pl.Expr, given: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """(surname, given) of the first (condition, surname, given) that holds, else the last two."""
    for condition, s, g in reversed(choices):
        surname = pl.when(condition).then(s).otherwise(surname)
        given = pl.when(condition).then(g).otherwise(given)
    return surname, given


def _surname_first(body: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    surname = body.str.extract(rf"^((?:{PARTICLES} )*\S+)")
    return surname, body.str.slice(surname.str.len_chars() + 1)


def _surname_last(body: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    surname = body.str.extract(rf"(?:^| )((?:{PARTICLES} )*\S+)$")
    return surname, body.str.slice(
        0, body.str.len_chars() - surname.str.len_chars()
    ).str.strip_chars()


def _suffix(segment: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(segment without its generational suffix, the suffix)."""
    text = segment.str.replace_all("~", " ", literal=True)
    suffix = text.str.extract(rf"\b({GENERATION})\b")
    body = (
        text.str.replace_all(rf"\s*\b(?:{GENERATION})\b", "")
        .str.replace_all(r"\s*,\s*", ", ")
        .str.strip_chars(" ,")
    )
    return body, suffix


def _join(*parts: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        [p.str.strip_chars().replace("", None) for p in parts], separator=" ", ignore_nulls=True
    )


def _people(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add __people: the envelope name of the person rows (upper case), from __segments."""
    seg = pl.col("__segments")
    one, two = seg.list.get(0, null_on_oob=True), seg.list.get(1, null_on_oob=True)
    body1, suffix1 = _suffix(one)
    body2, suffix2 = _suffix(two)
    frame = frame.with_columns(
        body1.alias("__b1"),
        suffix1.alias("__x1"),
        body2.alias("__b2"),
        suffix2.alias("__x2"),
    ).with_columns(
        pl.col("__b1").str.contains(",").fill_null(False).alias("__comma"),
        pl.col("__b1").str.extract(r"^(\S+)").alias("__first"),
        pl.col("__b1").str.replace(r"(?: \S)+$", "").str.extract(r"(\S+)$").alias("__last1"),
        pl.col("__b1").str.extract(r"^\S+ (?:\S )*(\S{2,})").alias("__second"),
        pl.col("__b2").str.extract(r"(\S+)$").alias("__last2"),
        pl.col("__b2").str.extract(r"^(\S+) ").alias("__first2"),
        pl.col("__b2").str.extract(r"^\S+ (?:\S )*(\S{2,})").alias("__second2"),
    )
    # looked up without apostrophes (OHARA) or accents (PEÑA as PENA), a hyphenated name by its
    # first part (JEAN-PAUL)
    looked_up = ("__first", "__second", "__last1", "__first2", "__second2", "__last2")
    keyed = frame.with_columns(
        pl.col(w)
        .str.extract(r"^([^-]+)")
        .str.replace_all("['’]", "")
        .str.normalize("NFD")
        .str.replace_all(r"\p{M}", "")
        .alias(f"{w}_key")
        for w in looked_up
    ).collect()
    # the table cut to the words of these names first: six joins on a few rows, not 240,000
    present = pl.concat([keyed[f"{w}_key"] for w in looked_up]).drop_nulls().unique()
    known = name_frequencies().filter(pl.col("name").is_in(present.implode())).lazy()
    frame = keyed.lazy()
    for w in looked_up:
        frame = frame.join(
            known.rename({"name": f"{w}_key", "surname": f"{w}_s", "given": f"{w}_g"}),
            on=f"{w}_key",
            how="left",
            maintain_order="left",
        ).with_columns(pl.col(f"{w}_s", f"{w}_g").fill_null(0))
    b1, b2, comma = pl.col("__b1"), pl.col("__b2"), pl.col("__comma")
    # each stage is a column of its own, so that no expression is evaluated twice
    frame = frame.with_columns(
        _words(b1).list.len().alias("__n1"),
        _words(b2).list.len().alias("__n2"),
        b2.str.contains(r" \S$").alias("__last2_initial"),
        (b2.is_not_null() & ~b2.str.contains(",")).alias("__plain2"),
        b2.str.extract(r"^(\S+)").alias("__opens2"),
        (_log_odds("__first") - _log_odds("__second")).alias("__odds"),
        (_log_odds("__first2") - _log_odds("__second2")).alias("__odds2"),
    )
    n1, n2, last2_initial = pl.col("__n1"), pl.col("__n2"), pl.col("__last2_initial")
    given_only2 = pl.col("__plain2") & (
        (n2 == 1)
        | ((n2 == 2) & last2_initial)
        | (comma & (last2_initial | (pl.col("__last2_g") > pl.col("__last2_s"))))
        | (  # SIMPSON MARK & JEAN MARIE: two given names after an & share the surname
            pl.col("__line2").is_null()
            & (n2 == 2)
            & (pl.col("__first2_g") > pl.col("__first2_s"))
            & (pl.col("__last2_g") > pl.col("__last2_s"))
        )
    )
    frame = frame.with_columns(given_only2.alias("__given_only2")).with_columns(
        (pl.col("__plain2") & ~pl.col("__given_only2")).alias("__full2"),
        ((n1 == 3) & b1.str.contains(r"^\S+ \S \S+$")).alias("__middle_initial"),  # JOHN A SMITH
    )
    given_only2, full2 = pl.col("__given_only2"), pl.col("__full2")
    middle_initial, odds = pl.col("__middle_initial"), pl.col("__odds")
    last = pl.col("__last")
    frame = frame.with_columns(
        (
            (n1 >= 2)
            & (
                b1.str.contains(r" \S$")
                | given_only2.fill_null(False)
                | ((pl.col("__opens2") == pl.col("__first")) & ~_given_name("__first"))
            ).fill_null(False)
        ).alias("__shape_sf"),
        (
            middle_initial
            | (
                full2
                & (pl.col("__last2") == pl.col("__last1"))
                & (pl.col("__opens2") != pl.col("__first"))
                & ~_given_name("__last1")
            )
        )
        .fill_null(False)
        .alias("__shape_gf"),
    )
    shape_sf, shape_gf = pl.col("__shape_sf"), pl.col("__shape_gf")
    # JOHN HENRY: a common given name followed by another given name reads as written
    given_given = _given_name("__first") & (pl.col("__second_g") > pl.col("__second_s"))
    vote = (
        pl.when(comma | (n1 < 2)).then(0)
        .when(shape_sf & ~shape_gf).then(1)
        .when(shape_gf & ~shape_sf).then(-1)
        .when(odds > 1).then(1)
        .when(odds < -1).then(-1)
        .otherwise(0)
    )  # fmt: skip
    frame = frame.with_columns(vote.alias("__vote")).with_columns(
        # the column writes surname first when its rows that say something nearly all say so
        (_rows(pl.col("__vote") == 1) >= COLUMN_SHARE * _rows(pl.col("__vote") != 0)).alias(
            "__column_sf"
        )
    )
    # the evidence in the order it is weighed: (it holds, surname first, in words)
    evidence = [
        (comma, True, "a comma after the surname"),
        (last.is_not_null() & b1.str.starts_with(last + " "), True, "OwnerLastName opens the name"),
        (last.is_not_null() & b1.str.ends_with(" " + last), False, "OwnerLastName closes the name"),
        ((n1 == 1) & full2, False, "one word, then a co-owner's full name"),
        (middle_initial, False, "given name, middle initial, surname (JOHN A SMITH)"),
        (shape_sf & ~shape_gf, True, "the row's shape (an initial last, a given name after &)"),
        (shape_gf & ~shape_sf, False, "the row's shape (two owners ending in the same surname)"),
        (odds > STRONG, True, "US name frequencies: the first word is a surname"),
        (odds < -STRONG, False, "US name frequencies: the first word is a given name"),
        (given_given, False, "a common given name followed by another given name"),
    ]  # fmt: skip
    surname_first: pl.Expr = pl.col("__column_sf")
    reason: pl.Expr = pl.format(
        "the whole column: {} of the rows that show their order are surname first "
        f"(surname first from {COLUMN_SHARE:.0%})",
        (_rows(pl.col("__vote") == 1) / _rows(pl.col("__vote") != 0)).round(2),
    )
    for holds, first, words in reversed(evidence[1:]):  # the comma is read apart, below
        surname_first = pl.when(holds).then(first).otherwise(surname_first)
        reason = pl.when(holds).then(pl.lit(words)).otherwise(reason)
    reason = pl.when(comma).then(pl.lit(evidence[0][2])).otherwise(reason)
    frame = frame.with_columns(surname_first.alias("__sf"), reason.alias("__sf_reason"))
    sf = pl.col("__sf")
    none = pl.lit(None, dtype=pl.String)
    sur1, giv1 = _reading(
        [(comma, *_split_comma(b1)), (n1 == 1, none, b1), (sf, *_surname_first(b1))],
        *_surname_last(b1),
    )
    # a co-owner's full name after an & (or /, ;) of a name without a comma is read in its own
    # order where the frequencies are decisive (SMITH JOHN & MARY JONES), else in the first
    # owner's; a second owner line keeps the order of the file's lines
    own2 = (full2 & ~comma & pl.col("__line2").is_null()).fill_null(False)
    odds2 = pl.col("__odds2")
    sur2, giv2 = _reading(
        [
            (b2.str.contains(","), *_split_comma(b2)),
            (given_only2, none, b2),
            (own2 & (odds2 < -STRONG), *_surname_last(b2)),
            (own2 & (odds2 > STRONG), *_surname_first(b2)),
            (sf & ~comma, *_surname_first(b2)),
        ],
        *_surname_last(b2),
    )
    frame = frame.with_columns(
        sur1.alias("__s1"), giv1.alias("__g1"), sur2.alias("__s2"), giv2.alias("__g2")
    )
    s1 = pl.coalesce(pl.col("__s1"), pl.col("__s2"))
    s2 = pl.coalesce(pl.col("__s2"), pl.col("__s1"))
    x1, x2 = pl.col("__x1"), pl.col("__x2")
    shared = (s1 == s2) & x1.is_null() & x2.is_null()
    owner1 = _join(pl.col("__g1"), s1, x1)
    owner2 = _join(pl.col("__g2"), s2, x2)
    people = (
        pl.when(b2.is_null()).then(owner1)
        .when(shared.fill_null(False)).then(_join(pl.col("__g1"), pl.lit("&"), pl.col("__g2"), s1))
        .otherwise(_join(owner1, pl.lit("&"), owner2))
    )  # fmt: skip
    return frame.with_columns(people.alias("__people"))


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


def _cased(envelope: pl.DataFrame) -> pl.Series:
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


def _flags_of_both_lines(
    frame: pl.DataFrame, both: pl.Expr, second: pl.Expr, rules: Rules
) -> pl.DataFrame:
    """The flags of the two owner lines read as one, computed only where there is a second."""
    if frame.select(second.is_null().all()).item():
        return frame.select(*(pl.lit(False).alias(f) for f in FLAGS))
    lines = frame.select(both.alias("OwnerName"), second.is_not_null().alias("__two"))
    two = lines.filter(pl.col("__two")).drop("__two")
    flags = classification.derive(two, rules).select(FLAGS)
    rows = lines.select(pl.col("__two").arg_true()).to_series()
    return pl.DataFrame(
        {f: pl.Series(f, [False] * frame.height).scatter(rows, flags[f]) for f in FLAGS}
    )


def _rows(condition: pl.Expr) -> pl.Expr:
    """How many upload rows `condition` holds on: each distinct owner stands for `ROWS` rows."""
    return pl.col(ROWS).filter(condition).sum()


def _base(owners: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """What the envelope name is read from: cleaned lines, segments, organisation or not.

    `owners` holds the owner columns, the flags and `ROWS`; the column's evidence (a listed
    file, a file written surname first) counts each row `ROWS` times.
    """
    second = text_column(owners, "OwnerName2")
    line1, line2 = _clean(pl.col("OwnerName")), _clean(second).replace("", None)
    both = pl.concat_str([pl.col("OwnerName"), second], separator=" ", ignore_nulls=True)
    # a second line may say what the first does not (TINDLEY TEMPLE UNITED / METHODIST CHURCH)
    whole = _flags_of_both_lines(owners, both, second, rules)
    name = pl.col("__name")
    trustee = name.str.contains(rf"\b{TRUSTEE}\b")
    # SMITH JOHN ESTATE prints John Smith Estate; a life estate's marker is dropped
    estate_tail = name.str.contains(" ESTATE$") & ~name.str.contains(r"\bLIFE ESTATE$")
    segments = (
        pl.concat_str(
            [
                _person_line(
                    pl.when(estate_tail).then(name.str.replace(" ESTATE$", "")).otherwise(name)
                ),
                _person_line(pl.col("__line2")),
            ],
            separator=SEP,
            ignore_nulls=True,
        )
        .str.split(SEP)
        .list.eval(
            pl.element()
            .str.strip_chars(" ,")
            .filter(
                (pl.element().str.strip_chars(" ,") != "") & ~pl.element().str.contains(TRUST_WORD)
            )
        )
    )
    lazy = owners.lazy().with_columns(
        line1.alias("__name"),
        line2.alias("__line2"),
        _clean(text_column(owners, "OwnerLastName")).alias("__last"),
        whole["IsBusiness"].alias("__business"),
        whole["IsChurch"].alias("__church"),
        whole["IsGovernment"].alias("__government"),
    )
    # a file whose entries are whole names listed with commas (a deed index) splits on them
    first_part = (
        pl.col("__name")
        .str.extract(r"^([^,]+),")
        .str.replace_all(rf"\b(?:{GENERATION}|{TRUSTEE})\b", "")
    )
    flagged_org = pl.col("IsBusiness") | pl.col("IsChurch") | pl.col("IsGovernment")
    spaced = first_part.str.strip_chars().str.contains(" ")
    among = ~flagged_org & spaced.is_not_null()
    listed = (
        pl.when(_rows(among) > 0).then(_rows(among & spaced) / _rows(among) > 0.5).otherwise(False)
    )
    lazy = lazy.with_columns(
        pl.when(listed)
        .then(pl.col("__name").str.replace_all(",", " &"))
        .otherwise(pl.col("__name"))
        .alias("__name")
    ).with_columns(segments.alias("__segments"))
    organisation = (
        pl.col("IsBusiness") | pl.col("IsChurch") | pl.col("IsGovernment")
        | pl.col("__business") | pl.col("__church") | pl.col("__government")
        | pl.col("__name").str.contains(r"\bESTATE OF\b|\bEST OF\b|\bHEIRS\b")
        | pl.col("__segments").list.join(" ").str.contains(rf"\d|{ORGANISATION}")
        | (pl.col("__name").str.contains(HOA) & ~pl.col("__name").str.contains(NOT_HOA))
        | (pl.col("__segments").list.len() == 0)
    )  # fmt: skip
    lazy = lazy.with_columns(
        organisation.fill_null(False).alias("__org"),
        trustee.alias("__trustee"),
        (estate_tail & ~organisation).alias("__estate"),
    )
    # owners run together, each after a comma: SMITH, ANN MARIE SMITH, JOHN
    run_together = r", ([^,|~ ][^,|]*?) ([^\s,|]+),"
    lazy = lazy.with_columns(
        pl.col("__segments")
        .list.join(SEP)
        .str.replace_all(run_together, ", $1|$2,")
        .str.replace_all(run_together, ", $1|$2,")
        .str.replace_all(r"^([^,|]*, [^,|]*), ", f"$1{SEP}")
        .str.replace_all(r"\|([^,|]*, [^,|]*), ", f"{SEP}$1{SEP}")
        .str.split(SEP)
        .list.eval(pl.element().filter(pl.element().str.strip_chars(" ,") != ""))
        .alias("__segments")
    )
    return lazy.with_row_index("__row").collect()


def order_evidence(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Per row, for `propmail explain`: whether the name is read as an organisation's
    (``organisation``), else whether the surname comes first (``surname_first``) and the
    evidence it was decided on (``evidence``); computed over the whole file, as the column's
    own order is evidence too.

    >>> from propmail.settings import load_rules
    >>> rules = load_rules()
    >>> owners = pl.DataFrame({"OwnerName": ["SMITH, JOHN", "ACME LLC"]})
    >>> frame = classification.derive(owners, rules)
    >>> order_evidence(frame, rules).rows()
    [(False, True, 'a comma after the surname'), (True, None, None)]
    """
    flagged = frame if set(FLAGS) <= set(frame.columns) else classification.derive(frame, rules)
    base = _base(flagged.with_columns(pl.lit(1, pl.UInt32).alias(ROWS)), rules)
    persons = (
        _people(base.lazy().filter(~pl.col("__org")))
        .select("__row", pl.col("__sf").alias("surname_first"), pl.col("__sf_reason"))
        .collect()
    )
    return (
        base.select("__row", pl.col("__org").alias("organisation"))
        .join(persons, on="__row", how="left", maintain_order="left")
        .select("organisation", "surname_first", pl.col("__sf_reason").alias("evidence"))
    )


def envelopes(owners: pl.DataFrame, rules: Rules) -> pl.Series:
    """The envelope name of each row of `owners` (see `_base`); with ``ROWS`` 1 on every row
    this is the rule read row by row."""
    # the person and the organisation readings, each computed on its own rows only
    base = _base(owners, rules)
    org = pl.col("__org")
    orgs = base.filter(org).select(
        "__row", _org_name(pl.col("__name"), pl.col("__line2")).alias("__envelope"), org
    )
    people = pl.col("__people")
    titled = (
        pl.when(~pl.col("__trustee") | ~pl.lit(rules.names.trustee_title)).then(people)
        .when(people.str.contains("&", literal=True)).then(people + ", TRUSTEES")
        .otherwise(people + ", TRUSTEE")
    )  # fmt: skip
    person = pl.when(pl.col("__estate")).then(titled + " ESTATE").otherwise(titled)
    persons = (
        _people(base.lazy().filter(~org)).select("__row", person.alias("__envelope"), org).collect()
    )
    return _cased(pl.concat([orgs, persons]).sort("__row")).replace("", None)


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Add AlternateName (String; null when the owner name is null or empty)."""
    # classification runs first in the pipeline; on its own this rule computes the flags itself
    flagged = frame if set(FLAGS) <= set(frame.columns) else classification.derive(frame, rules)
    # an owner of many parcels is named once: the name is read per distinct owner (its columns
    # and flags), each standing for its number of rows, then joined back to every row
    key = [c for c in OWNER_INPUTS if c in frame.columns] + list(ORGANISATION_FLAGS)
    owners = flagged.group_by(key).agg(pl.len().alias(ROWS))
    named = owners.select(key).with_columns(envelopes(owners, rules).alias("AlternateName"))
    found = flagged.select(key).join(
        named, on=key, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.with_columns(found["AlternateName"])
