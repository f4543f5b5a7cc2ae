"""The benchmark's report: stage tables, ratios to the floor and to the guide, the targets."""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass
from typing import Any

from propmail import jsontext
from propmail.bench.runner import BackendRuns, Results
from propmail.redact import masked_url

PEAK_RSS_TARGET_MB = 1500
FLOOR_TARGET = 1.3  # propmail within 1.3x the floor
GUIDE_TARGET = 10.0  # at least 10x faster than the guide's literal design
RERUN_TARGET = 0.3  # the same files again the same day, run in full (--force): at most 0.3
IDENTICAL_TARGET = 0.05  # the same files again the same day, recognised: at most 0.05
# the same files next month (every row refreshed): at most this much of the first load
NEXT_MONTH_TARGET = {"sqlite": 1.0, "postgresql": 0.8}
JOURNAL_TIME_TARGET = 0.15  # the journal costs at most 15 % more time
JOURNAL_RSS_TARGET = 0.10  # and at most 10 % more peak RSS
UNDO_TARGET = 1.5  # undoing a load takes at most 1.5x the load it undoes
CHANGES_TARGET = 0.2  # `propmail changes` of a load takes at most 0.2 of that load's time
SCALE_ROWS = 100_000  # below this, start-up and connection costs dominate: targets not judged


@dataclass(frozen=True)
class Figures:
    """The headline numbers of one backend."""

    propmail: float
    floor: float
    guide: float  # scaled to the full row count when run on a subset
    peak_rss_mb: float
    rerun: float
    month2: float
    changed: float
    floor_arrow: float | None = None  # the floor staging through Arrow as propmail does
    rerun_forced: float | None = None  # the same files again the same day with --force
    dlt: float | None = None  # dlt's merge, month 1, scaled to the full row count
    dlt_reload: float | None = None  # dlt's merge of the same rows again, scaled

    @property
    def dlt_ratio(self) -> float | None:
        return self.propmail / self.dlt if self.dlt else None

    @property
    def floor_ratio(self) -> float:
        return self.propmail / self.floor

    @property
    def floor_arrow_ratio(self) -> float | None:
        return self.propmail / self.floor_arrow if self.floor_arrow else None

    @property
    def guide_ratio(self) -> float:
        return self.guide / self.propmail


def _floor_seconds(floor: dict[str, Any]) -> float:
    return float(floor["read"]["seconds"] + floor["load"]["seconds"])


def figures(runs: BackendRuns, rows: int, guide_rows: int) -> Figures:
    floor = _floor_seconds(runs.floor)
    return Figures(
        propmail=runs.month1["seconds"],
        floor=floor,
        guide=runs.guide["seconds"] * rows / guide_rows,
        peak_rss_mb=runs.month1["peak_rss_mb"],
        rerun=runs.rerun["seconds"],
        month2=runs.month2["seconds"],
        changed=runs.changed["seconds"],
        floor_arrow=_floor_seconds(runs.floor_arrow) if runs.floor_arrow else None,
        rerun_forced=runs.rerun_forced["seconds"] if runs.rerun_forced else None,
        dlt=_dlt_seconds(runs, "load", rows),
        dlt_reload=_dlt_seconds(runs, "reload", rows),
    )


def _dlt_seconds(runs: BackendRuns, which: str, rows: int) -> float | None:
    """dlt's time for `which` (month 1, the same rows again), scaled from the rows it ran on."""
    if not runs.dlt or "skipped" in runs.dlt:
        return None
    return float(runs.dlt[which]["seconds"]) * rows / runs.dlt["rows"]


def _rate(rows: int, seconds: float) -> str:
    if seconds <= 0:
        return "-"
    rate = rows / seconds
    return f"{rate / 1e6:.1f}M" if rate >= 1e6 else f"{rate / 1e3:.0f}k"


def _stage_table(run: dict[str, Any], rows: int) -> list[str]:
    lines = ["| stage | seconds | rows/s | peak RSS MB |", "| --- | ---: | ---: | ---: |"]
    for stage in run["stages"]:
        lines.append(
            f"| {stage['name']} | {stage['seconds']:.2f} | {_rate(rows, stage['seconds'])} "
            f"| {stage['peak_rss_mb']:,.0f} |"
        )
    lines.append(
        f"| **total** | **{run['seconds']:.2f}** | {_rate(rows, run['seconds'])} "
        f"| **{run['peak_rss_mb']:,.0f}** |"
    )
    return lines


def _counts(run: dict[str, Any]) -> str:
    load = run["load"]
    if run.get("identical_to") is not None:
        return f"identical to upload {run['identical_to']}: nothing read or loaded"
    return (
        f"locations {load['locations_inserted']:,} inserted / {load['locations_updated']:,} "
        f"updated / {load['locations_unchanged']:,} unchanged; owners "
        f"{load['owners_inserted']:,} / {load['owners_updated']:,} / "
        f"{load['owners_unchanged']:,}"
        + (f"; compared before staging: {run['compared']}" if run.get("compared") else "")
    )


def _verdict(ok: bool, rows: int) -> str:
    if rows < SCALE_ROWS:
        return "not judged (fixed costs dominate at this size)"
    return "met" if ok else "**missed**"


def _scale_note(rows: int) -> list[str]:
    if rows >= SCALE_ROWS:
        return []
    return [
        f"At {rows:,} rows the fixed costs (starting Python, importing polars, connecting, "
        "creating the schema) dominate every time below; the targets are set for uploads of "
        f"{SCALE_ROWS:,} rows and more, so they are shown, not judged.",
        "",
    ]


def _owners_note(runs: BackendRuns, rows: int) -> list[str]:
    """Why an owner count is not the row count: owners are counted once per owner key."""
    named = {
        "month 1": runs.month1,
        "same files again": runs.rerun,
        "same files again, --force": runs.rerun_forced,
        "next month": runs.month2,
        "10 % changed": runs.changed,
    }
    off = []
    for name, run in named.items():
        if not run or run.get("identical_to") is not None:
            continue
        load = run["load"]
        owners = load["owners_inserted"] + load["owners_updated"] + load["owners_unchanged"]
        if owners != rows:
            off.append(f"{name}: {owners:,} owners for {rows:,} rows")
    if not off:
        return []
    return [
        "Owner counts are of owners, not rows: rows that share an owner key (the same owner "
        "street and ZIP) are one owner, so the counts add up to the upload's distinct owners ("
        + "; ".join(off)
        + ").",
        "",
    ]


def backend_section(runs: BackendRuns, rows: int, guide_rows: int) -> list[str]:
    f = figures(runs, rows, guide_rows)
    floor, guide = runs.floor, runs.guide
    next_month = NEXT_MONTH_TARGET.get(runs.backend, 1.0)
    scaled = guide_rows < rows
    guide_label = (
        f"extrapolated from {guide_rows:,} rows (x{rows / guide_rows:g})" if scaled else "measured"
    )
    out = [f"### {runs.backend}", "", "propmail, month 1 into an empty database:", ""]
    out += _stage_table(runs.month1, rows)
    out += ["", "The floor (bare read, bare bulk load + one upsert per table, same rows):", ""]
    floor_stages = {"stages": floor["read"]["stages"] + floor["load"]["stages"]}
    floor_stages["seconds"] = f.floor
    floor_stages["peak_rss_mb"] = max(floor["read"]["peak_rss_mb"], floor["load"]["peak_rss_mb"])
    out += _stage_table(floor_stages, rows)
    if runs.floor_arrow:
        arrow = runs.floor_arrow
        out += ["", "The floor with the same Arrow staging (ADBC) as propmail:", ""]
        arrow_stages = {"stages": arrow["read"]["stages"] + arrow["load"]["stages"]}
        arrow_stages["seconds"] = f.floor_arrow
        arrow_stages["peak_rss_mb"] = max(
            arrow["read"]["peak_rss_mb"], arrow["load"]["peak_rss_mb"]
        )
        out += _stage_table(arrow_stages, rows)
    for label, run in (
        ("same files again, same day", runs.rerun),
        ("same files again, same day, --force", runs.rerun_forced),
        ("next month", runs.month2),
    ):
        if not run:
            continue
        out += ["", f"propmail, {label}:", ""]
        out += _stage_table(run, rows)
    out += ["", f"The guide's literal design on {guide_rows:,} rows ({guide_label}):", ""]
    out += _stage_table(guide, guide_rows)
    out += [
        "",
        "| run | seconds | ratio |",
        "| --- | ---: | --- |",
        f"| propmail, month 1 (staging: {runs.month1.get('staging') or '-'}) | "
        f"{f.propmail:.2f} | {_floor_ratios(f)} |",
        f"| floor (staging: {'COPY' if runs.backend == 'postgresql' else 'executemany'}) "
        f"| {f.floor:.2f} | |",
        *([f"| floor, Arrow staging (ADBC) | {f.floor_arrow:.2f} | |"] if f.floor_arrow else []),
        f"| guide's literal design ({guide_label}) | {f.guide:.1f} | "
        f"{f.guide_ratio:.1f}x propmail's time |",
        f"| same files again, same day | {f.rerun:.2f} | {f.rerun / f.propmail:.2f} of month 1 "
        f"({_counts(runs.rerun)}) |",
        *_forced_row(runs, f),
        f"| same files, next month | {f.month2:.2f} | {f.month2 / f.propmail:.2f} of month 1 "
        f"({_counts(runs.month2)}) |",
        f"| floor, same rows again | {floor['reload']['seconds']:.2f} | every row rewritten |",
        *_dlt_rows(runs, f, rows),
        f"| month with 10 % changed rows | {f.changed:.2f} | {f.changed / f.propmail:.2f} of "
        f"month 1 ({_counts(runs.changed)}) |",
        "",
        *_owners_note(runs, rows),
        "Targets:",
        "",
        *_scale_note(rows),
        f"- within {FLOOR_TARGET:g}x the floor: {_floor_ratios(f)}, "
        f"{_verdict(max(f.floor_ratio, f.floor_arrow_ratio or 0) <= FLOOR_TARGET, rows)}"
        + (" (both floors)" if f.floor_arrow else ""),
        f"- at least {GUIDE_TARGET:g}x faster than the guide's design: {f.guide_ratio:.1f}x, "
        f"{_verdict(f.guide_ratio >= GUIDE_TARGET, rows)}",
        f"- peak RSS at most {PEAK_RSS_TARGET_MB:,} MB: {f.peak_rss_mb:,.0f} MB, "
        f"{_verdict(f.peak_rss_mb <= PEAK_RSS_TARGET_MB, rows)}",
        f"- the same files again the same day at most {IDENTICAL_TARGET:g} of month 1: "
        f"{f.rerun / f.propmail:.3f}, {_verdict(f.rerun / f.propmail <= IDENTICAL_TARGET, rows)}",
        *(
            [
                f"- the same files again the same day with --force at most {RERUN_TARGET:g} "
                f"of month 1: {f.rerun_forced / f.propmail:.2f}, "
                f"{_verdict(f.rerun_forced / f.propmail <= RERUN_TARGET, rows)}"
            ]
            if f.rerun_forced
            else []
        ),
        *_dlt_target(runs, f, rows),
        f"- the same files next month at most {next_month:g} of month 1: "
        f"{f.month2 / f.propmail:.2f}, {_verdict(f.month2 / f.propmail <= next_month, rows)}",
        "",
        *_journal_section(runs, rows),
        *_undo_section(runs, rows),
        *_changes_section(runs, rows),
        *_drop_section(runs),
    ]
    return out


def _dlt_label(runs: BackendRuns, rows: int) -> str:
    ran = runs.dlt["rows"]
    return f"extrapolated from {ran:,} rows (x{rows / ran:g})" if ran < rows else "measured"


def _dlt_rows(runs: BackendRuns, f: Figures, rows: int) -> list[str]:
    """dlt's merge of the same rows, month 1 and the same rows a month later."""
    if not runs.dlt:
        return []
    if f.dlt is None or f.dlt_reload is None:
        return [f"| dlt's merge | | did not run: {runs.dlt.get('skipped', '')} |"]
    label = _dlt_label(runs, rows)
    return [
        f"| dlt's merge, month 1 ({label}) | {f.dlt:.2f} | propmail / dlt "
        f"{f.propmail / f.dlt:.2f} |",
        f"| dlt's merge, same rows next month ({label}) | {f.dlt_reload:.2f} | propmail's "
        f"next month / dlt {f.month2 / f.dlt_reload:.2f} |",
    ]


def _dlt_target(runs: BackendRuns, f: Figures, rows: int) -> list[str]:
    if f.dlt_ratio is None:
        return []
    return [
        f"- faster than dlt's merge ({_dlt_label(runs, rows)}): propmail / dlt "
        f"{f.dlt_ratio:.2f}, {_verdict(f.dlt_ratio < 1, rows)}"
    ]


def _forced_row(runs: BackendRuns, f: Figures) -> list[str]:
    """The same files again the same day with --force: the full rerun, every row compared."""
    if f.rerun_forced is None:
        return []
    return [
        f"| same files again, same day, --force | {f.rerun_forced:.2f} | "
        f"{f.rerun_forced / f.propmail:.2f} of month 1 ({_counts(runs.rerun_forced)}) |"
    ]


def changes_ratio(runs: BackendRuns) -> float | None:
    """`propmail changes` of the changed month over that load's time (None: not measured)."""
    c = runs.changes
    return c["seconds"] / c["load_seconds"] if c else None


def _changes_section(runs: BackendRuns, rows: int) -> list[str]:
    """`propmail changes` of the month with 10 % of the rows changed, against its load."""
    ratio = changes_ratio(runs)
    if ratio is None:
        return []
    c = runs.changes
    counts = c["counts"]
    return [
        "",
        f"`propmail changes` of the month with 10 % changed rows: {c['seconds']:.2f} s "
        f"(load {c['load_seconds']:.2f} s), peak RSS {c['peak_rss_mb']:,.0f} MB; "
        f"{counts['sold']:,} sold, {counts['joined']:,} list joins, {counts['left']:,} leaves",
        "",
        f"- `propmail changes` of a load at most {CHANGES_TARGET:g} of the load: {ratio:.2f}, "
        f"{_verdict(ratio <= CHANGES_TARGET, rows)}",
    ]


def _drop_section(runs: BackendRuns) -> list[str]:
    """`propmail drop plan` over the region after the last month."""
    d = runs.drop
    if not d:
        return []
    left = ", ".join(f"{reason} {n:,}" for reason, n in d["left_out"].items()) or "none"
    return [
        "",
        f"`propmail drop plan` over the region's {d['locations']:,} locations: "
        f"{d['seconds']:.2f} s, peak RSS {d['peak_rss_mb']:,.0f} MB, {d['pieces']:,} pieces "
        f"({_rate(d['locations'], d['seconds'])}); left out: {left}",
        "",
    ]


def _floor_ratios(f: Figures) -> str:
    ratios = f"{f.floor_ratio:.2f}x the floor"
    if f.floor_arrow_ratio is not None:
        ratios += f", {f.floor_arrow_ratio:.2f}x the Arrow floor"
    return ratios


def _journal_section(runs: BackendRuns, rows: int) -> list[str]:
    """Month 1 and the next month with the journal and without it, and what it stores."""
    if not runs.unjournaled_month1:
        return []
    out = [
        "The load journal (`[journal] enabled`), on and off:",
        "",
        "| run | journal on, s | off, s | time | peak RSS on / off MB | RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    worst_time = worst_rss = 0.0
    for label, on, off in (
        ("month 1", runs.month1, runs.unjournaled_month1),
        ("next month", runs.month2, runs.unjournaled_month2),
    ):
        time_cost = on["seconds"] / off["seconds"] - 1
        rss_cost = on["peak_rss_mb"] / off["peak_rss_mb"] - 1
        worst_time, worst_rss = max(worst_time, time_cost), max(worst_rss, rss_cost)
        out.append(
            f"| {label} | {on['seconds']:.2f} | {off['seconds']:.2f} | {time_cost:+.0%} "
            f"| {on['peak_rss_mb']:,.0f} / {off['peak_rss_mb']:,.0f} | {rss_cost:+.0%} |"
        )
    ok = worst_time <= JOURNAL_TIME_TARGET and worst_rss <= JOURNAL_RSS_TARGET
    return [
        *out,
        "",
        f"The journal of month 1, the same-day rerun and the next month takes "
        f"{runs.journal_bytes / 1e6:,.1f} MB in the database (its tables with their indexes).",
        "",
        f"- the journal at most {JOURNAL_TIME_TARGET:.0%} more time and "
        f"{JOURNAL_RSS_TARGET:.0%} more peak RSS: {worst_time:+.0%} time, {worst_rss:+.0%} "
        f"RSS at worst, {_verdict(ok, rows)}",
        "",
    ]


UNDONE = {
    "changed": "month with 10 % changed rows",
    "month2": "same files, next month",
    "rerun_forced": "same files again, same day, --force",
    "month1": "month 1 into an empty database (loaded again, alone)",
}


def undo_ratios(runs: BackendRuns) -> dict[str, float]:
    """Each undo's time over the load it undid's, by the load's run name."""
    return {name: u["seconds"] / u["load_seconds"] for name, u in runs.undo.items()}


def _undo_section(runs: BackendRuns, rows: int) -> list[str]:
    """Every journaled load undone, newest first, against the time of the load."""
    if not runs.undo:
        return []
    ratios = undo_ratios(runs)
    out = [
        "`propmail undo` of each load, newest first:",
        "",
        "| load undone | load, s | undo, s | ratio | put back |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, u in runs.undo.items():
        d = u["undone"]
        out.append(
            f"| {UNDONE[name]} | {u['load_seconds']:.2f} | {u['seconds']:.2f} "
            f"| {ratios[name]:.2f} | locations {d['locations_restored']:,} restored, "
            f"{d['locations_deleted']:,} deleted; owners {d['owners_restored']:,} restored, "
            f"{d['owners_deleted']:,} deleted |"
        )
    worst = max(ratios.values())
    return [
        *out,
        "",
        f"- every undo at most {UNDO_TARGET:g}x the load it undoes: {worst:.2f}x at worst, "
        f"{_verdict(worst <= UNDO_TARGET, rows)}",
        "",
    ]


def markdown(results: Results) -> str:
    c = results.config
    before = " ".join(f"{x:.2f}" for x in results.load_before)
    after = " ".join(f"{x:.2f}" for x in results.load_after)
    lines = [
        f"## propmail bench: {c.rows:,} rows (CSV) + 3 niche lists of 5 %",
        "",
        f"{results.started:%Y-%m-%d %H:%M}, {platform.machine()}, Python "
        f"{platform.python_version()}; load average {before} before, {after} after.",
        "",
    ]
    for runs in results.runs:
        lines += backend_section(runs, c.rows, results.guide_rows)
    return "\n".join(lines)


def as_json(results: Results) -> str:
    data = asdict(results)
    data["config"]["work"] = str(results.config.work) if results.config.work else None
    data["config"]["pg_url"] = masked_url(results.config.pg_url)
    data["started"] = results.started.isoformat(timespec="seconds")
    data["figures"] = {
        runs.backend: asdict(figures(runs, results.config.rows, results.guide_rows))
        for runs in results.runs
    }
    data["undo_ratios"] = {runs.backend: undo_ratios(runs) for runs in results.runs}
    data["changes_ratios"] = {runs.backend: changes_ratio(runs) for runs in results.runs}
    return jsontext.dumps(data, indent=2, default=str)
