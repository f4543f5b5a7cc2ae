"""The envelope name, second step: the order of the words (SPEC 3.4, `propmail.rules.names`).

This module owns the order. A person's name prints given names first, surname last: a comma
says the surname comes first; without one the order is decided on evidence, weighed in turn
(`people`): the provider's OwnerLastName; the shape of the row (an initial last, ``SMITH JOHN &
MARY``, two lines sharing a word); US surname and given-name frequencies (`name_frequencies`);
and, where a row says nothing, the whole column. Co-owners share a surname written once unless
a suffix needs its owner. An organisation keeps its order, except ``TOWN OF`` and an inverted
trust (`organisation`). The text it orders is `clean`'s; the result is upper case, for
`casing`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import polars as pl

from propmail.rules.names.clean import GENERATION, row_count

PARTICLES = r"(?:DE|DEL|DELA|DELLA|DA|DI|DU|LA|VAN|VON|VANDER|ST|SAN)"
GOVERNMENT_TAIL = r"^(.+?),? (TOWN|CITY|COUNTY|STATE|TOWNSHIP|VILLAGE|COMMONWEALTH) OF$"
# |log odds| of surname-first beyond which a row's own words outweigh the column's order
STRONG = 6.0
COLUMN_SHARE = 0.8  # of the rows that show their order, those surname first for the whole column


@lru_cache(maxsize=1)
def name_frequencies() -> pl.DataFrame:
    """name, surname (Census 2010 count), given (SSA 1880-2015 count); read once per process."""
    table = resources.files("propmail.rules").joinpath("data/name_frequencies.parquet")
    with resources.as_file(table) as path:
        return pl.read_parquet(path)


def organisation(name: pl.Expr) -> pl.Expr:
    """An organisation's words in their printed order: as written, except ``LYME, TOWN OF`` ->
    ``TOWN OF LYME`` and an inverted trust (``SMITH TRUST, ANN`` -> ``ANN SMITH TRUST``)."""
    inverted_trust = r"^([^,]*\bTRUST\b[^,]*), ([A-Z']+(?: [A-Z']+)+)$"  # SMITH TRUST, ANN B
    trust_after_given = (
        r"^([^ ,]+), ([^,0-9]+?) ((?:(?:REVOCABLE|IRREVOCABLE|FAMILY|LIVING) )*TRUST)$"
    )
    return (
        name.str.replace(GOVERNMENT_TAIL, "$2 OF $1")
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


def _second_surname(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Owners run together surname first, the second with her own surname: a word after the
    first owner's given names that the frequencies call a surname decisively, followed by one
    likelier a given name, starts the next owner (``SMITH JOHN A JONES MARY`` -> ``SMITH JOHN
    A``, ``JONES MARY``); the first word must be a surname decisively too."""
    rows = frame.with_row_index("__seg_row").collect()
    one = pl.col("__segments").list.get(0, null_on_oob=True)
    candidates = rows.filter(
        (pl.col("__segments").list.len() == 1)
        & ~one.str.contains(",").fill_null(True)
        & (one.str.count_matches(" ") >= 3)
    ).select("__seg_row", one.str.split(" ").alias("__w"))
    if candidates.height == 0:
        return rows.lazy().drop("__seg_row")
    words = (
        candidates.with_columns(pl.int_ranges(pl.col("__w").list.len()).alias("__i"))
        .explode("__w", "__i")
        .join(name_frequencies().rename({"name": "__w"}), on="__w", how="left")
        .with_columns(
            ((pl.col("surname").fill_null(0) + 1) / (pl.col("given").fill_null(0) + 1))
            .log()
            .alias("__odds")
        )
        .sort("__seg_row", "__i")
        .with_columns(pl.col("__odds").shift(-1).over("__seg_row").alias("__next"))
    )
    first_surname = words.filter((pl.col("__i") == 0) & (pl.col("__odds") > STRONG))["__seg_row"]
    splits = (
        words.filter(
            (pl.col("__i") >= 2)
            & (pl.col("__odds") > STRONG)
            & (pl.col("__next") < -1)
            & pl.col("__seg_row").is_in(first_surname.implode())
        )
        .group_by("__seg_row")
        .agg(pl.col("__i").min().alias("__at"))
    )
    split = candidates.join(splits, on="__seg_row").select(
        "__seg_row",
        pl.concat_list(
            pl.col("__w").list.slice(0, pl.col("__at")).list.join(" "),
            pl.col("__w").list.slice(pl.col("__at")).list.join(" "),
        ).alias("__split"),
    )
    return (
        rows.join(split, on="__seg_row", how="left", maintain_order="left")
        .with_columns(pl.coalesce("__split", "__segments").alias("__segments"))
        .drop("__seg_row", "__split")
        .lazy()
    )


def people(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add __people: the envelope name of the person rows (upper case), from __segments."""
    frame = _second_surname(frame)
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
        # MARK A after KRAMER KARL J is given names; DURANTE D after RUDNER J is a full name
        | ((n2 == 2) & last2_initial & ~(pl.col("__first2_s") > pl.col("__first2_g")))
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
        # JOHN A SMITH (not HOLT R J: initials only follow their surname)
        ((n1 == 3) & b1.str.contains(r"^\S+ \S \S{2,}$")).alias("__middle_initial"),
    )
    given_only2, full2 = pl.col("__given_only2"), pl.col("__full2")
    middle_initial, odds = pl.col("__middle_initial"), pl.col("__odds")
    last = pl.col("__last")
    frame = frame.with_columns(
        (
            (n1 >= 2)
            & (
                # an initial last; a closing I or V may be a suffix (LARRY JAMES JOHNSON I)
                (b1.str.contains(r" \S$") & ~b1.str.contains(r" [IV]$"))
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
        (row_count(pl.col("__vote") == 1) >= COLUMN_SHARE * row_count(pl.col("__vote") != 0)).alias(
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
        (row_count(pl.col("__vote") == 1) / row_count(pl.col("__vote") != 0)).round(2),
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
    # owner's; a second owner line keeps the order of the file's lines unless the frequencies
    # are decisive (a provider's swapped second owner: SMITH JOANNE)
    own2 = (full2 & ~comma).fill_null(False)
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
