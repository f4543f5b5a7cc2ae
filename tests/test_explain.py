"""explain: labelled rows, each naming the evidence behind its fields."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from propmail import synth
from propmail.cli import main
from propmail.db import Backend
from propmail.explain import explain_parcel
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1

# parcel id -> the columns that make the case (the rest from a synthetic row)
CASES: dict[str, dict[str, str]] = {
    "TRUST-1": {"OwnerName": "SMITH JOHN TR"},
    "BANK-2": {"OwnerName": "FIRST BANK & TRUST"},
    "NUMBER-3": {
        "LocationAddress1": "123 North Main Street", "LocationZip": "24016",
        "OwnerAddress1": "125 N MAIN ST", "OwnerZip": "24016", "LocationCity": "ROANOKE",
        "LocationState": "VA", "OwnerState": "VA",
    },
    "SUFFIX-4": {
        "LocationAddress1": "77 OAK ST", "LocationZip": "24016",
        "OwnerAddress1": "77 OAK AVE", "OwnerZip": "24016",
    },
    "UNIT-5": {
        "LocationAddress1": "9 ELM ST APT 2", "LocationZip": "24016",
        "OwnerAddress1": "9 ELM ST APT 3", "OwnerZip": "24016",
        "LocationState": "VA", "OwnerState": "NC",
    },
    "CODES-6": {"EstLoanToValue": "40", "LienType": "TAX", "Vacant": "", "ResponseNCOA": "02"},
    "LIENID-7": {},
    "LIENADDR-8": {"LocationAddress1": "4411 CEDAR COURT", "LocationZip": "27601"},
    "COMMA-9": {"OwnerName": "SMITH, JOHN A"},
}  # fmt: skip


def upload(tmp_path: Path) -> tuple[Path, str]:
    rows = synth.upload(len(CASES), seed=3).with_columns(
        pl.Series("LocationPrimaryId", list(CASES))
    )
    frame = pl.concat(
        [
            rows[i : i + 1].with_columns(pl.lit(v).alias(k) for k, v in case.items())
            for i, case in enumerate(CASES.values())
        ]
    )
    path = tmp_path / "upload.csv"
    frame.write_csv(path)
    liens = tmp_path / "liens.csv"
    pl.DataFrame(
        {
            "LocationPrimaryId": ["LIENID-7", None, "ELSEWHERE"],
            "LocationAddress1": [None, "4411 Cedar Ct", "1 NOWHERE LN"],
            "LocationZip": [None, "27601", "99999"],
        }
    ).write_csv(liens)
    return path, f"Liens={liens}"


def fields(tmp_path: Path, parcel: str) -> dict[str, dict[str, object]]:
    path, liens = upload(tmp_path)
    return explain_parcel(Inputs.gather(path, [liens]), parcel).sections


def test_a_flag_names_its_keyword_and_position(tmp_path: Path) -> None:
    trust = fields(tmp_path, "TRUST-1")
    assert trust["IsTrust"] == {"value": True, "why": "keyword 'TR' at token 3"}
    assert trust["owner name"]["as the flags read it"] == "SMITH JOHN TR"
    bank = fields(tmp_path, "BANK-2")["IsTrust"]
    assert bank["value"] is False
    assert (
        bank["why"]
        == "keyword 'TRUST' at token 3 inside 'BANK TRUST' of trust_exclude: not counted"
    )


def test_occupancy_names_both_addresses_and_the_part_that_differs(tmp_path: Path) -> None:
    number = fields(tmp_path, "NUMBER-3")["IsOwnerOccupied"]
    assert (number["site"], number["mailing"]) == ("123 N MAIN ST", "125 N MAIN ST")
    assert number["why"] == "differs: house number" and number["value"] is False
    assert fields(tmp_path, "SUFFIX-4")["IsOwnerOccupied"]["why"] == "differs: street suffix"
    unit = fields(tmp_path, "UNIT-5")["IsOwnerOccupied"]
    assert unit["why"] == "differs: unit"
    assert (unit["site"], unit["mailing"]) == ("9 ELM ST UNIT 2", "9 ELM ST UNIT 3")


def test_the_prefix_rules_that_fired_are_named_with_their_values(tmp_path: Path) -> None:
    code = fields(tmp_path, "CODES-6")["EnhancedCode"]
    fired = {p["prefix"]: p for p in code["prefixes"]}  # type: ignore[attr-defined]
    assert [p for p, r in fired.items() if r["fired"]] == ["HE-", "Liens-", "NCOA_Drops-"]
    assert code["why"] == "prefixes that fired, in the order applied: HE-, Liens-, NCOA_Drops-"
    assert fired["HE-"]["conditions"] == [
        {"column": "EstLoanToValue", "op": "between", "value": "40.0", "holds": True}
    ]
    assert fired["Vacant-"]["fired"] is False
    assert str(code["value"]).startswith("NCOA_Drops-Liens-HE-")


def test_the_priority_rule_that_matched_is_named_with_each_rule_tried(tmp_path: Path) -> None:
    # another house in the same ZIP and state: absentee, and only the last rule holds
    number = fields(tmp_path, "NUMBER-3")["BasePriorityCode"]
    assert number["value"] == "ABS3"
    assert number["why"] == "first rule that holds: ABS3 (same_zip)"
    assert number["rules"] == [
        {"code": "OO", "when": "owner_occupied", "holds": False},
        {"code": "ABS1", "when": "state_differs", "holds": False},
        {"code": "ABS2", "when": "zip_differs", "holds": False},
        {"code": "ABS3", "when": "same_zip", "holds": True},
    ]
    # another state and the same ZIP: two rules hold, the first of them is the code
    unit = fields(tmp_path, "UNIT-5")["BasePriorityCode"]
    assert unit["value"] == "ABS1"
    assert unit["why"] == "first rule that holds: ABS1 (state_differs)"
    held = [r["code"] for r in unit["rules"] if r["holds"]]  # type: ignore[attr-defined]
    assert held == ["ABS1", "ABS3"]
    # the owner's own house: the first rule holds, the later ones are not reached
    occupied = fields(tmp_path, "CODES-6")["BasePriorityCode"]
    assert occupied["value"] == "OO"
    assert occupied["why"] == "first rule that holds: OO (owner_occupied)"
    assert occupied["rules"][0] == {"code": "OO", "when": "owner_occupied", "holds": True}  # type: ignore[index]


def test_the_slug_names_its_style_and_parts(tmp_path: Path) -> None:
    # the owner's mailing address, the unit kept as written (occupancy reads it as UNIT)
    assert fields(tmp_path, "UNIT-5")["OwnerSlug"] == {
        "value": "9_ELM_ST_APT_3_24016",
        "style": "underscore",
        "street part": "9 ELM ST APT 3",
        "ZIP part": "24016",
    }
    number = fields(tmp_path, "NUMBER-3")["OwnerSlug"]
    assert (number["street part"], number["ZIP part"]) == ("125 N MAIN ST", "24016")
    assert number["value"] == "125_N_MAIN_ST_24016"


def test_each_niche_list_says_how_it_matched_or_why_not(tmp_path: Path) -> None:
    by_id = fields(tmp_path, "LIENID-7")["ListCode"]
    assert by_id["niche lists"][0]["how"] == "by parcel id 'LIENID-7'"  # type: ignore[index]
    assert str(by_id["value"]).startswith("Liens - ")
    by_address = fields(tmp_path, "LIENADDR-8")["ListCode"]["niche lists"]
    assert by_address[0]["how"] == "by address key '4411 CEDAR CT|27601'"  # type: ignore[index]
    none = fields(tmp_path, "TRUST-1")["ListCode"]
    assert none["why"] == "no niche list matched"
    assert none["niche lists"][0]["how"].startswith("not matched: no row has parcel id 'TRUST-1'")  # type: ignore[index]


def test_the_envelope_name_says_its_order_and_evidence(tmp_path: Path) -> None:
    name = fields(tmp_path, "COMMA-9")["AlternateName"]
    assert name == {
        "value": "John A Smith",
        "read as": "a person's name, surname first",
        "evidence": "a comma after the surname",
    }


def test_with_the_database_the_stored_row_is_shown_and_json_is_printed(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    path, liens = upload(tmp_path)
    assert run_job(Inputs.gather(path, [liens]), 40, backend=backend, now=MONTH1).load is not None
    explained = explain_parcel(Inputs.gather(path, [liens]), "TRUST-1", backend=backend)
    assert explained.database is not None and len(explained.database) == 1
    stored = explained.database[0]
    assert (stored["Location.RegionId"], stored["Location.IsTrust"]) == (40, 1)
    url = backend.display_url if "sqlite" in backend.display_url else None
    if url:  # the command line, on the file database
        printed = CliRunner().invoke(
            main, ["explain", str(path), "--parcel", "TRUST-1", "--db", url, "--json"]
        )
        assert printed.exit_code == 0, printed.output
        found = json.loads(printed.output)
        assert found["fields"]["IsTrust"]["why"] == "keyword 'TR' at token 3"
        assert found["database"][0]["Owner.Name"] == "SMITH JOHN TR"


def test_an_unknown_parcel_is_bad_input(tmp_path: Path) -> None:
    path, _ = upload(tmp_path)
    printed = CliRunner().invoke(main, ["explain", str(path), "--parcel", "NOPE"])
    assert printed.exit_code == 2
    assert "no row of the upload has parcel id 'NOPE'" in printed.output


def test_the_stack_count_names_the_prefixes_and_niche_lists_it_counts(tmp_path: Path) -> None:
    stacked = fields(tmp_path, "CODES-6")["stack count"]
    assert stacked["value"] == 3
    assert stacked["prefixes"] == ["NCOA_Drops-", "Liens-", "HE-"]
    assert stacked["niche lists"] == []
    assert stacked["why"] == "prefixes NCOA_Drops-, Liens-, HE- and no niche list on base code 'OO'"
    by_id = fields(tmp_path, "LIENID-7")["stack count"]
    assert by_id["niche lists"] == ["Liens"]
    assert by_id["value"] == 1 + len(by_id["prefixes"])  # type: ignore[arg-type]
    assert fields(tmp_path, "TRUST-1")["stack count"]["niche lists"] == []
