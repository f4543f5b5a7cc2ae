"""Headers read by meaning: a file per header style (tests/fixtures/headers/) has every required
column mapped right with no mapping file, its values confirm each choice, and the matcher stops
where it cannot tell."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from propmail.cli import main
from propmail.errors import InputError
from propmail.read import read_upload, resolve_mapping
from propmail.read.reader import read_loosely
from propmail.read.tokens import words

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "headers"

# style -> the header(s) each required column the file has is read from
STYLES = {
    "camel_api.csv": {
        "LocationPrimaryId": ("parcelNumber",),
        "LocationAddress1": ("situsStreetAddress",),
        "LocationZip": ("situsZip",),
        "OwnerName": ("ownerFullName",),
        "OwnerAddress1": ("mailingStreetAddress",),
        "OwnerZip": ("mailingZipCode",),
    },
    "snake_scrape.csv": {
        "LocationPrimaryId": ("prop_id",),
        "LocationAddress1": ("site_addr",),
        "LocationZip": ("site_zip",),
        "OwnerName": ("own1_last", "own1_first"),
        "OwnerAddress1": ("own_addr_1", "own_addr_2"),
    },
    "spaced_export.csv": {
        "LocationPrimaryId": ("APN #",),
        "LocationAddress1": ("Property Address",),
        "LocationZip": ("Property Zip Code",),
        "OwnerName": ("Owner Name",),
        "OwnerAddress1": ("Mailing Address",),
        "OwnerZip": ("Mailing Postal Code",),
    },
    "abbreviated_roll.csv": {
        "LocationPrimaryId": ("ACCT NO",),
        "LocationAddress1": ("SITUS ADDR",),
        "LocationZip": ("SITUS ZIP",),
        "OwnerName": ("OWN NM",),
        "OwnerAddress1": ("MLG ADDR",),
        "OwnerZip": ("MLG ZIP",),
    },
    "one_line_address.csv": {
        "LocationPrimaryId": ("PIN",),
        "LocationAddress1": ("Property Address",),
        "OwnerName": ("Owner",),
        "OwnerAddress1": ("Owner Address",),
        "OwnerZip": ("Owner Zip",),
    },
    "two_id_columns.csv": {
        "LocationPrimaryId": ("PARCEL_ID",),
        "LocationAddress1": ("SITE_ADDRESS",),
        "LocationZip": ("SITE_ZIP",),
        "OwnerName": ("OWNER_NAME",),
        "OwnerAddress1": ("MAIL_ADDRESS",),
        "OwnerZip": ("MAIL_ZIP",),
    },
    "vision_roll.csv": {
        "LocationPrimaryId": ("rem pid",),
        "LocationAddress1": ("rem prcl locn",),
        "OwnerName": ("own name",),
        "OwnerAddress1": ("address1", "address2"),
        "OwnerZip": ("zip",),
    },
}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def choices(name: str) -> dict[str, tuple[str, ...]]:
    result, _ = read_loosely(FIXTURES / name)
    return {c.column: c.headers for c in result.choices}


@pytest.mark.parametrize("name", sorted(STYLES))
def test_each_header_style_maps_every_required_column_right(name: str) -> None:
    chosen = choices(name)
    assert {c: chosen.get(c) for c in STYLES[name]} == STYLES[name]


def test_the_tokeniser_splits_case_digits_and_punctuation_and_expands_abbreviations() -> None:
    assert words("situsStreetName") == ("site", "street", "name")
    assert words("OWN1_LAST") == ("owner", "1", "last")
    assert words("MLG ST") == ("mailing", "state")
    assert words("APN #") == ("parcelid", "number")
    assert words("co own name") == ("coowner", "name")


def test_a_bare_city_state_zip_after_the_owner_s_address_is_the_mailing_block() -> None:
    result = read_upload(FIXTURES / "vision_roll.csv")
    assert result.direct["OwnerCity"] == "city"
    assert result.direct["OwnerZip"] == "zip"
    assert "LocationCity" not in result.direct and "LocationZip" not in result.direct
    frame = result.frame
    assert frame["OwnerCity"].to_list() == ["WEST LEBANON", "NEW YORK", "HANOVER"]
    # the site's city comes from the mailing block only where the streets are the same
    assert frame["LocationCity"].to_list() == ["WEST LEBANON", None, None]


def test_numbered_owner_columns_and_a_city_st_zip_line_read_as_names_and_a_mailing_block() -> None:
    frame = read_upload(FIXTURES / "snake_scrape.csv").frame
    assert frame["OwnerName"].to_list() == ["SMITH JOHN", "GARCIA ROSA", "OBRIEN SEAN"]
    assert frame["OwnerName2"].to_list() == ["SMITH MARY", None, "KELLY ANNE"]
    assert frame["OwnerAddress1"].to_list() == ["4 MILL RD", "77 BAY ST APT 2", "8 MILL RD"]
    assert frame["OwnerCity"].to_list() == ["RICHMOND", "NORFOLK", "RICHMOND"]
    assert frame["OwnerZip"].to_list() == ["23220", "23510", "23220"]
    assert frame["OwnerMailingZip4"].to_list() == [None, "1204", None]


def test_two_spellings_of_the_same_ids_are_one_column_and_the_summary_names_the_choice(
    tmp_path: Path,
) -> None:
    result = read_upload(FIXTURES / "two_id_columns.csv")
    assert result.frame["LocationPrimaryId"].to_list() == ["12345678", "12345679", "12345680"]
    note = "read as one column, 'PARCEL_ID' (the first in the file)"
    assert any(note in n for n in result.notes)
    db = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", db, "--region", "40=Test").exit_code == 0
    done = run("process", str(FIXTURES / "two_id_columns.csv"), "--region", "40", "--db", db)
    assert done.exit_code == 0, done.output
    table = re.sub(r"[│\s]+", " ", done.output)  # the summary table's cells, as text
    assert "'PARCEL_ID' and 'PARCEL_NUMBER' hold the same values in two spellings" in table
    assert "'PARCEL_ID' (the first in the file)" in table


def test_two_ids_that_differ_stop_process_naming_both(tmp_path: Path) -> None:
    text = (FIXTURES / "two_id_columns.csv").read_text().replace("123-45-679", "999-45-679")
    path = tmp_path / "ids.csv"
    path.write_text(text)
    with pytest.raises(InputError, match="'PARCEL_ID' and 'PARCEL_NUMBER' both read as"):
        read_upload(path)


def test_a_duplicate_header_that_feeds_nothing_is_named_by_inspect_and_ignored() -> None:
    result = read_upload(FIXTURES / "duplicate_header.csv")
    assert result.frame.height == 2
    shown = run("inspect", str(FIXTURES / "duplicate_header.csv"))
    assert shown.exit_code == 0, shown.output
    assert "duplicate header 'Full Baths' (column 10) ignored" in shown.output


def test_a_duplicate_header_that_feeds_a_column_is_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    text = (FIXTURES / "spaced_export.csv").read_text().splitlines()
    path.write_text(text[0] + ",Owner Name\n" + "\n".join(f"{r},X" for r in text[1:]) + "\n")
    with pytest.raises(InputError, match="duplicate column headers 'Owner Name'"):
        read_upload(path)


def test_a_required_column_read_with_low_confidence_stops_process(tmp_path: Path) -> None:
    path = tmp_path / "weak.csv"
    path.write_text(
        "Old Tax ID,Site Address,Site Zip,Owner Name,Mailing Address,Mailing Zip\n"
        "X,1 MAIN ST,24016,LEE ANN,1 MAIN ST,24016\n"
        "X,3 MAIN ST,24016,ROE JAN,3 MAIN ST,24016\n"
        "X,5 MAIN ST,24016,DOE JON,5 MAIN ST,24016\n"
    )
    with pytest.raises(InputError, match="LocationPrimaryId read from 'Old Tax ID' with low conf"):
        read_upload(path)


def test_values_choose_between_two_mailing_streets() -> None:
    """A mailing line that holds names and vendors loses to the one that holds streets."""
    result, _ = read_loosely(FIXTURES / "abbreviated_roll.csv")
    chosen = {c.column: c for c in result.choices}
    assert chosen["OwnerAddress1"].confidence >= 0.9
    assert "100% look like street lines" in chosen["OwnerAddress1"].evidence


def test_inspect_shows_each_choice_with_its_evidence_and_confidence() -> None:
    shown = run("inspect", str(FIXTURES / "camel_api.csv"))
    assert shown.exit_code == 0, shown.output
    assert "read by meaning (column <- header: confidence, evidence):" in shown.output
    assert (
        "OwnerZip <- 'mailingZipCode': 1.00, header says zip (mailing); 100% look like ZIP codes"
        in shown.output
    )


def test_the_mapping_inspect_writes_reads_the_file_as_the_matcher_did(tmp_path: Path) -> None:
    path = FIXTURES / "snake_scrape.csv"
    mapping = tmp_path / "mapping.toml"
    assert run("inspect", str(path), "--write-mapping", str(mapping)).exit_code == 0
    by_meaning = read_upload(path).frame
    written = read_upload(path, resolve_mapping(str(mapping))).frame
    assert written.equals(by_meaning)


def test_a_title_row_above_headers_no_layout_knows_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    text = (FIXTURES / "camel_api.csv").read_text()
    title = "Parcel export generated 2026-11-30 for Wake County" + "," * 11
    path.write_text(title + "\n" + text)
    result = read_upload(path)
    assert result.header_row == 2
    assert result.frame["LocationPrimaryId"].to_list()[0] == "0712-33-4410"


def test_numbered_mailing_lines_beside_their_own_city_and_zip_make_one_delivery_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roll.csv"
    path.write_text(
        "PIN,Owner,Site Address,Mailing Address 1,Mailing Address 2,Mailing Street,"
        "Mailing City,Mailing State,Mailing Zip\n"
        "1,ANN LEE,9 ELM ST,#506,,1080 N DELAWARE AVE,PHILADELPHIA,PA,19125\n"
        "2,BO KIM,8 ELM ST,%LYME PROPERTIES,PO BOX 310,,ETNA,NH,03750\n"
        "3,CY DOE,7 ELM ST,CY DOE,,12 OAK ST,CARY,NC,27511\n"
        "4,DI ROE,6 ELM ST,4 MEADOWBROOK VILLAGE,APT 24,,LEBANON,NH,03766\n"
        "5,EVE FOX,5 ELM ST,SIMPLIFILE LC E-RECORDING,,,CARY,NC,27511\n",
        encoding="utf-8",
    )
    frame = read_upload(path).frame
    assert frame["OwnerAddress1"].to_list() == [
        "1080 N DELAWARE AVE # 506",
        "PO BOX 310",
        "12 OAK ST",
        "4 MEADOWBROOK VILLAGE APT 24",
        None,  # no line is an address: the street column's own (empty) value
    ]
    assert frame["OwnerAddress2"].to_list()[:2] == [None, "%LYME PROPERTIES"]


def test_a_unit_after_the_lot_of_a_parcel_number_is_not_the_site_s_unit(tmp_path: Path) -> None:
    path = tmp_path / "roll.csv"
    path.write_text(
        "map,block,lot,,unit,situs address,owner name,mailing address,mailing zip\n"
        "1,2,3,,7,9 ELM ST,ANN LEE,1 MAIN ST,27511\n",
        encoding="utf-8",
    )
    assert read_upload(path).frame["LocationAddress1"].to_list() == ["9 ELM ST"]
