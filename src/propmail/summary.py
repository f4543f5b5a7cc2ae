"""The end-of-job summary an operator reads on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from propmail.changes import load_headline
from propmail.contract import LOCATION, OWNER, kept
from propmail.db import Preview
from propmail.job import JobResult
from propmail.parity import ParityResult
from propmail.pipeline import rejects_by_reason
from propmail.redact import redact
from propmail.settings import load_rules
from propmail.verify import SlugCheck

MAX_CODES_SHOWN = 20
# upload columns whose cell, when it cannot be read, leaves the stored value as it is
KEPT_STORED = frozenset(kept(LOCATION).values()) | frozenset(kept(OWNER).values())
REJECTS_SHOWN = 5


def _layout_rows(result: JobResult) -> list[tuple[str, str]]:
    """The layout the upload was read through, and what the reader chose or left out."""
    upload = result.upload
    rows = [("layout", upload.layout)] if upload.layout else []
    if upload.sheet:
        rows.append(("sheet", upload.sheet))
    return rows + [("  read", note) for note in upload.notes]


def _repeat_rows(result: JobResult) -> list[tuple[str, str]]:
    """An upload identical to the region's last load: which load, and that nothing ran."""
    load = result.load
    return [
        ("database", result.db_url),
        ("upload", result.upload.source),
        *_rules_rows(result),
        (
            f"identical to upload {result.identical_to}",
            "the same files and settings, loaded today, nothing since: nothing read or "
            "loaded (--force runs it in full)",
        ),
        ("rows", f"{result.figures.rows:,}"),
        ("UploadLogId", str(load.upload_log_id if load is not None else "")),
        ("time", f"{result.seconds:.1f} s"),
    ]


def summary_rows(result: JobResult) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order they are printed."""
    if result.identical_to is not None:
        return _repeat_rows(result)
    p = result.processed
    rows: list[tuple[str, str]] = [
        ("database", result.db_url),
        ("upload", result.upload.source),
        *_layout_rows(result),
        *_rules_rows(result),
        ("rows read", f"{result.figures.rows:,}"),
        ("rows rejected", f"{p.rejects.height:,}"),
    ]
    if p.rejects.height:
        for reason, count in rejects_by_reason(p.rejects).iter_rows():
            rows.append(("  " + reason, f"{count:,}"))
    for warning in result.warnings:
        rows.append((f"warning: {warning.guard}", warning.evidence))
    if result.upload.missing_columns:
        rows.append(("optional columns missing", ", ".join(result.upload.missing_columns)))
    for column, count in sorted(result.upload.unparseable.items()):
        kept = "empty; a stored row keeps its value" if column in KEPT_STORED else "now null"
        rows.append((f"unparseable {column} ({kept})", f"{count:,}"))
    rows += _site_rows(result) + _name_rows(result)
    for outcome in p.niche:
        rows.append(
            (
                f"niche {outcome.type}",
                f"{outcome.rows:,} rows: {outcome.locations_tagged:,} locations tagged, "
                f"{outcome.unmatched.height:,} unmatched, {outcome.ambiguous.height:,} ambiguous",
            )
        )
    if result.preview is not None:
        rows += _dry_run_rows(result.preview)
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
        if load.cells_kept or result.upload.unparseable:
            rows.append(("cells not read, stored value kept", f"{load.cells_kept:,}"))
        shown = load.new_codes[:MAX_CODES_SHOWN]
        rows += [("  " + code, "created") for code in shown]
        if len(load.new_codes) > len(shown):
            rows.append((f"  ... and {len(load.new_codes) - len(shown):,} more", ""))
        rows += _change_rows(result)
        if load.upload_log_id is not None:
            rows.append(("UploadLogId", str(load.upload_log_id)))
    if result.staging:
        rows.append(("staging", result.staging))
    if result.compared:
        rows.append(("compared before staging", result.compared))
    rows.append(("time", f"{result.seconds:.1f} s"))
    return rows


def _change_rows(result: JobResult) -> list[tuple[str, str]]:
    """The load's changes in a few figures (`propmail changes` has them all)."""
    load = result.load
    figures = load_headline(load.moves if load else None, result.rules or load_rules())
    if figures is None or load is None:
        return []
    f = figures
    return [
        ("changes: new / rewritten / sold", f"{f['new']:,} / {f['changed']:,} / {f['sold']:,}"),
        (
            "changes: list code changed / lists joined / left / on more lists",
            f"{f['code_changed']:,} / {f['joined']:,} / {f['left']:,} / {f['stack_up']:,}",
        ),
        (
            "  all of them",
            f"propmail changes --region {load.region_id} --load {load.upload_log_id}",
        ),
    ]


def _site_rows(result: JobResult) -> list[tuple[str, str]]:
    """Placeholder site addresses and empty site ZIPs, with the rules left undecided."""
    site = result.site
    if site is None:
        return []
    rows = []
    if site.placeholder_addresses:
        rows.append(("site address a placeholder or empty", f"{site.placeholder_addresses:,}"))
        undecided = ", ".join(site.undecided_for_placeholders)
        rows.append(("  undecided (not owner-occupied)", undecided))
    if site.empty_zips:
        rows.append(("site ZIP empty", f"{site.empty_zips:,}"))
        rows.append(("  owner occupancy compared by", site.zip_fallback))
        rows.append(("  undecided", ", ".join(site.undecided_for_empty_zips)))
    return rows


def _name_rows(result: JobResult) -> list[tuple[str, str]]:
    """Envelope names to check (below `[names] check_below`) and the fall-backs among them."""
    levels = result.figures.name_levels
    if not levels:
        return []
    below = result.rules.names.check_below if result.rules is not None else "likely"
    listed = result.figures.names_to_check.height
    rows = [(f"envelope names to check (less sure than {below})", f"{listed:,}")]
    if levels.get("fallback"):
        rows.append(("  rows printed in the safe form (fall-back)", f"{levels['fallback']:,}"))
    return rows


def _rules_rows(result: JobResult) -> list[tuple[str, str]]:
    """The rules file in force and each rule it changed."""
    rules = result.rules
    if rules is None or not rules.changes:
        return [("rules", "the defaults (rules.toml)")]
    return [("rules", rules.source)] + [("  " + change, "") for change in rules.changes]


def print_rejects_hint(result: JobResult, console: Console) -> None:
    """Without a report: the first rejected rows, and where to see them all."""
    rejects = result.processed.rejects
    if rejects.height == 0:
        return
    shown = rejects.head(REJECTS_SHOWN)
    title = f"first {shown.height} of {rejects.height:,} rejected rows"
    table = Table(title=title, title_justify="left")
    for column in shown.columns:
        table.add_column(column.lstrip("_"), overflow="fold")  # _row: the spreadsheet row
    for row in shown.iter_rows():
        table.add_row(*(Text(redact(str(v)) if v is not None else "") for v in row))
    console.print(table)
    console.print(
        "every rejected row and its reason: run again with --report DIR (rejects.csv)",
        markup=False,
        highlight=False,
    )


def _dry_run_rows(preview: Preview) -> list[tuple[str, str]]:
    c = preview.counts
    rows = [
        (
            "owners to insert / update / leave unchanged",
            f"{c.owners_inserted:,} / {c.owners_updated:,} / {c.owners_unchanged:,}",
        ),
        (
            "locations to insert / update / leave unchanged / leave frozen",
            f"{c.locations_inserted:,} / {c.locations_updated:,} / "
            f"{c.locations_unchanged:,} / {c.locations_frozen:,}",
        ),
        ("list codes to create (locations carrying each)", f"{len(c.new_codes):,}"),
    ]
    if c.cells_kept:
        rows.append(("cells not read, stored value to keep", f"{c.cells_kept:,}"))
    shown = c.new_codes[:MAX_CODES_SHOWN]
    rows += [(f"  {code}", f"{preview.new_code_rows[code]:,}") for code in shown]
    if len(c.new_codes) > len(shown):
        rows.append((f"  ... and {len(c.new_codes) - len(shown):,} more", ""))
    rows.append(
        (
            "existing locations: same list code / other code",
            f"{preview.same_code:,} / {preview.code_changes:,}",
        )
    )
    return rows


def parity_table(preview: Preview) -> Table:
    """Existing locations whose list code the upload changes, by old code -> new code."""
    table = Table(
        title="parity: existing locations whose list code would change",
        title_justify="left",
        caption=f"{preview.same_code:,} of {preview.existing:,} existing locations keep their code",
        caption_justify="left",
    )
    table.add_column("old code", overflow="fold")
    table.add_column("new code", overflow="fold")
    table.add_column("locations", justify="right")
    table.add_column("frozen", justify="right")
    table.add_column("examples (PrimaryId)", overflow="fold")
    for change in preview.parity[:MAX_CODES_SHOWN]:
        table.add_row(
            Text(change.old_code if change.old_code is not None else "(none)"),
            Text(change.new_code),
            f"{change.locations:,}",
            f"{change.frozen:,}",
            Text(", ".join(change.examples)),
        )
    if len(preview.parity) > MAX_CODES_SHOWN:
        table.add_row(
            f"... and {len(preview.parity) - MAX_CODES_SHOWN:,} more pairs", "", "", "", ""
        )
    return table


def print_summary(result: JobResult, console: Console) -> None:
    dry = result.preview is not None
    table = Table(
        title="propmail process --dry-run: nothing was written" if dry else "propmail process",
        show_header=False,
        title_justify="left",
        expand=console.width < 120,
    )
    table.add_column(style="bold", overflow="fold", ratio=3)
    table.add_column(justify="right", overflow="fold", ratio=2)
    for label, value in summary_rows(result):
        # file names and codes come from outside: shown as text, never as markup or a password
        table.add_row(Text(redact(label)), Text(redact(value)))
    console.print(table)
    if result.preview is not None and result.preview.parity:
        console.print(parity_table(result.preview))


def print_slug_check(check: SlugCheck, configured: str, db_url: str, console: Console) -> None:
    """verify-slugs: the match rate per style and a sample of the slugs each does not reproduce."""
    table = Table(title=Text(f"Owner.Slug recomputed per style ({db_url})"), title_justify="left")
    table.add_column("style")
    for column in ("matched", "of owners", "rate"):
        table.add_column(column, justify="right")
    for match in check.styles:
        label = match.style + (" (configured)" if match.style == configured else "")
        rate = f"{100 * check.rate(match):.2f} %"
        table.add_row(Text(label), f"{match.matched:,}", f"{check.owners:,}", rate)
    console.print(table)
    if check.owners == 0:
        console.print("no owners stored yet: nothing to compare")
        return
    if check.unusable:
        console.print(
            f"{check.unusable:,} owners have an empty Address1 or Zip: no style can recompute "
            "their slug"
        )
    for match in check.styles:
        if not match.mismatches:
            continue
        sample = Table(
            title=f"sample of slugs the {match.style} style does not reproduce",
            title_justify="left",
        )
        for column in ("stored Slug", "Address1", "Zip", f"{match.style} gives"):
            sample.add_column(column, overflow="fold")
        for row in match.mismatches:
            cells = (row[k] for k in ("Slug", "Address1", "Zip", "computed"))
            sample.add_row(*(Text(v if v is not None else "") for v in cells))
        console.print(sample)
    console.print(_slug_advice(check, configured), markup=False, highlight=False)


def _slug_advice(check: SlugCheck, configured: str) -> str:
    best = check.best
    chosen = next(m for m in check.styles if m.style == configured)
    if best.matched > chosen.matched:
        return (
            f"the {best.style} style reproduces more stored slugs than the configured "
            f'{configured}: set [slug] style = "{best.style}" in your rules file (--rules)'
        )
    return (
        f"the configured {configured} style reproduces {100 * check.rate(chosen):.2f} % "
        "of the stored slugs"
    )


def print_parity(result: ParityResult, console: Console, patterns: int = 5) -> None:
    """parity: one row per column (agreement, counts), then its disagreements by pattern."""
    r = result
    console.print(
        Text(
            f"parity of {r.upload} with region {r.region_id} of {r.db_url} (rules: {r.rules}): "
            f"{r.compared:,} locations on both sides; {r.only_in_database:,} only in the database"
            f" ({r.only_in_database_rejected:,} of them rejected in the upload), "
            f"{r.only_in_upload:,} only in the upload; {r.seconds:.1f} s"
        )
    )
    table = Table(title="agreement per column", title_justify="left")
    table.add_column("column", no_wrap=True)
    for column in ("agree", "disagree", "rate"):
        table.add_column(column, justify="right")
    table.add_column("largest pattern (stored -> propmail)", overflow="fold")
    for col in r.columns:
        top = col.ranked()[:1]
        largest = f"{top[0].pattern} ({top[0].rows:,})" if top else ""
        rate = f"{100 * col.rate:.2f} %"
        table.add_row(Text(col.column), f"{col.agree:,}", f"{col.disagree:,}", rate, Text(largest))
    console.print(table)
    for col in r.columns:
        if not col.patterns:
            continue
        detail = Table(title=f"{col.column}: disagreements by pattern", title_justify="left")
        for column in ("stored -> propmail", "rows", "examples (parcel: stored -> propmail, why)"):
            detail.add_column(
                column, overflow="fold", justify="right" if column == "rows" else "left"
            )
        for pattern in col.ranked()[:patterns]:
            examples = "\n".join(
                f"{e.parcel}: {e.stored!r} -> {e.propmail!r}"
                + (f"; {e.reason}" if e.reason else "")
                for e in pattern.examples
            )
            detail.add_row(Text(pattern.pattern), f"{pattern.rows:,}", Text(examples))
        console.print(detail)
    if r.suggestions:
        print_suggestions(r, console)


def print_suggestions(result: ParityResult, console: Console) -> None:
    """--suggest: each setting's agreement, best first, with the fragment to adopt."""
    table = Table(title="settings tried (best first)", title_justify="left")
    for column in ("setting", "cells gained", "columns it changes: agreement now -> with it"):
        table.add_column(column, overflow="fold", justify="right" if "gained" in column else "left")
    unchanged = [s.setting for s in result.suggestions if not s.columns]
    for s in result.suggestions:
        if not s.columns:
            continue
        changed = "\n".join(
            f"{c}: {100 * before:.2f} % -> {100 * after:.2f} %"
            for c, (before, after) in s.rates().items()
            if before != after
        )
        table.add_row(Text(s.setting), f"{s.gain:+,}", Text(changed or "the same agreement"))
    console.print(table)
    if unchanged:
        console.print(Text(f"no value changes with: {'; '.join(unchanged)}"))
    better = [s for s in result.suggestions if s.gain > 0]
    if not better:
        console.print("no setting tried brings propmail closer to the database")
        return
    console.print("# rules-file fragments that bring propmail closer, best first:")
    for s in better:
        console.print(Text(f"# {s.setting}: {s.gain:+,} cells\n{s.fragment}\n"))
    both = result.together
    if both is not None:
        rates = "; ".join(
            f"{c} {100 * after:.2f} %"
            for c, (before, after) in both.rates().items()
            if before != after
        )
        console.print(
            Text(f"# all of them at once: {both.gain:+,} cells ({rates})\n{both.fragment}\n")
        )
