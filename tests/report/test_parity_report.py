"""parity.json against its schema and the comparison; parity.html self-contained and escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from propmail.cli import main
from propmail.db import connect
from propmail.inputs import Inputs
from propmail.parity import ParityResult, run_parity
from propmail.report.parity import build_parity, parity_schema, render_parity
from propmail.settings import load_rules
from tests.test_parity import plant


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[ParityResult, str, Path]:
    folder = tmp_path_factory.mktemp("parity")
    url = f"sqlite:///{folder / 'legacy.db'}"
    backend = connect(url)
    try:
        found = plant(backend, load_rules(), folder)
        result = run_parity(Inputs.gather(found.upload), 40, backend=backend, suggest=True)
    finally:
        backend.dispose()
    return result, url, found.upload


def validate(report: dict[str, object]) -> None:
    checker = jsonschema.FormatChecker()
    jsonschema.Draft202012Validator(parity_schema(), format_checker=checker).validate(report)


def test_parity_json_validates_and_holds_the_comparison(
    planted: tuple[ParityResult, str, Path],
) -> None:
    result, _, _ = planted
    report = build_parity(result)
    validate(report)
    by_column = {c["column"]: c for c in report["columns"]}
    trust = by_column["Location.IsTrust"]
    assert trust["disagree"] == result.column("Location.IsTrust").disagree > 0
    assert trust["patterns"][0]["examples"][0]["reason"].startswith("keyword ")
    assert report["rows"]["compared"] == result.compared
    assert report["suggestions"][0]["setting"] == result.suggestions[0].setting
    with pytest.raises(jsonschema.ValidationError):
        validate({**report, "surprise": 1})
    with pytest.raises(jsonschema.ValidationError):
        validate({k: v for k, v in report.items() if k != "columns"})


def test_parity_html_loads_nothing_and_escapes_what_it_prints(
    planted: tuple[ParityResult, str, Path],
) -> None:
    result, _, _ = planted
    report = build_parity(result)
    page = render_parity({**report, "upload": "=<b>x</b>.csv"})
    lowered = page.lower()
    assert "content-security-policy" in lowered and "default-src 'none'" in lowered
    for needle in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src="):
        assert needle not in lowered, needle
    assert all(link.startswith("#") for link in re.findall(r'href="([^"]*)"', page))
    assert "<b>" not in page and "&#39;=&lt;b&gt;x&lt;/b&gt;.csv" in page
    assert "Location.OwnerGrantorMatch: " in page and "style = &#34;propercase&#34;" in page


def test_the_command_writes_both_files_and_prints_the_table(
    planted: tuple[ParityResult, str, Path], tmp_path: Path
) -> None:
    _, url, upload = planted
    ran = CliRunner().invoke(
        main,
        ["parity", str(upload), "--region", "40", "--db", url, "--report", str(tmp_path / "r")],
    )
    assert ran.exit_code == 0, ran.output
    assert "agreement per column" in ran.output and "Location.OwnerGrantorMatch" in ran.output
    validate(json.loads((tmp_path / "r" / "parity.json").read_text("utf-8")))
    assert (tmp_path / "r" / "parity.html").read_text("utf-8").startswith("<!DOCTYPE html>")
