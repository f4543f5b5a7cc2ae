"""Measure propmail's owner rules on the hand-labelled real rows.

    python -m tests.realdata.evaluate                 # the table: every rule, every extract
    python -m tests.realdata.evaluate --misses AlternateName --file philadelphia
    python -m tests.realdata.evaluate --sample holdout   # the held-out rows
    python -m tests.realdata.evaluate --leave-one-out    # each extract without its own rule changes

For each extract the labelled records are written as a canonical upload, read by propmail's own
reader and run through the pipeline's rules; each derived field is compared with its label.
Flags get precision, recall and accuracy; the envelope name and occupancy get accuracy.
`--leave-one-out` is described in `tests/realdata/leave_one_out.py`.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from propmail import pipeline
from propmail.contract import REQUIRED
from propmail.read import read_upload
from propmail.settings import Rules, load_rules
from tests.realdata.extracts import EXTRACTS, SAMPLES, Extract, labels, records

FLAGS = ("IsTrust", "IsChurch", "IsBusiness", "IsEstate", "IsGovernment")
BINARY = (*FLAGS, "IsOwnerOccupied", "OwnerGrantorMatch")
RULES = ("AlternateName", *BINARY)
ROW_ID = "LocationPrimaryId"  # the labelled row number stands in for the parcel id


@dataclass(frozen=True)
class Score:
    extract: str
    rule: str
    n: int
    correct: int
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.n

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def derived(extract: Extract, rules: Rules, work: Path, sample: str) -> pl.DataFrame | None:
    """Every derived field of the labelled rows, with their label columns beside (`label_*`)."""
    wanted = {int(label["row"]): label for label in labels(extract, sample)}
    if not wanted:
        return None
    rows = [
        {ROW_ID: str(row), **extract.canonical(record)}
        for row, record in records(extract)
        if row in wanted
    ]
    columns = list(dict.fromkeys([ROW_ID, *REQUIRED, *(c for r in rows for c in r)]))
    upload = work / f"canonical-{extract.file}"
    with upload.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    processed, _ = pipeline.derive_all(read_upload(upload).frame, rules)
    label_frame = pl.DataFrame(
        [
            {ROW_ID: str(row), **{f"label_{k}": label[k] for k in RULES}}
            for row, label in wanted.items()
        ],
        schema={ROW_ID: pl.String, **{f"label_{k}": pl.String for k in RULES}},
    )
    return processed.join(label_frame, on=ROW_ID, how="inner")


def score(extract: Extract, frame: pl.DataFrame, rule: str) -> Score | None:
    labelled = frame.filter(pl.col(f"label_{rule}").fill_null("") != "")
    if labelled.height == 0:
        return None
    if rule not in BINARY:
        right = (labelled[rule] == labelled[f"label_{rule}"]).fill_null(False)
        return Score(extract.file, rule, labelled.height, int(right.sum()))
    got = labelled[rule].fill_null(False)
    want = labelled[f"label_{rule}"] == "1"
    return Score(
        extract.file,
        rule,
        labelled.height,
        int((got == want).sum()),
        tp=int((got & want).sum()),
        fp=int((got & ~want).sum()),
        fn=int((~got & want).sum()),
    )


ALL = "all"  # the extract name of the pooled scores


def pooled(scores: list[Score]) -> list[Score]:
    """One score per rule over every extract's labelled rows."""
    out = []
    for rule in RULES:
        mine = [s for s in scores if s.rule == rule]
        if mine:
            out.append(
                Score(
                    ALL,
                    rule,
                    sum(s.n for s in mine),
                    sum(s.correct for s in mine),
                    tp=sum(s.tp for s in mine),
                    fp=sum(s.fp for s in mine),
                    fn=sum(s.fn for s in mine),
                )
            )
    return out


def evaluate(
    rules: Rules | None = None, sample: str = "tuning", only: str = ""
) -> tuple[list[Score], dict[str, pl.DataFrame]]:
    """Scores per extract and rule, then pooled per rule; and each extract's compared frame.

    `only`: the extracts whose file name contains it (all by default).
    """
    rules = rules or load_rules()
    scores, frames = [], {}
    with tempfile.TemporaryDirectory() as work:
        for extract in EXTRACTS:
            if only not in extract.file:
                continue
            frame = derived(extract, rules, Path(work), sample)
            if frame is None:
                continue
            frames[extract.file] = frame
            scores += [s for rule in RULES if (s := score(extract, frame, rule))]
    return scores + pooled(scores), frames


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def table(scores: list[Score]) -> str:
    lines = [
        "| extract | rule | rows | accuracy | precision | recall |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        lines.append(
            f"| {s.extract.removesuffix('.csv')} | {s.rule} | {s.n} | {_ratio(s.accuracy)} | "
            f"{_ratio(s.precision)} | {_ratio(s.recall)} |"
        )
    return "\n".join(lines)


def misses(frame: pl.DataFrame, rule: str) -> pl.DataFrame:
    """The labelled rows where `rule` disagrees with its label."""
    got = frame[rule].cast(pl.Int8) if rule in BINARY else frame[rule]
    expected = pl.col(f"label_{rule}")
    return (
        frame.with_columns(got.cast(pl.String).fill_null("0").alias("got"))
        .filter((expected.fill_null("") != "") & (pl.col("got") != expected))
        .select(ROW_ID, "OwnerName", "got", expected.alias("expected"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=RULES, help="list the rows this rule gets wrong")
    parser.add_argument("--file", default="", help="only extracts whose name contains this")
    parser.add_argument("--sample", choices=sorted(SAMPLES), default="tuning")
    parser.add_argument("--json", action="store_true", help="the scores as JSON, one per line")
    parser.add_argument(
        "--leave-one-out",
        action="store_true",
        help="each extract also with the rule changes it alone motivated reverted",
    )
    args = parser.parse_args()
    if args.leave_one_out:
        from tests.realdata import leave_one_out

        print(leave_one_out.report(args.sample, args.file))
        return
    scores, frames = evaluate(sample=args.sample, only=args.file)
    if args.json:
        for s in scores:
            print(json.dumps(s.__dict__))
        return
    print(table([s for s in scores if args.file in s.extract]))
    if args.misses:
        with pl.Config(tbl_rows=-1, fmt_str_lengths=60, tbl_width_chars=200):
            for name, frame in frames.items():
                if args.file in name and args.misses in frame.columns:
                    print(f"\n{name}:\n{misses(frame, args.misses)}")


if __name__ == "__main__":
    main()
