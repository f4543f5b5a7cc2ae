"""Address lines read by what each one is, and the delivery line composed of several, whatever
column holds each part."""

from __future__ import annotations

import polars as pl
import pytest

from propmail.rules.lines import delivery, kinds


def _kind(line: str) -> str:
    found = pl.DataFrame({"l": [line]}).select(**kinds(pl.col("l"))).row(0, named=True)
    return next((k for k, v in found.items() if v), "other")


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("%LYME PROPERTIES", "care_of"),
        ("% CARLETON", "care_of"),
        ("C/O JOHN SMITH", "care_of"),
        ("ATTN: DIRECTOR", "care_of"),
        ("#506", "unit"),
        ("707", "unit"),
        ("APT 24", "unit"),
        ("UNIT #6B", "unit"),
        ("STE 1 #271", "unit"),
        ("UNIT D 41", "unit"),
        ("BUILDING 1 STE 4", "unit"),
        ("PO BOX 310", "box"),
        ("P.O. BOX 9", "box"),
        ("BOX 248", "box"),
        ("RR 2 BOX 5", "box"),
        ("1080 N DELAWARE AVE", "street"),
        ("21-20 19TH STREET", "street"),
        ("80 1/2 MASCOMA ST", "street"),
        ("6808 RIDGE HOLDINGS LLC", "other"),  # a company, not a street
        ("SIMPLIFILE LC E-RECORDING", "other"),
        ("TOP FLOOR", "other"),
        ("", "other"),
    ],
)
def test_each_line_is_read_by_its_value(line: str, kind: str) -> None:
    assert _kind(line) == kind


LINES = [
    # (line 1, line 2) -> delivery line, care-of line
    (("#506", "1080 N DELAWARE AVE"), "1080 N DELAWARE AVE # 506", None),
    (("707", "1900 HAMILTON ST"), "1900 HAMILTON ST # 707", None),
    (("4 MEADOWBROOK VILLAGE", "APT 24"), "4 MEADOWBROOK VILLAGE APT 24", None),
    (("%LYME PROPERTIES", "PO BOX 310"), "PO BOX 310", "%LYME PROPERTIES"),
    (("% CARLETON", "46 CENTERRA PKWY #102"), "46 CENTERRA PKWY #102", "% CARLETON"),
    (("KCC PROPERTIES REALTY INC", "32 LEBANON ST STE A"), "32 LEBANON ST STE A", None),
    # two delivery lines: the one nearest the city, as USPS reads a block
    (("PO BOX 95", "29 HAZEN DR"), "29 HAZEN DR", None),
    (("150 WESTLAKE RD", "BOX 248"), "BOX 248", None),
    # a unit the street already ends with is not written twice; a PO box takes no unit
    (("APT 3", "12 OAK ST APT 3"), "12 OAK ST APT 3", None),
    (("#4", "PO BOX 7"), "PO BOX 7", None),
    (("JOHN DOE", "12 OAK ST"), "12 OAK ST", None),
    (("JOHN DOE", None), None, None),
]


@pytest.mark.parametrize(("lines", "street", "care_of"), LINES)
def test_the_delivery_line_is_composed_by_what_each_line_holds(
    lines: tuple[str | None, str | None], street: str | None, care_of: str | None
) -> None:
    frame = pl.DataFrame(
        {"a": [lines[0]], "b": [lines[1]]}, schema={"a": pl.String, "b": pl.String}
    )
    got = frame.select(**delivery([pl.col("a"), pl.col("b")])).row(0)
    assert got == (street, care_of)


def test_where_no_line_is_a_street_the_fallback_is_read() -> None:
    frame = pl.DataFrame({"a": ["SIMPLIFILE LC E-RECORDING", "1 MAIN ST"], "b": [None, None],
                          "f": ["CHEMIN DU LAC", "ignored"]})  # fmt: skip
    got = frame.select(**delivery([pl.col("a"), pl.col("b")], pl.col("f")))["street"]
    assert got.to_list() == ["CHEMIN DU LAC", "1 MAIN ST"]
