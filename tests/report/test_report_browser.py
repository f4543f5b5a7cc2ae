"""report.html in a real browser: headless Chromium opens it from the file system."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from propmail.report import write_report
from tests.report.chromium import PageVisit, find_chromium, visit
from tests.report.conftest import Job


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        message = (
            "headless Chromium not found (install the Debian package `chromium`, "
            "or set PROPMAIL_CHROMIUM to its path)"
        )
        if os.environ.get("CI"):
            pytest.fail(message + " -- CI must run the browser test")
        pytest.skip(message)
    return binary


def open_page(page: Path, chromium: str, tmp_path: Path) -> PageVisit:
    return visit(page, tmp_path / "profile", chromium)


def test_the_harness_sees_requests_and_console_errors(chromium: str, tmp_path: Path) -> None:
    # Without this the test below could pass against a browser that reports nothing.
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><html><body><p id="summary">42</p>'
        '<img src="http://127.0.0.1:9/pixel.png"><script>console.error("boom")</script>'
        "</body></html>"
    )
    seen = open_page(page, chromium, tmp_path)
    assert seen.summary == "42"
    assert "http://127.0.0.1:9/pixel.png" in seen.requests
    assert any("boom" in e for e in seen.errors)


@pytest.mark.parametrize("mode", ["dry_job", "load_job"])
def test_report_html_opens_without_errors_or_requests_and_shows_the_summary(
    mode: str, request: pytest.FixtureRequest, chromium: str, tmp_path: Path
) -> None:
    job: Job = request.getfixturevalue(mode)
    files = write_report(job.result, tmp_path / "report")
    seen = open_page(files.html, chromium, tmp_path)
    assert seen.errors == []
    assert seen.requests == []
    summary = job.result
    for number, label in (
        (summary.figures.rows, "rows read"),
        (summary.processed.rejects.height, "rows rejected"),
        (summary.processed.owners.height, "owners"),
        (summary.processed.locations.height, "locations"),
    ):
        assert f"{number:,}\n{label}" in seen.summary
    if mode == "dry_job":
        assert "DRY RUN: nothing was written" in seen.text
        assert "'=LEGACY" in seen.text
    else:
        assert "LOADED, UploadLogId 1" in seen.text
    assert "Rejected rows" in seen.text and "Column completeness" in seen.text
    assert "Stack count: lists per location" in seen.text and "0 lists" in seen.text
