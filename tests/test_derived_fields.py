"""Each derived field is named once, in `propmail.contract.DERIVED`; every list of them follows.

A new derived flag, say ``IsVacantLot`` added by `propmail.rules.occupancy` and stored on
Location, needs these files and no other:

- its rule module, ``src/propmail/rules/occupancy.py``: the column added in `derive`;
- ``src/propmail/contract.py``: its row in `DERIVED` (SPEC order) and, if stored, in `STORED`;
- the T-SQL in ``src/propmail/db/mssql/`` (schema.sql, PropmailStageJson.sql,
  ProcessPythonEnhancedData.sql, PropmailUndoLoad.sql), which ``tests/mssql/`` checks against
  `STORED`;
- its fixture, ``tests/fixtures/occupancy_cases.csv``, read by ``tests/rules/test_occupancy.py``.

The report, the API's summary, parity, explain, the pipeline and `settings` take it from the
contract: the tests below say so, by importing each list and comparing it with the contract,
and by reading every module for a list that spells derived flags by hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest

from propmail import api, contract, explain, job, parity, pipeline, synth
from propmail.contract import COUNTED, DERIVED, FLAG, FLAGS, STORED, added_by
from propmail.read import read_upload
from propmail.rules import classification, slug
from propmail.settings import load_rules

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "propmail"
# Modules that may spell derived flags in a literal list, and why.
ALLOWED = {
    "contract.py": "the table itself",
    "rules": "a rule decides with its own fields and its inputs (names.ORGANISATION_FLAGS)",
    "api.py": "the guide's DatabaseIntegrator: the columns a caller's frame must hold",
}
ORDER = [d.name for d in DERIVED]


def _in_contract_order(names: list[str]) -> bool:
    return [ORDER.index(n) for n in names] == sorted(ORDER.index(n) for n in names)


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    path = tmp_path_factory.mktemp("derived") / "upload.csv"
    synth.upload(200, seed=3).write_csv(path)
    return read_upload(path).frame


@pytest.fixture(scope="module")
def processed(upload: pl.DataFrame) -> pipeline.Processed:
    return pipeline.run(upload, load_rules())


def test_each_rule_adds_the_fields_the_contract_gives_it(
    upload: pl.DataFrame, processed: pipeline.Processed
) -> None:
    frame = upload
    rules = load_rules()
    for rule in pipeline.RULES:
        before = frame.columns
        frame = pipeline.apply(rule, frame, rules)
        added = [c for c in frame.columns if c not in before]
        assert tuple(added) == added_by(rule.__module__.rsplit(".", 1)[-1]), rule.__module__
    made = [c for c in processed.processed.columns if c not in upload.columns]
    assert made == [n for n in ORDER if n in made]  # in the contract's order
    assert set(ORDER) - set(made) == {"FullAddress"}  # made per owner
    assert "FullAddress" in processed.owners.columns
    assert added_by("slug") == ("OwnerSlug",) and pipeline.takes(slug.derive) == ("slug_style",)


def test_every_list_of_derived_fields_is_the_contracts(
    upload: pl.DataFrame, processed: pipeline.Processed
) -> None:
    assert added_by("classification") == classification.FLAGS
    assert tuple(classification.MATCHED_FLAGS.values()) == classification.FLAGS
    assert tuple(d.name for d in DERIVED if d.kind == FLAG) == FLAGS
    # the API's summary counts every flag, the report every flag and IsAbsentee
    summary = api._processing_summary(processed)
    assert tuple(summary["flags"]) == FLAGS
    loadable = job.figures(upload, processed).loadable.columns
    assert tuple(loadable) == (*COUNTED, "BasePriorityCode")
    # parity compares every stored column a derived field fills, in the contract's order
    filled = {
        f"{c.table}.{c.name}" for c in STORED if c.derived and not c.staged_only
    }  # fmt: skip
    sources = {f"{c.table}.{c.name}": c.source for c in STORED}
    stored = [c for c in parity.DERIVED_ORDER if c in sources]
    assert set(stored) == filled
    assert _in_contract_order([sources[c] for c in stored])


def test_explain_shows_every_flag_in_the_contracts_order(
    processed: pipeline.Processed,
) -> None:
    parcel = processed.processed["LocationPrimaryId"][0]
    sections = explain.Explainer(processed, load_rules()).explain(parcel).sections
    # the owner name as read comes first; the stack count, read from ListCode, last
    assert next(iter(sections)) == "owner name" and list(sections)[-1] == "stack count"
    shown = list(sections)[1:-1]
    assert set(FLAGS) <= set(shown)
    assert _in_contract_order(shown)


def _flag_lists(path: Path) -> list[tuple[int, list[str]]]:
    """The literal tuples, lists and sets of two or more strings in `path` naming a flag."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            strings = [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            if len(strings) >= 2 and set(strings) & set(FLAGS):
                found.append((node.lineno, strings))
    return found


def test_no_module_spells_a_list_of_derived_flags_by_hand() -> None:
    restated = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ALLOWED:
            continue
        restated.update({f"{relative}:{line}": names for line, names in _flag_lists(path)})
    assert restated == {}, "take these from propmail.contract (FLAGS, COUNTED, added_by)"


def test_the_check_finds_a_list_spelled_by_hand(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text('SHOWN = ("IsTrust", "IsChurch")\nONE = ("IsTrust",)\n')
    assert _flag_lists(module) == [(1, ["IsTrust", "IsChurch"])]
    assert contract.__file__ and (PACKAGE / "contract.py").exists()
