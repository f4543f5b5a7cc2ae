"""What an envelope name never does (docs/conventions.md), checked apart from the rule.

`violations` reads one owner record and the envelope name printed for it, in plain Python, with
its own small list of markers: it shares no code with `propmail.rules`, so that a test built on
it can catch the rule. `owner_record` writes owner records in the shapes counties and lists use,
for generated names; `pick` is where its choices come from (hypothesis, or a seeded random).

>>> violations({"OwnerName": "SMITH JOHN & MARY"}, "John & Mary Smith")
[]
>>> violations({"OwnerName": "JOHN DOE, JR."}, "Doe John & John Jr")
['repeats JOHN, written once in the owner fields']
>>> violations({"OwnerName": "PAUL & LINDA GREEN LIVING TRUST"}, "Paul")
['prints one word where the owner fields have 5']
>>> braun = "Richard J Braun Jr & Cherie M Braun"
>>> violations({"OwnerName": "BRAUN, RICHARD J JR & CHERIE M"}, braun)
[]
>>> violations({"OwnerName": "SMITH, ANN"}, "& Ann Smith")
['starts or ends with & or a comma']
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

OWNER_FIELDS = ("OwnerName", "OwnerName2", "OwnerFirstName", "OwnerLastName")
SALUTATIONS = ("CURRENT OWNER",)  # a fixed salutation a setting may print instead of a name
GENERATIONS = {"JR", "SR", "II", "III", "IV", "2ND", "3RD", "I", "V"}
# words that describe the ownership, not an owner: the first owner's surname is looked for
# among the other words (tenancy, life estate, trustee, capacity, credential, unknown name)
MARKERS = {
    "ETAL", "ET", "AL", "ALS", "UX", "VIR", "ETA", "ETUX", "JT", "JTS", "JTWROS", "TIC", "TEN",
    "COM", "HW", "H", "W", "WF", "HUS", "LE", "L", "E", "LIFE", "EST", "ESTATE", "LT", "RM",
    "TR", "TRS", "TRUSTEE", "TRUSTEES", "TTEE", "TTEES", "TTE", "TTES", "CO", "COTTEE",
    "COTTEES", "ADMR", "EXTR", "EXEC", "ATTY", "POA", "MD", "DDS", "CPA", "ESQ", "PHD", "DMD",
    "RN", "FNU", "LNU", "T", "S", "D", "M", "F",
}  # fmt: skip
# an organisation's words: a first owner line holding one names no person whose surname is due
ORGANISATION = {
    "TRUST", "TRST", "TRUSTS", "LLC", "INC", "CORP", "CORPORATION", "CO", "COMPANY", "LTD", "LP",
    "LLP", "BANK", "CHURCH", "CITY", "TOWN", "COUNTY", "STATE", "AUTHORITY", "ASSOCIATION",
}  # fmt: skip
_CARE_OF = re.compile(r"(?:%|\bC/O\b|\bC\\O\b|\bATTN\b).*$")
_SEPARATORS = re.compile(r"\s*(?:&|/|;|\bAND\b)\s*")


def words(text: str) -> list[str]:
    """Upper-case words, apostrophes dropped (``O'Brien, Jr.`` -> ``OBRIEN``, ``JR``); every
    other character separates words (letters written with periods are closed up again by
    `_closes_up`: ``L.L.C.`` -> ``LLC``), ``&`` is a word of its own."""
    text = re.sub(r"['’`]", "", text.upper())
    return re.findall(r"&|[A-Z0-9]+", text)


def _closes_up(word: str, available: list[str]) -> list[int] | None:
    """Positions of consecutive owner-field words that, joined, are `word` (MC LEAN -> MCLEAN)."""
    for start in range(len(available)):
        joined = ""
        for end in range(start, min(start + 6, len(available))):
            joined += available[end]
            if joined == word and end > start:
                return list(range(start, end + 1))
            if not word.startswith(joined):
                break
    return None


def _first_surname_candidates(fields: dict[str, str]) -> set[str]:
    """The first owner's surname as the owner field itself shows it: the word before a comma,
    else the first or the last word of the first owner (markers and suffixes set aside)."""
    for key in ("OwnerName", "OwnerName2"):
        line = _CARE_OF.sub("", (fields.get(key) or "").upper())
        if ORGANISATION & set(words(line)):
            return set()
        first = _SEPARATORS.split(line.strip())[0] if line.strip() else ""
        if "," in first and words(first.split(",")[0]):
            return {words(first.split(",")[0])[0], words(first.split(",")[0])[-1]}
        kept = [w for w in words(first) if w not in MARKERS and w not in GENERATIONS]
        if kept:
            return {kept[0], kept[-1]}
    return set()


def violations(
    fields: Mapping[str, str | None], envelope: str | None, *, titled: bool = False
) -> list[str]:
    """Each invariant the envelope name breaks for this owner record (empty: none).

    `titled`: the trustee_title setting, which may add ``Trustee`` or ``Trustees``.
    """
    record = {k: v for k, v in fields.items() if k in OWNER_FIELDS and v}
    if envelope is None or not envelope.strip():
        lines = (
            _CARE_OF.sub("", (record.get(k) or "").upper()) for k in ("OwnerName", "OwnerName2")
        )
        named = any(words(line) for line in lines)
        return ["prints nothing"] if named else []
    if envelope.strip().upper() in SALUTATIONS:
        return []
    found: list[str] = []
    if re.match(r"^\s*[&,]|[&,]\s*$", envelope):
        found.append("starts or ends with & or a comma")
    given = [w for v in record.values() for w in words(v) if w != "&"]
    printed = [w for w in words(envelope) if w != "&"]
    # 1 and 2: every printed word is an owner-field word (or several closed up), used once
    available = list(given)
    used: Counter[str] = Counter()
    # words closed up first (D DM from D.M.: DM takes D and M before D takes its own)
    for word in sorted(printed, key=lambda w: w in given):
        if word in available:
            available.remove(word)
            used[word] += 1
            continue
        joined = _closes_up(word, available)
        if joined is not None:
            for i in reversed(joined):
                del available[i]
            continue
        if titled and word in ("TRUSTEE", "TRUSTEES"):
            continue
        if word in given or _closes_up(word, given) is not None:
            if not _shared_surname(envelope, word):
                found.append(
                    f"repeats {word}, written {given.count(word)} time(s) in the owner fields"
                    if given.count(word) > 1
                    else f"repeats {word}, written once in the owner fields"
                )
            continue
        found.append(f"prints {word}, which is in no owner field")
    # 3: a person is not printed by one word, and the first owner's surname is printed
    meaningful = [w for w in given if w not in MARKERS and not w.isdigit()]
    if len(printed) == 1 and len(set(meaningful)) > 1:
        found.append(f"prints one word where the owner fields have {len(meaningful)}")
    candidates = _first_surname_candidates(record)
    if candidates and not candidates & set(printed) and not _closed_into(candidates, printed):
        found.append(f"drops the first owner's surname ({' or '.join(sorted(candidates))})")
    return found


def _closed_into(candidates: set[str], printed: list[str]) -> bool:
    """A surname written in parts and printed closed up (MC LEAN -> MCLEAN) is printed."""
    return any(c in p and p != c for c in candidates for p in printed)


def _shared_surname(envelope: str, word: str) -> bool:
    """`word` is the surname written out after each of two owners because one has a suffix
    (``Richard J Braun Jr & Cherie M Braun``)."""
    parts = [words(p) for p in envelope.split("&")]
    if len(parts) != 2:
        return False
    lasts, suffixed = [], False
    for part in parts:
        while part and part[-1] in GENERATIONS:
            part = part[:-1]
            suffixed = True
        # each owner printed in full: given name(s), then the surname
        lasts.append(part[-1] if len(part) >= 2 else None)
    return suffixed and lasts == [word, word]


# -- owner records in the shapes counties and lists write them ------------------------------

Pick = Callable[[Sequence[Any]], Any]
TRADES = ("HOLDINGS", "PROPERTIES", "REALTY", "FLORIST & NURSERY", "BAKERY", "PLUMBING")


def owner_record(pick: Pick, given: Sequence[str], surnames: Sequence[str]) -> dict[str, str]:
    """One owner record: OwnerName, and sometimes OwnerName2, OwnerFirstName, OwnerLastName."""
    kind = pick(("person", "person", "person", "people", "people", "run together", "two lines",
                 "trust", "named trust", "business", "government", "estate", "listed"))  # fmt: skip

    def name_word(pool: Sequence[str]) -> str:
        return pick((pick(pool), pick(pool), pick(pool), _unknown(pick)))

    def surname() -> str:
        word = name_word(surnames)
        shape = pick(("plain", "plain", "plain", "particle", "hyphen", "mc"))
        if shape == "particle":
            return f"{pick(('DE', 'DE LA', 'VAN', 'VON', 'DI', 'DEL', 'VAN DER', 'ST'))} {word}"
        if shape == "hyphen":
            return f"{word}-{name_word(surnames)}"
        return f"MC {word}" if shape == "mc" else word

    def givens() -> str:
        parts = [name_word(given)]
        parts += pick(([], [], [pick(string.ascii_uppercase)], [name_word(given)]))
        return " ".join(parts)

    def person(order: str) -> tuple[str, str, str]:
        last, first = surname(), givens()
        suffix = pick(("", "", "", "", " JR", " SR", " III", " 2ND"))
        marker = pick(("", "", "", "", " ETAL", " TR", " TTEE", " LE", " LT", " RM", " (LIFE)",
                       " ET UX", " H/W", " J/T", " MD", ", PH. D.", " ESQ",
                       " TRUSTEE"))  # fmt: skip
        written = {
            "surname first": f"{last} {first}{suffix}{marker}",
            "comma": f"{last}{suffix}, {first}{marker}",
            "given first": f"{first} {last}{suffix}{marker}",
            "given first comma": f"{first} {last},{suffix}{marker}",
        }[order]
        return written, first, last

    order = pick(("surname first", "comma", "given first", "given first comma"))
    record: dict[str, str] = {}
    if kind in ("person", "estate"):
        record["OwnerName"], first, last = person(order)
        if kind == "estate":
            record["OwnerName"] = pick(
                (f"ESTATE OF {record['OwnerName']}", f"{record['OwnerName']} ESTATE")
            )
        elif pick((True, False, False)):
            record["OwnerFirstName"], record["OwnerLastName"] = first, last
    elif kind == "people":
        one = person(order)[0]
        two = pick((givens(), person(order)[0], f"{givens()} {surname()}"))
        record["OwnerName"] = f"{one}{pick((' & ', ' AND ', '/', '; ', ' & ', ','))}{two}"
    elif kind == "run together":
        last = surname()
        parts = [f"{last} {givens()}" for _ in range(pick((2, 2, 3, 4)))]
        if pick((True, False)):
            parts[1] = f"{surname()} {givens()}"
        record["OwnerName"] = " ".join(parts)
    elif kind == "two lines":
        record["OwnerName"] = person(order)[0] + pick(("", "", " &", " AND"))
        record["OwnerName2"] = pick((person(order)[0], givens(), f"% {givens()} {surname()}",
                                     f"C/O {surname()}", surname()))  # fmt: skip
    elif kind == "trust":
        record["OwnerName"] = pick((
            f"{surname()} FAMILY TRUST", f"{givens()} {surname()} REVOCABLE TRUST",
            f"{surname()} REV LIV TR", f"{surname()} TRUST, {givens()}",
            f"{givens()} & {givens()} {surname()} LIVING TRUST",
        ))  # fmt: skip
        if pick((True, False, False)):
            record["OwnerName2"] = pick((person(order)[0] + " TTEE", surname(), f"% {surname()}"))
    elif kind == "named trust":
        a, b = f"{givens()} {surname()}", f"{givens()} {surname()}"
        record["OwnerName"] = pick((f"{a} AND {b} REV LIV TR", f"{a} REV LIV TR/{b} TR"))
    elif kind == "business":
        record["OwnerName"] = pick((
            f"{name_word(surnames)} {pick(TRADES)}"
            f"{pick(('', ' LLC', ' INC', ', L.L.C.', ' CO', ' L L C'))}",
            f"{pick(('12', '305', '1600'))} {name_word(surnames)} ST LLC",
        ))  # fmt: skip
        if pick((True, False, False)):
            record["OwnerName2"] = pick(
                (f"% {surname()}", "ATTN: ACCOUNTS PAYABLE", "OF NEW JERSEY LLC")
            )
    elif kind == "government":
        place = name_word(surnames)
        record["OwnerName"] = pick((f"CITY OF {place}", f"{place}, TOWN OF",
                                    f"{place} HOUSING AUTHORITY"))  # fmt: skip
    else:  # a deed index lists whole names with commas
        record["OwnerName"] = ", ".join(person("surname first")[0] for _ in range(pick((2, 3))))
    case = pick(("upper", "upper", "upper", "title", "mixed"))
    return {k: _cased(v, case) for k, v in record.items()}


def _unknown(pick: Pick) -> str:
    """A word no name table knows: a few letters, vowels and consonants by turns."""
    vowels, consonants = "AEIOUY", "BCDFGHJKLMNPRSTVZ"
    return "".join(pick(consonants if i % 2 == 0 else vowels) for i in range(pick((3, 4, 5, 6, 7))))


def _cased(text: str, case: str) -> str:
    if case == "title":
        return string.capwords(text.lower())
    if case == "mixed":  # an MLS record: the first word in capitals, the rest in title case
        head, _, rest = text.partition(" ")
        return f"{head} {string.capwords(rest.lower())}".strip()
    return text
