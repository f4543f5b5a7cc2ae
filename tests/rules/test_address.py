from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propmail.rules.address import ASSESSOR_WORDS, address_key, normalize_street, normalize_zip5
from propmail.rules.pub28 import DIRECTIONAL_REPLACEMENTS, STREET_TYPE_ABBREVIATIONS


def streets(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"s": values}, schema={"s": pl.String})
    return frame.select(normalize_street(pl.col("s"))).to_series().to_list()


def street(value: str | None) -> str | None:
    return streets([value])[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123 North Main Street", "123 N MAIN ST"),
        ("123 main st nw", "123 MAIN ST NW"),
        ("123 Main Street North-West", "123 MAIN ST NW"),
        ("4 N.E. Park Ave.", "4 NE PARK AVE"),
        ("10 Elm St.", "10 ELM ST"),
        ("  10\tElm   St ", "10 ELM ST"),
        ("55 O'Neil Ct", "55 ONEIL CT"),
        ("8 Peña Way", "8 PENA WAY"),
        ("12 1/2 Main St", "12 1/2 MAIN ST"),
        ("789 First Street", "789 1ST ST"),
        ("789 1st St", "789 1ST ST"),
        ("1 Twentieth Ave", "1 20TH AVE"),
        ("1 Twenty First Ave", "1 21ST AVE"),
        ("1 Twenty-Second Ave", "1 22ND AVE"),
        ("1 Eleventh Ave", "1 11TH AVE"),
        ("5 State Rt 9", "5 STATE RTE 9"),
        ("1 Ocean Key", "1 OCEAN KY"),
        ("P.O. Box 12", "PO BOX 12"),
        ("p o box 12", "PO BOX 12"),
        ("Post Office Box 12", "PO BOX 12"),
        ("POBOX 12", "PO BOX 12"),
        ("7 Main St Suite 100", "7 MAIN ST # 100"),
        ("7 Main St Ste A", "7 MAIN ST # A"),
        ("7 Main St Apartment 4B", "7 MAIN ST # 4B"),
        ("7 Main St Apt. #4-B", "7 MAIN ST # 4B"),
        ("7 Main St APT4", "7 MAIN ST # 4"),
        ("7 Main St Lot 12", "7 MAIN ST # 12"),
        ("7 Main St Rear", "7 MAIN ST REAR"),  # no unit number: not a # unit
        ("7 Main St Bldg 3", "7 MAIN ST BLDG 3"),  # a building is not the dwelling unit
        ("100 Lot Rd", "100 LOT RD"),  # LOT followed by a street suffix is a street name
        ("APT 4", "# 4"),
        (None, None),
        ("", None),
        ("   ", None),
        ("., -", None),
    ],
)
def test_normalize_street(raw: str | None, expected: str | None) -> None:
    assert street(raw) == expected


def test_unit_designators_compare_equal() -> None:
    forms = ["APT 4", "UNIT 4", "# 4", "#4", "Apartment 4", "Suite 4", "apt.#4", "Unit #4"]
    assert set(streets([f"9 Oak Ave {form}" for form in forms])) == {"9 OAK AVE # 4"}


@pytest.mark.parametrize(
    ("word", "short"),
    [
        (k, v)
        for k, v in STREET_TYPE_ABBREVIATIONS.items()
        if " " not in k and k != v and k not in ASSESSOR_WORDS
    ],
)
def test_every_pub28_street_suffix(word: str, short: str) -> None:
    assert street(f"1 Main {word}") == f"1 MAIN {short}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # assessors' CR is a circle and PK a pike, where Pub 28 reads CREEK and PARK
        ("40 John Paul Cr", "40 JOHN PAUL CIR"),
        ("9 Hamstead Crsg", "9 HAMSTEAD XING"),
        ("1 Sunset Bd", "1 SUNSET BLVD"),
        ("12 Old Pk", "12 OLD PIKE"),
        ("21 Broadman Pky.", "21 BROADMAN PKWY"),
        ("45 River Dr. So.", "45 RIV DR S"),
        # SAINT is a word of the name, written either way
        ("3 Saint James Church Rd", "3 ST JAMES CHURCH RD"),
    ],
)
def test_assessor_abbreviations(raw: str, expected: str) -> None:
    assert street(raw) == expected


@pytest.mark.parametrize(("word", "short"), DIRECTIONAL_REPLACEMENTS.items())
def test_every_directional(word: str, short: str) -> None:
    assert street(f"1 {word} Main St {word}") == f"1 {short} MAIN ST {short}"


ORDINAL_WORDS = [
    "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH",
    "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH", "FIFTEENTH", "SIXTEENTH", "SEVENTEENTH",
    "EIGHTEENTH", "NINETEENTH", "TWENTIETH",
]  # fmt: skip
ORDINAL_NUMBERS = [f"{n}{'ST' if n == 1 else 'ND' if n == 2 else 'RD' if n == 3 else 'TH'}"
                   for n in range(1, 21)]  # fmt: skip


def test_ordinal_words_one_to_twenty() -> None:
    got = streets([f"1 {word} st" for word in ORDINAL_WORDS])
    assert got == [f"1 {number} ST" for number in ORDINAL_NUMBERS]
    assert streets([f"1 {number} st" for number in ORDINAL_NUMBERS]) == got


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02134", "02134"),
        (" 02134 ", "02134"),
        ("24016-1234", "24016"),
        ("24016 1234", "24016"),
        ("240161234", "24016"),
        ("2134", None),
        ("123456", None),
        ("ABCDE", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_zip5(raw: str | None, expected: str | None) -> None:
    frame = pl.DataFrame({"z": [raw]}, schema={"z": pl.String})
    assert frame.select(normalize_zip5(pl.col("z"))).item() == expected


def test_address_key() -> None:
    frame = pl.DataFrame(
        {
            "street": ["123 North Main Street", None, "123 Main St", "  "],
            "zip": ["02134-0001", "02134", None, "02134"],
        }
    )
    got = frame.select(address_key(pl.col("street"), pl.col("zip"))).to_series().to_list()
    assert got == ["123 N MAIN ST|02134", None, None, None]


# Address-like text: Pub 28 words, numbers, unit marks and stray punctuation in any case.
STREET_WORDS = st.sampled_from(
    [*STREET_TYPE_ABBREVIATIONS, *DIRECTIONAL_REPLACEMENTS, "PO", "P.O.", "Box", "N.E.",
     "O'Neil", "Main"]
)  # fmt: skip
UNIT_WORDS = st.sampled_from(["APT", "Apartment", "unit", "STE", "Suite", "Lot", "#", "#4", "Apt4"])
ORDINALS = st.sampled_from(["twenty", "Ninety", "First", "ninth", "1st", "Twenty-Second"])
NUMBERS = st.sampled_from(["1", "4", "12", "400", "4B", "B", "4-B", "1/2", "0"])
NOISE = st.text(alphabet=st.sampled_from("abcXYZ019 .,#-/'\téÑß"), max_size=6)
ADDRESSES = st.lists(st.one_of(STREET_WORDS, UNIT_WORDS, ORDINALS, NUMBERS, NOISE), max_size=8).map(
    " ".join
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ADDRESSES, min_size=1, max_size=20))
def test_normalize_street_is_idempotent(lines: list[str]) -> None:
    once = streets(lines)
    assert streets(once) == once


@settings(max_examples=300, deadline=None)
@given(st.lists(ADDRESSES, min_size=1, max_size=20))
def test_normalize_street_ignores_case(lines: list[str]) -> None:
    expected = streets(lines)
    assert streets([line.lower() for line in lines]) == expected
    assert streets([line.swapcase() for line in lines]) == expected
