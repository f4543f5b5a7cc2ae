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

# What the owner rules must hold on real rows, on the tuning and on the held-out sample, in every
# extract that has them: the envelope name and occupancy (where the extract has both addresses),
# and each flag's precision and recall (where the extract has rows flagged or labelled with it).
ACCURACY_TARGET = {"AlternateName": 0.97, "IsOwnerOccupied": 0.98}
FLAG_TARGET = (0.98, 0.95)  # precision, recall
FLAGS = (*evaluate.FLAGS, "OwnerGrantorMatch")


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


Scores = dict[tuple[str, str, str], evaluate.Score]


@pytest.fixture(scope="module")
def scores() -> Scores:
    """(sample, extract, rule) -> score; `pytest -s` prints the tables."""
    out: Scores = {}
    for sample in sorted(SAMPLES):
        found, _ = evaluate.evaluate(sample=sample)
        print(f"\n{sample}:\n{evaluate.table(found)}")
        out.update({(sample, s.extract, s.rule): s for s in found})
    return out


def test_every_rule_is_measured(scores: Scores) -> None:
    measured = {rule for (sample, extract, rule) in scores if extract == evaluate.ALL}
    assert measured == set(evaluate.RULES)


@pytest.mark.parametrize(
    ("sample", "rule"), [(s, r) for s in sorted(SAMPLES) for r in sorted(ACCURACY_TARGET)]
)
def test_accuracy_in_every_extract(scores: Scores, sample: str, rule: str) -> None:
    found = {e: s for (smp, e, r), s in scores.items() if smp == sample and r == rule}
    assert found, f"no {rule} labels in the {sample} sample"
    low = {e: round(s.accuracy, 3) for e, s in found.items() if s.accuracy < ACCURACY_TARGET[rule]}
    assert not low, f"{rule} under {ACCURACY_TARGET[rule]}: {low}"


def labelled(sample: str, rule: str) -> bool:
    return any(row[rule] for extract in EXTRACTS for row in labels(extract, sample))


@pytest.mark.parametrize(
    ("sample", "rule"),
    [(s, r) for s in sorted(SAMPLES) for r in FLAGS if labelled(s, r)],
)
def test_flag_precision_and_recall_in_every_extract(scores: Scores, sample: str, rule: str) -> None:
    precision, recall = FLAG_TARGET
    low = {
        e: (s.precision, s.recall)
        for (smp, e, r), s in scores.items()
        if smp == sample and r == rule and e != evaluate.ALL
        if (s.precision is not None and s.precision < precision)
        or (s.recall is not None and s.recall < recall)
    }
    assert not low, f"{rule} under precision {precision} / recall {recall}: {low}"
