"""The mapping file's second version: each capability read as documented, every bad key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from propmail.errors import SettingsError
from propmail.read import read_upload
from propmail.read.mapping import Block, First, Join, Split, load_mapping, parse_mapping, to_toml


def read(tmp_path: Path, mapping: str, header: str, *rows: str):
    (tmp_path / "map.toml").write_text(mapping, encoding="utf-8")
    (tmp_path / "up.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return read_upload(tmp_path / "up.csv", load_mapping(tmp_path / "map.toml")).frame


BASE = "ID,Street,Zip,Mail Street,Mail Zip"
BASE_MAP = (
    '[columns]\nLocationPrimaryId = "ID"\nLocationAddress1 = "Street"\nLocationZip = "Zip"\n'
    'OwnerAddress1 = "Mail Street"\nOwnerZip = "Mail Zip"\n'
)


def test_join_builds_the_owner_name_and_a_business_name_is_preferred(tmp_path: Path) -> None:
    mapping = BASE_MAP + (
        '[[join]]\ninto = "OwnerName"\nheaders = ["Last", "First"]\nprefer = ["Company"]\n'
    )
    frame = read(
        tmp_path,
        mapping,
        BASE + ",First,Last,Company",
        "1,1 A ST,27609,1 A ST,27609,MARY,SMITH,",
        "2,2 B ST,27609,2 B ST,27609,,,ACME LLC",
        "3,3 C ST,27609,3 C ST,27609,,LEE,",
    )
    assert frame["OwnerName"].to_list() == ["SMITH MARY", "ACME LLC", "LEE"]


def test_first_takes_the_first_non_blank_column(tmp_path: Path) -> None:
    mapping = BASE_MAP + '[[first]]\ninto = "OwnerName"\nheaders = ["Owner", "Taxpayer"]\n'
    frame = read(
        tmp_path,
        mapping,
        BASE + ",Owner,Taxpayer",
        "1,1 A ST,27609,1 A ST,27609,,LEE ANN",
        "2,2 B ST,27609,2 B ST,27609,KIM BO,LEE ANN",
    )
    assert frame["OwnerName"].to_list() == ["LEE ANN", "KIM BO"]


def test_split_reads_city_state_and_zip_plus_4_from_one_cell(tmp_path: Path) -> None:
    mapping = BASE_MAP.replace('OwnerZip = "Mail Zip"\n', "")
    mapping += 'OwnerName = "Owner"\n[[split]]\nheaders = "CSZ"\ninto = "owner"\n'
    frame = read(
        tmp_path,
        mapping,
        "ID,Street,Zip,Mail Street,Owner,CSZ",
        '1,1 A ST,27609,1 A ST,LEE,"RALEIGH NC 27609-6317"',
        '2,2 B ST,27609,2 B ST,LEE,"JERSEY CITY, N.J.  07307"',
    )
    assert frame.select("OwnerCity", "OwnerState", "OwnerZip", "OwnerMailingZip4").rows() == [
        ("RALEIGH", "NC", "27609", "6317"),
        ("JERSEY CITY", "NJ", "07307", None),
    ]


def test_a_block_moves_the_care_of_line_aside_and_reads_its_last_line(tmp_path: Path) -> None:
    mapping = (
        '[columns]\nLocationPrimaryId = "ID"\nLocationAddress1 = "Street"\nLocationZip = "Zip"\n'
        'OwnerName = "Owner"\n[[block]]\nlines = ["L1", "L2", "L3"]\n'
    )
    frame = read(
        tmp_path,
        mapping,
        "ID,Street,Zip,Owner,L1,L2,L3",
        "1,1 A ST,27609,LEE,C/O ANN LEE,PO BOX 12,CARY NC 27511",
        "2,2 B ST,27609,LEE,9 OAK AVE,APT 4,RALEIGH NC 27609-6317",
    )
    assert frame.select("OwnerAddress1", "OwnerAddress2", "OwnerCity", "OwnerZip").rows() == [
        ("PO BOX 12", "C/O ANN LEE", "CARY", "27511"),
        ("9 OAK AVE APT 4", None, "RALEIGH", "27609"),
    ]


def test_units_are_appended_to_their_streets_and_constants_fill_a_column(tmp_path: Path) -> None:
    mapping = BASE_MAP + 'OwnerName = "Owner"\n[units]\nLocationAddress1 = "Unit"\n'
    mapping += '[constants]\nLocationState = "NC"\n'
    frame = read(
        tmp_path,
        mapping,
        BASE + ",Owner,Unit",
        "1,1 A ST,27609,1 A ST,27609,LEE,APT 2",
        "2,2 B ST,27609,2 B ST,27609,LEE,4B",
        "3,3 C ST,27609,3 C ST,27609,LEE,",
    )
    assert frame["LocationAddress1"].to_list() == ["1 A ST APT 2", "2 B ST # 4B", "3 C ST"]
    assert frame["LocationState"].to_list() == ["NC"] * 3


def test_from_mailing_fills_the_site_zip_only_where_the_owner_lives_there(tmp_path: Path) -> None:
    without_zip = BASE_MAP.replace('LocationZip = "Zip"\n', "")
    mapping = 'from_mailing = ["LocationZip"]\n' + without_zip + 'OwnerName = "Owner"\n'
    frame = read(
        tmp_path,
        mapping,
        "ID,Street,Mail Street,Mail Zip,Owner",
        "1,1 A ST,1 A St.,27609,LEE",
        "2,2 B ST,9 OAK AVE,27511,LEE",
    )
    assert frame["LocationZip"].to_list() == ["27609", None]


def test_every_bad_key_of_the_second_version_is_named(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text(
        'from_mailing = ["OwnerZip"]\n'
        '[[join]]\ninto = "OwnerNmae"\nheaders = []\ncolour = 1\n'
        '[[split]]\nheaders = "CSZ"\ninto = "mailing"\n'
        '[units]\nOwnerCity = "Unit"\n[constants]\nLocationStat = "NC"\n'
    )
    with pytest.raises(SettingsError) as info:
        load_mapping(path)
    message = str(info.value)
    for part in (
        "from_mailing[0]: expected one of LocationZip, LocationCity, LocationState",
        "join[0].colour: unknown key",
        "join[0].into: unknown canonical column 'OwnerNmae'; did you mean OwnerName?",
        "join[0].headers: expected a header or a list of headers",
        "split[0].into: unknown part 'mailing' (expected one of owner, location, owner_line",
        "units.OwnerCity: unknown street column",
        "constants.LocationStat: unknown canonical column",
    ):
        assert part in message


def test_a_mapping_written_out_reads_back_to_the_same_entries() -> None:
    mapping = parse_mapping(
        'from_mailing = ["LocationZip"]\n[columns]\nOwnerName = "Owner"\n'
        '[[join]]\ninto = "OwnerName2"\nheaders = ["L2", "F2"]\nseparator = ", "\nprefer = ["Co"]\n'
        '[[first]]\ninto = "LocationPrimaryId"\nheaders = ["PIN", "ID"]\n'
        '[[split]]\nheaders = ["CSZ"]\ninto = "owner"\n[[block]]\nlines = ["A1", "A2"]\n'
        '[units]\nOwnerAddress1 = ["Mail Unit"]\n[constants]\nLocationState = "N\\"C"\n',
        "map.toml",
    )
    again = parse_mapping(to_toml(mapping, {"OwnerName": "Owner"}, "a comment"), "again.toml")
    assert again == mapping.__class__(**{**mapping.__dict__, "source": "again.toml"})
    assert again.joins == (Join("OwnerName2", ("L2", "F2"), ", ", ("Co",)),)
    assert again.firsts == (First("LocationPrimaryId", ("PIN", "ID")),)
    assert (again.splits, again.blocks) == ((Split(("CSZ",), "owner"),), (Block(("A1", "A2")),))
