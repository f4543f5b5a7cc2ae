"""An upload identical to its region's last load is recognised before any rule runs.

The same files and settings the same day, with no load or undo of the region since: nothing
is read or loaded, the UploadLog row is done and names the load it repeats. Anything else
(a changed niche list, a changed rules file, an undo between, a load of another file between,
another day, `--force`) runs in full.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from unittest import mock

import polars as pl
import pytest

from propmail import job, synth
from propmail.db import Backend
from propmail.db.schema import State
from propmail.inputs import Inputs
from propmail.job import JobResult, load_options, run_job
from propmail.overrides import default_rules_text
from propmail.settings import Rules
from tests.db.helpers import MONTH1, checksum

DATA = ("Region", "ListPriority", "RegionListFrequency", "Owner", "Location")
REGION = 40
LATER = MONTH1 + timedelta(hours=3)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rows = synth.upload(300, seed=31)
    upload = tmp_path / "upload.csv"
    rows.write_csv(upload)
    liens = tmp_path / "Liens.csv"
    synth.niche(rows, 0.05, seed=5).write_csv(liens)
    return upload, liens


@pytest.fixture
def loaded(backend: Backend, rules: Rules, files: tuple[Path, Path]) -> JobResult:
    backend.init({REGION: "Roanoke"}, load_options(rules))
    upload, liens = files
    return run_job(Inputs.gather(upload, [str(liens)]), REGION, backend=backend, now=MONTH1)


def rerun(backend: Backend, inputs: Inputs, **kwargs: object) -> tuple[JobResult, bool]:
    """The job again, and whether any rule ran (the pipeline was called)."""
    with mock.patch.object(job.pipeline, "run", wraps=job.pipeline.run) as pipeline_run:
        result = run_job(inputs, REGION, backend=backend, now=LATER, **kwargs)  # type: ignore[arg-type]
    return result, pipeline_run.called


def test_the_same_files_the_same_day_load_nothing_and_say_which_load_they_repeat(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    upload, liens = files
    before = checksum(backend, DATA)
    first_id = loaded.load.upload_log_id if loaded.load else None

    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))

    assert not ran
    assert result.identical_to == first_id
    assert result.load is not None and result.load.upload_log_id != first_id
    assert checksum(backend, DATA) == before
    row = backend.upload_log(result.load.upload_log_id)
    assert row["ProcessingState"] == State.DONE
    assert row["RowsProcessed"] == 300
    assert row["ErrorMessage"] == f"identical to upload {first_id}: nothing loaded"
    # a repeat of a repeat still names the load that ran
    third, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))
    assert not ran and third.identical_to == first_id


def test_the_summary_says_the_upload_is_identical(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    from propmail.summary import summary_rows

    upload, liens = files
    result, _ = rerun(backend, Inputs.gather(upload, [str(liens)]))
    labels = [label for label, _ in summary_rows(result)]
    assert f"identical to upload {result.identical_to}" in labels


def test_force_runs_the_same_files_in_full(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    upload, liens = files
    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]), force=True)
    assert ran and result.identical_to is None
    assert result.load is not None and result.load.locations_unchanged == 300


def test_a_changed_niche_list_runs(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    upload, liens = files
    niche = pl.read_csv(liens, infer_schema=False)
    niche.head(niche.height - 1).write_csv(liens)
    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))
    assert ran and result.identical_to is None


def test_a_changed_rules_file_runs(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path], tmp_path: Path
) -> None:
    upload, liens = files
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        default_rules_text().replace("update_window_months = 6", "update_window_months = 5")
    )
    inputs = Inputs.gather(upload, [str(liens)], rules_file)
    assert inputs.rules.update_window_months == 5
    result, ran = rerun(backend, inputs)
    assert ran and result.identical_to is None


def test_an_undo_between_runs(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    upload, liens = files
    assert loaded.load is not None
    backend.undo(loaded.load.upload_log_id)
    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))
    assert ran and result.identical_to is None
    assert result.load is not None and result.load.locations_inserted == 300


def test_an_undo_of_a_later_load_between_runs(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    upload, liens = files
    forced, _ = rerun(backend, Inputs.gather(upload, [str(liens)]), force=True)
    assert forced.load is not None
    backend.undo(forced.load.upload_log_id)
    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))
    assert ran and result.identical_to is None


def test_a_load_of_another_file_between_runs(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path], tmp_path: Path
) -> None:
    upload, liens = files
    other = tmp_path / "other.csv"
    synth.upload(200, seed=77).write_csv(other)
    between, ran = rerun(backend, Inputs.gather(other))
    assert ran and between.identical_to is None
    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))
    assert ran and result.identical_to is None


def test_the_next_day_runs(backend: Backend, loaded: JobResult, files: tuple[Path, Path]) -> None:
    upload, liens = files
    inputs = Inputs.gather(upload, [str(liens)])
    result = run_job(inputs, REGION, backend=backend, now=MONTH1 + timedelta(days=1))
    assert result.identical_to is None


def test_a_failed_load_between_still_repeats(
    backend: Backend, loaded: JobResult, files: tuple[Path, Path]
) -> None:
    upload, liens = files
    failed = backend.open_upload_log(REGION, "broken.csv", LATER)
    backend.fail(failed, "rolled back", LATER)
    result, ran = rerun(backend, Inputs.gather(upload, [str(liens)]))
    assert not ran and result.identical_to is not None


def test_the_content_hash_streams_and_changes_with_each_input(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    upload, liens = files
    inputs = Inputs.gather(upload, [str(liens)])
    assert inputs.content_hash(REGION) == Inputs.gather(upload, [str(liens)]).content_hash(REGION)
    assert inputs.content_hash(REGION) != inputs.content_hash(REGION + 1)
    assert inputs.content_hash(REGION) != Inputs.gather(upload).content_hash(REGION)
    mapped = Inputs.gather(upload, [str(liens)], mapping="canonical")
    assert inputs.content_hash(REGION) != mapped.content_hash(REGION)
    sizes: list[int] = []

    class Recorded:
        def __init__(self, path: Path, mode: str) -> None:
            self.handle = open(path, mode)  # noqa: SIM115

        def __enter__(self) -> Recorded:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def read(self, size: int = -1) -> bytes:
            sizes.append(size)
            return self.handle.read(size)

    with mock.patch("propmail.inputs.open", Recorded, create=True):
        streamed = inputs.content_hash(REGION)
    assert streamed == inputs.content_hash(REGION)
    assert sizes and set(sizes) == {1 << 20}  # a megabyte at a time, never the whole file
