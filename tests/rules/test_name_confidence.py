"""How sure the envelope name is, the fall-back where a reading breaks an invariant, and the
settings that choose what is listed and what a fall-back prints (docs/conventions.md)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from propmail.errors import SettingsError
from propmail.rules import classification, names
from propmail.rules.names import confidence
from propmail.settings import load_rules


def read(rows: dict[str, list[str | None]], **settings: object) -> pl.DataFrame:
    rules = load_rules()
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows, pl.String))
    flagged = classification.derive(frame, rules.classification)
    return names.derive(flagged, replace(rules.names, **settings), rules.classification)


def test_every_name_has_a_confidence_and_its_evidence() -> None:
    out = read({"OwnerName": ["SMITH, JOHN", "ACME HOLDINGS LLC", "JOHN HENRY", "KOVAC ZELNIK"]})
    assert out["NameConfidence"].to_list() == ["decisive", "decisive", "likely", "guess"]
    evidence = out["NameEvidence"].to_list()
    assert evidence[0] == "a comma after the surname"
    assert evidence[3].startswith("the whole column")


def test_a_reading_that_breaks_an_invariant_falls_back_to_the_owner_field() -> None:
    # the guard: a reading that would drop the first owner's surname is not printed
    fields = {"__field1": "SMITH JOHN", "__field2": None, "__field3": None}
    frame = pl.DataFrame(
        [{"__row": 0, "__envelope": "Mary Jones", **fields, "__sur_a": "SMITH",
          "__sur_b": "JOHN", "__person_words": 2}],
        schema_overrides={"__field2": pl.String, "__field3": pl.String},
    )  # fmt: skip
    assert confidence.broken(frame).to_list() == ["prints a word of no owner field"]


@pytest.mark.parametrize(
    ("fallback", "printed"), [("owner_field", "Doyle, Peter & Jr"), ("salutation", "Dear Owner")]
)
def test_the_setting_chooses_what_a_fall_back_prints(fallback: str, printed: str) -> None:
    # a suffix alone after the &: the reading (Peter Doyle & Doyle Jr) repeats the surname the
    # field has once, so the owner field prints (markers dropped), or the salutation
    out = read(
        {"OwnerName": ["DOYLE, PETER & JR ETUX"]}, fallback=fallback, salutation="Dear Owner"
    )
    assert out["NameConfidence"].item() == "fallback"
    assert out["NameEvidence"].item().startswith("fell back: the reading repeats a word")
    assert out["AlternateName"].item() == printed


def test_names_to_check_lists_each_name_below_the_setting_once() -> None:
    frame = read({"OwnerName": ["SMITH, JOHN", "KOVAC ZELNIK", "KOVAC ZELNIK", "JOHN HENRY"]})
    frame = frame.with_row_index("_row", offset=2)
    listed = names.names_to_check(frame, load_rules().names, "_row")
    assert listed.select("_row", "parcels", "OwnerName", "NameConfidence").rows() == [
        (3, 2, "KOVAC ZELNIK", "guess")
    ]
    lower = replace(load_rules().names, check_below="decisive")
    assert names.names_to_check(frame, lower, "_row")["OwnerName"].to_list() == [
        "KOVAC ZELNIK",
        "JOHN HENRY",
    ]


def test_the_names_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    for text, key in (
        ('check_below = "sure"', "check_below"),
        ('fallback = "nothing"', "fallback"),
    ):
        path.write_text(f"[names]\n{text}\n")
        with pytest.raises(SettingsError, match=key):
            load_rules(path)
    path.write_text('[names]\ncheck_below = "guess"\nfallback = "salutation"\n')
    rules = load_rules(path)
    assert (rules.names.check_below, rules.names.fallback) == ("guess", "salutation")
