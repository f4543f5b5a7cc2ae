"""The calibration settings: substring flags, the prefix order, and the variants parity tries."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from propmail.calibration import variants
from propmail.errors import SettingsError
from propmail.rules import classification, codes
from propmail.settings import load_rules, with_fragment


def rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "legacy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_flag_matched_by_substring_behaves_like_the_legacy_like(tmp_path: Path) -> None:
    legacy = load_rules(
        rules_file(
            tmp_path, '[classification]\ntrust = ["TRUST"]\nmatch = { trust = "substring" }\n'
        )
    )
    assert legacy.classification.substring == ("IsTrust",)
    names = ["SMITH JOHN TR", "TRUSTCO BANK", "ANN LEE FAMILY TRUST", "JONES, MARY"]
    frame = pl.DataFrame({"OwnerName": names})
    assert classification.derive(frame, legacy.classification)["IsTrust"].to_list() == [
        False,
        True,
        True,
        False,
    ]
    # the other flags keep their whole-token rules
    assert classification.derive(frame, load_rules().classification)["IsTrust"].to_list() == [
        True, False, True, False,
    ]  # fmt: skip
    business = classification.derive(frame, legacy.classification)["IsBusiness"]
    assert (
        business.to_list()
        == classification.derive(frame, load_rules().classification)["IsBusiness"].to_list()
    )


def test_the_prefix_order_setting_reorders_the_prefixes(tmp_path: Path) -> None:
    order = ["Liens-", "HE-", "Bankrupcy-", "Divorce-", "PreFor-", "F&C-", "Vacant-",
             "NCOA_Moves-", "NCOA_Drops-"]  # fmt: skip
    rules = load_rules(
        rules_file(tmp_path, f"[codes]\nprefix_order = {order!r}\n".replace("'", '"'))
    )
    assert [p.prefix for p in rules.prefixes] == order
    frame = pl.DataFrame(
        {"BasePriorityCode": ["ABS1"], "EstLoanToValue": [40.0], "LienType": ["Tax"]}
    )
    frame = frame.with_columns(
        pl.lit(None, pl.String).alias(c)
        for c in (
            "BKDate",
            "DivorceDate",
            "PreFcRecordingDate",
            "EstEquity",
            "Vacant",
            "ResponseNCOA",
        )
    )
    assert codes.derive(frame, rules.prefixes, rules.ncoa)["EnhancedCode"].to_list() == [
        "HE-Liens-ABS1"
    ]
    defaults = load_rules()
    assert codes.derive(frame, defaults.prefixes, defaults.ncoa)["EnhancedCode"].to_list() == [
        "Liens-HE-ABS1"
    ]


MATCH = "[classification.match]\n"
BAD = [
    (MATCH + 'trust = "like"\n', "classification.match.trust: unknown match 'like'"),
    (MATCH + 'trusts = "substring"\n', "classification.match.trusts: unknown flag"),
    (
        '[codes]\nprefix_order = ["HE-"]\n',
        "codes.prefix_order: must name every [[prefix]] rule once (missing 'Liens-'",
    ),
    ('[codes]\nprefix_order = ["HE-", "XX-"]\n', "unknown 'XX-'"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_calibration_settings_name_their_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_rules(rules_file(tmp_path, text))


def test_the_variants_are_valid_rules_files_that_change_one_setting() -> None:
    rules = load_rules()
    found = {v.setting: v for v in variants(None, rules)}
    assert found["slug style propercase"].rules.slug_style == "propercase"
    assert found["NCOA legacy drops"].rules.ncoa_not_drops == ()
    swap = found["prefix order: Liens- before HE-"].rules
    assert [p.prefix for p in swap.prefixes][:2] == ["Liens-", "HE-"]
    trust = found["IsTrust by substring of TRUST"].rules.classification
    assert (trust.trust, trust.substring) == (("TRUST",), ("IsTrust",))
    # a variant's fragment is what the operator adds: laid over the defaults it gives its rules
    for variant in found.values():
        import tomllib

        assert with_fragment(None, tomllib.loads(variant.fragment)) == variant.rules
    # from rules already calibrated, the variant undoes the setting
    calibrated = with_fragment(None, {"classification": {"match": {"trust": "substring"}}})
    assert "IsTrust by whole tokens" in {v.setting for v in variants(None, calibrated)}


def test_rerunning_from_the_first_rule_a_variant_changes_equals_a_whole_run(
    tmp_path: Path,
) -> None:
    from propmail import pipeline, synth
    from propmail.read import read_upload

    synth.upload(300, seed=8).write_csv(tmp_path / "upload.csv")
    frame = read_upload(tmp_path / "upload.csv").frame
    base = pipeline.run(frame, load_rules())
    # one variant per rule it starts from
    first = {v.start: v for v in reversed(variants(None, load_rules()))}
    assert len(first) == 3
    for variant in first.values():
        whole = pipeline.run(frame, variant.rules)
        rerun = pipeline.run(base.processed, variant.rules, start=variant.start)
        assert rerun.locations.equals(whole.locations), variant.setting
        assert rerun.owners.equals(whole.owners), variant.setting


def test_a_keyword_list_is_extended_when_the_file_says_so(tmp_path: Path) -> None:
    text = 'extend = ["classification.trust"]\n[classification]\ntrust = ["TRUSTCO", "TR"]\n'
    rules = load_rules(rules_file(tmp_path, text))
    defaults = load_rules().classification.trust
    assert rules.classification.trust == (*defaults, "TRUSTCO")
    assert "classification.trust extended (1 word)" in rules.changes
    replaced = load_rules(rules_file(tmp_path, '[classification]\ntrust = ["TRUSTCO"]\n'))
    assert replaced.classification.trust == ("TRUSTCO",)
    with pytest.raises(SettingsError, match=r"extend: 'classification\.church' is not given"):
        load_rules(rules_file(tmp_path, 'extend = ["classification.church"]\n'))
