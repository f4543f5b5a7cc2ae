from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from propmail.rules import occupancy
from propmail.settings import Rules, load_rules

CASES = Path(__file__).parent.parent / "fixtures" / "occupancy_cases.csv"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def upload(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    columns = ["LocationAddress1", "LocationZip", "OwnerAddress1", "OwnerAddress2", "OwnerZip"]
    return pl.DataFrame(
        [{c: row.get(c) for c in columns} for row in rows], schema=dict.fromkeys(columns, pl.String)
    )


def test_labelled_cases(rules: Rules) -> None:
    cases = pl.read_csv(CASES, infer_schema=False)
    assert cases.height >= 25
    frame = cases.select(
        pl.col("location_address").alias("LocationAddress1"),
        pl.col("location_zip").alias("LocationZip"),
        pl.col("owner_address").alias("OwnerAddress1"),
        pl.lit(None, pl.String).alias("OwnerAddress2"),
        pl.col("owner_zip").alias("OwnerZip"),
    )
    got = occupancy.derive(frame, rules)["IsOwnerOccupied"]
    assert got.dtype == pl.Boolean
    assert got.null_count() == 0
    wrong = [
        f"{row['note']}: {row['location_address']!r} vs {row['owner_address']!r} -> {value}"
        for row, value in zip(cases.iter_rows(named=True), got, strict=True)
        if value != (row["expected"] == "true")
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("location", "address1", "address2", "expected"),
    [
        # the decision: a unit alone in OwnerAddress2 is part of the mailing street
        ("456 Oak Ave Apt 2", "456 OAK AVE", "APT 2", True),
        ("456 Oak Ave Apt 2", "456 OAK AVE", "#2", True),
        ("456 Oak Ave Apt 2", "456 OAK AVE", "Unit 3", False),
        ("456 Oak Ave", "456 OAK AVE", "APT 2", False),
        # a unit already in OwnerAddress1 is not doubled
        ("456 Oak Ave Apt 2", "456 OAK AVE APT 2", "APT 2", True),
        # anything else in OwnerAddress2 is ignored
        ("456 Oak Ave", "456 OAK AVE", "C/O JANE DOE", True),
        ("456 Oak Ave", "456 OAK AVE", "ATTN: TAX DEPT", True),
        ("456 Oak Ave", "456 OAK AVE", "   ", True),
        # a unit without a street is no mailing street
        ("APT 2", None, "APT 2", False),
    ],
)
def test_owner_address2_unit(
    rules: Rules, location: str, address1: str | None, address2: str, expected: bool
) -> None:
    frame = upload(
        [
            {
                "LocationAddress1": location,
                "LocationZip": "24016",
                "OwnerAddress1": address1,
                "OwnerAddress2": address2,
                "OwnerZip": "24016",
            }
        ]
    )
    assert occupancy.derive(frame, rules)["IsOwnerOccupied"].to_list() == [expected]


def test_adds_only_its_column_and_works_without_address2(rules: Rules) -> None:
    frame = upload(
        [
            {"LocationAddress1": "1 Main St", "LocationZip": "24016",
             "OwnerAddress1": "1 MAIN STREET", "OwnerZip": "24016"},
            {"LocationAddress1": "1 Main St", "LocationZip": "24016",
             "OwnerAddress1": None, "OwnerZip": None},
        ]
    ).drop("OwnerAddress2")  # fmt: skip
    got = occupancy.derive(frame, rules)
    assert got.columns == [*frame.columns, "IsOwnerOccupied"]
    assert got.drop("IsOwnerOccupied").equals(frame)
    assert got["IsOwnerOccupied"].to_list() == [True, False]
