"""report.json against its schema and the job, rejects.csv, and formula injection."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest

from propmail.contract import KEEP_STORED, SOURCE_ROW, UPLOAD_COLUMNS
from propmail.inputs import Inputs
from propmail.job import prepare
from propmail.read import read_upload
from propmail.report import ReportFiles, build, render, schema, write_report
from propmail.report.cells import FORMULA_START, as_text, neutralize
from propmail.rules.occupancy import SiteQuality, site_quality
from propmail.settings import load_rules
from propmail.summary import summary_rows
from tests.report.conftest import HOSTILE, Job


def written(job: Job, folder: Path) -> tuple[ReportFiles, dict[str, Any]]:
    files = write_report(job.result, folder)
    return files, json.loads(files.json.read_text("utf-8"))


def validate(report: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    validator.validate(report)


@pytest.mark.parametrize("mode", ["dry_job", "load_job"])
def test_report_json_validates_against_its_schema(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    job: Job = request.getfixturevalue(mode)
    _, report = written(job, tmp_path)
    validate(report)
    assert report["mode"] == ("dry-run" if mode == "dry_job" else "load")
    assert (report["dry_run"] is None) == (mode == "load_job")
    assert (report["load"] is None) == (mode == "dry_job")


def test_the_schema_rejects_unknown_and_missing_keys(dry_job: Job, tmp_path: Path) -> None:
    _, report = written(dry_job, tmp_path)
    with pytest.raises(jsonschema.ValidationError):
        validate({**report, "surprise": 1})
    with pytest.raises(jsonschema.ValidationError):
        validate({k: v for k, v in report.items() if k != "summary"})
    with pytest.raises(jsonschema.ValidationError):
        validate({**report, "summary": {**report["summary"], "rows_read": -1}})


def test_report_numbers_are_the_jobs(dry_job: Job, tmp_path: Path) -> None:
    _, report = written(dry_job, tmp_path)
    result = dry_job.result
    processed = result.processed
    assert report["summary"] == {
        "rows_read": 122,
        "rows_rejected": 2,
        "owners": processed.owners.height,
        "locations": 120,
        "list_codes": processed.locations["PriorityCode"].n_unique(),
        "new_list_codes": len(result.preview.counts.new_codes),  # type: ignore[union-attr]
        "seconds": report["summary"]["seconds"],
        "warnings": [],  # a plausible upload: no guard warns
    }
    upload, _, rows = prepare(Inputs(dry_job.upload))  # the job's result keeps no rows of these
    loadable = rows.processed.join(processed.rejects, on=SOURCE_ROW, how="anti")
    flags = {f["flag"]: f["rows"] for f in report["flags"]}
    assert flags["IsTrust"] == loadable["IsTrust"].sum()
    assert flags["IsAbsentee"] == loadable["IsAbsentee"].sum()
    assert sum(c["rows"] for c in report["list_codes"]) == 120
    assert sum(c["rows"] for c in report["base_codes"]) == 120
    # the stack count per location, from its final code: the Liens niche list adds one
    stacks = {s["lists"]: s["rows"] for s in report["stack_counts"]}
    assert sum(stacks.values()) == 120
    on_liens = sum(c["rows"] for c in report["list_codes"] if c["code"].startswith("Liens - "))
    assert on_liens == 10 and sum(stacks[n] for n in stacks if n >= 1) >= on_liens
    plain = sum(c["rows"] for c in report["list_codes"] if "-" not in c["code"])
    assert stacks.get(0, 0) == plain
    completeness = {c["column"]: c for c in report["completeness"]}
    assert list(completeness) == list(UPLOAD_COLUMNS)
    filled = upload.frame["DoNotMail"].is_not_null().sum()
    assert completeness["DoNotMail"]["filled"] == filled
    assert completeness["LocationPrimaryId"]["percent"] == 100.0
    reasons = {r["reason"] for r in report["rejects"]["by_reason"]}
    assert any(r.startswith("empty owner street") for r in reasons)
    assert "duplicate parcel id: a later row of the file with the same id is kept" in reasons
    (liens,) = report["niche"]
    assert (liens["rows"], liens["unmatched"]["total"]) == (12, 2)
    parity = report["dry_run"]["parity"]
    assert {c["old_code"] for c in parity["changes"]} == {"=LEGACY"}
    assert parity["changed_code"] == sum(c["locations"] for c in parity["changes"]) == 2
    examples = sorted(e for c in parity["changes"] for e in c["examples"])
    assert examples == ["000000000002", "000000000003"]


def test_the_job_result_keeps_no_upload_rows_but_what_the_report_reads_of_them(
    load_job: Job,
) -> None:
    result = load_job.result
    assert (result.upload.frame.height, result.processed.processed.height) == (0, 0)
    assert result.upload.frame.columns == [*UPLOAD_COLUMNS, SOURCE_ROW, KEEP_STORED]
    assert (result.figures.rows, result.figures.filled["LocationPrimaryId"]) == (122, 122)
    assert result.figures.rejected.columns == [SOURCE_ROW, "reason", *UPLOAD_COLUMNS]
    assert result.figures.rejected[SOURCE_ROW].to_list() == [2, 122]
    assert result.figures.loadable.height == result.processed.locations.height == 120


def test_rejects_csv_holds_every_rejected_row_as_read_with_its_reason(
    load_job: Job, tmp_path: Path
) -> None:
    files, _ = written(load_job, tmp_path)
    with files.rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["row"] for r in rows] == ["2", "122"]
    by_row = {r["row"]: r for r in rows}
    assert set(rows[0]) == {"row", "reason", *UPLOAD_COLUMNS}
    hostile = next(r for r in rows if r["reason"].startswith("empty owner street"))
    assert hostile["OwnerName"] == "'" + HOSTILE["OwnerName"]
    assert hostile["LocationGrantor"] == HOSTILE["LocationGrantor"]
    duplicate = next(r for r in rows if r["reason"].startswith("duplicate parcel id"))
    source = pl.read_csv(load_job.upload, infer_schema=False)
    first = source.row(0, named=True)
    assert duplicate["LocationPrimaryId"] == first["LocationPrimaryId"]
    assert duplicate["OwnerName"] == first["OwnerName"]
    assert len(by_row) == load_job.result.processed.rejects.height


def test_rejects_csv_neutralizes_formula_cells(load_job: Job, tmp_path: Path) -> None:
    files, _ = written(load_job, tmp_path)
    with files.rejects.open(encoding="utf-8-sig", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    for column in ("LocationPrimaryId", "OwnerName", "LocationAddress1", "LocationCity"):
        assert "'" + HOSTILE[column] in cells
    assert "'" + HOSTILE["LocationCounty"] in cells


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("123 MAIN ST", "123 MAIN ST"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_that_start_a_formula_get_a_quote(value: str, expected: str) -> None:
    assert neutralize(value) == expected
    frame = pl.DataFrame({"cell": [value]})
    assert as_text(frame)["cell"][0] == expected


class _Cells(HTMLParser):
    """The text of every table cell and heading of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th", "code", "h1", "h3", "title"):
            self._depth += 1
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "code", "h1", "h3", "title"):
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.cells[-1] += data


def test_report_html_escapes_markup_and_neutralizes_formula_cells(
    dry_job: Job, tmp_path: Path
) -> None:
    files, _ = written(dry_job, tmp_path)
    page = files.html.read_text("utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "<script" not in page.lower()
    parser = _Cells()
    parser.feed(page)
    cells = [c.strip() for c in parser.cells]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert "'" + HOSTILE["LocationPrimaryId"] in cells  # the rejected row's parcel id
    assert "'=LEGACY" in cells  # an old list code in the parity view
    assert "'=EVIL()" in cells and "'@NOPE" in cells  # unmatched niche rows


def test_report_html_loads_nothing_from_anywhere(dry_job: Job, tmp_path: Path) -> None:
    files, _ = written(dry_job, tmp_path)
    page = files.html.read_text("utf-8").lower()
    assert "content-security-policy" in page and "default-src 'none'" in page
    for needle in ("<script", "<link", "<img", "<iframe", "<object", "@import", "url(", "src="):
        assert needle not in page, needle
    links = re.findall(r'href="([^"]*)"', page)
    assert links and all(link.startswith("#") for link in links)


def test_every_value_the_page_prints_is_neutralized_and_escaped(dry_job: Job) -> None:
    report = build(dry_job.result)
    report["upload"] = {**report["upload"], "file": "=<b>x</b>.csv"}
    page = render({**report, "database": "@<i>db</i>"})
    assert "<title>propmail report: &#39;=&lt;b&gt;x&lt;/b&gt;.csv</title>" in page
    assert "database &#39;@&lt;i&gt;db&lt;/i&gt; · region 40" in page
    assert "<b>" not in page and "<i>" not in page


def test_report_html_inlines_its_style_sheet(dry_job: Job) -> None:
    css = resources.files("propmail.report").joinpath("templates/report.css").read_text("utf-8")
    page = render(build(dry_job.result))
    (style,) = re.findall(r"<style>(.*?)</style>", page, flags=re.DOTALL)
    assert style.strip() == css.strip()


def test_placeholder_site_addresses_and_empty_zips_are_counted_and_named(
    dry_job: Job, tmp_path: Path
) -> None:
    result = dry_job.result
    assert result.site == site_quality(read_upload(dry_job.upload).frame, load_rules().occupancy)
    poor = replace(result, site=SiteQuality(3, 2, "city and state"))
    files, report = written(Job(poor, dry_job.upload, dry_job.db_url), tmp_path)
    validate(report)
    assert report["site_quality"] == {
        "placeholder_addresses": 3,
        "empty_zips": 2,
        "zip_fallback": "city and state",
        "undecided_for_placeholders": ["IsOwnerOccupied", "niche address match"],
        "undecided_for_empty_zips": [
            "niche address match",
            "BasePriorityCode zip_differs / same_zip",
        ],
    }
    page = files.html.read_text("utf-8")
    assert "Site addresses the rules cannot use" in page
    assert "compared by city and state" in page
    rows = dict(summary_rows(poor))
    assert rows["site address a placeholder or empty"] == "3"
    assert rows["site ZIP empty"] == "2"
    assert rows["  owner occupancy compared by"] == "city and state"
    clean = replace(result, site=SiteQuality(0, 0, "city and state"))
    assert "site ZIP empty" not in dict(summary_rows(clean))
    assert "Site addresses the rules cannot use" not in render(build(clean))
