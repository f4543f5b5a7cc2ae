"""propmail changes: a hand-built two-month case, one test per section, on every backend."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from propmail.changes import load_headline, read_changes
from propmail.cli import main
from propmail.db import Backend
from propmail.db.schema import journal_location
from propmail.errors import InputError
from propmail.inputs import Inputs
from propmail.job import JobResult, load_options, run_job
from propmail.report import build
from propmail.report.changes import schema, write_changes
from propmail.settings import Rules
from propmail.summary import summary_rows
from tests.db.helpers import MONTH1, MONTH2

REGION = 40
# parcel -> its row in month 1 and in month 2 (None: not in that month's upload); the columns
# not given are those of BASE. Every owner lives in the site's ZIP at another address: ABS3.
BASE = {
    "LocationAddress1": "1 OAK ST", "LocationCity": "ROANOKE", "LocationState": "VA",
    "LocationZip": "24016", "OwnerAddress1": "9 ELM ST", "OwnerCity": "ROANOKE",
    "OwnerState": "VA", "OwnerZip": "24016",
}  # fmt: skip
ROWS: dict[str, tuple[dict[str, str] | None, dict[str, str] | None]] = {
    "A-SAME": ({}, {}),
    "B-SOLD": ({}, {"OwnerName": "NEW BUYER", "OwnerAddress1": "77 PINE RD"}),
    "C-STACKED": ({}, {"LienType": "TAX", "EstLoanToValue": "40"}),  # + Probate: 3 lists
    "D-RELEASED": ({"LienType": "TAX"}, {}),
    "E-ABSENTEE": ({}, {"LocationZip": "24018"}),  # ABS3 -> ABS2
    "F-MOVED": ({}, {"ResponseNCOA": "A"}),
    "G-DROPPED": ({}, {"ResponseNCOA": "X"}),
    "H-GONE": ({}, None),
    "I-NEW": (None, {"LienType": "MECH"}),
}
PROBATE = ["C-STACKED"]


def _month(folder: Path, which: int) -> Path:
    rows = []
    for n, (parcel, months) in enumerate(ROWS.items()):
        row = months[which]
        if row is None:
            continue
        owner = {"OwnerName": f"OWNER {parcel}", "OwnerAddress1": f"{n + 10} ELM ST"}
        street = {"LocationAddress1": f"{n + 1} OAK ST"}
        rows.append({**BASE, **owner, **street, "LocationPrimaryId": parcel, **row})
    columns = sorted({c for r in rows for c in r} | {"LienType", "ResponseNCOA", "EstLoanToValue"})
    frame = pl.DataFrame(
        [{c: r.get(c) for c in columns} for r in rows], schema=dict.fromkeys(columns, pl.String)
    )
    path = folder / f"month{which + 1}.csv"
    frame.write_csv(path)
    return path


@dataclass
class Loaded:
    backend: Backend
    rules: Rules
    folder: Path
    first: int
    second: int
    results: list[JobResult]

    def changes(self, **kwargs: Any) -> dict[str, Any]:
        found = read_changes(self.backend, self.rules, REGION, **kwargs)  # type: ignore[arg-type]
        return found.as_dict()


def load_two_months(backend: Backend, rules: Rules, folder: Path) -> Loaded:
    backend.init({REGION: "Roanoke"}, load_options(rules))
    probate = folder / "Probate.csv"
    pl.DataFrame({"LocationPrimaryId": PROBATE}).write_csv(probate)
    ids, results = [], []
    for which, now in ((0, MONTH1), (1, MONTH2)):
        niches = [f"Probate={probate}"] if which else []
        result = run_job(
            Inputs.gather(_month(folder, which), niches), REGION, backend=backend, now=now
        )
        assert result.load is not None and result.load.upload_log_id is not None
        ids.append(result.load.upload_log_id)
        results.append(result)
    return Loaded(backend, rules, folder, ids[0], ids[1], results)


@pytest.fixture
def loaded(backend: Backend, rules: Rules, tmp_path: Path) -> Loaded:
    return load_two_months(backend, rules, tmp_path)


def parcels(section: dict[str, Any]) -> list[str]:
    return [e["parcel"] for e in section["examples"]]


def test_new_locations_are_the_ones_the_load_inserted(loaded: Loaded) -> None:
    new = loaded.changes()["sections"]["new"]
    assert (new["count"], parcels(new)) == (1, ["I-NEW"])
    assert new["examples"][0]["code"] == "Liens-ABS3" and new["examples"][0]["stack"] == 1


def test_gone_are_last_months_locations_missing_from_this_upload(loaded: Loaded) -> None:
    gone = loaded.changes()["sections"]["gone"]
    assert (gone["count"], parcels(gone)) == (1, ["H-GONE"])
    # the first load of a region has no upload before it: nothing is gone
    assert loaded.changes(load=loaded.first)["sections"]["gone"]["count"] == 0


def test_a_sale_names_the_old_and_the_new_owner(loaded: Loaded) -> None:
    sold = loaded.changes()["sections"]["sold"]
    assert sold["count"] == 1
    (sale,) = sold["examples"]
    assert (sale["parcel"], sale["old_owner"], sale["new_owner"]) == (
        "B-SOLD",
        "OWNER B-SOLD",
        "NEW BUYER",
    )


def test_each_list_counts_the_locations_that_joined_and_left_it(loaded: Loaded) -> None:
    lists = loaded.changes()["sections"]["lists"]
    rows = {r["list"]: (r["joined"], r["left"], r["example"]) for r in lists["rows"]}
    assert rows == {
        "Liens-": (2, 1, "C-STACKED"),  # C and the new I joined, D's lien was released
        "HE-": (1, 0, "C-STACKED"),
        "Probate (niche)": (1, 0, "C-STACKED"),
        "NCOA_Moves-": (1, 0, "F-MOVED"),
        "NCOA_Drops-": (1, 0, "G-DROPPED"),
    }
    assert (lists["joined"], lists["left"]) == (6, 1)


def test_the_absentee_level_change_names_its_transition(loaded: Loaded) -> None:
    absentee = loaded.changes()["sections"]["absentee"]
    assert (absentee["count"], parcels(absentee)) == (1, ["E-ABSENTEE"])
    assert absentee["transitions"] == [
        {"from": "ABS3", "to": "ABS2", "locations": 1, "example": "E-ABSENTEE"}
    ]


def test_new_ncoa_moves_and_drops(loaded: Loaded) -> None:
    ncoa = loaded.changes()["sections"]["ncoa"]
    assert parcels(ncoa["moves"]) == ["F-MOVED"]
    assert parcels(ncoa["drops"]) == ["G-DROPPED"]
    assert ncoa["moves"]["examples"][0]["after"] == "A"


def test_the_stack_count_says_which_list_a_location_reached(loaded: Loaded) -> None:
    stack = loaded.changes()["sections"]["stack"]
    assert stack["count"] == 4  # C to 3 lists; I, F and G to 1
    assert stack["reached"] == [{"lists": 1, "locations": 3}, {"lists": 3, "locations": 1}]
    c = next(e for e in stack["examples"] if e["parcel"] == "C-STACKED")
    assert (c["before"], c["after"]) == (0, 3)
    assert stack["fewer"] == 1  # D left its only list


def test_list_codes_by_count_before_and_after(loaded: Loaded) -> None:
    codes = {
        r["code"]: (r["before"], r["after"]) for r in loaded.changes()["sections"]["codes"]["rows"]
    }
    # A, B, C, E, F, G, H before; A, B, the released D and the gone H (kept) after
    assert codes["ABS3"] == (7, 4)
    assert codes["Liens-ABS3"] == (1, 1)  # D before; the new I after
    assert codes["Probate - Liens-HE-ABS3"] == (0, 1)
    assert codes["ABS2"] == (0, 1)
    assert sum(b for b, _ in codes.values()) == 8 and sum(a for _, a in codes.values()) == 9


def test_every_section_names_the_explain_command_of_an_example(loaded: Loaded) -> None:
    report = loaded.changes()
    sections = report["sections"]
    assert sections["sold"]["explain"] == (
        f"propmail explain month2.csv --parcel B-SOLD --db {loaded.backend.display_url}"
    )
    for key in ("new", "gone", "sold", "lists", "absentee", "ncoa", "stack"):
        assert "--parcel" in sections[key]["explain"], key
    jsonschema.validate(report, schema())


def test_a_range_of_loads_compares_with_the_state_before_the_first(loaded: Loaded) -> None:
    both = loaded.changes(since=loaded.first)
    counts = both["counts"]
    # every location of both months is new to the region; nothing was before the range
    assert counts["new"] == 9 and counts["sold"] == 0 and counts["gone"] == 0
    # the first load alone, read while a later load's journal holds the state it left
    first = loaded.changes(load=loaded.first)
    assert first["counts"]["new"] == 8
    assert {r["code"]: r["after"] for r in first["sections"]["codes"]["rows"]}["ABS3"] == 7


def test_a_load_that_is_not_the_regions_is_bad_input(loaded: Loaded) -> None:
    with pytest.raises(InputError, match="upload 99 is not a completed load of region 40"):
        loaded.changes(load=99)
    with pytest.raises(InputError, match="comes after"):
        loaded.changes(load=loaded.first, since=loaded.second)


def test_the_command_prints_counts_and_writes_json_and_html(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    if "sqlite" not in backend.display_url:
        pytest.skip("the command line is shown on the file database")
    loaded = load_two_months(backend, rules, tmp_path)
    url = backend.display_url
    out = tmp_path / "changes"
    printed = CliRunner().invoke(
        main, ["changes", "--region", "40", "--db", url, "--report", str(out)]
    )
    assert printed.exit_code == 0, printed.output
    assert "owner changed (sold): 1" in printed.output
    assert "B-SOLD: OWNER B-SOLD -> NEW BUYER" in printed.output
    assert "Liens-: +2 -1" in printed.output
    written = json.loads((out / "changes.json").read_text())
    assert written["counts"]["sold"] == 1 and written["loads"][0]["upload_log_id"] == loaded.second
    assert "NEW BUYER" in (out / "changes.html").read_text()
    as_json = CliRunner().invoke(main, ["changes", "--region", "40", "--db", url, "--json"])
    assert json.loads(as_json.output)["counts"]["new"] == 1
    bad = CliRunner().invoke(main, ["changes", "--region", "40", "--db", url, "--load", "99"])
    assert bad.exit_code == 2 and "upload 99 is not a completed load" in bad.output


def test_changes_html_opens_in_a_browser_escaped_with_its_chart(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    from tests.report.chromium import find_chromium, visit

    if "sqlite" not in backend.display_url:
        pytest.skip("the page is the same on every backend")
    binary = find_chromium()
    if binary is None:
        pytest.skip("headless Chromium not found (the Debian package `chromium`)")
    loaded = load_two_months(backend, rules, tmp_path)
    report = loaded.changes()
    report["sections"]["sold"]["examples"][0]["new_owner"] = "<script>alert(1)</script>"
    report["sections"]["new"]["examples"][0]["parcel"] = "=cmd|' /C calc'!A0"
    _, html = write_changes(report, tmp_path / "changes")
    shot = Path(os.environ.get("PROPMAIL_SCREENSHOT", tmp_path / "changes.png"))
    seen = visit(html, tmp_path / "profile", binary, screenshot=shot)
    assert seen.errors == [] and seen.requests == []
    assert "1\nowner changed (sold)" in seen.summary and "6\njoined a list" in seen.summary
    assert "<script>alert(1)</script>" in seen.text  # shown as text, never run
    assert "'=cmd|' /C calc'!A0" in seen.text  # a formula cell neutralized
    assert "Joined and left, per list" in seen.text and "Liens-" in seen.text
    assert "propmail explain month2.csv --parcel B-SOLD" in seen.text
    page = html.read_text()
    assert page.count("<rect") == 10  # a bar each way for each of the five lists
    assert shot.stat().st_size > 10_000


def test_the_loads_summary_and_report_show_its_headline_from_its_kind_table(
    loaded: Loaded,
) -> None:
    result = loaded.results[1]
    assert result.load is not None
    figures = load_headline(result.load.moves, loaded.rules)
    # B, C, D, E, F and G rewritten (A only refreshed); C, D, E, F and G get another code
    assert figures == {
        "new": 1, "changed": 6, "sold": 1, "code_changed": 5, "joined": 6, "left": 1,
        "stack_up": 4,
    }  # fmt: skip
    counts = loaded.changes()["counts"]  # the journal's reading agrees
    assert {k: counts[k] for k in ("new", "sold", "joined", "left", "stack_up")} == {
        k: figures[k] for k in ("new", "sold", "joined", "left", "stack_up")
    }
    rows = dict(summary_rows(result))
    assert rows["changes: new / rewritten / sold"] == "1 / 6 / 1"
    assert (
        rows["changes: list code changed / lists joined / left / on more lists"] == "5 / 6 / 1 / 4"
    )
    command = f"propmail changes --region 40 --load {loaded.second}"
    assert rows["  all of them"] == command
    assert build(result)["changes"] == {**figures, "command": command}
    # the first month: every location new, nothing rewritten
    first = load_headline(loaded.results[0].load.moves, loaded.rules)  # type: ignore[union-attr]
    assert first is not None and (first["new"], first["changed"]) == (8, 0)


def test_undo_of_a_load_makes_changes_report_what_was_undone(loaded: Loaded) -> None:
    done = loaded.changes(load=loaded.second)
    (undone,) = loaded.backend.undo(loaded.second)
    assert undone.locations_deleted == 1  # I-NEW
    again = loaded.changes(load=loaded.second)
    assert again["loads"][0]["undone"] is True and done["loads"][0]["undone"] is False
    assert again["loads"][0]["loaded_at"] == done["loads"][0]["loaded_at"]
    assert again["counts"] == done["counts"]
    assert again["sections"] == done["sections"]
    # the region is back as it was: the region's last load is the first again
    assert loaded.changes()["loads"][0]["upload_log_id"] == loaded.first
    with pytest.raises(InputError, match="read it alone"):
        loaded.changes(load=loaded.second, since=loaded.first)


def test_the_rows_kept_of_an_undone_load_go_with_the_journal_before_them(
    loaded: Loaded,
) -> None:
    loaded.backend.undo(loaded.second)
    result = run_job(
        Inputs.gather(loaded.folder / "month2.csv", [f"Probate={loaded.folder / 'Probate.csv'}"]),
        REGION,
        backend=loaded.backend,
        now=MONTH2,
    )
    assert result.load is not None
    kept = select(func.count()).where(func.abs(journal_location.c.UploadLogId) == loaded.second)
    with loaded.backend.engine.connect() as conn:
        assert conn.execute(kept).scalar_one() > 0
    loaded.backend.prune_journal(1)  # only the newest load's journal is kept
    with loaded.backend.engine.connect() as conn:
        assert conn.execute(kept).scalar_one() == 0
    with pytest.raises(InputError, match="not kept"):
        loaded.changes(load=loaded.second)
