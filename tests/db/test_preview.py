"""The dry run on every backend: nothing written, and the load then does what it predicted."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from propmail import synth
from propmail.db import Backend, LoadResult
from propmail.errors import InputError
from propmail.inputs import Inputs
from propmail.job import load_options, run_job
from propmail.settings import Rules
from tests.db.helpers import MONTH1, MONTH2, by_key, checksum
from tests.db.test_monthly import AGED, age, month_files


def counts(result: LoadResult) -> dict[str, object]:
    """What a load reports, without the bookkeeping only a real load has."""
    data = result.as_dict()
    for key in ("upload_log_id", "processing_state"):
        data.pop(key)
    return data


def dry_then_real(backend: Backend, path: Path, now: datetime) -> tuple[LoadResult, LoadResult]:
    """A dry run must leave every table as it was; then the real load of the same file."""
    before = checksum(backend)
    dry = run_job(Inputs.gather(path), 40, backend=backend, dry_run=True, now=now)
    assert checksum(backend) == before  # every table, UploadLog included
    assert dry.load is None and dry.preview is not None
    # --force: loaded in full even when identical to the last load, as the dry run compares
    real = run_job(Inputs.gather(path), 40, backend=backend, now=now, force=True).load
    assert real is not None
    return dry.preview.counts, real


def test_dry_run_writes_nothing_and_predicts_the_first_load(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke", 41: "Salem"}, load_options(rules))
    p1, _ = month_files(tmp_path)
    predicted, real = dry_then_real(backend, p1, now=MONTH1)
    assert real.locations_inserted == 400 and real.new_codes
    assert counts(predicted) == counts(real)


def test_dry_run_predicts_a_monthly_update_with_frozen_rows(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    p1, p2 = month_files(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    age(backend, AGED)
    predicted, real = dry_then_real(backend, p2, now=MONTH2)
    assert real.locations_frozen == len(AGED) and real.locations_updated > 0
    assert real.locations_inserted == 30 and real.new_codes
    assert counts(predicted) == counts(real)


def test_dry_run_predicts_a_same_day_rerun(backend: Backend, rules: Rules, tmp_path: Path) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    p1, _ = month_files(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    predicted, real = dry_then_real(backend, p1, now=MONTH1.replace(hour=18))
    assert (real.owners_inserted, real.owners_updated, real.locations_unchanged) == (0, 0, 400)
    assert counts(predicted) == counts(real)


def test_a_new_owner_counts_as_a_change_even_where_the_old_owner_id_is_null(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    # Same day, same location data, but a new owner (new slug) for rows whose stored OwnerId
    # is NULL (as legacy data may have): the load rewrites them, so the dry run must say so.
    backend.init({40: "Roanoke"}, load_options(rules))
    p1, _ = month_files(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    moved = [f"{i:012d}" for i in range(100, 110)]
    ids = ", ".join(f"'{p}'" for p in moved)
    with backend.engine.begin() as conn:
        conn.execute(text(f'UPDATE "Location" SET "OwnerId" = NULL WHERE "PrimaryId" IN ({ids})'))
    frame = pl.read_csv(p1, infer_schema=False).with_columns(
        pl.when(pl.col("LocationPrimaryId").is_in(moved))
        .then(pl.format("{} NEW OWNER WAY", pl.col("LocationPrimaryId").str.slice(9)))
        .otherwise(pl.col("OwnerAddress1"))
        .alias("OwnerAddress1")
    )
    changed = tmp_path / "new_owners.csv"
    frame.write_csv(changed)
    predicted, real = dry_then_real(backend, changed, now=MONTH1.replace(hour=18))
    assert real.owners_inserted == len(moved)
    assert counts(predicted) == counts(real)


def plant_codes(backend: Backend, planted: dict[str, str]) -> None:
    with backend.engine.begin() as conn:
        for parcel, code in planted.items():
            conn.execute(
                text('UPDATE "Location" SET "PriorityCode" = :code WHERE "PrimaryId" = :parcel'),
                {"code": code, "parcel": parcel},
            )


def test_parity_reports_exactly_the_planted_code_changes(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    # A database last loaded by the legacy procedure: some locations carry codes propmail
    # would not give them. The parity view must list exactly those, by old -> new code.
    backend.init({40: "Roanoke"}, load_options(rules))
    path = tmp_path / "upload.csv"
    synth.upload(300, seed=11).write_csv(path)
    run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1)
    stored = {p: row["PriorityCode"] for p, row in by_key(backend, "Location", "PrimaryId").items()}
    planted = {f"{i:012d}": "LEGACY-A" for i in range(1, 31)}
    planted |= {f"{i:012d}": "LEGACY-B" for i in range(200, 207)}
    plant_codes(backend, planted)
    aged = [f"{i:012d}" for i in range(1, 11)]  # outside the window: would not change
    age(backend, aged)
    before = checksum(backend)

    preview = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH2, dry_run=True).preview
    assert preview is not None
    assert checksum(backend) == before

    expected = Counter((code, stored[parcel]) for parcel, code in planted.items())
    found = {(c.old_code, c.new_code): c for c in preview.parity}
    assert {pair: c.locations for pair, c in found.items()} == dict(expected)
    assert preview.existing == 300
    assert preview.code_changes == len(planted)
    assert preview.same_code == 300 - len(planted)
    for (old, new), change in found.items():
        members = sorted(p for p, code in planted.items() if code == old and stored[p] == new)
        assert change.frozen == len([p for p in members if p in aged])
        assert change.examples == members[: len(change.examples)]
        assert 1 <= len(change.examples) <= 5
    # largest group first
    assert [c.locations for c in preview.parity] == sorted(
        (c.locations for c in preview.parity), reverse=True
    )


def test_parity_is_empty_when_the_codes_agree(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    p1, _ = month_files(tmp_path)
    run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH1)
    preview = run_job(Inputs.gather(p1), 40, backend=backend, now=MONTH2, dry_run=True).preview
    assert preview is not None
    assert (preview.parity, preview.existing, preview.same_code) == ([], 400, 400)
    assert preview.counts.new_codes == []


def test_dry_run_needs_the_region(backend: Backend, rules: Rules, tmp_path: Path) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    p1, _ = month_files(tmp_path)
    before = checksum(backend)
    with pytest.raises(InputError, match="region 99"):
        run_job(Inputs.gather(p1), 99, backend=backend, dry_run=True)
    assert checksum(backend) == before
