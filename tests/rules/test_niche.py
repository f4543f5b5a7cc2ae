"""Niche-list stacking: match by parcel id, else by normalized address + ZIP5; idempotent."""

from __future__ import annotations

import polars as pl

from propmail.rules.niche import NicheList, apply, stack
from propmail.settings import Rules

UPLOAD = pl.DataFrame(
    {
        "LocationPrimaryId": ["0001", "0002", "0003", "0004", "0005"],
        "LocationAddress1": [
            "1 Main Street",
            "2 Oak Avenue",
            "9 Twin Road",
            "9 Twin Rd",
            "5 Elm St",
        ],
        "LocationZip": ["02134", "24016", "24016", "24016", "24016"],
        "EnhancedCode": ["HE-ABS1", "OO", "ABS2", "ABS3", "ABS1"],
    }
)


def niche(
    kind: str, ids: list[str | None], addresses: list[str | None], zips: list[str | None]
) -> NicheList:
    frame = pl.DataFrame(
        {
            "LocationPrimaryId": ids,
            "LocationAddress1": addresses,
            "LocationZip": zips,
            "_row": list(range(2, 2 + len(ids))),
        },
        schema={
            "LocationPrimaryId": pl.String,
            "LocationAddress1": pl.String,
            "LocationZip": pl.String,
            "_row": pl.Int64,
        },
    )
    return NicheList(type=kind, frame=frame, source=f"{kind}.csv")


def test_match_by_id_then_by_address(rules: Rules) -> None:
    liens = niche(
        "Liens",
        ["0001", None, None, "9999"],
        [None, "2 OAK AVE", "77 Nowhere Ln", "5 ELM STREET"],
        [None, "24016", "24016", "24016"],
    )
    out, (outcome,) = apply(UPLOAD, [liens], rules.niche_separator)
    assert out["ListCode"].to_list() == [
        "Liens - HE-ABS1",
        "Liens - OO",
        "ABS2",
        "ABS3",
        "Liens - ABS1",
    ]
    assert (outcome.matched_by_id, outcome.matched_by_address, outcome.locations_tagged) == (
        1,
        2,
        3,
    )
    assert outcome.unmatched["_row"].to_list() == [4]


def test_an_address_naming_several_parcels_is_ambiguous_and_not_applied(rules: Rules) -> None:
    probate = niche("Probate", [None], ["9 TWIN ROAD"], ["24016"])
    out, (outcome,) = apply(UPLOAD, [probate], rules.niche_separator)
    assert out["ListCode"].to_list() == UPLOAD["EnhancedCode"].to_list()
    assert outcome.ambiguous["parcels"].to_list() == [2]
    assert outcome.unmatched.height == 0


def test_lists_stack_in_the_order_given(rules: Rules) -> None:
    liens = niche("Liens", ["0002"], [None], [None])
    probate = niche("Probate", ["0002"], [None], [None])
    out, _ = apply(UPLOAD, [liens, probate], rules.niche_separator)
    assert out["ListCode"][1] == "Probate - Liens - OO"


def test_a_type_already_present_is_not_added_twice(rules: Rules) -> None:
    liens = niche("Liens", ["0002"], [None], [None])
    again = niche("liens", ["0002", "0002"], [None, None], [None, None])
    out, _ = apply(UPLOAD, [liens, again, liens], rules.niche_separator)
    assert out["ListCode"][1] == "Liens - OO"
    # applying the result again changes nothing (the re-run law)
    rerun, _ = apply(
        out.with_columns(pl.col("ListCode").alias("EnhancedCode")), [liens], rules.niche_separator
    )
    assert rerun["ListCode"].to_list() == out["ListCode"].to_list()


def test_segment_check_is_whole_segment_not_substring() -> None:
    frame = pl.DataFrame({"code": ["Liens2 - OO", "Liens - OO"]})
    out = frame.select(stack(pl.col("code"), "Liens", " - "))
    assert out.to_series().to_list() == ["Liens - Liens2 - OO", "Liens - OO"]
