"""The quality report's content: one JSON-ready dict per job (the keys of docs/report.md).

Both report.json and report.html are made from this dict, so the page shows exactly what the
machine-readable file says. Every count is computed with vectorized frame operations; the
lists of rows are capped (MAX_LISTED), with the totals and a `truncated` flag beside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from propmail import __version__
from propmail.changes import load_headline
from propmail.contract import COUNTED, REQUIRED, SOURCE_ROW, UPLOAD_COLUMNS
from propmail.db import LoadResult, Preview
from propmail.job import JobResult
from propmail.pipeline import rejects_by_reason
from propmail.rules import stack
from propmail.rules.niche import NicheOutcome
from propmail.settings import load_rules

SCHEMA_VERSION = 1
MAX_LISTED = 1000  # rows listed per table (rejects, unmatched niche rows); rejects.csv has all


def build(result: JobResult, generated_at: datetime | None = None) -> dict[str, Any]:
    """The report of one job (a load or a dry run)."""
    p = result.processed
    loadable = result.figures.loadable
    new_codes = _new_codes(result)
    counts = result.load or (result.preview.counts if result.preview is not None else None)
    return {
        "schema_version": SCHEMA_VERSION,
        "propmail_version": __version__,
        "generated_at": (generated_at or datetime.now().astimezone()).isoformat(timespec="seconds"),
        "mode": "dry-run" if result.preview is not None else "load",
        "database": result.db_url,
        "region_id": counts.region_id if counts is not None else None,
        "rules": _rules(result),
        "upload": {
            "file": result.upload.source,
            "rows": result.figures.rows,
            "missing_columns": list(result.upload.missing_columns),
            "extra_columns": list(result.upload.extra_columns),
            "layout": result.upload.layout,
            "read_notes": list(result.upload.notes),
        },
        "summary": {
            "rows_read": result.figures.rows,
            "rows_rejected": p.rejects.height,
            "owners": p.owners.height,
            "locations": p.locations.height,
            "list_codes": p.locations["PriorityCode"].n_unique(),
            "new_list_codes": len(new_codes),
            "seconds": round(result.seconds, 3),
            "warnings": [{"guard": w.guard, "evidence": w.evidence} for w in result.warnings],
        },
        "flags": [
            {"flag": flag, "rows": int(loadable[flag].cast(pl.Int64).sum())}
            for flag in COUNTED
            if flag in loadable.columns
        ],
        "base_codes": _counts(loadable, "BasePriorityCode"),
        "list_codes": [
            {**row, "new": row["code"] in new_codes} for row in _counts(p.locations, "PriorityCode")
        ],
        "stack_counts": _stack_counts(result),
        "completeness": _completeness(result),
        "unparseable_examples": [
            {"row": row, "column": column, "value": value}
            for row, column, value in result.upload.unparseable_examples
        ],
        "site_quality": _site_quality(result),
        "rejects": _rejects(p.rejects),
        "names_to_check": _names_to_check(result),
        "niche": [_niche(outcome) for outcome in p.niche],
        "load": _load(result),
        "changes": _headline(result),
        "dry_run": _dry_run(result.preview) if result.preview is not None else None,
    }


def quality(result: JobResult) -> dict[str, Any]:
    """The few figures a batch or an orchestrator checks a load by: rows read and rejected, the
    reject rate, each niche list's rows and unmatched rows, and the load's counts."""
    p, load = result.processed, result.load
    read = result.figures.rows
    return {
        "rows_read": read,
        "rows_rejected": p.rejects.height,
        "reject_rate": p.rejects.height / read if read else 0.0,
        "niche": {o.type: {"rows": o.rows, "unmatched": o.unmatched.height} for o in p.niche},
        "load": {"upload_log_id": load.upload_log_id, **_changes(load)} if load else None,
    }


def _rules(result: JobResult) -> dict[str, Any]:
    rules = result.rules
    return {
        "file": rules.source if rules is not None else "rules.toml",
        "changes": list(rules.changes) if rules is not None else [],
    }


def _new_codes(result: JobResult) -> set[str]:
    if result.preview is not None:
        return set(result.preview.counts.new_codes)
    return set(result.load.new_codes) if result.load is not None else set()


def _counts(frame: pl.DataFrame, column: str) -> list[dict[str, Any]]:
    """Rows per value of `column`, most first (ties by value)."""
    counts = frame.group_by(column).len().sort(["len", column], descending=[True, False])
    return [{"code": code, "rows": int(n)} for code, n in counts.iter_rows()]


def _stack_counts(result: JobResult) -> list[dict[str, int]]:
    """Locations per stack count: how many prefixes and niche lists their final code carries."""
    rules = result.rules or load_rules()
    prefixes = [rule.prefix for rule in rules.prefixes]
    return stack.distribution(
        result.processed.locations["PriorityCode"], prefixes, rules.niche_separator
    )


def _completeness(result: JobResult) -> list[dict[str, Any]]:
    rows, filled = result.figures.rows, result.figures.filled
    missing = set(result.upload.missing_columns)
    return [
        {
            "column": column,
            "required": column in REQUIRED,
            "in_file": column not in missing,
            "filled": int(filled[column]),
            "percent": round(100 * filled[column] / rows, 2) if rows else 0.0,
            "unparseable": int(result.upload.unparseable.get(column, 0)),
        }
        for column in UPLOAD_COLUMNS
    ]


def _listed(frame: pl.DataFrame) -> dict[str, Any]:
    """The first MAX_LISTED rows as records (`_row` named `row`), with the total."""
    head = frame.head(MAX_LISTED).rename({SOURCE_ROW: "row"}, strict=False)
    return {
        "total": frame.height,
        "truncated": frame.height > MAX_LISTED,
        "rows": head.to_dicts(),
    }


def _site_quality(result: JobResult) -> dict[str, Any] | None:
    """Placeholder site addresses and empty site ZIPs, and the rules they left undecided."""
    site = result.site
    if site is None:
        return None
    return {
        "placeholder_addresses": site.placeholder_addresses,
        "empty_zips": site.empty_zips,
        "zip_fallback": site.zip_fallback,
        "undecided_for_placeholders": list(site.undecided_for_placeholders),
        "undecided_for_empty_zips": list(site.undecided_for_empty_zips),
    }


def _names_to_check(result: JobResult) -> dict[str, Any]:
    """The envelope names less sure than ``[names] check_below``, once per distinct owner, and
    the rows per confidence (fall-backs among them)."""
    levels = result.figures.name_levels
    below = result.rules.names.check_below if result.rules is not None else "likely"
    return {
        "check_below": below,
        "rows_by_confidence": [{"confidence": k, "rows": v} for k, v in levels.items()],
        "fallbacks": levels.get("fallback", 0),
        **_listed(result.figures.names_to_check),
    }


def _rejects(rejects: pl.DataFrame) -> dict[str, Any]:
    by_reason = rejects_by_reason(rejects)
    return {
        "by_reason": [{"reason": r, "rows": int(n)} for r, n in by_reason.iter_rows()],
        **_listed(rejects.select(SOURCE_ROW, "LocationPrimaryId", "reason")),
    }


def _niche(outcome: NicheOutcome) -> dict[str, Any]:
    return {
        "type": outcome.type,
        "source": outcome.source,
        "rows": outcome.rows,
        "matched_by_id": outcome.matched_by_id,
        "matched_by_address": outcome.matched_by_address,
        "locations_tagged": outcome.locations_tagged,
        "unmatched": _listed(outcome.unmatched),
        "ambiguous": _listed(outcome.ambiguous.with_columns(pl.col("parcels").cast(pl.Int64))),
    }


def _changes(counts: LoadResult) -> dict[str, Any]:
    """Owners and locations inserted / updated / unchanged (/ frozen), done or predicted, and
    the cells not read whose stored value was (or would be) kept."""
    return {
        "owners": {
            "insert": counts.owners_inserted,
            "update": counts.owners_updated,
            "unchanged": counts.owners_unchanged,
        },
        "locations": {
            "insert": counts.locations_inserted,
            "update": counts.locations_updated,
            "unchanged": counts.locations_unchanged,
            "frozen": counts.locations_frozen,
        },
        "cells_kept": counts.cells_kept,
    }


def _headline(result: JobResult) -> dict[str, Any] | None:
    """The load's changes in a few figures and the command that shows them all."""
    load = result.load
    figures = load_headline(load.moves if load else None, result.rules or load_rules())
    if figures is None or load is None:
        return None
    command = f"propmail changes --region {load.region_id} --load {load.upload_log_id}"
    return {**figures, "command": command}


def _load(result: JobResult) -> dict[str, Any] | None:
    load = result.load
    if load is None:
        return None
    return {
        "upload_log_id": load.upload_log_id,
        "processing_state": load.processing_state,
        **_changes(load),
        "new_codes": list(load.new_codes),
    }


def _dry_run(preview: Preview) -> dict[str, Any]:
    c = preview.counts
    return {
        **_changes(c),
        "new_codes": [{"code": code, "rows": preview.new_code_rows[code]} for code in c.new_codes],
        "parity": {
            "existing": preview.existing,
            "same_code": preview.same_code,
            "changed_code": preview.code_changes,
            "changes": [
                {
                    "old_code": change.old_code,
                    "new_code": change.new_code,
                    "locations": change.locations,
                    "frozen": change.frozen,
                    "examples": list(change.examples),
                }
                for change in preview.parity
            ],
        },
    }
