"""The hand-labelled real rows: they name the records they label, and the rules hold on them.

Needs the extracts of `../shared/realdata/` (or $PROPMAIL_REALDATA); without them the module is
skipped, saying so.
"""

from __future__ import annotations

import pytest

from tests.realdata import evaluate
from tests.realdata.extracts import (
    EXTRACTS,
    SAMPLES,
    Extract,
    check_value,
    labels,
    realdata_dir,
    records,
)

pytestmark = pytest.mark.skipif(
    not realdata_dir().is_dir(),
    reason=f"the real extracts are not at {realdata_dir()} (set $PROPMAIL_REALDATA)",
)

# The floor each rule holds today, pooled over every labelled row; raised as the rules improve.
# accuracy for AlternateName and IsOwnerOccupied, (precision, recall) for the flags.
ACCURACY_FLOOR = {"AlternateName": 0.50, "IsOwnerOccupied": 0.66}
FLAG_FLOOR = {
    "IsTrust": (0.92, 0.88),
    "IsChurch": (1.00, 1.00),
    "IsBusiness": (0.99, 0.98),
    "IsGovernment": (0.85, 0.85),
    "OwnerGrantorMatch": (1.00, 0.70),
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("extract", EXTRACTS, ids=lambda e: e.file.removesuffix(".csv"))
def test_labels_name_their_records(extract: Extract, sample: str) -> None:
    by_row = dict(records(extract))
    rows = labels(extract, sample)
    numbers = [int(r["row"]) for r in rows]
    assert numbers == sorted(set(numbers)), "rows in order, each once"
    for label in rows:
        record = by_row.get(int(label["row"]))
        assert record is not None, f"row {label['row']} is not in {extract.file}"
        assert extract.keep(record), f"row {label['row']} is not a labelled kind of record"
        assert label["check"] == check_value(extract.check(record)), f"row {label['row']} moved"
        assert label["AlternateName"].strip(), f"row {label['row']}: no envelope name"
        for flag in evaluate.FLAGS:
            assert label[flag] in ("0", "1"), f"row {label['row']}: {flag}={label[flag]!r}"
        assert label["IsOwnerOccupied"] in ("", "0", "1")
        deed = extract.file.startswith("lyme_nh_grafton")
        assert label["OwnerGrantorMatch"] in (("0", "1") if deed else ("",))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_enough_rows_are_labelled(sample: str) -> None:
    counts = {e.file: len(labels(e, sample)) for e in EXTRACTS}
    assert sum(counts.values()) >= 600
    assert sum(1 for n in counts.values() if n >= 100) >= 3


def test_the_samples_share_no_row() -> None:
    for extract in EXTRACTS:
        tuning, holdout = ({r["row"] for r in labels(extract, s)} for s in ("tuning", "holdout"))
        assert not tuning & holdout, extract.file


@pytest.fixture(scope="module")
def scores() -> dict[tuple[str, str], evaluate.Score]:
    found, _ = evaluate.evaluate()
    print("\n" + evaluate.table(found))  # the table, with pytest -s
    return {(s.extract, s.rule): s for s in found}


def test_every_rule_is_measured(scores: dict[tuple[str, str], evaluate.Score]) -> None:
    assert {rule for (extract, rule) in scores if extract == evaluate.ALL} == set(evaluate.RULES)


@pytest.mark.parametrize("rule", sorted(ACCURACY_FLOOR))
def test_accuracy_floor(scores: dict[tuple[str, str], evaluate.Score], rule: str) -> None:
    assert scores[(evaluate.ALL, rule)].accuracy >= ACCURACY_FLOOR[rule]


@pytest.mark.parametrize("rule", sorted(FLAG_FLOOR))
def test_flag_floor(scores: dict[tuple[str, str], evaluate.Score], rule: str) -> None:
    score = scores[(evaluate.ALL, rule)]
    precision, recall = FLAG_FLOOR[rule]
    assert (score.precision or 0) >= precision
    assert (score.recall or 0) >= recall
