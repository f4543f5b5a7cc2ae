"""The invariants of the envelope name hold on generated owner records.

A few hundred generated names run by default; the slow test runs 100,000 (200 batches of 500, a
batch standing for one upload, since the column's evidence is part of the rule). The checker,
`tests/rules/envelope_invariants.py`, shares no code with the rule.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from propmail.rules import classification, names
from propmail.settings import load_rules
from tests.rules.envelope_invariants import OWNER_FIELDS, owner_record, violations

Found = list[tuple[dict[str, str], str | None, list[str]]]


@cache
def vocabulary() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Common given names and surnames of the public name tables propmail ships."""
    table = resources.files("propmail.rules").joinpath("data/name_frequencies.parquet")
    with resources.as_file(table) as path:
        counts = pl.read_parquet(path)
    given = counts.filter(pl.col("given") > 20 * pl.col("surname")).top_k(2000, by="given")
    surnames = counts.filter(pl.col("surname") > 20 * pl.col("given")).top_k(5000, by="surname")
    return tuple(sorted(given["name"])), tuple(sorted(surnames["name"]))


def envelope_violations(records: list[dict[str, str]]) -> Found:
    """Each record whose envelope name breaks an invariant, with the envelope and why."""
    frame = pl.DataFrame(
        {f: [r.get(f) for r in records] for f in OWNER_FIELDS},
        schema={f: pl.String for f in OWNER_FIELDS},
    )
    rules = load_rules()
    flagged = classification.derive(frame, rules.classification)
    printed = names.derive(flagged, rules.names, rules.classification)["AlternateName"]
    found = []
    for record, envelope in zip(records, printed.to_list(), strict=True):
        broken = violations(record, envelope)
        if broken:
            found.append((record, envelope, broken))
    return found


def _explained(found: Found, out_of: int) -> str:
    lines = [f"{len(found)} of {out_of} envelope names break an invariant, e.g.:"]
    lines += [
        f"  {record} -> {envelope!r}: {'; '.join(why)}" for record, envelope, why in found[:10]
    ]
    return "\n".join(lines)


# no shrinking: a failure lists every record of the batch that breaks an invariant
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
GENERATED = settings(deadline=None, phases=NO_SHRINK, suppress_health_check=list(HealthCheck))


@settings(GENERATED, max_examples=10)
@given(st.data())
def test_the_invariants_hold_on_generated_names(data: st.DataObject) -> None:
    given_names, surnames = vocabulary()

    def pick(choices: Sequence[Any]) -> Any:  # the grammar's choices, drawn by hypothesis
        return data.draw(st.sampled_from(choices))

    records = [owner_record(pick, given_names, surnames) for _ in range(30)]
    found = envelope_violations(records)
    assert not found, _explained(found, len(records))


@pytest.mark.slow
@settings(GENERATED, max_examples=200)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_the_invariants_hold_on_100000_generated_names(seed: int) -> None:
    # a seed per batch of 500: drawing each of the batch's choices through hypothesis would
    # overflow its buffer (too large to generate)
    rng = random.Random(seed)
    given_names, surnames = vocabulary()
    records = [owner_record(rng.choice, given_names, surnames) for _ in range(500)]
    found = envelope_violations(records)
    assert not found, _explained(found, len(records))
