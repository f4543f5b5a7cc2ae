"""The whole-row labels are well formed and name the records of their extracts.

The form of each label file (columns, vocabularies, the absentee level against the labelled
fields) is checked always; that the labels name the right records of the extracts, and agree
with them, needs the extracts of `../shared/realdata/` (or $PROPMAIL_REALDATA) and is skipped,
saying so, without them.
"""

from __future__ import annotations

import re

import pytest

from tests.realdata.extracts import Record, check_value, needs_extracts
from tests.realdata.row_labels import (
    COLUMNS,
    LEVELS,
    ROW_EXTRACTS,
    RowExtract,
    absentee_level,
    check_text,
    extract_records,
    header,
    row_labels,
    sample_rows,
)

# USPS state and territory codes, with the military "states" (Publication 28, appendix B)
USPS_STATES = frozenset(
    re.findall(
        r"[A-Z]{2}",
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
        "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
        "AS GU MP PR VI FM MH PW AA AE AP",
    )
)
REASONS = re.compile(
    r"no owner name|no mailing address|no mailing ZIP|no site address|foreign mailing address"
    r"|same parcel as row (?P<later>\d+)"
)
ZIP5 = re.compile(r"\d{5}")
ZIP4 = re.compile(r"\d{4}")
BINARY = ("IsOwnerOccupied", "IsTrust", "IsChurch", "IsBusiness")


def stem(extract: RowExtract) -> str:
    return extract.file.removesuffix(".csv")


def problems(label: Record) -> list[str]:
    """What is wrong with one label on its own (no extract needed)."""
    found: list[str] = []
    kept = label["kept"]
    if kept not in ("0", "1"):
        return [f"kept={kept!r}"]
    reason = label["reject_reason"]
    if kept == "1" and reason:
        found.append(f"kept with a reject reason {reason!r}")
    if kept == "0" and not REASONS.fullmatch(reason):
        found.append(f"rejected with reason {reason!r}")
    for flag in ("IsTrust", "IsChurch", "IsBusiness"):
        if label[flag] not in ("0", "1"):
            found.append(f"{flag}={label[flag]!r}")
    if kept == "1":
        for column in (
            "LocationAddress1",
            "LocationState",
            "OwnerAddress1",
            "OwnerCity",
            "OwnerState",
            "OwnerZip",
        ):
            if not label[column].strip():
                found.append(f"kept with no {column}")
        if label["IsOwnerOccupied"] not in ("0", "1"):
            found.append(f"IsOwnerOccupied={label['IsOwnerOccupied']!r}")
    elif label["IsOwnerOccupied"] not in ("", "0", "1"):
        found.append(f"IsOwnerOccupied={label['IsOwnerOccupied']!r}")
    for column in ("LocationState", "OwnerState"):
        if label[column] and label[column] not in USPS_STATES:
            found.append(f"{column}={label[column]!r} is not a USPS state code")
    for column in ("LocationZip", "OwnerZip"):
        if label[column] and not ZIP5.fullmatch(label[column]):
            found.append(f"{column}={label[column]!r} is not 5 digits")
    if label["OwnerMailingZip4"] and not ZIP4.fullmatch(label["OwnerMailingZip4"]):
        found.append(f"OwnerMailingZip4={label['OwnerMailingZip4']!r} is not 4 digits")
    if label["IsOwnerOccupied"] == "1" and label["OwnerState"] != label["LocationState"]:
        found.append("owner-occupied in another state")
    level = label["AbsenteeLevel"]
    if kept == "1" and level not in LEVELS:
        found.append(f"AbsenteeLevel={level!r}")
    if level and level != absentee_level(label):
        found.append(f"AbsenteeLevel {level}, the labelled fields give {absentee_level(label)}")
    return found


@pytest.mark.parametrize("extract", ROW_EXTRACTS, ids=stem)
def test_row_labels_have_the_columns_and_vocabularies(extract: RowExtract) -> None:
    assert header(extract) == list(COLUMNS)
    labels = row_labels(extract)
    assert len(labels) >= 65
    wrong = {label["row"]: found for label in labels if (found := problems(label))}
    assert not wrong, wrong


def test_the_checks_catch_a_broken_label() -> None:
    label = dict(row_labels(ROW_EXTRACTS[0])[0])
    assert not problems(label)
    for column, value in (
        ("OwnerState", "N.J."),
        ("OwnerZip", "8648"),
        ("AbsenteeLevel", "ABS4"),
        ("kept", "0"),
        ("IsOwnerOccupied", "2"),
    ):
        assert problems({**label, column: value}), column
    flipped = "ABS1" if label["AbsenteeLevel"] != "ABS1" else "ABS2"
    assert problems({**label, "AbsenteeLevel": flipped})


def digits(text: str) -> set[str]:
    return {run.lstrip("0") or "0" for run in re.findall(r"\d+", text)}


def fold(text: str) -> str:
    return " ".join(re.sub(r"[.,]", " ", text.upper()).split())


@needs_extracts
@pytest.mark.parametrize("extract", ROW_EXTRACTS, ids=stem)
def test_row_labels_name_their_records(extract: RowExtract) -> None:
    by_row = extract_records(extract)
    labels = row_labels(extract)
    assert [int(label["row"]) for label in labels] == sample_rows(len(by_row))
    for label in labels:
        row = int(label["row"])
        record = by_row[row]
        where = f"{extract.file} row {row}"
        assert label["check"] == check_value(check_text(extract, record)), f"{where} moved"
        # the site line is the file's own, a unit column at most added to it
        assert fold(label["LocationAddress1"]).startswith(fold(record[extract.site])), where
        # every number of the mailing line and the mailing ZIP is in the record
        text = " ".join(record.values())
        assert digits(label["OwnerAddress1"] + " " + label["OwnerZip"]) <= digits(text), where
        later = REASONS.fullmatch(label["reject_reason"] or "no owner name")
        if later and later["later"]:
            other = int(later["later"])
            assert other > row, f"{where}: a repeated parcel keeps its LAST row"
            if extract.parcel:
                assert by_row[other][extract.parcel] == record[extract.parcel], where
        if not record[extract.owner].strip():
            assert label["kept"] == "0", f"{where}: kept with no owner name"
