"""The end-of-job summary an operator reads on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from propmail.job import JobResult
from propmail.redact import redact

MAX_CODES_SHOWN = 20


def summary_rows(result: JobResult) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order they are printed."""
    p = result.processed
    rows: list[tuple[str, str]] = [
        ("database", result.db_url),
        ("upload", result.upload.source),
        ("rows read", f"{result.upload.frame.height:,}"),
        ("rows rejected", f"{p.rejects.height:,}"),
    ]
    if p.rejects.height:
        by_reason = p.rejects.group_by("reason").len().sort("len", descending=True)
        for reason, count in by_reason.iter_rows():
            rows.append(("  " + reason, f"{count:,}"))
    if result.upload.missing_columns:
        rows.append(("optional columns missing", ", ".join(result.upload.missing_columns)))
    for column, count in sorted(result.upload.unparseable.items()):
        rows.append((f"unparseable {column} (now null)", f"{count:,}"))
    for outcome in p.niche:
        rows.append(
            (
                f"niche {outcome.type}",
                f"{outcome.rows:,} rows: {outcome.locations_tagged:,} locations tagged, "
                f"{outcome.unmatched.height:,} unmatched, {outcome.ambiguous.height:,} ambiguous",
            )
        )
    load = result.load
    if load is not None:
        rows += [
            (
                "owners inserted / updated / unchanged",
                f"{load.owners_inserted:,} / {load.owners_updated:,} / {load.owners_unchanged:,}",
            ),
            (
                "locations inserted / updated / unchanged / frozen",
                f"{load.locations_inserted:,} / {load.locations_updated:,} / "
                f"{load.locations_unchanged:,} / {load.locations_frozen:,}",
            ),
            ("new list codes", f"{len(load.new_codes):,}"),
        ]
        shown = load.new_codes[:MAX_CODES_SHOWN]
        rows += [("  " + code, "created") for code in shown]
        if len(load.new_codes) > len(shown):
            rows.append((f"  ... and {len(load.new_codes) - len(shown):,} more", ""))
        if load.upload_log_id is not None:
            rows.append(("UploadLogId", str(load.upload_log_id)))
    rows.append(("time", f"{result.seconds:.1f} s"))
    return rows


def print_summary(result: JobResult, console: Console) -> None:
    table = Table(
        title="propmail process",
        show_header=False,
        title_justify="left",
        expand=console.width < 120,
    )
    table.add_column(style="bold", overflow="fold", ratio=3)
    table.add_column(justify="right", overflow="fold", ratio=2)
    for label, value in summary_rows(result):
        # file names and codes come from outside: shown as text, never as markup or a password
        table.add_row(escape(redact(label)), escape(redact(value)))
    console.print(table)
