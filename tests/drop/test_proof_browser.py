"""The proof page in a real browser: headless Chromium opens drop.html from the file system,
as report.html is opened (tests/report/test_report_browser.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.drop.conftest import Region, row
from tests.report.chromium import find_chromium, visit

HOSTILE = '<script>alert(1)</script> & =HYPERLINK("http://x.test")'


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        message = "headless Chromium not found (install `chromium` or set PROPMAIL_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message + " -- CI must run the browser test")
        pytest.skip(message)
    return binary


@pytest.mark.parametrize("region", ["sqlite"], indirect=True)
def test_the_proof_opens_without_errors_or_requests_and_shows_the_drop(
    region: Region, chromium: str, tmp_path: Path
) -> None:
    region.load(
        [
            row("PR1", OwnerName=HOSTILE, LocationAddress1=HOSTILE),
            row("PR2", DoNotMail="Y"),
            row("PR3", owner="SAME"),
            row("PR4", owner="SAME"),
        ]
    )
    region.cadence(26, 1)
    report = tmp_path / "proof"
    region.run("drop", "plan", "--region", "40", "--date", "2026-12-07", "--report", str(report))
    proof = json.loads((report / "drop.json").read_text())
    seen = visit(report / "drop.html", tmp_path / "profile", chromium)
    assert seen.errors == []
    assert seen.requests == []
    assert f"{proof['pieces']:,}\npieces" in seen.summary
    assert "1\nowners collapsed" in seen.summary
    assert "PLANNED" in seen.text and "Owner.DoNotMail" in seen.text
    assert "cost at 0.65 a piece" in seen.summary
    # the hostile name and address are shown as text, never run
    assert "<script>alert(1)</script>" in seen.text
    assert "<Script>" in seen.text
    assert "<script>alert" not in (report / "drop.html").read_text()
    assert "PR1" in seen.text
