"""verify-slugs: the match rate of each slug style against the slugs a database holds."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import text

from propmail import synth
from propmail.db import Backend
from propmail.inputs import Inputs
from propmail.job import run_job
from propmail.rules.slug import slug_expr
from propmail.settings import Rules
from propmail.verify import verify_slugs
from tests.db.helpers import MONTH1, by_key


def loaded(backend: Backend, rules: Rules, tmp_path: Path, rows: int = 300) -> int:
    backend.init({40: "Roanoke"}, rules)
    path = tmp_path / "upload.csv"
    synth.upload(rows, seed=21).write_csv(path)
    load = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1).load
    assert load is not None
    return load.owners_inserted


def rates(backend: Backend, **kwargs: int) -> dict[str, int]:
    check = verify_slugs(backend, **kwargs)
    return {m.style: m.matched for m in check.styles}


def test_every_slug_propmail_wrote_matches_the_default_style(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    owners = loaded(backend, rules, tmp_path)
    check = verify_slugs(backend, batch_rows=70)  # several batches
    assert check.owners == owners and check.unusable == 0
    matched = {m.style: m for m in check.styles}
    assert matched["underscore"].matched == owners
    assert check.rate(matched["underscore"]) == 1.0
    assert matched["underscore"].mismatches == []
    assert check.best.style == "underscore"
    # the other style reproduces none of them, and shows what it would have made
    assert matched["propercase"].matched == 0
    assert len(matched["propercase"].mismatches) == 5


def test_planted_propercase_slugs_give_the_right_rates(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    owners = loaded(backend, rules, tmp_path)
    stored = pl.DataFrame(
        [
            (o["OwnerId"], o["Address1"], o["Zip"])
            for o in by_key(backend, "Owner", "Slug").values()
        ],
        schema=["OwnerId", "Address1", "Zip"],
        orient="row",
    ).sort("OwnerId")
    planted = stored.head(120).with_columns(
        slug_expr("propercase", "Address1", "Zip").alias("Slug")
    )
    with backend.engine.begin() as conn:
        conn.execute(
            text('UPDATE "Owner" SET "Slug" = :slug WHERE "OwnerId" = :id'),
            [{"slug": s, "id": i} for i, s in planted.select("OwnerId", "Slug").iter_rows()],
        )
    assert rates(backend, batch_rows=50) == {"underscore": owners - 120, "propercase": 120}
    check = verify_slugs(backend, sample=3)
    underscore = next(m for m in check.styles if m.style == "underscore")
    planted_slugs = set(planted["Slug"])
    assert [m["Slug"] in planted_slugs for m in underscore.mismatches] == [True] * 3


def test_owners_without_street_or_zip_are_counted_apart(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    owners = loaded(backend, rules, tmp_path, rows=50)
    with backend.engine.begin() as conn:
        conn.execute(
            text(
                'UPDATE "Owner" SET "Zip" = NULL '
                'WHERE "OwnerId" IN (SELECT MIN("OwnerId") FROM "Owner")'
            )
        )
    check = verify_slugs(backend)
    assert check.unusable == 1
    assert rates(backend) == {"underscore": owners - 1, "propercase": 0}
