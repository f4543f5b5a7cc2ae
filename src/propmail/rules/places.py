"""Places written in one cell, read by their values: ``CITY, ST ZIP`` lines and one-line
addresses, as polars expressions (no per-row Python). The readers split composite columns with
them; the pipeline names a foreign mailing address with them.

A ``CITY, ST ZIP`` line is read from its end: the ZIP first (``07307``, ``7307`` that lost its
leading zero, ``07307-1234``, ``073071234``, ``07307 1234``), then the state in any form real
files write it (``NJ``, ``N.J.``, ``N J``, ``N. J.``, ``NJ.``, ``NEW JERSEY``, ``FLA.``,
``CALIF``), and the city is what is left. A line with no state takes it from the ZIP table
(`propmail.rules.zip_codes`), as a line with a ZIP and no city takes its city. A foreign
address (a Canadian postcode such as ``V6K 1``, a province, a country's name, a country's
two-letter code after the city with no US ZIP: ``LE HAVRE FR``) is named in the
``foreign`` part and never cut into US fields: its state and ZIP are null and its city is the
line as written. A mailing place whose state could not be read takes it from its ZIP column
(`state_from_zip`).

>>> frame = pl.DataFrame({"line": ["JERSEY CITY, N. J.  7307", "BOCA RATON FLA. 33431-1234",
...     "JERSEY CITY  07305", "VANCOUVER BC V6K 1", "NEW YORK 10001"]})
>>> parts = city_state_zip(pl.col("line"))
>>> frame.select(**parts).rows()  # doctest: +NORMALIZE_WHITESPACE
[('JERSEY CITY', 'NJ', '07307', None, None), ('BOCA RATON', 'FL', '33431', '1234', None),
 ('JERSEY CITY', 'NJ', '07305', None, None),
 ('VANCOUVER BC V6K 1', None, None, None, 'BRITISH COLUMBIA'),
 ('NEW YORK', 'NY', '10001', None, None)]

A one-line address keeps its street before the city: at the first comma, else after the last
street suffix (or unit) before the city:

>>> frame = pl.DataFrame({"line": ["12 OAK AVE APT 3, CARY, NC 27511",
...     "9 ELM ST RALEIGH NC 27609"]})
>>> frame.select(**address_line(pl.col("line"))).rows()  # doctest: +NORMALIZE_WHITESPACE
[('12 OAK AVE APT 3', 'CARY', 'NC', '27511', None, None),
 ('9 ELM ST', 'RALEIGH', 'NC', '27609', None, None)]
"""

from __future__ import annotations

from functools import cache

import polars as pl

from propmail.rules.address import UNIT_DESIGNATOR
from propmail.rules.pub28 import STREET_TYPE_ABBREVIATIONS
from propmail.rules.zip_codes import states, zip_table

# The names and abbreviations of the states that real files write in place of the USPS code
STATE_NAMES = {
    "AL": ("ALABAMA", "ALA"), "AK": ("ALASKA",), "AZ": ("ARIZONA", "ARIZ"),
    "AR": ("ARKANSAS", "ARK"), "CA": ("CALIFORNIA", "CALIF", "CAL"), "CO": ("COLORADO", "COLO"),
    "CT": ("CONNECTICUT", "CONN"), "DE": ("DELAWARE", "DEL"), "DC": ("DISTRICT OF COLUMBIA",),
    "FL": ("FLORIDA", "FLA"), "GA": ("GEORGIA",), "HI": ("HAWAII",), "ID": ("IDAHO",),
    "IL": ("ILLINOIS", "ILL"), "IN": ("INDIANA", "IND"), "IA": ("IOWA",),
    "KS": ("KANSAS", "KANS", "KAN"), "KY": ("KENTUCKY",), "LA": ("LOUISIANA",), "ME": ("MAINE",),
    "MD": ("MARYLAND",), "MA": ("MASSACHUSETTS", "MASS"), "MI": ("MICHIGAN", "MICH"),
    "MN": ("MINNESOTA", "MINN"), "MS": ("MISSISSIPPI", "MISS"), "MO": ("MISSOURI",),
    "MT": ("MONTANA", "MONT"), "NE": ("NEBRASKA", "NEBR", "NEB"), "NV": ("NEVADA", "NEV"),
    "NH": ("NEW HAMPSHIRE",), "NJ": ("NEW JERSEY",), "NM": ("NEW MEXICO", "N MEX"),
    "NY": ("NEW YORK",), "NC": ("NORTH CAROLINA",), "ND": ("NORTH DAKOTA",), "OH": ("OHIO",),
    "OK": ("OKLAHOMA", "OKLA"), "OR": ("OREGON", "OREG", "ORE"),
    "PA": ("PENNSYLVANIA", "PENNA", "PENN"), "RI": ("RHODE ISLAND",),
    "SC": ("SOUTH CAROLINA",), "SD": ("SOUTH DAKOTA",), "TN": ("TENNESSEE", "TENN"),
    "TX": ("TEXAS", "TEX"), "UT": ("UTAH",), "VT": ("VERMONT",), "VA": ("VIRGINIA",),
    "WA": ("WASHINGTON", "WASH"), "WV": ("WEST VIRGINIA", "W VA"),
    "WI": ("WISCONSIN", "WISC", "WIS"), "WY": ("WYOMING", "WYO"), "PR": ("PUERTO RICO",),
}  # fmt: skip
# Provinces and countries: a line ending in one is a foreign address
PROVINCES = {
    "ALBERTA": "AB", "BRITISH COLUMBIA": "BC", "MANITOBA": "MB", "NEW BRUNSWICK": "NB",
    "NEWFOUNDLAND": "NL", "NOVA SCOTIA": "NS", "ONTARIO": "ON", "PRINCE EDWARD ISLAND": "PE",
    "QUEBEC": "QC", "SASKATCHEWAN": "SK", "YUKON": "YT",
}  # fmt: skip
COUNTRIES = (
    "CANADA", "MEXICO", "UNITED KINGDOM", "ENGLAND", "SCOTLAND", "IRELAND", "FRANCE", "GERMANY",
    "ITALY", "SPAIN", "PORTUGAL", "NETHERLANDS", "BELGIUM", "SWITZERLAND", "AUSTRIA", "SWEDEN",
    "NORWAY", "DENMARK", "POLAND", "GREECE", "ISRAEL", "CHINA", "P R CHINA", "HONG KONG",
    "TAIWAN", "JAPAN", "KOREA", "SOUTH KOREA", "INDIA", "PAKISTAN", "PHILIPPINES", "SINGAPORE",
    "AUSTRALIA", "NEW ZEALAND", "BRAZIL", "ARGENTINA", "COLOMBIA", "PERU", "CHILE",
    "DOMINICAN REPUBLIC", "JAMAICA", "TRINIDAD", "BAHAMAS", "BERMUDA", "EGYPT", "NIGERIA",
    "GHANA", "KENYA", "SOUTH AFRICA", "TURKEY", "LEBANON", "JORDAN", "UAE",
    "UNITED ARAB EMIRATES", "SAUDI ARABIA", "RUSSIA", "UKRAINE", "VIETNAM", "THAILAND",
    "MALAYSIA", "INDONESIA", "CYPRUS", "UK", "GB", "CHN",
)  # fmt: skip

# Countries' two-letter codes (ISO 3166) that no state has: a line ending in one, with no US
# ZIP, is a foreign address (LE HAVRE FR 76600)
COUNTRY_CODES = {
    "FR": "FRANCE", "UK": "UNITED KINGDOM", "GB": "UNITED KINGDOM", "IE": "IRELAND",
    "IT": "ITALY", "ES": "SPAIN", "PT": "PORTUGAL", "NL": "NETHERLANDS", "BE": "BELGIUM",
    "CH": "SWITZERLAND", "AT": "AUSTRIA", "SE": "SWEDEN", "NO": "NORWAY", "DK": "DENMARK",
    "PL": "POLAND", "GR": "GREECE", "IL": "ISRAEL", "CN": "CHINA", "HK": "HONG KONG",
    "TW": "TAIWAN", "JP": "JAPAN", "KR": "SOUTH KOREA", "PK": "PAKISTAN", "PH": "PHILIPPINES",
    "SG": "SINGAPORE", "AU": "AUSTRALIA", "NZ": "NEW ZEALAND", "BR": "BRAZIL", "CL": "CHILE",
    "MX": "MEXICO", "JM": "JAMAICA", "BS": "BAHAMAS", "BM": "BERMUDA", "EG": "EGYPT",
    "NG": "NIGERIA", "GH": "GHANA", "KE": "KENYA", "ZA": "SOUTH AFRICA", "TR": "TURKEY",
    "LB": "LEBANON", "JO": "JORDAN", "AE": "UNITED ARAB EMIRATES", "SA": "SAUDI ARABIA",
    "RU": "RUSSIA", "UA": "UKRAINE", "VN": "VIETNAM", "TH": "THAILAND", "CY": "CYPRUS",
}  # fmt: skip

# The ZIP at the end: 5 digits, or 4 that lost a leading zero, then an optional +4 written
# with a hyphen, a space or nothing
_ZIP = r"(?:^|[\s,.])(?P<zip>[0-9]{4,5})(?:(?:\s*-\s*|\s)?(?P<zip4>[0-9]{4}))?$"
# A Canadian postcode, whole or cut short (V6K 1, V6K 1A2), at the end
_POSTCODE = r"(?:^|[\s,])[A-Z][0-9][A-Z](?:\s?[0-9](?:[A-Z][0-9]?)?)?$"
# A two-letter code at the end, however dotted and spaced: NJ, N.J., N J, N. J., NJ.
_CODE = r"(?:^|[\s,.])(?P<a>[A-Z])[.,]{0,2}\s?(?P<b>[A-Z])\.?$"


def _words(names: list[str]) -> str:
    return "|".join(n.replace(" ", r"\s+") for n in sorted(set(names), key=len, reverse=True))


@cache
def _name_codes() -> dict[str, str]:
    """A state's written name or abbreviation -> its code."""
    return {name: code for code, names in STATE_NAMES.items() for name in names}


@cache
def _foreign_names() -> dict[str, str]:
    return {**{p: p for p in PROVINCES}, **{c: c for c in COUNTRIES}}


def _upper(cell: pl.Expr) -> pl.Expr:
    text = cell.cast(pl.String).str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


def _strip(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars(" ,.-;")
    return pl.when(text.str.len_bytes() > 0).then(text)


def _place(text: pl.Expr) -> dict[str, pl.Expr]:
    """A place without its ZIP ``CITY, ST`` -> city, state (a code the ZIP table knows), and
    the foreign place named at its end."""
    names = _name_codes()
    name_at_end = rf"(?:^|[\s,.])({_words(list(names))})\.?$"
    named = text.str.extract(name_at_end, 1)
    code = text.str.extract_groups(_CODE)
    letters = pl.concat_str(code.struct.field("a"), code.struct.field("b"))
    known_code = pl.when(letters.is_in(list(states()))).then(letters)
    # a country's name anywhere after the city (PANTIN, FRANCE 93500), a province's at the end
    foreign_word = rf"(?:^|[\s,.-])({_words(list(_foreign_names()))})(?:[\s,.-]|$)"
    province = {code: name for name, code in PROVINCES.items()}
    foreign = pl.coalesce(
        text.str.extract(foreign_word, 1).str.replace_all(r"\s+", " "),
        pl.when(known_code.is_null()).then(letters.replace_strict(province, default=None)),
    )
    # a country's code only after a city (never a line of two letters), never a state's
    country = pl.when(known_code.is_null() & text.str.contains(r"[A-Z]{2,}.*\s[A-Z]{2}$")).then(
        text.str.extract(r"\s([A-Z]{2})$", 1).replace_strict(COUNTRY_CODES, default=None)
    )
    # a name left alone is the city (NEW YORK 10001, WASHINGTON 20001): the ZIP gives its state
    whole_name = named.str.len_bytes() == text.str.replace(r"\.$", "").str.len_bytes()
    spelled = pl.when(~whole_name).then(named)
    state = pl.coalesce(
        spelled.str.replace_all(r"\s+", " ").replace_strict(names, default=None),
        known_code,
    )
    cut = (
        pl.when(spelled.is_not_null())
        .then(text.str.replace(name_at_end, ""))
        .when(known_code.is_not_null())
        .then(text.str.replace(_CODE, ""))
        .otherwise(text)
    )
    # a state written twice or mistyped after the city's comma (JERSEY CITY, NJ NJ; , NJJ),
    # and, where no state could be read, whatever follows the last comma (, FLORDA)
    city = _strip(cut).str.replace(r",[\s.]*[A-Z]{1,3}[\s.]*$", "")
    city = pl.when(state.is_null()).then(city.str.replace(r",[^,]*$", "")).otherwise(city)
    return {"city": _strip(city), "state": state, "foreign": foreign, "country": country}


def city_state_zip(cell: pl.Expr) -> dict[str, pl.Expr]:
    """A ``CITY, ST ZIP`` cell -> expressions named city, state, zip, zip4 and foreign."""
    text = _upper(cell)
    groups = text.str.extract_groups(_ZIP)
    zip5 = groups.struct.field("zip").str.zfill(5)
    zip5 = pl.when(zip5 != "00000").then(zip5)  # a placeholder, no ZIP
    rest = _strip(text.str.replace(_ZIP, "").str.replace(_POSTCODE, ""))
    place = _place(rest)
    postcode = text.str.replace(_ZIP, "").str.contains(_POSTCODE).fill_null(False)
    by_zip = _by_zip(zip5)
    # a place named like a country is a US town where the ZIP says so (LEBANON 03766)
    named_abroad = place["state"].is_null() & (by_zip["city"] != place["foreign"]).fill_null(True)
    foreign = pl.coalesce(
        pl.when(named_abroad).then(place["foreign"]),
        pl.when(postcode).then(pl.lit("CANADA")),
        pl.when(by_zip["state"].is_null()).then(place["country"]),
    )
    domestic = foreign.is_null()
    return {
        "city": pl.when(domestic).then(pl.coalesce(place["city"], by_zip["city"])).otherwise(text),
        "state": pl.when(domestic).then(pl.coalesce(place["state"], by_zip["state"])),
        "zip": pl.when(domestic).then(zip5),
        "zip4": pl.when(domestic).then(groups.struct.field("zip4")),
        "foreign": foreign,
    }


def _by_zip(zip5: pl.Expr) -> dict[str, pl.Expr]:
    table = zip_table()
    zips = table["zip"].to_list()
    return {
        "city": zip5.replace_strict(zips, table["city"].to_list(), default=None),
        "state": zip5.replace_strict(zips, table["state"].to_list(), default=None),
    }


_SUFFIX_WORDS = sorted({*STREET_TYPE_ABBREVIATIONS, *STREET_TYPE_ABBREVIATIONS.values()}, key=len)
# the street of a one-line address without commas ends at its last suffix (and directional,
# and unit); the city follows
_STREET_END = (
    rf"^(?P<street>[0-9].*?\b(?:{'|'.join(w for w in reversed(_SUFFIX_WORDS) if ' ' not in w)})"
    rf"\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    rf"(?:\s+(?:(?:{UNIT_DESIGNATOR})\.?|#)\s*[A-Z0-9-]+)?)\s+(?P<place>[^0-9].*)$"
)


def address_line(cell: pl.Expr) -> dict[str, pl.Expr]:
    """A one-line address ``STREET, CITY, ST ZIP`` -> street and the parts of `city_state_zip`.

    A line that holds no city, state or ZIP is all street.
    """
    text = _upper(cell)
    comma = text.str.extract(r"^([^,]+),\s*(.+)$", 2)
    spaced = text.str.extract_groups(_STREET_END)
    place = pl.coalesce(comma, spaced.struct.field("place"))
    street = pl.coalesce(
        text.str.extract(r"^([^,]+),", 1), spaced.struct.field("street"), text
    ).str.strip_chars()
    return {"street": street, **city_state_zip(place)}


def state_from_zip(city: pl.Expr, state: pl.Expr, zip_: pl.Expr) -> dict[str, pl.Expr]:
    """A mailing place with no state read (``SEWELL N`` 08080, an empty city and 08028): the
    ZIP table's state for its ZIP, and its city where there is none; a last letter left of a
    state cut short (``SEWELL N``, the ZIP in NJ) is dropped. A foreign place, and a ZIP the
    table does not know, are left as they are.

    >>> frame = pl.DataFrame({"c": ["SEWELL N", None, "LE HAURE FR", "CARY"],
    ...     "s": [None, None, None, "NC"], "z": ["08080", "08028", "76600", "27511"]})
    >>> frame.select(**state_from_zip(pl.col("c"), pl.col("s"), pl.col("z"))).rows()
    [('SEWELL', 'NJ'), ('GLASSBORO', 'NJ'), ('LE HAURE FR', None), ('CARY', 'NC')]
    """
    given = _upper(state)
    by_zip = _by_zip(_upper(zip_).str.extract(r"^([0-9]{4,5})", 1).str.zfill(5))
    need = given.is_null() & by_zip["state"].is_not_null()
    need = need & foreign_place(city, state, zip_).is_null()
    letter = _upper(city).str.extract(r"\s([A-Z])\.?$", 1)
    cut = (
        pl.when(letter == by_zip["state"].str.slice(0, 1))
        .then(_upper(city).str.replace(r"\s[A-Z]\.?$", ""))
        .otherwise(city)
    )
    return {
        "city": pl.when(need).then(pl.coalesce(cut, by_zip["city"])).otherwise(city),
        "state": pl.when(need).then(by_zip["state"]).otherwise(state),
    }


__all__ = ["address_line", "city_state_zip", "foreign_place", "state_from_zip"]


def foreign_place(city: pl.Expr, state: pl.Expr, zip_: pl.Expr) -> pl.Expr:
    """The foreign place a mailing address names (``CANADA``, ``FRANCE``), null for a US one:
    only a row with no state or no ZIP is read (a split foreign line keeps both empty).

    >>> frame = pl.DataFrame({"c": ["PANTIN, FRANCE 93500", "CARY"], "s": [None, "NC"],
    ...     "z": [None, "27511"]})
    >>> frame.select(foreign_place(pl.col("c"), pl.col("s"), pl.col("z"))).to_series().to_list()
    ['FRANCE', None]
    """
    line = pl.concat_str([city, state, zip_], separator=" ", ignore_nulls=True)
    return pl.when(state.is_null() | zip_.is_null()).then(city_state_zip(line)["foreign"])
