"""The manifest: listed jobs, the glob form, every bad key named at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from propmail.batch.manifest import load_manifest
from propmail.errors import SettingsError


def test_listed_jobs_resolve_paths_against_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(
        '[[job]]\nregion = 40\nupload = "uploads/roanoke.xlsx"\n'
        'niche = ["Liens=niche/liens.csv", "niche/Probate.xlsx"]\nrules = "r.toml"\n',
        encoding="utf-8",
    )
    (job,) = load_manifest(tmp_path / "m.toml").jobs
    assert job.key == "40:uploads/roanoke.xlsx"
    assert job.upload == tmp_path / "uploads/roanoke.xlsx"
    assert job.niche == (
        f"Liens={tmp_path / 'niche/liens.csv'}",
        f"Probate={tmp_path / 'niche/Probate.xlsx'}",
    )
    assert job.rules == tmp_path / "r.toml" and job.mapping is None


def test_a_month_leads_the_key_of_every_job(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(
        'month = "2026-11"\n[[job]]\nregion = 40\nupload = "uploads/roanoke.xlsx"\n',
        encoding="utf-8",
    )
    (job,) = load_manifest(tmp_path / "m.toml").jobs
    assert (job.key, job.month) == ("2026-11:40:uploads/roanoke.xlsx", "2026-11")
    assert job.of_month("2026-11") == job
    with pytest.raises(SettingsError, match="is of month 2026-11, not 2026-12"):
        job.of_month("2026-12")


def test_the_glob_form_makes_one_job_per_matching_file(tmp_path: Path) -> None:
    for folder, region in (("va", 40), ("va", 41), ("nc", 7)):
        (tmp_path / "uploads" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "uploads" / folder / f"region-{region}.xlsx").touch()
    (tmp_path / "uploads" / "va" / "region-x.xlsx").touch()  # no region in the name: not a job
    (tmp_path / "m.toml").write_text(
        '[[job]]\nupload = "uploads/*/region-{region}.xlsx"\n'
        'niche = ["Liens=niche/liens-{region}.csv"]\n',
        encoding="utf-8",
    )
    jobs = load_manifest(tmp_path / "m.toml").jobs
    assert [(j.region, j.upload.parent.name) for j in jobs] == [(7, "nc"), (40, "va"), (41, "va")]
    assert jobs[1].niche == (f"Liens={tmp_path / 'niche/liens-40.csv'}",)


def test_every_bad_key_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(
        "max_concurrent_loads = 0\ncolour = 1\n"
        '[[job]]\nregion = "forty"\nupload = "a.csv"\n'
        '[[job]]\nregion = 2\nupload = "b.csv"\nniche = [3]\nextra = true\n'
        '[[job]]\nupload = "nothing-{region}.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as caught:
        load_manifest(tmp_path / "m.toml")
    message = str(caught.value)
    for part in (
        "m.toml",
        "max_concurrent_loads: must be 1 or more",
        "colour: unknown key",
        "job[0].region: expected a whole number",
        "job[1].niche[0]: expected a non-empty string",
        "job[1].extra: unknown key",
        "job[2].upload: no file matches",
    ):
        assert part in message


def test_a_job_listed_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(
        '[[job]]\nregion = 1\nupload = "a.csv"\n[[job]]\nregion = 1\nupload = "a.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match=r"job 1:a\.csv is listed twice"):
        load_manifest(tmp_path / "m.toml")


def test_a_bad_month_is_named(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(
        'month = "2026-13"\n[[job]]\nregion = 1\nupload = "a.csv"\n', encoding="utf-8"
    )
    with pytest.raises(SettingsError, match=r"month: expected a month as YYYY-MM"):
        load_manifest(tmp_path / "m.toml")
