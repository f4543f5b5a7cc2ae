"""Whole rows through the command line: each extract, as downloaded, through `propmail process`
into a scratch SQLite database, the stored Location and Owner rows compared with the row labels.

    PROPMAIL_REALDATA=../shared/realdata python -m tests.realdata.whole_rows
    python -m tests.realdata.whole_rows --src /other/checkout/src   # another version's package
    python -m tests.realdata.whole_rows --misses LocationZip --file jersey
    python -m tests.realdata.whole_rows --leave-one-out     # each file without its own changes
    python -m tests.realdata.whole_rows --without 1a2b3c4 --file lebanon   # one change undone

A file that cannot be read without a mapping file is run with its mapping from
`tests/fixtures/realdata/mappings/` (the table says so). A labelled row is matched to its stored
Location through the parcel id the version's own reader gives that row (`read_upload`), and
counted rejected where `rejects.csv` names it.

Per file: the share of kept labelled rows whose site and mailing fields are all right, each
field's share, the absentee level's share (OO / ABS1 / ABS2 / ABS3 of PriorityCode), the flags'
share, and the rows kept or rejected against their label.

`--leave-one-out`: each file with the reading changes of `changes.toml` motivated by it alone
undone (`reading = true`; built in a scratch worktree, `leave_one_out.in_reverted_tree`), the
others kept, beside its figures with every change. `--without`: the named commits undone.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from tests.realdata.extracts import LABELS, REPO, realdata_dir
from tests.realdata.leave_one_out import Change, changes, in_reverted_tree, motivated_only_by
from tests.realdata.row_labels import ROW_EXTRACTS, RowExtract, row_labels

MAPPINGS = LABELS / "mappings"
SITE = ("LocationAddress1", "LocationCity", "LocationState", "LocationZip")
MAILING = ("OwnerAddress1", "OwnerCity", "OwnerState", "OwnerZip", "OwnerMailingZip4")
FLAGS = ("IsOwnerOccupied", "IsTrust", "IsChurch", "IsBusiness")
STORED = """
SELECT l.PrimaryId, l.Address1 AS LocationAddress1, l.City AS LocationCity,
       l.State AS LocationState, l.Zip AS LocationZip, o.Address1 AS OwnerAddress1,
       o.City AS OwnerCity, o.State AS OwnerState, o.Zip AS OwnerZip,
       o.MailingZip4 AS OwnerMailingZip4, l.IsOwnerOccupied, l.IsTrust, l.IsChurch,
       l.IsBusiness, l.PriorityCode
FROM Location l JOIN Owner o ON o.OwnerId = l.OwnerId
"""
# the row -> parcel id the version's reader gives (run with that version's package first)
_KEYS = """
import sys
from propmail.read import read_upload
from propmail.read.mapping import load_mapping
mapping = load_mapping(sys.argv[2]) if len(sys.argv) > 2 else None
frame = read_upload(sys.argv[1], mapping).frame
frame.select("_row", "LocationPrimaryId").write_csv(sys.stdout)
"""


@dataclass(frozen=True)
class Outcome:
    file: str
    mapping: bool  # run with a mapping file
    rows: int  # labelled rows
    kept_right: int  # kept / rejected as labelled
    wrongly_rejected: list[int]
    wrongly_kept: list[int]
    both_kept: int
    fields_right: int  # rows with every site and mailing field right
    field_right: dict[str, int]
    level_right: int
    flags_right: int
    misses: pl.DataFrame
    refused: str = ""  # the error of a file propmail would not load


def _cli(src: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-m", "propmail", *args], env=env, capture_output=True, text=True
    )


def _fold(value: object) -> str:
    """A value as the labels compare it: upper case, runs of spaces folded, no full stops, PO
    BOX one way, a closing unit's designator as Pub 28's generic ``#``."""
    text = " ".join(str(value or "").upper().split())
    text = re.sub(r"\bP\.? ?O\.? ?BOX\b", "PO BOX", text).replace(".", "")
    # a unit's designator is Pub 28's generic one either way: UNIT F24 is # F24
    text = re.sub(r"\b(?:UNIT|APT|STE)\s+(?=\w+$)", "# ", text)
    return text.strip(" ,.")


def _level(code: object) -> str:
    found = re.search(r"OO|ABS[123]", str(code or ""))
    return found.group(0) if found else ""


def run_file(extract: RowExtract, src: Path, work: Path) -> Outcome:
    path = realdata_dir() / extract.file
    db = work / f"{path.stem}.db"
    report = work / f"{path.stem}-report"
    url = f"sqlite:///{db}"
    _cli(src, "db", "init", "--region", "1=eval", "--db", url)
    done = _cli(src, "process", str(path), "--region", "1", "--db", url, "--report", str(report))
    mapping = MAPPINGS / f"{path.stem}.toml"
    used = False
    if done.returncode != 0 and mapping.exists():
        used = True
        args = ("--mapping", str(mapping))
        done = _cli(
            src, "process", str(path), "--region", "1", "--db", url, "--report", str(report), *args
        )
    if done.returncode != 0:
        error = done.stderr.strip().splitlines()[-1]
        empty = pl.DataFrame(schema=["file", "row", "column", "label", "stored"])
        return Outcome(extract.file, used, 0, 0, [], [], 0, 0, {}, 0, 0, empty, error)
    keys_args = [str(path), *([str(mapping)] if used else [])]
    env = {**os.environ, "PYTHONPATH": str(src)}
    keys_csv = subprocess.run(
        [sys.executable, "-c", _KEYS, *keys_args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keys = pl.read_csv(keys_csv.encode(), infer_schema=False)
    keys = keys.with_columns(pl.col("_row").cast(pl.Int64) - 1)  # spreadsheet row -> record
    rejected = {
        int(r["row"]) - 1
        for r in csv.DictReader((report / "rejects.csv").open(encoding="utf-8-sig"))
    }
    with sqlite3.connect(db) as con:
        cur = con.execute(STORED)
        names = [d[0] for d in cur.description]
        stored = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    key_of = dict(zip(keys["_row"].to_list(), keys["LocationPrimaryId"].to_list(), strict=True))
    return _compare(extract.file, used, row_labels(extract), key_of, rejected, stored)


def _compare(
    file: str,
    used: bool,
    labels: list[dict[str, str]],
    key_of: dict[int, str],
    rejected: set[int],
    stored: dict[str, dict[str, object]],
) -> Outcome:
    kept_right = both = fields_right = level_right = flags_right = 0
    field_right = dict.fromkeys((*SITE, *MAILING), 0)
    wrongly_rejected, wrongly_kept, misses = [], [], []
    for label in labels:
        row = int(label["row"])
        got = stored.get(key_of.get(row, "")) if row not in rejected else None
        kept = got is not None
        if kept == (label["kept"] == "1"):
            kept_right += 1
        elif kept:
            wrongly_kept.append(row)
        else:
            wrongly_rejected.append(row)
        if not kept or label["kept"] != "1":
            continue
        both += 1
        right = True
        for column in (*SITE, *MAILING):
            ok = _fold(got[column]) == _fold(label[column])
            field_right[column] += ok
            right &= ok
            if not ok:
                misses.append((file, row, column, _fold(label[column]), _fold(got[column])))
        fields_right += right
        level = _level(got["PriorityCode"])
        level_right += level == label["AbsenteeLevel"]
        if level != label["AbsenteeLevel"]:
            misses.append((file, row, "AbsenteeLevel", label["AbsenteeLevel"], level))
        flags = all(str(int(got[f] or 0)) == label[f] for f in FLAGS if label[f] != "")
        flags_right += flags
    frame = pl.DataFrame(misses, schema=["file", "row", "column", "label", "stored"], orient="row")
    return Outcome(
        file, used, len(labels), kept_right, wrongly_rejected, wrongly_kept, both,
        fields_right, field_right, level_right, flags_right, frame,
    )  # fmt: skip


def _share(n: int, d: int) -> str:
    return f"{n / d:.3f}" if d else "–"


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| extract | mapping | rows | kept as labelled | site+mailing right | absentee level "
        "| flags | wrongly rejected | wrongly kept |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for o in outcomes:
        if o.refused:
            lines.append(f"| {o.file} | {'file' if o.mapping else 'none'} | refused: {o.refused} |")
            continue
        lines.append(
            f"| {o.file} | {'file' if o.mapping else 'none'} | {o.rows} "
            f"| {_share(o.kept_right, o.rows)} | {_share(o.fields_right, o.both_kept)} "
            f"| {_share(o.level_right, o.both_kept)} | {_share(o.flags_right, o.both_kept)} "
            f"| {len(o.wrongly_rejected)} | {len(o.wrongly_kept)} |"
        )
    return "\n".join(lines)


def _figures(o: Outcome | str) -> str:
    if isinstance(o, str):
        return o
    if o.refused:
        return f"refused: {o.refused}"
    return (
        f"{_share(o.kept_right, o.rows)} / {_share(o.fields_right, o.both_kept)} / "
        f"{_share(o.level_right, o.both_kept)} / {_share(o.flags_right, o.both_kept)}"
    )


def _run_in(extract: RowExtract, work: Path, src: Path) -> Outcome:
    return run_file(extract, src, work)


def reverted_table(only: str, named: list[str]) -> str:
    """Per file: its figures with the changes undone (`named`, else its own reading changes
    motivated by it alone) beside its figures with every change."""
    ledger = changes()
    lines = [
        "| extract | reverted | without: kept / site+mailing / absentee / flags "
        "| with every change |",
        "| --- | --- | --- | --- |",
    ]
    for extract in ROW_EXTRACTS:
        if only not in extract.file:
            continue
        if named:
            undo = [Change(c, (), "") for c in named]
        else:
            undo = [c for c in motivated_only_by(extract.file, ledger) if c.reading]
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "now").mkdir()
            (Path(tmp) / "without").mkdir()
            now = run_file(extract, REPO / "src", Path(tmp) / "now")
            loo: Outcome | str = now
            if undo:
                work = Path(tmp) / "without"
                loo = in_reverted_tree(undo, partial(_run_in, extract, work))
        commits = ", ".join(f"`{c.commit[:7]}`" for c in undo) or "none"
        lines.append(f"| {extract.file} | {commits} | {_figures(loo)} | {_figures(now)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=REPO / "src", help="the package to run")
    parser.add_argument("--file", default="", help="only extracts whose name holds this")
    parser.add_argument("--misses", default="", help="list the misses of this column ('all')")
    parser.add_argument(
        "--leave-one-out", action="store_true", help="each file without its own reading changes"
    )
    parser.add_argument("--without", default="", help="commits to undo, comma-separated")
    args = parser.parse_args()
    if args.leave_one_out or args.without:
        print(reverted_table(args.file, [c for c in args.without.split(",") if c]))
        return
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        for extract in ROW_EXTRACTS:
            if args.file in extract.file:
                outcomes.append(run_file(extract, args.src.resolve(), Path(tmp)))
    print(table(outcomes))
    if args.misses:
        misses = pl.concat([o.misses for o in outcomes])
        if args.misses != "all":
            misses = misses.filter(pl.col("column") == args.misses)
        with pl.Config(tbl_rows=200, fmt_str_lengths=60, tbl_width_chars=200):
            print(misses)
        for o in outcomes:
            if o.wrongly_rejected or o.wrongly_kept:
                print(o.file, "wrongly rejected", o.wrongly_rejected[:20], "wrongly kept",
                      o.wrongly_kept[:20])  # fmt: skip


if __name__ == "__main__":
    main()
