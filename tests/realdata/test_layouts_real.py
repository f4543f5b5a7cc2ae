"""The real county extracts as downloaded: `inspect` detects their layout and `process --dry-run`
reads them with no hand-written mapping.

Needs the extracts of `../shared/realdata/` (or $PROPMAIL_REALDATA); skipped, saying so, without.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from propmail.cli import main
from tests.realdata.extracts import realdata_dir

REALDATA = realdata_dir()
pytestmark = pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason=f"the real extracts are not at {REALDATA} (set $PROPMAIL_REALDATA)",
)
EXTRACTS = ["philadelphia_opa_properties.csv", "jersey_city_nj_modiv_residential.csv"]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", EXTRACTS)
def test_inspect_detects_the_county_layout_of_a_real_extract(name: str) -> None:
    result = run("inspect", str(REALDATA / name))
    assert result.exit_code == 0, result.output
    assert "layout: county" in result.output
    assert "required columns missing: none" in result.output


@pytest.mark.parametrize("name", EXTRACTS)
def test_process_dry_run_reads_a_real_extract_with_no_mapping(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", url, "--region", "40=Test").exit_code == 0
    result = run("process", str(REALDATA / name), "--region", "40", "--db", url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.search(r"│ layout\s*│\s*county │", result.output)


# Every real extract as downloaded: the header(s) each required column it has is read from by
# meaning (the figures of tests/fixtures/realdata/README.md, "Headers"). A file with no parcel
# id is keyed by its site street; one with no mailing address is refused, naming what is missing.
REQUIRED_READ = {
    "philadelphia_opa_properties.csv": {
        "LocationPrimaryId": ("parcel_number",),
        "LocationAddress1": ("location",),
        "LocationZip": ("zip_code",),
        "OwnerName": ("owner_1",),
        "OwnerAddress1": ("mailing_address_1", "mailing_address_2", "mailing_street"),
        "OwnerZip": ("mailing_zip",),
    },
    "jersey_city_nj_modiv_residential.csv": {
        "LocationAddress1": ("propertyLocation",),
        "OwnerName": ("ownersName",),
        "OwnerAddress1": ("ownersMailingAddress",),
    },
    "baltimore_city_tax_sale_2024.csv": {
        "LocationPrimaryId": ("block_lot",),
        "LocationAddress1": ("Address",),
        "OwnerName": ("Owner_Name",),
    },
    "lyme_nh_vgsi_owners_2022.csv": {
        "LocationPrimaryId": ("PID",),
        "LocationAddress1": ("Street Address",),
        "OwnerName": ("Owner",),
    },
    "lyme_nh_grafton_registry_deeds.csv": {},
    "king_pierce_wa_listsource_export.csv": {
        "LocationAddress1": ("PROPERTY ADDRESS",),
        "LocationZip": ("PROPERTY ZIP CODE",),
        "OwnerName": ("OWNER 1 LABEL NAME",),
        "OwnerAddress1": ("MAIL ADDRESS",),
        "OwnerZip": ("MAIL ZIP CODE",),
    },
    "king_county_wa_title_company_farm_list.csv": {
        "LocationPrimaryId": ("Parcel #",),
        "LocationAddress1": ("Site",),
        "LocationZip": ("Site Zip",),
        "OwnerName": ("Owner Full",),
        "OwnerAddress1": ("Mail",),
        "OwnerZip": ("Mail Zip",),
    },
    "lebanon_nh_vision_cama_owners.csv": {
        "LocationPrimaryId": ("rem pid",),
        "LocationAddress1": ("rem prcl locn",),
        "OwnerName": ("own name",),
        "OwnerAddress1": ("address1", "address2"),
        "OwnerZip": ("zip",),
    },
    "mercer_county_nj_mls_tax_records.csv": {
        "LocationPrimaryId": ("Tax ID",),
        "LocationAddress1": ("Property Address Formatted",),
        "LocationZip": ("Postal Code",),
        "OwnerName": ("Current Owner Name",),
        "OwnerAddress1": ("Owner Address",),
        "OwnerZip": ("Owner Postal Code",),
    },
}
NO_MAILING = {
    "baltimore_city_tax_sale_2024.csv",
    "lyme_nh_vgsi_owners_2022.csv",
    "lyme_nh_grafton_registry_deeds.csv",
}


@pytest.mark.parametrize("name", sorted(REQUIRED_READ))
def test_every_real_extract_s_required_columns_are_read_by_meaning(name: str) -> None:
    from propmail.read.reader import read_loosely

    result, _ = read_loosely(REALDATA / name)
    chosen = {c.column: c.headers for c in result.choices}
    expected = REQUIRED_READ[name]
    assert {c: chosen.get(c) for c in expected} == expected
    assert not result.stops


@pytest.mark.parametrize("name", sorted(REQUIRED_READ))
def test_inspect_prints_each_real_extract_s_mapping_with_confidence(name: str) -> None:
    result = run("inspect", str(REALDATA / name))
    assert result.exit_code == 0, result.output
    for column, headers in REQUIRED_READ[name].items():
        shown = " + ".join(repr(h) for h in headers)
        assert re.search(rf"  {column} <- {re.escape(shown)}: [01]\.\d\d, ", result.output)
    missing = re.search(r"required columns missing: (.*)", result.output)
    assert missing is not None
    if name in NO_MAILING:
        assert "OwnerAddress1" in missing[1]
    else:
        assert missing[1] == "none"


@pytest.mark.parametrize("name", sorted(REQUIRED_READ))
def test_a_real_extract_processes_with_no_mapping_or_is_refused_for_its_missing_mailing_address(
    name: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", url, "--region", "40=Test").exit_code == 0
    result = run("process", str(REALDATA / name), "--region", "40", "--db", url, "--dry-run")
    if name in NO_MAILING:
        assert result.exit_code == 2
        assert "OwnerAddress1" in result.output and "missing required column" in result.output
    else:
        assert result.exit_code == 0, result.output
