"""propmail changes on the benchmark's month with 10 % of the rows changed (bench.data.changed):
it reports exactly what that month changed, by kind and count, against the two months' own
processed rows (polars on the files, no database)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from propmail import synth
from propmail.bench import data
from propmail.changes import Reading, load_headline, read_changes
from propmail.db import Backend
from propmail.inputs import Inputs
from propmail.job import load_options, prepare, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1, MONTH2

ROWS = 400
REGION = 40


def _processed(month: data.Month) -> pl.DataFrame:
    _, _, processed = prepare(Inputs.gather(month.upload, month.niche_specs()))
    return processed.locations.select("PrimaryId", "OwnerSlug", "PriorityCode", "ResponseNCOA")


@pytest.fixture
def months(tmp_path: Path) -> tuple[data.Month, data.Month]:
    upload = synth.upload(ROWS, 7)
    first = data.write_month(tmp_path, "upload", upload, 7)
    changed = data.changed(upload, data.CHANGE_FRACTION, 8)
    return first, data.write_month(tmp_path, "upload-changed", changed, 7)


def test_changes_reports_exactly_what_the_changed_month_changed(
    backend: Backend, rules: Rules, months: tuple[data.Month, data.Month]
) -> None:
    backend.init({REGION: "Roanoke"}, load_options(rules))
    results = [
        run_job(Inputs.gather(month.upload, month.niche_specs()), REGION, backend=backend, now=now)
        for month, now in zip(months, (MONTH1, MONTH2), strict=True)
    ]
    report = read_changes(backend, rules, REGION).as_dict()

    before, after = (_processed(m) for m in months)
    both = before.join(after, on="PrimaryId", suffix="_after")
    assert both.height == before.height == after.height  # the same parcels: none new, none gone
    sold = both.filter(pl.col("OwnerSlug") != pl.col("OwnerSlug_after"))
    recoded = both.filter(pl.col("PriorityCode") != pl.col("PriorityCode_after"))
    assert sold.height > 0 and recoded.height > sold.height // 2  # the month did change things

    counts = report["counts"]
    assert (counts["new"], counts["gone"]) == (0, 0)
    assert counts["sold"] == sold.height
    sections = report["sections"]
    assert [e["parcel"] for e in sections["sold"]["examples"]] == sorted(sold["PrimaryId"])[:5]

    reading = Reading.of(rules)
    joined: Counter[str] = Counter()
    left: Counter[str] = Counter()
    absentee = stacked = 0
    for old, new in recoded.select("PriorityCode", "PriorityCode_after").iter_rows():
        joined.update(reading.lists(new) - reading.lists(old))
        left.update(reading.lists(old) - reading.lists(new))
        absentee += reading.base(old) != reading.base(new)
        stacked += reading.stack(new) > reading.stack(old)
    assert (counts["absentee_changed"], counts["stack_up"]) == (absentee, stacked)
    rows = {r["list"]: (r["joined"], r["left"]) for r in sections["lists"]["rows"]}
    assert rows == {name: (joined[name], left[name]) for name in joined.keys() | left.keys()}

    def ncoa(column: str) -> pl.Expr:
        value = pl.col(column).str.strip_chars().str.to_uppercase()
        moves = list(rules.ncoa.moves)
        drop = value.is_not_null() & ~value.is_in([*moves, *rules.ncoa.not_drops])
        return pl.when(value.is_in(moves)).then(pl.lit("move")).when(drop).then(pl.lit("drop"))

    classes = both.select(ncoa("ResponseNCOA").alias("b"), ncoa("ResponseNCOA_after").alias("a"))
    for kind in ("move", "drop"):
        new = classes.filter((pl.col("a") == kind) & pl.col("b").ne_missing(pl.lit(kind))).height
        assert counts[f"ncoa_{kind}s"] == new, kind

    # the load's own headline, from its kind table, says the same
    loaded = results[1].load
    assert loaded is not None
    figures = load_headline(loaded.moves, rules)
    assert figures is not None
    assert (figures["new"], figures["sold"], figures["code_changed"]) == (
        0, sold.height, recoded.height,
    )  # fmt: skip
    assert (figures["joined"], figures["left"]) == (counts["joined"], counts["left"])

    codes = {r["code"]: (r["before"], r["after"]) for r in sections["codes"]["rows"]}
    counted_before = dict(before.group_by("PriorityCode").len().iter_rows())
    counted_after = dict(after.group_by("PriorityCode").len().iter_rows())
    assert {c: b for c, (b, _) in codes.items() if b} == counted_before
    assert {c: a for c, (_, a) in codes.items() if a} == counted_after
