"""The invariants of the envelope name hold on every real owner field of `../shared/realdata`.

Every record of every extract, in the canonical layout of `extracts.py`, is named by the rules
(each extract as one upload: the column's evidence is part of the rule) and checked by the
rule-free checker of `tests/rules/envelope_invariants.py`. Skipped, saying so, without the data.
"""

from __future__ import annotations

import polars as pl
import pytest

from propmail.rules import classification, names
from propmail.settings import load_rules
from tests.realdata.extracts import EXTRACTS, Extract, realdata_dir, records
from tests.rules.envelope_invariants import OWNER_FIELDS, violations

pytestmark = pytest.mark.skipif(
    not realdata_dir().is_dir(),
    reason=f"the real extracts are not at {realdata_dir()} (set $PROPMAIL_REALDATA)",
)


def broken(extract: Extract) -> list[tuple[int, dict[str, str | None], str | None, list[str]]]:
    """(row, owner fields, envelope, why) of each record whose envelope breaks an invariant."""
    rows = [(row, extract.canonical(r)) for row, r in records(extract)]
    owners = [{f: (c.get(f) or None) for f in OWNER_FIELDS} for _, c in rows]
    frame = pl.DataFrame(owners, schema={f: pl.String for f in OWNER_FIELDS})
    rules = load_rules()
    flagged = classification.derive(frame, rules.classification)
    named = names.derive(flagged, rules.names, rules.classification)
    printed = named["AlternateName"].to_list()
    found = []
    for (row, _), fields, envelope in zip(rows, owners, printed, strict=True):
        why = violations({k: v for k, v in fields.items() if v}, envelope)
        if why:
            found.append((row, fields, envelope, why))
    return found


@pytest.mark.parametrize("extract", EXTRACTS, ids=lambda e: e.file.removesuffix(".csv"))
def test_the_invariants_hold_on_every_real_owner_field(extract: Extract) -> None:
    found = broken(extract)
    shown = "\n".join(f"  row {r}: {f} -> {e!r}: {'; '.join(w)}" for r, f, e, w in found[:10])
    assert not found, f"{len(found)} envelope names break an invariant, e.g.:\n{shown}"
