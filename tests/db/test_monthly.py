"""The legacy monthly-update semantics, on every backend (SPEC section 4)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from propmail import synth
from propmail.db import Backend
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1, MONTH2, by_key, checksum, dump

AGED = [f"{i:012d}" for i in range(1, 41)]  # parcels pushed out of the update window
DROPPED = [f"{i:012d}" for i in range(41, 61)]  # parcels absent from month 2


def month_files(tmp_path: Path) -> tuple[Path, Path]:
    month1 = synth.upload(400, seed=7).with_columns(pl.lit("").alias("LienType"))
    new_parcels = synth.upload(30, seed=8).with_columns(
        (pl.lit("N") + pl.col("LocationPrimaryId")).alias("LocationPrimaryId")
    )
    # month 2: every remaining parcel gets a lien (so its list code changes), 30 new parcels
    month2 = pl.concat(
        [
            month1.filter(~pl.col("LocationPrimaryId").is_in(DROPPED)).with_columns(
                pl.lit("TAX").alias("LienType"), pl.lit("").alias("EstLoanToValue")
            ),
            new_parcels,
        ]
    )
    p1, p2 = tmp_path / "month1.csv", tmp_path / "month2.csv"
    month1.write_csv(p1)
    month2.write_csv(p2)
    return p1, p2


def age(backend: Backend, parcels: list[str]) -> None:
    ids = ", ".join(f"'{p}'" for p in parcels)
    with backend.engine.begin() as conn:
        conn.execute(
            text(
                'UPDATE "Location" SET "InsertedDate" = :old, "UpdatedDate" = NULL, '
                f'"ModifiedDate" = NULL WHERE "PrimaryId" IN ({ids})'
            ),
            {"old": backend.timestamp(MONTH1.replace(year=2025, month=10))},
        )


def test_month_two_updates_recent_rows_and_freezes_aged_ones(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke", 41: "Salem"}, load_options(rules))
    p1, p2 = month_files(tmp_path)
    first = run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1).load
    assert first is not None
    assert (first.locations_inserted, first.owners_updated) == (400, 0)

    age(backend, AGED)
    before = by_key(backend, "Location", "PrimaryId")

    second = run_job(Inputs.gather(p2), 40, backend=backend, now=MONTH2).load
    assert second is not None
    after = by_key(backend, "Location", "PrimaryId")

    # aged rows: left exactly as they were, byte for byte
    for parcel in AGED:
        assert after[parcel] == before[parcel], parcel
    # absent from month 2: untouched
    for parcel in DROPPED:
        assert after[parcel] == before[parcel], parcel
    # recent rows: rewritten, including the list code and its id
    recent = [p for p in before if p not in AGED and p not in DROPPED]
    for parcel in recent:
        assert after[parcel]["UpdatedDate"] == MONTH2
        assert "Liens-" in after[parcel]["PriorityCode"]
        assert "Liens-" not in before[parcel]["PriorityCode"]
        assert after[parcel]["ListPriorityId"] != before[parcel]["ListPriorityId"]
        assert after[parcel]["InsertedDate"] == before[parcel]["InsertedDate"]
    # new parcels inserted
    new = [p for p in after if p.startswith("N")]
    assert len(new) == 30
    assert all(after[p]["InsertedDate"] == MONTH2 and after[p]["UpdatedDate"] is None for p in new)
    # the counts reported equal what happened
    assert (second.locations_inserted, second.locations_updated, second.locations_frozen) == (
        30,
        len(recent),
        len(AGED),
    )
    assert second.locations_unchanged == 0
    # every location points at the list code it carries
    lp = {v["Code"]: v["ListPriorityId"] for v in by_key(backend, "ListPriority", "Code").values()}
    for row in after.values():
        assert lp[row["PriorityCode"]] == row["ListPriorityId"]


def test_loading_the_same_month_twice_changes_no_row(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    p1, p2 = month_files(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    run_job(Inputs.gather(p2), 40, backend=backend, now=MONTH2)
    data = ("Owner", "Location", "ListPriority", "RegionListFrequency", "Region")
    before = checksum(backend, data)
    later = MONTH2.replace(hour=17)  # --force: compared in full, not recognised as identical
    again = run_job(Inputs.gather(p2), 40, backend=backend, now=later, force=True).load
    assert again is not None
    assert checksum(backend, data) == before
    assert (again.owners_inserted, again.owners_updated) == (0, 0)
    assert (again.locations_inserted, again.locations_updated) == (0, 0)
    assert again.new_codes == []


def test_new_codes_get_a_frequency_row_per_region(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke", 41: "Salem", 42: None}, load_options(rules))
    p1, _ = month_files(tmp_path)
    load = run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1).load
    assert load is not None and load.new_codes
    lists = by_key(backend, "ListPriority", "Code")
    freq = dump(backend, "RegionListFrequency", without=("RegionListFrequencyId",))
    for code in load.new_codes:
        row = lists[code]
        assert (row["Name"], row["PriorityLevel"], row["ProcessingOrder"], row["IsAbsentee"]) == (
            code,
            0,
            0,
            2,
        )
        mine = sorted(r for r in freq if r[1] == row["ListPriorityId"])
        assert mine == [(26, row["ListPriorityId"], region, 4) for region in (40, 41, 42)]


def test_owner_columns_are_the_greatest_value_per_slug(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: None}, load_options(rules))
    rows = synth.upload(3, seed=1).with_columns(
        pl.lit("10 ELM ST").alias("OwnerAddress1"),
        pl.lit("24016").alias("OwnerZip"),
        pl.Series("OwnerCity", ["ALPHA", None, "ZULU"]),
        pl.Series("OwnerName", ["B NAME", "C NAME", "A NAME"]),
    )
    path = tmp_path / "u.csv"
    rows.write_csv(path)
    load = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1).load
    assert load is not None and load.owners_inserted == 1
    owner = next(iter(by_key(backend, "Owner", "Slug").values()))
    assert (owner["Slug"], owner["City"], owner["Name"]) == ("10_ELM_ST_24016", "ZULU", "C NAME")
    assert owner["FullAddress"] == f"10 ELM ST ZULU {owner['State']} 24016"
    locations = by_key(backend, "Location", "PrimaryId")
    assert {r["OwnerId"] for r in locations.values()} == {owner["OwnerId"]}


@pytest.mark.parametrize("window", [0, 6])
def test_update_window_is_a_setting(
    backend: Backend, rules: Rules, tmp_path: Path, window: int
) -> None:
    backend.init({40: None}, load_options(rules))
    p1, p2 = month_files(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(f"[load]\nupdate_window_months = {window}\n")
    second = run_job(Inputs.gather(p2, rules=rules_file), 40, backend=backend, now=MONTH2).load
    assert second is not None
    expected_frozen = 400 - len(DROPPED) if window == 0 else 0
    assert second.locations_frozen == expected_frozen
