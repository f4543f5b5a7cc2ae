"""The real public-record extracts of `../shared/realdata/`, put into the canonical upload layout.

Each extract keeps its county's own columns; `CANONICAL` says, per extract, how a careful operator
maps them onto propmail's canonical columns: one source column each, a field that plainly holds
city, state and ZIP split into the three, and what the file does not have left out (no site ZIP in
Jersey City, no mailing address in Baltimore or Lyme). A second owner line goes to
`OwnerName2`. The rules then see each row as an upload would give it.

The list exports give a whole name per owner beside its split parts: the whole name is the owner
name (ListSource's label name, the farm list's Owner Full; the MLS export's raw record, not the
vendor's label, which SOURCES.md shows to be wrong in places), the split first and last name of
owner 1 go to OwnerFirstName and OwnerLastName. ListSource's label leaves out the suffix column:
it is written after the label as the provider defines it (`Jr`, `Iii`; its code `Te` is a
trustee, written `TRUSTEE`). A roll without site ZIPs (Lebanon) gives its own city and state.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "tests" / "fixtures" / "realdata"
ENV_REALDATA = "PROPMAIL_REALDATA"


def realdata_dir() -> Path:
    """$PROPMAIL_REALDATA, else ``shared/realdata`` beside the repository."""
    return Path(os.environ.get(ENV_REALDATA) or REPO.parent / "shared" / "realdata")


# a test that reads the extracts is skipped, saying where they were looked for, without them
needs_extracts = pytest.mark.skipif(
    not realdata_dir().is_dir(),
    reason=f"the real extracts are not at {realdata_dir()} (set $PROPMAIL_REALDATA)",
)


Record = dict[str, str]

# "CITY, ST  ZIP" or "CITY ST ZIP-4" in one field (the state may be written "N.J.")
_CITY_STATE_ZIP = re.compile(
    r"^\s*(?P<city>.*?)[,\s]+(?P<state>[A-Z]\.?\s?[A-Z]\.?)\s+(?P<zip>\d{5}(?:-?\d{4})?)?\s*$"
)


def city_state_zip(text: str) -> tuple[str, str, str]:
    """``JERSEY CITY, N.J.  07307`` -> ("JERSEY CITY", "NJ", "07307"); else (text, "", "")."""
    found = _CITY_STATE_ZIP.match(text or "")
    if not found:
        return text, "", ""
    state = re.sub(r"[.\s]", "", found["state"])
    return found["city"].strip(" ,"), state, found["zip"] or ""


def _philadelphia(r: Record) -> Record:
    city, _, state = r["mailing_city_state"].rpartition(" ")
    return {
        "OwnerName": r["owner_1"],
        "OwnerName2": r["owner_2"],
        "OwnerAddress1": r["mailing_street"],
        "OwnerCity": city,
        "OwnerState": state,
        "OwnerZip": r["mailing_zip"],
        "LocationAddress1": r["location"],
        "LocationCity": "PHILADELPHIA",
        "LocationState": "PA",
        "LocationZip": r["zip_code"],
    }


def _jersey_city(r: Record) -> Record:
    city, state, zip_ = city_state_zip(r["cityStateZip"])
    return {
        "OwnerName": r["ownersName"],
        "OwnerAddress1": r["ownersMailingAddress"],
        "OwnerCity": city,
        "OwnerState": state,
        "OwnerZip": zip_,
        "LocationAddress1": r["propertyLocation"],
        "LocationCity": "JERSEY CITY",
        "LocationState": "NJ",
    }


def _baltimore(r: Record) -> Record:
    return {
        "OwnerName": r["Owner_Name"],
        "LocationAddress1": r["Address"],
        "LocationCity": "BALTIMORE",
        "LocationState": "MD",
    }


def _lyme_owners(r: Record) -> Record:
    return {
        "OwnerName": r["Owner"],
        "LocationAddress1": r["Street Address"],
        "LocationCity": "LYME",
        "LocationState": "NH",
        "LocationZip": "03768",
    }


def _lyme_deeds(r: Record) -> Record:
    return {"OwnerName": r["Party2"], "LocationGrantor": r["Party1"]}


# ListSource's suffix column: a generation (Jr, Iii) or a capacity code (Te: trustee)
_LISTSOURCE_SUFFIX = {"Te": "TRUSTEE"}


def _listsource_owner(r: Record, n: int) -> str:
    suffix = r[f"OWNER {n} SUFFIX"].strip()
    return " ".join(
        part
        for part in (r[f"OWNER {n} LABEL NAME"], _LISTSOURCE_SUFFIX.get(suffix, suffix))
        if part
    )


def _listsource(r: Record) -> Record:
    return {
        "OwnerName": _listsource_owner(r, 1),
        "OwnerName2": _listsource_owner(r, 2),
        "OwnerFirstName": r["OWNER 1 FIRST NAME"],
        "OwnerLastName": r["OWNER 1 LAST NAME"],
        "OwnerAddress1": r["MAIL ADDRESS"],
        "OwnerAddress2": r["OWNER CARE OF NAME"],
        "OwnerCity": r["MAIL CITY"],
        "OwnerState": r["MAIL STATE"],
        "OwnerZip": r["MAIL ZIP CODE"],
        "OwnerMailingZip4": r["MAIL ZIP+4"],
        "LocationAddress1": r["PROPERTY ADDRESS"],
        "LocationCity": r["PROPERTY CITY"],
        "LocationState": r["PROPERTY STATE"],
        "LocationZip": r["PROPERTY ZIP CODE"],
        "LocationCounty": r["COUNTY"],
    }


def _farm_list(r: Record) -> Record:
    return {
        "OwnerName": r["Owner Full"],
        "OwnerFirstName": r["Owner First"],
        "OwnerLastName": r["Owner Last"],
        "OwnerAddress1": r["Mail"],
        "OwnerCity": r["Mail City"],
        "OwnerState": r["Mail State"],
        "OwnerZip": r["Mail Zip"],
        "LocationAddress1": r["Site"],
        "LocationCity": r["Site City"],
        "LocationState": r["Site State"],
        "LocationZip": r["Site Zip"],
    }


def _lebanon(r: Record) -> Record:
    return {
        "OwnerName": r["own name"],
        "OwnerName2": r["co own name"],
        "OwnerAddress1": r["address1"],
        "OwnerAddress2": r["address2"],
        "OwnerCity": r["city"],
        "OwnerState": r["state"],
        "OwnerZip": r["zip"],
        "LocationAddress1": r["rem prcl locn"],
        "LocationCity": "LEBANON",
        "LocationState": "NH",
        "LocationGrantor": r["grantor"],
    }


# "TRENTON NJ", "Gilbert, Az", "Whitehouse Station, Nj": a city, then a two-letter state
_CITY_STATE = re.compile(r"^\s*(?P<city>.*?)[,\s]+(?P<state>[A-Za-z]{2})\s*$")


def _mercer(r: Record) -> Record:
    found = _CITY_STATE.match(r["Owner City State"])
    city, state = (found["city"], found["state"].upper()) if found else (r["Owner City State"], "")
    return {
        "OwnerName": r["Current Owner Name"],
        "OwnerFirstName": r["Owner First Name"],
        "OwnerLastName": r["Owner Last Name"],
        "OwnerAddress1": r["Owner Address"],
        "OwnerCity": city,
        "OwnerState": state,
        "OwnerZip": r["Owner Postal Code"],
        "LocationAddress1": r["Property Address Formatted"],
        "LocationCity": r["City"],
        "LocationState": "NJ",
        "LocationZip": r["Postal Code"],
    }


@dataclass(frozen=True)
class Extract:
    file: str  # the extract's file name in realdata_dir() and of its label file
    canonical: Callable[[Record], Record]
    check: Callable[[Record], str]  # the text whose SHA-1 the labels' `check` column holds
    keep: Callable[[Record], bool] = lambda _r: True  # records that are labelled at all


EXTRACTS: tuple[Extract, ...] = (
    Extract("philadelphia_opa_properties.csv", _philadelphia, lambda r: r["owner_1"]),
    Extract("jersey_city_nj_modiv_residential.csv", _jersey_city, lambda r: r["ownersName"]),
    Extract("baltimore_city_tax_sale_2024.csv", _baltimore, lambda r: r["Owner_Name"]),
    Extract("lyme_nh_vgsi_owners_2022.csv", _lyme_owners, lambda r: r["Owner"]),
    Extract(
        "lyme_nh_grafton_registry_deeds.csv",
        _lyme_deeds,
        lambda r: f"{r['Party1']}|{r['Party2']}",
        keep=lambda r: r["Type"] == "DEED",
    ),
    Extract("king_pierce_wa_listsource_export.csv", _listsource, lambda r: r["OWNER 1 LABEL NAME"]),
    Extract("king_county_wa_title_company_farm_list.csv", _farm_list, lambda r: r["Owner Full"]),
    Extract("lebanon_nh_vision_cama_owners.csv", _lebanon, lambda r: r["own name"]),
    Extract(
        "mercer_county_nj_mls_tax_records.csv",
        _mercer,
        lambda r: r["Current Owner Name"],
        keep=lambda r: bool(r["Current Owner Name"].strip()),  # 70 rows name no owner
    ),
)


def check_value(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def records(extract: Extract) -> Iterator[tuple[int, Record]]:
    """(row, record) of the extract; row 1 is the first record after the header."""
    with (realdata_dir() / extract.file).open(encoding="utf-8", newline="") as handle:
        yield from enumerate(csv.DictReader(handle), start=1)


# The labelled samples: the rules are developed on the first; the second, held out, checks that
# what holds on the first holds on rows nobody tuned the rules on.
SAMPLES = {"tuning": LABELS, "holdout": LABELS / "holdout"}


def labels(extract: Extract, sample: str = "tuning") -> list[Record]:
    """The labelled rows of `extract` in `sample`; none where the sample has no file for it."""
    path = SAMPLES[sample] / extract.file
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
