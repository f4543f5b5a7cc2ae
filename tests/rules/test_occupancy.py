from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from propmail.errors import InputError
from propmail.rules import occupancy
from propmail.settings import Rules, load_rules

CASES = Path(__file__).parent.parent / "fixtures" / "occupancy_cases.csv"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def upload(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    columns = [
        "LocationAddress1", "LocationZip", "LocationCity", "LocationState",
        "OwnerAddress1", "OwnerAddress2", "OwnerCity", "OwnerState", "OwnerZip",
    ]  # fmt: skip
    return pl.DataFrame(
        [{c: row.get(c) for c in columns} for row in rows], schema=dict.fromkeys(columns, pl.String)
    )


def test_labelled_cases(rules: Rules) -> None:
    cases = pl.read_csv(CASES, infer_schema=False)
    assert cases.height >= 70
    frame = cases.select(
        pl.col("location_address").alias("LocationAddress1"),
        pl.col("location_zip").alias("LocationZip"),
        pl.col("location_city").alias("LocationCity"),
        pl.col("location_state").alias("LocationState"),
        pl.col("owner_address").alias("OwnerAddress1"),
        pl.col("owner_address2").alias("OwnerAddress2"),
        pl.col("owner_city").alias("OwnerCity"),
        pl.col("owner_state").alias("OwnerState"),
        pl.col("owner_zip").alias("OwnerZip"),
    )
    got = occupancy.derive(frame, rules.occupancy)["IsOwnerOccupied"]
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
        ("456 Oak Ave", "456 OAK AVE", "APT 2", True),  # one building (unit_on_one_side)
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
    assert occupancy.derive(frame, rules.occupancy)["IsOwnerOccupied"].to_list() == [expected]


def test_adds_only_its_column_and_works_without_address2(rules: Rules) -> None:
    frame = upload(
        [
            {"LocationAddress1": "1 Main St", "LocationZip": "24016",
             "OwnerAddress1": "1 MAIN STREET", "OwnerZip": "24016"},
            {"LocationAddress1": "1 Main St", "LocationZip": "24016",
             "OwnerAddress1": None, "OwnerZip": None},
        ]
    ).drop("OwnerAddress2")  # fmt: skip
    got = occupancy.derive(frame, rules.occupancy)
    assert got.columns == [*frame.columns, "IsOwnerOccupied"]
    assert got.drop("IsOwnerOccupied").equals(frame)
    assert got["IsOwnerOccupied"].to_list() == [True, False]


def overridden(tmp_path: Path, text: str) -> Rules:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


def test_a_unit_on_one_side_is_a_setting(rules: Rules, tmp_path: Path) -> None:
    frame = upload(
        [
            {"LocationAddress1": "426 John Mahar Hwy", "LocationZip": "02184",
             "OwnerAddress1": "426 JOHN MAHAR HWY #110", "OwnerZip": "02184"},
            {"LocationAddress1": "35 UN 10 Skyline Dr", "LocationZip": "02184",
             "OwnerAddress1": "35 SKYLINE DRIVE UNIT 10", "OwnerZip": "02184"},
        ]
    )  # fmt: skip
    assert occupancy.derive(frame, rules.occupancy)["IsOwnerOccupied"].to_list() == [True, True]
    strict = overridden(tmp_path, '[occupancy]\nunit_on_one_side = "different"\n')
    assert occupancy.derive(frame, strict.occupancy)["IsOwnerOccupied"].to_list() == [False, True]


def test_without_a_site_zip_city_and_state_decide_unless_set_absentee(
    rules: Rules, tmp_path: Path
) -> None:
    frame = upload(
        [
            {"LocationAddress1": "677 Liberty Ave", "LocationCity": "Jersey City",
             "LocationState": "NJ", "OwnerAddress1": "677 LIBERTY AVE.",
             "OwnerCity": "JERSEY CITY", "OwnerState": "N.J.", "OwnerZip": "07307"},
        ]
    )  # fmt: skip
    assert occupancy.derive(frame, rules.occupancy)["IsOwnerOccupied"].to_list() == [True]
    absentee = overridden(tmp_path, '[occupancy]\nwithout_site_zip = "absentee"\n')
    assert occupancy.derive(frame, absentee.occupancy)["IsOwnerOccupied"].to_list() == [False]
    # a site ZIP, where there is one, decides: the city is not asked
    with_zip = frame.with_columns(LocationZip=pl.lit("07306"))
    assert occupancy.derive(with_zip, rules.occupancy)["IsOwnerOccupied"].to_list() == [False]


def test_an_unknown_setting_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"occupancy\.unit_on_one_side: unknown value 'maybe'"):
        overridden(tmp_path, '[occupancy]\nunit_on_one_side = "maybe"\n')


def test_site_quality_counts_placeholders_and_empty_zips(rules: Rules, tmp_path: Path) -> None:
    frame = upload(
        [
            {"LocationAddress1": "INVALID", "LocationZip": "24016"},
            {"LocationAddress1": " unknown ", "LocationZip": "24016"},
            {"LocationAddress1": "0", "LocationZip": None},
            {"LocationAddress1": None, "LocationZip": "24016"},
            {"LocationAddress1": "1 Main St", "LocationZip": ""},
            {"LocationAddress1": "1 Main St", "LocationZip": "24016"},
        ]
    )
    quality = occupancy.site_quality(frame, rules.occupancy)
    assert (quality.placeholder_addresses, quality.empty_zips) == (4, 2)
    assert quality.zip_fallback == "city and state"
    assert quality.undecided_for_placeholders == ("IsOwnerOccupied", "niche address match")
    assert "IsOwnerOccupied" not in quality.undecided_for_empty_zips  # compared by city
    assert "niche address match" in quality.undecided_for_empty_zips
    absentee = overridden(tmp_path, '[occupancy]\nwithout_site_zip = "absentee"\n')
    by_nothing = occupancy.site_quality(frame, absentee.occupancy)
    assert by_nothing.zip_fallback == "nothing"
    assert "IsOwnerOccupied" in by_nothing.undecided_for_empty_zips
    clean = occupancy.site_quality(frame.tail(1), rules.occupancy)
    assert (clean.placeholder_addresses, clean.empty_zips) == (0, 0)
    assert clean.undecided_for_placeholders == clean.undecided_for_empty_zips == ()


def test_a_house_number_spelled_out_is_its_digits(rules: Rules) -> None:
    site = {"LocationAddress1": "1 MARKHAM RD", "LocationZip": "08540"}
    rows = [
        {**site, "OwnerAddress1": "One Markham Rd 3D", "OwnerZip": "08540"},
        {**site, "OwnerAddress1": "Two Markham Rd", "OwnerZip": "08540"},
        {**site, "OwnerAddress1": "1 ONE TREE LN", "OwnerZip": "08540"},
    ]
    got = occupancy.derive(upload(rows), rules.occupancy)["IsOwnerOccupied"].to_list()
    assert got == [True, False, False]
