"""A county roll's site block derived the same way on every row, and a file without a parcel
id keyed by its site: read through the reader, as a file as downloaded would be."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from propmail.read import read_upload
from propmail.read.site import checked_state, fill_site

ROLL = {
    "propertyLocation": [
        "413 NEW YORK AVE.", "20 OAK ST", "5 ELM ST", "99 HUDSON ST.", "99 HUDSON ST.",
        "99 HUDSON ST.", "7 PINE PL",
    ],
    "ownersName": ["ANN LEE", "BO KIM", "CY DOE", "COA 99 HUDSON LLC", "COA 99 HUDSON LLC",
                   "DI ROE", "EVE FOX"],
    "ownersMailingAddress": [
        "413 NEW YORK AVENUE", "1 PINE RD", "5 ELM STREET", "1500 BROADWAY 23RD FL",
        "1500 BROADWAY 23RD FL", "99 HUDSON ST #2", "7 PINE PLACE",
    ],
    "cityStateZip": [
        "JERSEY CITY, N. J.  07307", "NEW YORK, NY 10036", "JERSEY CITY NEW JERSEY 07306",
        "NEW YORK, NY  10036", "NEW YORK, NY  10036", "JERSEY CITY  07302", "JERSEY CITY, NJ 7302",
    ],
}  # fmt: skip


def _roll(tmp_path: Path, times: int = 1) -> tuple[pl.DataFrame, list[str]]:
    path = tmp_path / "roll.csv"
    pl.concat([pl.DataFrame(ROLL)] * times).write_csv(path)
    result = read_upload(path)
    return result.frame, result.notes


def test_a_few_owners_at_their_site_do_not_say_the_roll_s_state(tmp_path: Path) -> None:
    frame, _ = _roll(tmp_path)  # 4 of 7: too few to say
    assert frame["LocationState"].to_list() == [None] * 7
    assert frame["LocationZip"].to_list()[:3] == ["07307", None, "07306"]


def test_the_site_state_and_city_are_on_every_row_the_zip_where_the_streets_match(
    tmp_path: Path,
) -> None:
    frame, notes = _roll(tmp_path, times=3)  # 12 owners living at their site: enough to say
    assert frame["LocationState"].to_list() == ["NJ"] * 21
    assert frame["LocationCity"].to_list() == ["JERSEY CITY"] * 21
    frame = frame.head(7)
    # 413 NEW YORK AVE. is 413 NEW YORK AVENUE through the occupancy normaliser
    assert frame["LocationZip"].to_list() == ["07307", None, "07306", None, None, "07302", "07302"]
    assert any(
        n.startswith("site state, where the file gives none: NJ on every row") for n in notes
    )


def test_a_file_without_parcel_ids_is_keyed_by_its_site_and_keeps_condo_units_apart(
    tmp_path: Path,
) -> None:
    frame, notes = _roll(tmp_path)
    ids = frame["LocationPrimaryId"].to_list()
    assert ids[0] == "413 NEW YORK AVE"
    assert ids[3:6] == ["99 HUDSON ST", "99 HUDSON ST|2", "99 HUDSON ST|3"]
    assert len(set(ids)) == len(ids)
    assert any(n.startswith("no parcel id: each row is keyed by its site street") for n in notes)
    assert any("2 rows share their site with an earlier row" in n for n in notes)


def test_a_file_with_parcel_ids_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "roll.csv"
    pl.DataFrame({"PARCEL_ID": [f"P{i}" for i in range(7)], **ROLL}).write_csv(path)
    result = read_upload(path)
    assert result.frame["LocationPrimaryId"].to_list() == [f"P{i}" for i in range(7)]
    assert not any(n.startswith("no parcel id") for n in result.notes)


def test_a_site_state_column_that_holds_the_mailing_state_is_set_right_by_the_site_zip() -> None:
    text = pl.DataFrame(
        {
            "LocationState": ["NY"] * 10 + ["PA", None],
            "OwnerState": ["NY"] * 10 + ["PA", "NJ"],
            "LocationZip": ["19103"] * 12,
        }
    )
    checked, notes = checked_state(text)
    assert checked["LocationState"].to_list() == ["PA"] * 11 + [None]
    assert notes == [
        "site state: the site ZIP's state on 10 rows where the file's site state column names "
        "another (it may hold the mailing state)"
    ]
    # a few stray values, or values that are not the mailing state, stay as given
    stray = text.with_columns(pl.Series("OwnerState", ["NJ"] * 12))
    assert checked_state(stray) == (stray, [])
    assert checked_state(text.tail(3))[1] == []


def test_a_roll_s_city_is_said_with_its_villages_and_never_from_the_zip_table() -> None:
    lebanon = ["LEBANON"] * 7 + ["WEST LEBANON"] * 4
    text = pl.DataFrame(
        {
            "LocationAddress1": [f"{i} MAIN ST" for i in range(11)] + ["9 ELM ST"],
            "OwnerAddress1": [f"{i} MAIN STREET" for i in range(11)] + ["1 PINE RD"],
            "OwnerCity": [*lebanon, "HANOVER"],
            "OwnerState": ["NH"] * 12,
            "OwnerZip": ["03766"] * 7 + ["03784"] * 4 + ["03755"],
        }
    )
    filled, _ = fill_site(text, ("LocationCity", "LocationState", "LocationZip"))
    # the owners at their site keep their postal city; the absentee row gets the roll's
    assert filled["LocationCity"].to_list() == [*lebanon, "LEBANON"]
    assert filled["LocationZip"].to_list()[-1] is None
    mixed = text.with_columns(pl.Series("OwnerCity", [*["HANOVER"] * 5, *lebanon[5:], "X"]))
    assert fill_site(mixed, ("LocationCity",))[0]["LocationCity"][-1] is None


def test_a_range_of_house_numbers_on_one_side_is_parsed_for_the_site_zip(tmp_path: Path) -> None:
    roll = pl.DataFrame(
        {
            "propertyLocation": ["18 FOREST AVE", "9 OAK ST"],
            "ownersName": ["ANN LEE", "BO KIM"],
            "ownersMailingAddress": ["16-18 FOREST AVE", "16-18 PINE RD"],
            "cityStateZip": ["LEBANON, NH 03766", "LEBANON, NH 03766"],
        }
    )
    path = tmp_path / "roll.csv"
    roll.write_csv(path)
    # 18 lies in 16-18: the same house, whose ZIP is the site's; the other is elsewhere
    assert read_upload(path).frame["LocationZip"].to_list() == ["03766", None]
