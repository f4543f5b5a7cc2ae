"""IsOwnerOccupied (SPEC 3.2): the property and the owner's mailing address are the same place.

Each address is split into its house number, its street (an optional directional, the name, an
optional suffix and an optional directional after it, all in the Pub 28 key of
`propmail.rules.address`) and its unit. The conventions are those of docs/conventions.md,
"Owner occupancy":

- the house numbers agree: a half lot (``135 1/2``, ``135.5``, ``135A``) is its whole number, and
  a range (``604-36``, read 604 to 636) agrees with any number inside it;
- the street names are equal; a directional or a suffix written on one side only agrees, two
  different ones do not (``HADDINGTON LN`` is not ``HADDINGTON ST``); ``SAINT`` is ``ST`` and the
  abbreviations assessors use (``CR``, ``CRSG``, ``BD``, ``PK``) are read as Pub 28's;
- a unit written on both sides must be the same; on one side only it follows
  ``[occupancy] unit_on_one_side`` (``same``, the default: the same building is the same place).
  A county's unit after the house number (``35 UN 10 SKYLINE DR``) is read as the unit;
- the mailing street is the first owner line that is an address (a house number or a PO box):
  a care-of or a name on OwnerAddress1 gives way to OwnerAddress2; a unit alone on
  OwnerAddress2 (``APT 2``) is the unit of OwnerAddress1;
- a PO box is never owner-occupied;
- a house number spelled out at the start (``ONE MARKHAM RD``) is its digits;
- the 5-digit ZIPs are equal; where the site has no ZIP, ``[occupancy] without_site_zip =
  "city_state"`` (the default) compares the cities and states instead.

Where an address is missing or a placeholder (`site_quality`), the row is not owner-occupied:
False, never null.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({
...     "LocationAddress1": ["35 UN 10 SKYLINE DR", "1616-22 MCKEAN ST", "40 JOHN PAUL CR"],
...     "LocationZip": ["02184", "19145", None],
...     "LocationCity": ["BRAINTREE", "PHILADELPHIA", "JERSEY CITY"],
...     "LocationState": ["MA", "PA", "NJ"],
...     "OwnerAddress1": ["35 SKYLINE DRIVE UNIT 10", "C/O JOHN SMITH", "40 JOHN PAUL CIRCLE"],
...     "OwnerAddress2": [None, "1620 MCKEAN STREET", None],
...     "OwnerCity": ["BRAINTREE", "PHILADELPHIA", "Jersey City"],
...     "OwnerState": ["MA", "PA", "N.J."],
...     "OwnerZip": ["02184", "19145-1234", "07307"],
... })
>>> derive(frame, load_rules().occupancy)["IsOwnerOccupied"].to_list()
[True, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from propmail.rules.address import UNIT_DESIGNATOR, normalize_street, normalize_zip5
from propmail.rules.pub28 import STREET_TYPE_ABBREVIATIONS
from propmail.rules.zip_codes import zip_table

UNIT_ON_ONE_SIDE = ("same", "different")
WITHOUT_SITE_ZIP = ("city_state", "absentee")


@dataclass(frozen=True)
class Occupancy:
    """How IsOwnerOccupied treats what only one address says (docs/conventions.md):
    ``[occupancy]`` in rules.toml, each value one of `UNIT_ON_ONE_SIDE`, `WITHOUT_SITE_ZIP`."""

    unit_on_one_side: str = "same"  # "same": one building is one place; "different"
    without_site_zip: str = "city_state"  # "city_state": compare city and state; "absentee"
    postal_town: bool = True  # without a site ZIP, the mailing ZIP may stand in for the town


# what assessor extracts write where the site address is not known
PLACEHOLDERS = ("INVALID", "UNKNOWN", "0", "NONE", "N/A", "NA", "TBD")

_DIRECTIONAL = "N|S|E|W|NE|NW|SE|SW"
_SUFFIXES = "|".join(
    sorted({v for v in STREET_TYPE_ABBREVIATIONS.values() if " " not in v}, key=len, reverse=True)
)
# the street key: [directional] name [suffix] [directional]; the name is at least one word
# and the unit last, as the Pub 28 key writes it: "# 4"
_STREET = (
    rf"^(?:(?P<pre>{_DIRECTIONAL}) )?(?P<core>.+?)(?: (?P<suffix>{_SUFFIXES}))?"
    rf"(?: (?P<post>{_DIRECTIONAL}))?(?: ?# (?P<unit>[A-Z0-9/]+))?$"
)
_STREET_PARTS = ("pre", "core", "suffix", "post")
# a house number: 135, 135A, 135.5, 135 1/2, a range 604-36 or 130R-32, then a break
# (a letter apart from the number is a half lot unless it is a directional: 37 A IRVING ST)
_NUMBER = (
    r"^\s*(?P<low>\d+)(?:-?[A-Z]|\s+[A-DF-MO-RT-VX-Z]\b)?(?:\s*-\s*(?P<high>\d+)[A-Z]?)?"
    r"(?:\.5|\s+1/2)?(?:[\s,]+|$)"
)
# a county's unit between the house number and the street: 35 UN 10 SKYLINE DR
_UNIT_AFTER_NUMBER = r"^\s*(\d+[A-Z]?)\s+(?:UN|U|UNIT|APT|#)\s*([0-9][A-Z0-9]*)\s+(.+)$"
# a condominium's unit letter before the building's number: A3 AVON DR, F 17 SHIRLEY LANE,
# H-12 SHIRLEY LANE (a directional letter only glued or hyphened: N8 AVON DR, not N 8TH ST),
# and 7-V-7 AVON DR (building 7, unit V)
_UNIT_BEFORE_NUMBER = r"^\s*(?:([A-DF-MO-RT-VX-Z])[\s-]?|([NSEW])-?)(\d+)\s+(\D.*)$"
_BUILDING_UNIT_NUMBER = r"^\s*(\d+)-([A-Z])-\d+\s+(.+)$"
_SUFFIX_WORDS = frozenset(_SUFFIXES.split("|"))
# a suffix glued to a directional word: 11 WINTER STWEST (the glued word is read, then checked
# against the suffixes: one small regex and a set look-up, not an alternation of them all)
_GLUED_DIRECTION = r"\b([A-Z]{1,4})(NORTH|SOUTH|EAST|WEST)\b"
# roads whose number is their name, not a unit: NH ROUTE 4A, US HWY 1
_ROUTES = frozenset({"RTE", "HWY", "FWY", "EXPY", "TPKE", "PIKE"})
# a unit with no designator closing a street key after its suffix (and a directional after it),
# or after NO: 4410 W ELM RD 36, 1214 YAKIMA AVE A, 6 OAK RDG RD D19, ELM RD NO 51. A single
# letter that is a directional is the directional (123 MAIN ST N).
_BARE_CODE = r"^(?:[0-9]+[A-Z0-9]*|[A-Z][0-9][A-Z0-9]*|[A-DF-MO-RT-VX-Z][A-Z]?)$"
_UNIT_AFTER_NO = r" NO ([0-9][A-Z0-9]*)$"
# a line that is a unit alone: APT 2, # 2, UNIT 3-B, STE. 200
_UNIT_ALONE = rf"^\s*(?:(?:{UNIT_DESIGNATOR}|#)\.?\s*)+([A-Z0-9][A-Z0-9/.-]*)\s*$"
_PO_BOX = r"\b(?:P\.? ?O\.?|POST OFFICE) ?(?:BOX|BX)\b"
NUMBER_WORDS = {
    "ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4", "FIVE": "5", "SIX": "6", "SEVEN": "7",
    "EIGHT": "8", "NINE": "9", "TEN": "10", "ELEVEN": "11", "TWELVE": "12",
}  # fmt: skip
_NUMBER_WORD = rf"^\s*(?P<word>{'|'.join(NUMBER_WORDS)})\s+(?P<rest>\S.*)$"


@dataclass(frozen=True)
class SiteQuality:
    """Rows whose site address or site ZIP the rules cannot use, and the rules left undecided."""

    placeholder_addresses: int  # LocationAddress1 empty or a placeholder (INVALID, UNKNOWN, 0)
    empty_zips: int  # LocationZip empty (or not a ZIP)
    zip_fallback: str  # what rows without a site ZIP were compared by: "city and state", "nothing"

    @property
    def undecided_for_placeholders(self) -> tuple[str, ...]:
        """The rules that cannot be decided for a placeholder site address (not owner-occupied)."""
        return ("IsOwnerOccupied", "niche address match") if self.placeholder_addresses else ()

    @property
    def undecided_for_empty_zips(self) -> tuple[str, ...]:
        """The rules that cannot be decided without a site ZIP."""
        if not self.empty_zips:
            return ()
        by_zip = ("niche address match", "BasePriorityCode zip_differs / same_zip")
        return by_zip if self.zip_fallback == "city and state" else ("IsOwnerOccupied", *by_zip)


def is_placeholder(line: pl.Expr) -> pl.Expr:
    """True where a site line is empty or a placeholder: nothing a rule can compare."""
    text = line.cast(pl.String).str.strip_chars().str.to_uppercase()
    return text.is_null() | (text == "") | text.is_in(PLACEHOLDERS)


def site_quality(frame: pl.DataFrame, occupancy: Occupancy) -> SiteQuality:
    """The counts the summary and the report show for the upload's site addresses.

    >>> import polars as pl
    >>> from propmail.settings import load_rules
    >>> frame = pl.DataFrame({"LocationAddress1": ["INVALID", "", "1 MAIN ST"],
    ...                       "LocationZip": ["24016", None, None]})
    >>> site_quality(frame, load_rules().occupancy)
    SiteQuality(placeholder_addresses=2, empty_zips=2, zip_fallback='city and state')
    """
    counts = frame.select(
        is_placeholder(pl.col("LocationAddress1")).sum().alias("placeholders"),
        normalize_zip5(pl.col("LocationZip")).is_null().sum().alias("zips"),
    ).row(0)
    by_city = occupancy.without_site_zip == "city_state"
    return SiteQuality(int(counts[0]), int(counts[1]), "city and state" if by_city else "nothing")


def _digits_first(raw: pl.Expr) -> pl.Expr:
    """A house number spelled out at the start written in digits, as Publication 28 writes it
    (``ONE MARKHAM RD`` is ``1 MARKHAM RD``)."""
    parts = raw.str.extract_groups(_NUMBER_WORD)
    digits = parts.struct.field("word").replace_strict(NUMBER_WORDS, default=None)
    return pl.coalesce(pl.concat_str([digits, parts.struct.field("rest")], separator=" "), raw)


def _raw(expr: pl.Expr) -> pl.Expr:
    return (
        _digits_first(expr.cast(pl.String).str.to_uppercase())
        .str.replace(_UNIT_AFTER_NUMBER, "${1} ${3} UNIT ${2}")
        .str.replace(_BUILDING_UNIT_NUMBER, "${1} ${3} UNIT ${2}")
        .str.replace(_UNIT_BEFORE_NUMBER, "${3} ${4} UNIT ${1}${2}")
    )


def _unglued(raw: pl.Expr) -> pl.Expr:
    """``STWEST`` read as ``ST WEST`` where the glued word is a street suffix."""
    glued = raw.str.extract(_GLUED_DIRECTION, 1)
    return (
        pl.when(glued.is_in(list(_SUFFIX_WORDS)))
        .then(raw.str.replace(_GLUED_DIRECTION, "${1} ${2}"))
        .otherwise(raw)
    )


def _street_keys(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Column ``{name}_street``: the street after the house number of ``{name}_raw``, in Pub 28
    form, a unit without its designator written as one (``W ELM RD 36`` -> ``W ELM RD # 36``).
    The words are taken from a split, step by step, not from a regex with groups."""
    raw = pl.col(f"{name}_raw")
    key = pl.col(f"{name}_street")
    frame = frame.with_columns(
        normalize_street(_unglued(raw).str.replace(_NUMBER, ""))
        .str.replace(_UNIT_AFTER_NO, " # ${1}")
        .alias(f"{name}_street")
    ).with_columns(key.str.split(" ").alias("__words"))
    words = pl.col("__words")
    frame = frame.with_columns(
        words.list.get(-1, null_on_oob=True).alias("__last"),
        words.list.get(-2, null_on_oob=True).alias("__before"),
        words.list.get(-3, null_on_oob=True).alias("__twice"),
    )
    last, before, twice = pl.col("__last"), pl.col("__before"), pl.col("__twice")
    suffixes = [s for s in _SUFFIX_WORDS if s not in _ROUTES]
    # the word before the closing code is a suffix, or a directional after a suffix
    bare = (
        last.str.contains(_BARE_CODE)
        & (before.is_in(suffixes) | (before.is_in(_DIRECTIONAL.split("|")) & twice.is_in(suffixes)))
    ).fill_null(False)
    body = key.str.slice(0, key.str.len_chars() - last.str.len_chars() - 1)
    return frame.with_columns(
        pl.when(bare).then(body + " # " + last).otherwise(key).alias(f"{name}_street")
    ).drop("__words", "__last", "__before", "__twice")


def _is_address(raw: pl.Expr) -> pl.Expr:
    return raw.str.contains(_NUMBER) | raw.str.contains(_PO_BOX)


def _parts(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Columns ``{name}_raw`` (an upper-case line, `_raw`) and ``{name}_extra`` (a unit given
    apart) split into ``{name}_low``, ``_high``, ``_pre``, ``_core``, ``_suffix``, ``_post``,
    ``_unit`` and ``_po``. Each step is its own column, so no part is computed twice."""
    raw, c = pl.col(f"{name}_raw"), lambda part: pl.col(f"{name}_{part}")
    frame = _street_keys(frame.with_columns(pl.lit(None, pl.String).alias(f"{name}_street")), name)
    frame = frame.with_columns(
        raw.str.extract_groups(_NUMBER).alias(f"{name}_number"),
        raw.str.contains(_PO_BOX).fill_null(False).alias(f"{name}_po"),
    )
    low_text, high_text = c("number").struct.field("low"), c("number").struct.field("high")
    # 604-36: the range's end replaces the last digits of its start
    kept = (low_text.str.len_chars() - high_text.str.len_chars()).clip(lower_bound=0)
    high = pl.concat_str(low_text.str.head(kept), high_text).cast(pl.Int64, strict=False)
    frame = frame.with_columns(
        # house number 0 is what a roll writes for a lot with no number
        low_text.cast(pl.Int64, strict=False).replace(0, None).alias(f"{name}_low"),
        high.alias(f"{name}_high"),
        c("street").str.extract_groups(_STREET).alias(f"{name}_body"),
    )
    return frame.with_columns(
        pl.max_horizontal(c("low"), c("high")).fill_null(c("low")).alias(f"{name}_high"),
        *(c("body").struct.field(part).alias(f"{name}_{part}") for part in _STREET_PARTS),
        pl.coalesce(c("body").struct.field("unit"), c("extra"))
        .str.replace(r"^0+([0-9])", "${1}")  # unit 09 is unit 9
        .alias(f"{name}_unit"),
    ).drop(f"{name}_raw", f"{name}_extra", f"{name}_number", f"{name}_street", f"{name}_body")


def _agree(a: str, b: str) -> pl.Expr:
    """Equal, or written on one side only."""
    return pl.col(a).is_null() | pl.col(b).is_null() | (pl.col(a) == pl.col(b))


def _place(expr: pl.Expr, gap: str) -> pl.Expr:
    """A city (`gap` " ") or a state (`gap` "": N.J. is NJ) in upper-case letters.

    A city field that goes on with the state or the ZIP (``JERSEY CITY, NEW JERSEY 07305``)
    is read up to the comma or the first digit.
    """
    text = expr.cast(pl.String).str.to_uppercase().str.replace(r"[,0-9].*$", "")
    return text.str.replace_all(r"[^A-Z]+", gap).str.strip_chars().replace("", None)


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, pl.String)


def _same_town(frame: pl.DataFrame) -> pl.Expr:
    # a mailing state left out (inside the city field) agrees, as a suffix on one side does
    mail_state = _place(_column(frame, "OwnerState"), "")
    same_city = _place(_column(frame, "LocationCity"), " ") == _place(
        _column(frame, "OwnerCity"), " "
    )
    return same_city & (
        mail_state.is_null() | (_place(_column(frame, "LocationState"), "") == mail_state)
    )


def _postal_town(frame: pl.DataFrame) -> pl.Series:
    """Per row: the mailing ZIP stands in for the site's town (docs/conventions.md): the site's
    city is the ZIP's city or one USPS accepts for it, or the site's town (its city and state,
    where the ZIP table puts them in one county) lies in the ZIP's county."""
    table = zip_table()
    by_zip = table.select(
        pl.col("zip").alias("__zip"),
        pl.concat_list(pl.col("city"), pl.col("acceptable_cities")).alias("__zip_cities"),
        pl.col("county").alias("__zip_county"),
        pl.col("state").alias("__zip_state"),
    )
    towns = (
        table.group_by("city", "state")
        .agg(pl.col("county").unique())
        .filter(pl.col("county").list.len() == 1)
        .select(
            pl.col("city").alias("__site_city"),
            pl.col("state").alias("__site_state"),
            pl.col("county").list.first().alias("__site_county"),
        )
    )
    rows = frame.select(
        normalize_zip5(pl.col("OwnerZip")).alias("__zip"),
        _place(_column(frame, "LocationCity"), " ").alias("__site_city"),
        _place(_column(frame, "LocationState"), "").alias("__site_state"),
    )
    joined = rows.join(by_zip, on="__zip", how="left", maintain_order="left").join(
        towns, on=["__site_city", "__site_state"], how="left", maintain_order="left"
    )
    same_state = pl.col("__site_state") == pl.col("__zip_state")
    same = same_state & (
        pl.col("__zip_cities").list.contains(pl.col("__site_city"))
        | (pl.col("__site_county") == pl.col("__zip_county"))
    )
    return joined.select(same.fill_null(False)).to_series()


def _in_same_town(frame: pl.DataFrame, occupancy: Occupancy) -> pl.Series:
    """Per row: the ZIPs agree, or (without a site ZIP, by the setting) the city and state, or
    (`[occupancy] postal_town`) the mailing ZIP standing in for the site's town."""
    site_zip = normalize_zip5(pl.col("LocationZip"))
    agree = site_zip == normalize_zip5(pl.col("OwnerZip"))
    by_city = occupancy.without_site_zip == "city_state"
    if by_city and frame.select(site_zip.is_null().any()).item():  # cities only where needed
        town = _same_town(frame)
        if occupancy.postal_town:
            town = town | _postal_town(frame)
        agree = pl.when(site_zip.is_null()).then(town).otherwise(agree)
    return frame.select(agree.fill_null(False)).to_series()


def compared_parts(frame: pl.DataFrame, occupancy: Occupancy) -> pl.DataFrame:
    """Per row: both street lines split into their parts (``_site_*``, ``_mail_*``) and, per
    check of `CHECKS`, whether it holds (a column named as the check, never null)."""
    frame = frame.with_columns(
        _raw(pl.col("OwnerAddress1")).alias("_line1"),
        _raw(_column(frame, "OwnerAddress2")).alias("_line2"),
    )
    line1, line2 = pl.col("_line1"), pl.col("_line2")
    first_is_address = _is_address(line1).fill_null(False)
    frame = frame.select(
        _raw(pl.col("LocationAddress1")).alias("_site_raw"),
        pl.lit(None, pl.String).alias("_site_extra"),
        is_placeholder(pl.col("LocationAddress1")).alias("_site_placeholder"),
        pl.when(first_is_address | ~_is_address(line2).fill_null(False))
        .then(line1)
        .otherwise(line2)
        .alias("_mail_raw"),
        # a unit alone on line 2 (APT 2, # 2) belongs to the street of line 1
        pl.when(first_is_address)
        .then(line2.str.extract(_UNIT_ALONE, 1).str.replace_all(r"[-.]", ""))
        .alias("_mail_extra"),
    )
    frame = _parts(_parts(frame, "_site"), "_mail")
    site_unit, mail_unit = pl.col("_site_unit"), pl.col("_mail_unit")
    # a range of units on the site (A-D, AB) holds each unit inside it
    in_range = (
        site_unit.str.contains(r"^[A-Z][A-Z]$")
        & mail_unit.str.contains(r"^[A-Z]$")
        & (mail_unit >= site_unit.str.slice(0, 1))
        & (mail_unit <= site_unit.str.slice(1, 1))
    )
    units_agree = (
        _agree("_site_unit", "_mail_unit")
        if occupancy.unit_on_one_side == "same"
        else site_unit.eq_missing(mail_unit)
    ) | in_range.fill_null(False)
    # a site without a house number (a vacant lot on the owner's road) is no numbered address
    numbers_agree = (
        pl.when(pl.col("_site_low").is_null() & pl.col("_mail_low").is_null())
        .then(True)
        .when(pl.col("_site_low").is_null() | pl.col("_mail_low").is_null())
        .then(False)
        .otherwise(
            pl.max_horizontal("_site_low", "_mail_low")
            <= pl.min_horizontal("_site_high", "_mail_high")
        )
    )
    checks = {
        "site address is no placeholder": ~pl.col("_site_placeholder"),
        "site is no PO box": ~pl.col("_site_po"),
        "mailing street is no PO box": ~pl.col("_mail_po"),
        "house number": numbers_agree,
        "street name": pl.col("_site_core") == pl.col("_mail_core"),
        "directional before the name": _agree("_site_pre", "_mail_pre"),
        "street suffix": _agree("_site_suffix", "_mail_suffix"),
        "directional after the name": _agree("_site_post", "_mail_post"),
        "unit": units_agree,
    }
    return frame.with_columns(check.fill_null(False).alias(name) for name, check in checks.items())


# The checks of `compared_parts`, in the order a difference is named
CHECKS = (
    "site address is no placeholder", "site is no PO box", "mailing street is no PO box",
    "house number", "street name", "directional before the name", "street suffix",
    "directional after the name", "unit",
)  # fmt: skip


def same_street(frame: pl.DataFrame, occupancy: Occupancy) -> pl.Series:
    """Per row: the site and the mailing street lines are the same place (house, street, unit);
    the towns are not compared. The readers derive a site block with it."""
    parts = compared_parts(frame, occupancy)
    return parts.select(pl.all_horizontal(CHECKS)).to_series()


def _written(side: str) -> pl.Expr:
    """One side's parts as one line: ``123-125 N MAIN ST UNIT 2`` (for `propmail explain`)."""
    number = (
        pl.when(pl.col(f"{side}_high") != pl.col(f"{side}_low"))
        .then(pl.format("{}-{}", f"{side}_low", f"{side}_high"))
        .otherwise(pl.col(f"{side}_low").cast(pl.String))
    )
    unit = pl.format("UNIT {}", f"{side}_unit")
    parts = [number, *(pl.col(f"{side}_{p}") for p in ("pre", "core", "suffix", "post")), unit]
    po = pl.when(pl.col(f"{side}_po")).then(pl.lit("PO BOX "))
    return pl.concat_str([po, *parts], separator=" ", ignore_nulls=True).str.replace_all("  ", " ")


def evidence(frame: pl.DataFrame, occupancy: Occupancy) -> pl.DataFrame:
    """Per row: the two addresses as compared (``site``, ``mailing``), whether the ZIPs (or
    the towns) agree (``same_town``) and the first part that differs (``differs``, null when
    none does).

    >>> from propmail.settings import load_rules
    >>> frame = pl.DataFrame({"LocationAddress1": ["123 North Main Street"],
    ...     "LocationZip": ["24016"], "OwnerAddress1": ["125 N MAIN ST"], "OwnerZip": ["24016"]})
    >>> evidence(frame, load_rules().occupancy).row(0)
    ('123 N MAIN ST', '125 N MAIN ST', True, 'house number')
    """
    parts = compared_parts(frame, occupancy)
    first_failed = pl.coalesce(pl.when(~pl.col(c)).then(pl.lit(c)) for c in CHECKS)
    return parts.select(
        _written("_site").alias("site"),
        _written("_mail").alias("mailing"),
        _in_same_town(frame, occupancy).alias("same_town"),
        first_failed.alias("differs"),
    )


def derive(frame: pl.DataFrame, occupancy: Occupancy) -> pl.DataFrame:
    """`frame` with the Boolean column ``IsOwnerOccupied`` added."""
    town = _in_same_town(frame, occupancy)
    # the streets are parsed only where the town agrees: most absentee rows never are
    rows = town.arg_true()
    lines = [
        c for c in ("OwnerAddress1", "OwnerAddress2", "LocationAddress1") if c in frame.columns
    ]
    same = same_street(frame.select(lines)[rows], occupancy)  # the street lines only
    occupied = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("IsOwnerOccupied")
    return frame.with_columns(occupied.scatter(rows, same) if rows.len() else occupied)
