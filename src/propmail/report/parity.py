"""The parity report (`propmail parity --report DIR`): parity.json and parity.html.

parity.json follows `parity.schema.json` (shipped beside it, described in docs/report.md);
parity.html is one self-contained page in the style of the quality report (the same style
sheet, macros and safety: `page.environment`), made from the same dict.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from propmail import __version__, jsontext
from propmail.parity import ColumnParity, ParityResult, Suggestion
from propmail.report.cells import write_text
from propmail.report.page import environment

SCHEMA_VERSION = 1
MAX_PATTERNS = 50  # patterns listed per column, the largest first; the total is beside them


@cache
def parity_schema() -> dict[str, Any]:
    """The JSON Schema parity.json follows."""
    text = resources.files("propmail.report").joinpath("parity.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _column(col: ColumnParity) -> dict[str, Any]:
    ranked = col.ranked()
    return {
        "column": col.column,
        "compared": col.compared,
        "agree": col.agree,
        "disagree": col.disagree,
        "rate": round(col.rate, 6),
        "patterns_total": len(ranked),
        "patterns": [
            {
                "pattern": p.pattern,
                "rows": p.rows,
                "examples": [e.as_dict() for e in p.examples],
            }
            for p in ranked[:MAX_PATTERNS]
        ],
    }


def _suggestion(s: Suggestion) -> dict[str, Any]:
    return {
        "setting": s.setting,
        "fragment": s.fragment,
        "cells_gained": s.gain,
        "columns": [
            {"column": c, "agree_now": before, "agree_with_setting": after}
            for c, (before, after) in s.columns.items()
        ],
    }


def build_parity(result: ParityResult, generated_at: datetime | None = None) -> dict[str, Any]:
    """The parity report's dict: what parity.json holds and parity.html shows."""
    r = result
    return {
        "schema_version": SCHEMA_VERSION,
        "propmail_version": __version__,
        "generated_at": (generated_at or datetime.now().astimezone()).isoformat(timespec="seconds"),
        "database": r.db_url,
        "region_id": r.region_id,
        "upload": r.upload,
        "rules": r.rules,
        "seconds": round(r.seconds, 3),
        "rows": {
            "upload_locations": r.upload_rows,
            "upload_rejected": r.rejected,
            "stored_locations": r.stored_rows,
            "compared": r.compared,
            "only_in_database": r.only_in_database,
            "only_in_database_rejected_in_upload": r.only_in_database_rejected,
            "only_in_upload": r.only_in_upload,
        },
        "agreement": {"cells": r.cells, "agree": r.agree},
        "columns": [_column(c) for c in r.columns],
        "suggestions": [_suggestion(s) for s in r.suggestions],
        "together": _suggestion(r.together) if r.together else None,
    }


def render_parity(report: dict[str, Any]) -> str:
    return environment().get_template("parity.html.j2").render(report=report)


def write_parity_report(
    result: ParityResult, directory: str | Path, generated_at: datetime | None = None
) -> tuple[Path, Path]:
    """Write parity.json and parity.html into `directory` (created if needed)."""
    folder = Path(directory)
    report = build_parity(result, generated_at)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "parity.json", folder / "parity.html"
    write_text(json_path, jsontext.dumps(report, indent=2, ensure_ascii=False) + "\n")
    write_text(html_path, render_parity(report))
    return json_path, html_path
