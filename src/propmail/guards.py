"""Plausibility guards: run after the rules and before anything is written, each a result that
cannot be right for the file it came from, named with its evidence.

- a code rule that never fires while its inputs say it should (`never_fires`): no ABS1 while
  a tenth of the owners mail from another state than the site's; no owner-occupied row while a
  tenth of the mailing lines are the site line;
- a site column filled on some rows and empty on the others by the layout, not the data
  (`filled_by_layout`): the site's state or city given only where the owner lives at the site;
- a reject share over `MAX_REJECTED` (`too_many_rejected`);
- a read column whose values do not look like its kind (`not_its_kind`): a city column of ZIPs,
  a state column of words that are no state, a ZIP column that does not parse.

`process` loads anyway and names every warning in the summary and the report; `process
--strict` stops with exit status 2 before anything is written.

>>> frame = pl.DataFrame({"BasePriorityCode": ["ABS2"] * 8 + ["OO"] * 2,
...     "IsOwnerOccupied": [False] * 8 + [True] * 2, "OwnerState": ["NJ"] * 5 + ["PA"] * 5,
...     "LocationState": [None] * 8 + ["PA"] * 2})
>>> [w.guard for w in never_fires(frame)]
['ABS1 never fires']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from propmail.pipeline import Processed, rejects_by_reason
from propmail.read import ReadResult
from propmail.rules.address import normalize_street, normalize_zip5
from propmail.rules.zip_codes import states

SHARE = 0.10  # the share of rows whose inputs say a rule should fire
MAX_REJECTED = 0.05
BY_LAYOUT = 0.99  # a column filled on this share of one kind of row and empty on the other
KIND_SHARE = 0.5  # the share of a column's values that do not look like its kind


@dataclass(frozen=True)
class Warning:
    guard: str  # what is implausible
    evidence: str  # the counts that show it


def _share(n: int, of: int) -> str:
    return f"{n:,} of {of:,} rows ({n / of:.0%})" if of else "0 rows"


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, pl.String)


def _state(frame: pl.DataFrame, name: str) -> pl.Expr:
    return (
        _column(frame, name).cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z]", "")
    ).replace("", None)


def never_fires(frame: pl.DataFrame) -> list[Warning]:
    """ABS1 or OO that no row is coded while a tenth of the rows' own values call for it. The
    site's state is the row's, else the file's most common one (a layout that leaves it empty
    on absentee rows is what this catches)."""
    rows = frame.height
    if not rows or "BasePriorityCode" not in frame.columns:
        return []
    site = _state(frame, "LocationState")
    usual = frame.select(site.drop_nulls().mode().first()).item()
    elsewhere = frame.select(
        (_state(frame, "OwnerState") != pl.coalesce(site, pl.lit(usual, pl.String)))
        .fill_null(False)
        .sum()
    ).item()
    codes = frame["BasePriorityCode"]
    out = []
    if elsewhere >= SHARE * rows and not (codes == "ABS1").any():
        out.append(
            Warning(
                "ABS1 never fires",
                f"0 rows coded ABS1 while {_share(elsewhere, rows)} mail from another state "
                f"than the site's ({usual or 'the site state'}): the site state may be missing "
                "where the owner does not live at the site",
            )
        )
    same_line = frame.select(
        (
            normalize_street(_column(frame, "LocationAddress1"))
            == normalize_street(_column(frame, "OwnerAddress1"))
        )
        .fill_null(False)
        .sum()
    ).item()
    if same_line >= SHARE * rows and not frame["IsOwnerOccupied"].fill_null(False).any():
        out.append(
            Warning(
                "IsOwnerOccupied never fires",
                f"0 rows owner-occupied while on {_share(same_line, rows)} the mailing line is "
                "the site line",
            )
        )
    return out


def filled_by_layout(frame: pl.DataFrame) -> list[Warning]:
    """A site state or city filled on the owner-occupied rows and empty on the absentee ones."""
    if "IsOwnerOccupied" not in frame.columns:
        return []
    occupied = frame["IsOwnerOccupied"].fill_null(False)
    out = []
    for column in ("LocationState", "LocationCity"):
        if column not in frame.columns:
            continue
        given = frame[column].cast(pl.String).str.strip_chars().replace("", None).is_not_null()
        on_occupied, on_absent = given.filter(occupied), given.filter(~occupied)
        if on_occupied.is_empty() or on_absent.is_empty():
            continue
        share_occupied = on_occupied.sum() / on_occupied.len()
        share_absent = on_absent.sum() / on_absent.len()
        if share_occupied >= BY_LAYOUT and share_absent <= 1 - BY_LAYOUT:
            out.append(
                Warning(
                    f"{column} filled by the layout on some rows",
                    f"{column} is filled on {_share(int(on_occupied.sum()), on_occupied.len())} "
                    f"owner-occupied and on {_share(int(on_absent.sum()), on_absent.len())} "
                    "absentee: it follows where the owner lives, not the site",
                )
            )
    return out


def too_many_rejected(processed: Processed, rows: int) -> list[Warning]:
    rejected = processed.rejects.height
    if not rows or rejected <= MAX_REJECTED * rows:
        return []
    reason, count = rejects_by_reason(processed.rejects).row(0)
    return [
        Warning(
            f"more than {MAX_REJECTED:.0%} of the rows rejected",
            f"{_share(rejected, rows)} rejected; most for {reason} ({count:,})",
        )
    ]


def not_its_kind(frame: pl.DataFrame, direct: Mapping[str, str]) -> list[Warning]:
    """A column read straight from a header whose values do not look like the column's kind."""
    looks = {
        "LocationCity": lambda e: ~e.str.contains(r"^[0-9 -]+$"),
        "OwnerCity": lambda e: ~e.str.contains(r"^[0-9 -]+$"),
        "LocationState": lambda e: (
            e.str.to_uppercase().str.replace_all(r"[^A-Z]", "").is_in(list(states()))
        ),
        "OwnerState": lambda e: (
            e.str.to_uppercase().str.replace_all(r"[^A-Z]", "").is_in(list(states()))
        ),
        "LocationZip": lambda e: normalize_zip5(e).is_not_null(),
        "OwnerZip": lambda e: normalize_zip5(e).is_not_null(),
    }
    out = []
    for column, test in looks.items():
        if column not in direct or column not in frame.columns:
            continue
        values = frame.select(pl.col(column).cast(pl.String).drop_nulls())
        if values.is_empty():
            continue
        wrong = values.select((~test(pl.col(column))).sum()).item()
        if wrong > KIND_SHARE * values.height:
            example = values.filter(~test(pl.col(column)))[column][0]
            out.append(
                Warning(
                    f"{column} does not look like its kind",
                    f"header {direct[column]!r}: {_share(wrong, values.height)} of its values "
                    f"are not a {column.removeprefix('Location').removeprefix('Owner').lower()}"
                    f" (e.g. {example!r})",
                )
            )
    return out


def check(upload: ReadResult, processed: Processed) -> list[Warning]:
    """Every guard's warnings on one processed upload (before its rows are dropped)."""
    frame = processed.processed
    return [
        *never_fires(frame),
        *filled_by_layout(frame),
        *too_many_rejected(processed, frame.height),
        *not_its_kind(upload.frame, upload.direct),
    ]


def refusal(warnings: list[Warning]) -> str:
    """Why `--strict` stops before loading."""
    listed = "; ".join(f"{w.guard}: {w.evidence}" for w in warnings)
    return f"implausible result, nothing written: {listed}"


__all__ = ["MAX_REJECTED", "SHARE", "Warning", "check", "refusal"]
