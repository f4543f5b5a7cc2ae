"""The oracle restates the column maps on purpose; here it must still agree with the contract."""

from __future__ import annotations

from propmail.contract import LOCATION, LONGTEXT, OWNER, STORED, TEXT, UPLOAD_COLUMNS, Kind, stored
from tests.fuzz import oracle


def copied(table: str) -> dict[str, str]:
    """Database column -> the upload column it is copied from, as the contract says."""
    return {c.name: c.source for c in stored(table) if not c.derived}


def test_the_oracles_location_and_owner_maps_are_the_contracts() -> None:
    assert copied(LOCATION) == oracle.LOCATION
    assert copied(OWNER) == oracle.OWNER


def test_the_oracles_text_widths_are_the_contracts() -> None:
    into = {c.source: c.kind for c in STORED if not c.derived}
    text = {c for c, kind in UPLOAD_COLUMNS.items() if kind is Kind.TEXT}
    limited = {c for c in text & into.keys() if into[c] == TEXT}
    assert limited == set(oracle.STORED_TEXT) - set(oracle.LONG_TEXT)
    # text the load never copies is only stored joined into AccuzipRequest (long text)
    assert text - into.keys() == oracle.UNSTORED | oracle.INTO_DERIVED.keys()
    long_text = {c for c in text & into.keys() if into[c] == LONGTEXT}
    assert set(oracle.LONG_TEXT) == long_text | oracle.UNSTORED
