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
>>> derive(frame, load_rules())["IsOwnerOccupied"].to_list()
[True, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
from scourgify.address_constants import STREET_TYPE_ABBREVIATIONS

from propmail.rules.address import normalize_street, normalize_zip5

if TYPE_CHECKING:
    from propmail.settings import Rules

UNIT_ON_ONE_SIDE = ("same", "different")
WITHOUT_SITE_ZIP = ("city_state", "absentee")

# what assessor extracts write where the site address is not known
PLACEHOLDERS = ("INVALID", "UNKNOWN", "0", "NONE", "N/A", "NA", "TBD")

_DIRECTIONAL = "N|S|E|W|NE|NW|SE|SW"
_SUFFIXES = "|".join(
    sorted({v for v in STREET_TYPE_ABBREVIATIONS.values() if " " not in v}, key=len, reverse=True)
)
# the street key: [directional] name [suffix] [directional]; the name is at least one word
_STREET = rf"^(?:({_DIRECTIONAL}) )?(.+?)(?: ({_SUFFIXES}))?(?: ({_DIRECTIONAL}))?$"
# a house number: 135, 135A, 135.5, 135 1/2, a range 604-36 or 130R-32, then a break
# (a letter apart from the number is a half lot unless it is a directional: 37 A IRVING ST)
_NUMBER = r"^(\d+)(?:-?[A-Z]| [A-DF-MO-RT-VX-Z]\b)?(?: ?- ?(\d+)[A-Z]?)?(?:\.5| 1/2)?(?:[ ,]+|$)"
# a county's unit between the house number and the street: 35 UN 10 SKYLINE DR
_UNIT_AFTER_NUMBER = r"^(\d+[A-Z]?) (?:UN|U|UNIT|APT|#) ?([0-9][A-Z0-9]*) (.+)$"
_TRAILING_UNIT = r" ?# ([A-Z0-9/]+)$"
_PO_BOX = r"\b(?:P\.? ?O\.?|POST OFFICE) ?(?:BOX|BX)\b"


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


def site_quality(frame: pl.DataFrame, rules: Rules) -> SiteQuality:
    """The counts the summary and the report show for the upload's site addresses.

    >>> import polars as pl
    >>> from propmail.settings import load_rules
    >>> frame = pl.DataFrame({"LocationAddress1": ["INVALID", "", "1 MAIN ST"],
    ...                       "LocationZip": ["24016", None, None]})
    >>> site_quality(frame, load_rules())
    SiteQuality(placeholder_addresses=2, empty_zips=2, zip_fallback='city and state')
    """
    counts = frame.select(
        is_placeholder(pl.col("LocationAddress1")).sum().alias("placeholders"),
        normalize_zip5(pl.col("LocationZip")).is_null().sum().alias("zips"),
    ).row(0)
    by_city = rules.occupancy.without_site_zip == "city_state"
    return SiteQuality(int(counts[0]), int(counts[1]), "city and state" if by_city else "nothing")


def _raw(expr: pl.Expr) -> pl.Expr:
    return (
        expr.cast(pl.String)
        .str.to_uppercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(" ,")
        .str.replace(_UNIT_AFTER_NUMBER, "${1} ${3} UNIT ${2}")
    )


def _is_address(raw: pl.Expr) -> pl.Expr:
    return raw.str.contains(_NUMBER) | raw.str.contains(_PO_BOX)


def _parts(raw: pl.Expr, extra_unit: pl.Expr, name: str) -> list[pl.Expr]:
    """`raw` (upper case, `_raw`) as columns ``{name}_low``, ``_high``, ``_pre``, ... ``_po``."""
    low_text = raw.str.extract(_NUMBER, 1)
    high_text = raw.str.extract(_NUMBER, 2)
    low = low_text.cast(pl.Int64, strict=False)
    # 604-36: the range's end replaces the last digits of its start
    kept = (low_text.str.len_chars() - high_text.str.len_chars()).clip(lower_bound=0)
    high = pl.concat_str(low_text.str.head(kept), high_text).cast(pl.Int64, strict=False)
    rest = pl.when(low.is_not_null()).then(raw.str.replace(_NUMBER, "")).otherwise(raw)
    street = normalize_street(rest)
    unit = pl.coalesce(street.str.extract(_TRAILING_UNIT, 1), extra_unit)
    body = street.str.replace(_TRAILING_UNIT, "")
    return [
        low.alias(f"{name}_low"),
        pl.max_horizontal(low, high).fill_null(low).alias(f"{name}_high"),
        *(
            body.str.extract(_STREET, i).alias(f"{name}_{part}")
            for i, part in enumerate(("pre", "core", "suffix", "post"), start=1)
        ),
        unit.alias(f"{name}_unit"),
        raw.str.contains(_PO_BOX).fill_null(False).alias(f"{name}_po"),
    ]


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


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """`frame` with the Boolean column ``IsOwnerOccupied`` added."""
    settings = rules.occupancy
    line1, line2 = _raw(pl.col("OwnerAddress1")), _raw(_column(frame, "OwnerAddress2"))
    first_is_address = _is_address(line1).fill_null(False)
    owner_line = (
        pl.when(first_is_address | ~_is_address(line2).fill_null(False))
        .then(line1)
        .otherwise(line2)
    )
    # a unit alone on line 2 (APT 2, # 2) belongs to the street of line 1
    line2_unit = normalize_street(line2).str.extract(r"^# ([A-Z0-9/]+)$", 1)
    owner_unit = pl.when(first_is_address).then(line2_unit)
    columns = [
        *_parts(_raw(pl.col("LocationAddress1")), pl.lit(None, pl.String), "_site"),
        *_parts(owner_line, owner_unit, "_mail"),
    ]
    units_agree = (
        _agree("_site_unit", "_mail_unit")
        if settings.unit_on_one_side == "same"
        else pl.col("_site_unit").eq_missing(pl.col("_mail_unit"))
    )
    numbers_agree = (
        pl.when(pl.col("_site_low").is_null() & pl.col("_mail_low").is_null())
        .then(True)
        .otherwise(
            pl.max_horizontal("_site_low", "_mail_low")
            <= pl.min_horizontal("_site_high", "_mail_high")
        )
    )
    site_zip = normalize_zip5(pl.col("LocationZip"))
    # a mailing state left out (inside the city field) agrees, as a suffix on one side does
    mail_state = _place(_column(frame, "OwnerState"), "")
    same_town = (
        _place(_column(frame, "LocationCity"), " ") == _place(_column(frame, "OwnerCity"), " ")
    ) & (mail_state.is_null() | (_place(_column(frame, "LocationState"), "") == mail_state))
    zips_agree = (
        pl.when(site_zip.is_null() & (settings.without_site_zip == "city_state"))
        .then(same_town)
        .otherwise(site_zip == normalize_zip5(pl.col("OwnerZip")))
    )
    same_place = (
        ~is_placeholder(pl.col("LocationAddress1"))
        & ~pl.col("_site_po")
        & ~pl.col("_mail_po")
        & numbers_agree.fill_null(False)
        & (pl.col("_site_core") == pl.col("_mail_core"))
        & _agree("_site_pre", "_mail_pre")
        & _agree("_site_suffix", "_mail_suffix")
        & _agree("_site_post", "_mail_post")
        & units_agree
        & zips_agree
    )
    added = [c.meta.output_name() for c in columns]
    return (
        frame.with_columns(columns)
        .with_columns(same_place.fill_null(False).alias("IsOwnerOccupied"))
        .drop(added)
    )
