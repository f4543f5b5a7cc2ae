"""A header read as words: split at case changes, underscores, spaces, punctuation and digits,
then each abbreviation real files use replaced by the one word it stands for.

The vocabulary is of words, not of whole headers: `mlg`, `mail` and `mailing` are all
`mailing`; `situs`, `site`, `property`, `prop` and `location` all `site`; `apn`, `pin`,
`folio` and `account` all `parcelid`. `propmail.read.meaning` reads a column's meaning from
these words.

>>> words("situsStreetName"), words("OWN1_LAST"), words("MAIL ZIP/ZIP+4")
(('site', 'street', 'name'), ('owner', '1', 'last'), ('mailing', 'zip', 'zip4'))
>>> words("co own name"), words("ownersMailingAddress"), words("Parcel #")
(('coowner', 'name'), ('owner', 'mailing', 'address'), ('parcel', 'number'))
>>> words("cityStateZip"), words("Owner Postal Code"), words("c/o"), words("saledate")
(('city', 'state', 'zip'), ('owner', 'zip'), ('careof',), ('sale', 'date'))
"""

from __future__ import annotations

import re
from functools import cache

# one word -> the word it stands for (a word not listed stands for itself)
SYNONYMS = {
    # blocks
    "mail": "mailing",
    "mailing": "mailing",
    "mlg": "mailing",
    "mlng": "mailing",
    "mailto": "mailing",
    "billing": "mailing",
    "situs": "site",
    "site": "site",
    "property": "site",
    "prop": "site",
    "prpty": "site",
    "location": "site",
    "loc": "site",
    "locn": "site",
    "physical": "site",
    "premises": "site",
    "own": "owner",
    "owner": "owner",
    "owners": "owner",
    "ownr": "owner",
    "taxpayer": "owner",
    "primary": "primary",
    # kinds
    "addr": "address",
    "adr": "address",
    "address": "address",
    "add": "address",
    "addresses": "address",
    "str": "street",
    "strt": "street",
    "street": "street",
    "apn": "parcelid",
    "pin": "parcelid",
    "folio": "parcelid",
    "account": "parcelid",
    "acct": "parcelid",
    "pid": "parcelid",
    "parid": "parcelid",
    "parcelid": "parcelid",
    "parcel": "parcel",
    "prcl": "parcel",
    "parcl": "parcel",
    "zip": "zip",
    "zipcode": "zip",
    "zip5": "zip",
    "postal": "zip",
    "postcode": "zip",
    "zip4": "zip4",
    "plus4": "zip4",
    "cty": "city",
    "city": "city",
    "town": "city",
    "st": "state",
    "state": "state",
    "stt": "state",
    "county": "county",
    "cnty": "county",
    "nm": "name",
    "nme": "name",
    "name": "name",
    "names": "name",
    "fname": "first",
    "first": "first",
    "frst": "first",
    "given": "first",
    "lname": "last",
    "last": "last",
    "lst": "last",
    "surname": "last",
    "apt": "unit",
    "unit": "unit",
    "suite": "unit",
    "ste": "unit",
    "no": "number",
    "num": "number",
    "nbr": "number",
    "nmbr": "number",
    "number": "number",
    "id": "id",
    "identifier": "id",
    "ident": "id",
    "key": "id",
    "sell": "sale",
    "sale": "sale",
    "sold": "sale",
    "sales": "sale",
    "amt": "amount",
    "amount": "amount",
    "price": "amount",
    "prc": "amount",
    "dt": "date",
    "date": "date",
    "nbhd": "neighborhood",
    "neighbourhood": "neighborhood",
    "subdivision": "neighborhood",
    "subdiv": "neighborhood",
    "acreage": "acres",
    "acre": "acres",
    "ac": "acres",
    "ln": "line",
    "line": "line",
}
# word pairs and runs that stand for one word, tried before single words
PHRASES = (
    (("co", "owner"), "coowner"),
    (("in", "care", "of"), "careof"),
    (("care", "of"), "careof"),
    (("c", "o"), "careof"),
    (("zip", "code"), "zip"),
    (("zip", "4"), "zip4"),
    (("postal", "code"), "zip"),
    (("post", "code"), "zip"),
    (("csz",), "city state zip"),
    (("citystatezip",), "city state zip"),
    (("co", "own"), "coowner"),
)
# words split off where a header runs them together ("address1" after digits are split)
_GLUED = {"ownname": ["own", "name"], "zipcode": ["zip", "code"]}


@cache
def words(header: str) -> tuple[str, ...]:
    """The header's words, lower case, each abbreviation replaced by what it stands for."""
    return tuple(_expand(raw_words(header)))


def raw_words(header: str) -> list[str]:
    """The header split into words at case changes, punctuation, spaces and digits."""
    text = header.replace("#", " number ").replace("%", " percent ")
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # situsStreet
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)  # APNNumber
    text = re.sub(r"([A-Za-z])([0-9])|([0-9])([A-Za-z])", _space_digits, text)
    out: list[str] = []
    for word in re.split(r"[^0-9A-Za-z]+", text.casefold()):
        if word:
            out += _GLUED.get(word) or _unglue(word) or [word]
    return out


def _unglue(word: str) -> list[str] | None:
    """A word run together from two or three known words ("saledate", "ownername"), split."""
    if word in SYNONYMS or len(word) < 6:
        return None
    for cut in range(3, len(word) - 1):
        head, tail = word[:cut], word[cut:]
        if head in SYNONYMS and len(head) >= 3:
            rest = [tail] if tail in SYNONYMS and len(tail) >= 2 else _unglue(tail)
            if rest:
                return [head, *rest]
    return None


def _space_digits(found: re.Match[str]) -> str:
    pairs = [g for g in found.groups() if g is not None]
    return f"{pairs[0]} {pairs[1]}"


def _expand(raw: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(raw):
        for phrase, meaning in PHRASES:
            if tuple(raw[i : i + len(phrase)]) == phrase:
                out += meaning.split()
                i += len(phrase)
                break
        else:
            out.append(SYNONYMS.get(raw[i], raw[i]))
            i += 1
    return out
