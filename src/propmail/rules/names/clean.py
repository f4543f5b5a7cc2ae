"""The envelope name, first step: what it is read from (SPEC 3.4, `propmail.rules.names`).

This module owns the cleaning: the owner lines upper-cased and stripped of periods, care-of
text and ``ET AL`` (`clean`); a person's markers of tenancy, life estate, trusteeship, capacity
and credentials dropped and the co-owners split on ``&``, ``AND``, ``/``, ``;`` and commas
(`person_line`, `base`); whether the name is an organisation's (the flags of both owner lines,
organisation words, a closing ``HOA``, digits); an organisation's two lines joined and its
spaced-out letters closed up (`org_lines`). The word order is `order`'s, the letter case
`casing`'s.

>>> import polars as pl
>>> pl.select(clean(pl.lit("SMITH JOHN A. ET AL C/O JANE DOE"))).item()
'SMITH JOHN A'
"""

from __future__ import annotations

import polars as pl

from propmail.rules import classification
from propmail.rules.classification import FLAGS, Classification, text_column

GENERATION = r"JR|SR|II|III|IV|2ND|3RD"
TRUSTEE = r"(?:CO-?)?(?:TTE'S|TRUSTEES?|TTEES?|TTES?|TRS|TR)"
# Dropped from a person's name: tenancy, life estate, trustee, capacity, credentials, unknowns.
MARKERS = (
    rf"\b(?:AS )?{TRUSTEE}\b|\bET ?(?:AL|ALS|UX|VIR)\b|\bETHALS\b|\bETA\b|\bJTWROS\b|\bJTS?\b"
    r"|\bTIC\b|\bTEN COM\b|\bHW\b|\bADMRX?\b|\bEXTR\b|\bEXECU?T?R?I?X?\b|\bATTY\b|\bPOA\b"
    r"|\bFNU\b|\bLNU\b|\bLIFE EST(?:ATE)?\b|\b(?:MD|DDS|CPA|ESQ|PHD|PH D|DMD|RN)\b"
    r"|\bLIFE TENANTS?\b|\bREMAINDERM[AE]N\b|\bL[TF] EST(?:ATE)?\b"
)
# life tenant and remainderman where they close an owner's name (not LT ALAMEDA LLC)
LIFE_TENANCY = r" (?:LT|RM)\b( ?(?:\||,|$))"
# Marker forms with punctuation, taken out before the separators split the owners.
JOINED_MARKERS = (
    r"\([^)]*\)?|\bH ?[&/] ?W\b|\bW ?/ ?H\b|& ?(?:WF|HUS)\b|\bL/E\b"
    r"|\b\d+/\d+ INT\b|\+"  # a share (1/2 INT) and "and others" (LEAVITT, JAMES G +)
    r"|\bW/O\b.*$"
    # relationship and tenancy codes between co-owners (an MLS record): J/T joint tenants,
    # H//W, H/ husband and wife, S/D, M/D, F/S parent and child
    r"|\b(?:J/T|H//W|[SMFD]/[SMFD])\b|\bH/(?: |$)"
)
# a comma before a generational suffix or a credential is no surname's comma (JOHN DOE, JR;
# DOE, JOHN A, III; MARY SMITH, PH D): the suffix stays, the credential goes
SUFFIX_COMMA = rf",\s*({GENERATION})\b(?:\s*,)?"
CREDENTIAL_COMMA = r",\s*(?:MD|DDS|CPA|ESQ|PHD|PH D|DMD|RN)\b"
# a trust named after people, or a trust's own abbreviation (REV LIV TR): the line is the trust's
# name, not people's (PAUL & LINDA GREEN LIVING TRUST, JAMES L RUSH AND LANA J RUSH REV LIV TR)
TRUST_KIND = (
    r"(?:REV|REVOC|REVOCABLE|IRREV|IRREVOCABLE|IRR|LIV|LIVING|FAMILY|FAMILT|FAM|DECL|MEM|JOINT"
    r"|\d{4})"
)
TRUST_NAME_END = rf"(?:\bTRUSTS?|\bTRST|\b{TRUST_KIND} TR)$"
TRUST_WORD = r"\bTRUSTS?\b|\bTRST\b"
LEGAL_END = r"\b(?:LLC|INC|CORP|CO|LP|LLP|LTD|PC|PLLC|NA|COMPANY|CORPORATION)$"
# an organisation's name complete on its first line with no company of its own to add: a
# school district, an authority, a board (LEBANON SCHOOL DISTRICT / SAU #88). A public body's
# department continues it (CITY OF PHILA / DEPT PUB PROP).
COMPLETE_BODY = r"\b(?:SCHOOL DISTRICT|AUTHORITY|TRUSTEES)$"
# a second line that names an office holder or a department, not the owner: JOEL MCPHERSON,
# PASTOR; EXECUTIVE DIRECTOR; COUNCIL CHAIR
ATTENTION = (
    r"(?:^|,\s*|\b(?:EXECUTIVE|RE|COUNCIL|BOARD|MANAGING|GENERAL) )"
    r"(?:PASTOR|TREASURER|SECRETARY|DIRECTOR|CHAIR|CHAIRMAN|PRESIDENT|MANAGER|CLERK|RECTOR)$"
)
SEP = "|"
# the flags that make a name an organisation's; ROWS counts the upload rows of one distinct owner
ORGANISATION_FLAGS = ("IsBusiness", "IsChurch", "IsGovernment")
ROWS = "__rows"
MANY_PARCELS = (5, 0.01)  # parcels and share of the upload's rows an organisation owns
CLOSED = "\x02"  # joins letters a registry spaced out (L L C); such a word prints in capitals
# Words of an organisation's name that no flag covers (a school, a society, a farm, the
# owners of a condominium's common parts: COUNCIL OF UNIT OWNERS, TROLLE LOT OWNERS). CONDO and
# ALLIANCE are surnames too (CONDO, MANUEL) and are left out.
ORGANISATION = (
    r"\b(?:OF|THE|FOR|ACADEMY|SOCIETY|COLLEGE|SCHOOL|UNIVERSITY|CLUB|FOUNDATION|CENTER|CENTRE"
    r"|CONSERVANCY|COUNCIL|INSTITUTE|HOSPITAL|CTR|LEAGUE|MUSEUM|LIBRARY|CEMETERY|FARMS?|ORCHARDS?"
    r"|SERVICES?|ASSOCIATES|ASSOCIATION|ASSN|ASSOC|CONDOMINIUMS?|APARTMENTS|TOWNHOUSES|HOUSING"
    r"|OWNERS|HOMEOWNERS|COMMUNITY|CIVIC|COMMITTEE|NEIGHBORHOOD|PARTNERS|PARTNERSHIP"
    r"|ELECTRIC|WATER|RAILROAD|AMERICAN|NATIONAL|UNITED)\b"
)
# HOA (homeowners association) closing a first owner line of three or more words; HOA is also a
# Vietnamese given name (NGUYEN, HOA VAN; NGO HOA TU), so not after a comma, not in a shorter
# line (NGUYEN HOA) and not beside a Vietnamese middle name (KIM THI THANH HOA, LE VAN HOA).
HOA = r"^[^,]*\S+ \S+ HOA$"
NOT_HOA = r"\b(?:THI|VAN|NGOC|THANH|MINH|KIM|HONG|XUAN)\b"


def clean(name: pl.Expr) -> pl.Expr:
    """Upper case, periods, care-of text and ET AL dropped, one space, ``", "`` after commas."""
    return (
        name.cast(pl.String)
        .str.to_uppercase()
        .str.replace_all(r"\.([A-Z]{2})", " $1")  # M.HUI -> M HUI
        .str.replace_all(".", "", literal=True)
        .str.replace(r"(^|[^0-9])\s*(?:%|\bC/O\b|\bC\\O\b|\bATTN\b).*$", "$1")
        .str.replace_all(r"\bET ?(?:AL|ALS)\b|\(ETAL\)|\bETA\b", " ")
        .str.replace_all(r"\s+", " ")
        .str.replace_all(r"(\w)- (\w)", "$1-$2")
        .str.replace_all(r"\s*,[\s,]*", ", ")
        .str.replace_all(SUFFIX_COMMA, " $1,")
        .str.replace_all(CREDENTIAL_COMMA, "")
        .str.replace_all(r"\s*,[\s,]*", ", ")
        .str.strip_chars(" ,&")
    )


def case_marked(name: pl.Expr) -> pl.Expr:
    """A name in mixed case whose surnames alone are in capitals (an MLS record: ``SHARKAWI
    Nagi S & Samira N``, ``CHOUDHURY Parag P & BASU Subrita``) with a comma after each owner's
    capitals, as ``SURNAME, Given`` says: the case marks the surname."""
    text = name.cast(pl.String)
    mixed = text.str.contains(r"\b[A-Z][A-Z'’-]+\b") & text.str.contains(r"\b[A-Z][a-z]")
    capitals = r"^(\s*[A-Z][A-Z'’-]+(?:\s+[A-Z0-9][A-Z0-9'’-]+)*)"
    given = capitals + r"\s+([A-Z][a-z])"  # SHARKAWI Nagi S
    initials = capitals + r"\s+([A-Z](?:\s+[A-Z])?\s*)$"  # a co-owner's RADGOWSKA U

    def marked(owners: pl.Expr, with_initials: bool) -> pl.Expr:
        split = owners.str.replace_all(r"\s*(&|;)\s*", "\x03 $1 \x03").str.split("\x03")
        one = pl.element()
        mark = one.str.replace(given, "${1}, ${2}")
        if with_initials:
            mark = (
                pl.when(one.str.contains(given))
                .then(mark)
                .otherwise(one.str.replace(initials, "${1}, ${2}"))
            )
        return split.list.eval(pl.when(one.str.contains(",")).then(one).otherwise(mark)).list.join(
            ""
        )

    first = text.str.extract(r"^([^&;]*)")
    rest = text.str.slice(first.str.len_chars())
    both = marked(first, with_initials=False) + marked(rest, with_initials=True).fill_null("")
    return pl.when(mixed).then(both).otherwise(text)


def split_run_together(line: pl.Expr) -> pl.Expr:
    """Owners run together surname first with no separator: the first owner's surname written
    again after a given name starts the next owner (``OKAFOR JOHN OKAFOR MARY``)."""
    first = line.str.extract(r"^(\S+) ").fill_null("\x04")  # \x04: matches nothing
    head = line.str.extract(r"^(\S+ \S+)")
    rest = line.str.slice(head.str.len_chars())
    split = head + rest.str.replace_all(" " + first + " ", SEP + first + " ", literal=True)
    one_owner = ~line.str.contains(r"[,|]")  # owners already apart are not run together
    return pl.when(one_owner & head.is_not_null()).then(split).otherwise(line)


def person_line(line: pl.Expr) -> pl.Expr:
    """A cleaned owner line of a person: markers out, co-owner separators as `SEP`."""
    # a lone word before the line's first comma is a surname by the row's own comma, even one
    # spelled as a marker (TIC, LIONEL): a word character glued to it keeps the markers off it
    return (
        line.str.replace(r"^(\s*[A-Z][A-Z'-]*)(\s*,)", "${1}_${2}")
        .str.replace_all(JOINED_MARKERS, " ")
        .str.replace_all(r"\b([A-Z]) LE\b", "$1")  # JAMES C LE: a life estate after an initial
        .str.replace_all(MARKERS, " ")
        .str.replace(r"^(\s*[A-Z][A-Z'-]*)_", "${1}")
        .str.replace_all(r"\bMC ([A-Z])", "MC$1")  # MC LEAN -> MCLEAN
        .str.replace_all(r"\s*(?:&|/|;|\bAND\b)\s*", SEP)
        .str.replace_all(LIFE_TENANCY, "$1")
        .str.replace_all(r"\s+", " ")
        .str.replace_all(r"\s*,[\s,]*", ", ")
        .str.replace_all(rf" ({GENERATION}),", "~$1,")  # SKEENS JR, -> one word before a comma
    )


def org_lines(name: pl.Expr, line2: pl.Expr) -> pl.Expr:
    """An organisation's name as one line: the second line joined, a closing trustee mark
    dropped, letters a registry spaced out closed up (``L L C``, ``N A``, ``L P``)."""
    one_word = ~line2.str.contains(" ", literal=True)
    joined = (
        pl.when(line2.is_null() | line2.str.contains(ATTENTION))
        .then(name)
        .when(line2.str.contains(r"^(?:OF|AND|&|FOR|THE|IN|AT)\b"))
        .then(name + " " + line2)
        .when(name.str.contains(COMPLETE_BODY) & ~line2.str.contains(LEGAL_END))
        .then(name)
        .when(name.str.contains(TRUST_NAME_END) & one_word)
        .then(name)
        .when(name.str.contains(LEGAL_END) | name.str.contains(TRUST_NAME_END))
        .then(name + " & " + line2)
        .otherwise(name + " " + line2)
    )
    own_tr = joined.str.contains(rf"\b{TRUST_KIND} TR\b")
    return (
        pl.when(own_tr)
        .then(joined.str.replace_all(r"\s*/\s*", " & "))  # two trusts listed with a slash
        .otherwise(joined.str.replace(r" (?:TR|TRS|TTEES?|TTE)$", ""))
        .str.replace_all(r"\b([A-Z]) ([A-Z]) ([A-Z])\b", f"$1{CLOSED}$2{CLOSED}$3")
        .str.replace_all(rf"{CLOSED}([A-Z]) ([A-Z])\b", f"{CLOSED}$1{CLOSED}$2")
        .str.replace_all(rf"{CLOSED}([A-Z]) ([A-Z])\b", f"{CLOSED}$1{CLOSED}$2")
        .str.replace_all(r"\bN A$", "NA")
        .str.replace_all(r"\bL P\b", "LP")
    )


def _flags_of_both_lines(
    frame: pl.DataFrame, both: pl.Expr, second: pl.Expr, settings: Classification
) -> pl.DataFrame:
    """The flags of the two owner lines read as one, computed only where there is a second."""
    if frame.select(second.is_null().all()).item():
        return frame.select(*(pl.lit(False).alias(f) for f in FLAGS))
    lines = frame.select(both.alias("OwnerName"), second.is_not_null().alias("__two"))
    two = lines.filter(pl.col("__two")).drop("__two")
    flags = classification.derive(two, settings).select(FLAGS)
    rows = lines.select(pl.col("__two").arg_true()).to_series()
    return pl.DataFrame(
        {f: pl.Series(f, [False] * frame.height).scatter(rows, flags[f]) for f in FLAGS}
    )


def row_count(condition: pl.Expr) -> pl.Expr:
    """How many upload rows `condition` holds on: each distinct owner stands for `ROWS` rows."""
    return pl.col(ROWS).filter(condition).sum()


def base(owners: pl.DataFrame, settings: Classification) -> pl.DataFrame:
    """What the envelope name is read from: cleaned lines, segments, organisation or not.

    `owners` holds the owner columns, the flags and `ROWS`; the column's evidence (a listed
    file, a file written surname first) counts each row `ROWS` times.
    """
    second = text_column(owners, "OwnerName2")
    line1 = clean(case_marked(pl.col("OwnerName")))
    line2 = clean(case_marked(second)).replace("", None)
    both = pl.concat_str([pl.col("OwnerName"), second], separator=" ", ignore_nulls=True)
    # a second line may say what the first does not (TINDLEY TEMPLE UNITED / METHODIST CHURCH)
    whole = _flags_of_both_lines(owners, both, second, settings)
    name = pl.col("__name")
    trustee = name.str.contains(rf"\b{TRUSTEE}\b")
    # an owner of many of the file's parcels whose name says nothing of a person (no comma, no
    # separator, no first name given apart) is an organisation: BRADY SULLIVAN PROSPECT HILL,
    # 141 parcels of Lebanon's 5,622
    many_parcels = (
        (pl.col(ROWS) >= MANY_PARCELS[0])
        & (pl.col(ROWS) >= MANY_PARCELS[1] * pl.col(ROWS).sum())
        & ~name.str.contains(r"[,&/;]")
        & (name.str.count_matches(" ") >= 2)
        & text_column(owners, "OwnerFirstName").is_null()
    )
    # the first line is a trust's own name, after the people it is named for, with no trustee
    # named in it and none on the second line (PAUL & LINDA GREEN LIVING TRUST; HOLLIS TRUST /
    # MARSH); a line listing two trusts with a slash is too (B A BECK REV LIV TR/K AND C GILL TR)
    first_owner = name.str.replace(r"\s*/.*$", "")
    named_trust = (
        first_owner.str.contains(TRUST_NAME_END)
        & ~name.str.contains(",")
        & ~first_owner.str.replace(rf"\b{TRUST_KIND} TR$", "").str.contains(rf"\b{TRUSTEE}\b")
        & ~pl.col("__line2").fill_null("").str.contains(rf"\b{TRUSTEE}\b")
    )
    # SMITH JOHN ESTATE prints John Smith Estate; a life estate's marker is dropped
    estate_tail = name.str.contains(" ESTATE$") & ~name.str.contains(r"\bLIFE ESTATE$")
    segments = (
        pl.concat_str(
            [split_run_together(pl.col("__person1")), person_line(pl.col("__line2"))],
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
        clean(text_column(owners, "OwnerLastName")).alias("__last"),
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
    # a surname's particles are part of it: DE LA VEGA, JUAN lists no whole names
    spaced = (
        first_part.str.replace_all(r"\b(?:DE|DEL|DELA|DELLA|DA|DI|DU|LA|LE|VAN|VON|DER|ST) ", "")
        .str.strip_chars()
        .str.contains(" ")
    )
    among = ~flagged_org & spaced.is_not_null()
    listed = (
        pl.when(row_count(among) > 0)
        .then(row_count(among & spaced) / row_count(among) > 0.5)
        .otherwise(False)
    )
    lazy = (
        lazy.with_columns(
            # one word before the comma is no whole name: that row's comma is `Last, First`
            pl.when(listed & spaced.fill_null(True))
            .then(pl.col("__name").str.replace_all(",", " &"))
            .otherwise(pl.col("__name"))
            .alias("__name")
        )
        .with_columns(
            person_line(
                pl.when(estate_tail).then(name.str.replace(" ESTATE$", "")).otherwise(name)
            ).alias("__person1")
        )
        .with_columns(segments.alias("__segments"))
    )
    organisation = (
        pl.col("IsBusiness") | pl.col("IsChurch") | pl.col("IsGovernment")
        | pl.col("__business") | pl.col("__church") | pl.col("__government")
        | pl.col("__name").str.contains(r"\bESTATE OF\b|\bEST OF\b|\bHEIRS\b")
        | pl.col("__segments")
        .list.join(" ")
        .str.replace_all(r"\b(?:2ND|3RD)\b", "")  # a suffix's digit makes no organisation
        .str.contains(rf"\d|{ORGANISATION}")
        | (pl.col("__name").str.contains(HOA) & ~pl.col("__name").str.contains(NOT_HOA))
        | (pl.col("__segments").list.len() == 0)
        | named_trust
        | many_parcels
    )  # fmt: skip
    # the organisations the record itself says are: a flag, a legal form, a trust's own name
    sure = (
        pl.col("IsBusiness") | pl.col("IsChurch") | pl.col("IsGovernment")
        | pl.col("__business") | pl.col("__church") | pl.col("__government")
        | pl.col("__name").str.contains(r"\bESTATE OF\b|\bEST OF\b|\bHEIRS\b")
        | (pl.col("__segments").list.len() == 0)
        | named_trust
    )  # fmt: skip
    lazy = lazy.with_columns(
        organisation.fill_null(False).alias("__org"),
        sure.fill_null(False).alias("__org_sure"),
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
