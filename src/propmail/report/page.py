"""report.html: one self-contained page made from the report dict (`content.build`).

No script, no external style sheet, font or image: the bar charts are plain HTML and CSS, and a
Content-Security-Policy forbids the page any other resource, so it opens from the file system
without a network. Every value that comes from the data is neutralized against formula
injection (a table pasted into a spreadsheet) and HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from propmail.report.cells import neutralize

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

STYLE = """
:root { --ink: #1d2733; --muted: #5b6775; --line: #d8dee6; --bar: #3b7dd8; --new: #d8772b;
  --bad: #c0392b; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: #fff; }
header { padding: 20px 32px 12px; background: var(--bg); border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 22px; }
.meta { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: 13px;
  font-weight: 600; color: #fff; background: var(--bar); vertical-align: middle; }
.badge.dry { background: var(--new); }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); font-size: 14px; }
nav a { margin-right: 14px; color: var(--bar); text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1200px; }
section { margin-top: 28px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { min-width: 150px; padding: 10px 14px; border: 1px solid var(--line); border-radius: 8px;
  background: var(--bg); }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar { width: 320px; }
.track { height: 12px; background: var(--bg); border-radius: 3px; }
.fill { height: 12px; background: var(--bar); border-radius: 3px; }
.fill.new { background: var(--new); }
.fill.low { background: var(--bad); }
.note { color: var(--muted); font-size: 13px; }
.tag { font-size: 12px; padding: 0 6px; border-radius: 8px; background: var(--new); color: #fff; }
.missing { color: var(--bad); font-weight: 600; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
@media print { nav { display: none; } }
"""


def cell(value: Any) -> str:
    """A value from the data, safe in a page and in a spreadsheet it is pasted into."""
    if value is None:
        return ""
    return html.escape(neutralize(str(value)))


def number(value: int) -> str:
    return f"{value:,}"


def percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Collection[int] = (),
    bars: Collection[int] = (),
) -> str:
    """Cells of `rows` are HTML already (made with `cell`, `number` or `bar`)."""

    def kind(i: int) -> str:
        return ' class="num"' if i in numeric else ' class="bar"' if i in bars else ""

    head = "".join(f'<th scope="col"{kind(i)}>{html.escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{kind(i)}>{v}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar(share: float, kind: str = "") -> str:
    width = f"{max(0.0, min(100.0, share)):.1f}"
    return f'<div class="track"><div class="fill {kind}" style="width:{width}%"></div></div>'


def bar_chart(items: Sequence[tuple[str, int, str]], whole: int, label: str) -> str:
    """(label HTML, count, bar kind) per row: a bar per row, scaled to `whole`."""
    rows = [
        (text, number(n), bar(percent(n, whole), kind), f"{percent(n, whole):.1f} %")
        for text, n, kind in items
    ]
    return table((label, "rows", "", "share"), rows, numeric=(1, 3), bars=(2,))


def card(value: int | str, label: str) -> str:
    shown = number(value) if isinstance(value, int) else cell(value)
    return (
        f'<div class="card"><div class="value">{shown}</div><div class="label">{label}</div></div>'
    )


def listed_note(listed: dict[str, Any], what: str) -> str:
    if not listed["truncated"]:
        return ""
    return (
        f'<p class="note">The first {number(len(listed["rows"]))} of '
        f"{number(listed['total'])} {what} are listed.</p>"
    )


# --- sections --------------------------------------------------------------------------


def _header(r: dict[str, Any]) -> str:
    if r["mode"] == "dry-run":
        badge = '<span class="badge dry">DRY RUN: nothing was written</span>'
    else:
        log_id = r["load"]["upload_log_id"] if r["load"] else None
        badge = f'<span class="badge">LOADED, UploadLogId {cell(log_id)}</span>'
    return (
        f"<header><h1>propmail report: {cell(r['upload']['file'])} {badge}</h1>"
        f'<div class="meta">database {cell(r["database"])} · region {cell(r["region_id"])} · '
        f"generated {cell(r['generated_at'])} · propmail {cell(r['propmail_version'])} · "
        f"{r['summary']['seconds']:.1f} s</div></header>"
    )


def _nav(r: dict[str, Any]) -> str:
    links = [("summary", "Summary")]
    if r["dry_run"]:
        links.append(("diff", "Dry-run diff"))
    links += [
        ("flags", "Flags"),
        ("codes", "List codes"),
        ("completeness", "Columns"),
        ("rejects", "Rejected rows"),
        ("niche", "Niche lists"),
    ]
    return "<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</nav>"


def _summary(r: dict[str, Any]) -> str:
    s = r["summary"]
    cards = [
        card(s["rows_read"], "rows read"),
        card(s["rows_rejected"], "rows rejected"),
        card(s["owners"], "owners"),
        card(s["locations"], "locations"),
        card(s["list_codes"], "list codes"),
        card(s["new_list_codes"], "new list codes" if r["load"] else "list codes to create"),
    ]
    done = r["load"] or r["dry_run"]
    out = f'<section id="summary"><h2>Summary</h2><div class="cards">{"".join(cards)}</div>'
    if done:
        verb = "would be" if r["dry_run"] else "were"
        out += f"<h3>In the database ({verb})</h3>" + _changes_table(done)
    missing = r["upload"]["missing_columns"]
    if missing:
        out += (
            "<p>Optional columns missing from the file (treated as empty): "
            f'<span class="missing">{", ".join(cell(c) for c in missing)}</span></p>'
        )
    extra = r["upload"]["extra_columns"]
    if extra:
        out += f'<p class="note">Columns ignored: {", ".join(cell(c) for c in extra)}</p>'
    return out + "</section>"


def _changes_table(changes: dict[str, Any]) -> str:
    o, lo = changes["owners"], changes["locations"]
    rows = [
        ("owners", number(o["insert"]), number(o["update"]), number(o["unchanged"]), ""),
        (
            "locations",
            number(lo["insert"]),
            number(lo["update"]),
            number(lo["unchanged"]),
            number(lo["frozen"]),
        ),
    ]
    headers = ("", "insert", "update", "unchanged", "frozen (outside the update window)")
    return table(headers, rows, numeric=(1, 2, 3, 4))


def _diff(r: dict[str, Any]) -> str:
    d = r["dry_run"]
    if not d:
        return ""
    out = ['<section id="diff"><h2>Dry-run diff against the database</h2>']
    out.append(
        '<p class="note">Computed in a transaction that was rolled back: nothing was written, '
        "not even an UploadLog row.</p>"
    )
    out.append(f"<h3>List codes that do not exist yet ({number(len(d['new_codes']))})</h3>")
    if d["new_codes"]:
        out.append(
            table(
                ("code", "locations"),
                [(f"<code>{cell(c['code'])}</code>", number(c["rows"])) for c in d["new_codes"]],
                numeric=(1,),
            )
        )
    else:
        out.append("<p>None: every code of this upload exists.</p>")
    p = d["parity"]
    out.append("<h3>Parity: list codes of the locations the database already has</h3>")
    out.append(
        f"<p><strong>{number(p['same_code'])}</strong> of {number(p['existing'])} existing "
        f"locations keep their list code ({percent(p['same_code'], p['existing']):.1f} %); "
        f"<strong>{number(p['changed_code'])}</strong> get another code. Frozen locations are "
        "outside the update window: the load leaves them as they are.</p>"
    )
    if p["changes"]:
        rows = [
            (
                f"<code>{cell(c['old_code']) or '(none)'}</code>",
                f"<code>{cell(c['new_code'])}</code>",
                number(c["locations"]),
                number(c["frozen"]),
                number(c["locations"] - c["frozen"]),
                ", ".join(f"<code>{cell(e)}</code>" for e in c["examples"]),
            )
            for c in p["changes"]
        ]
        headers = ("old code", "new code", "locations", "frozen", "would change", "examples")
        out.append(table(headers, rows, numeric=(2, 3, 4)))
    return "".join(out) + "</section>"


def _flags(r: dict[str, Any]) -> str:
    items = [(cell(f["flag"]), f["rows"], "") for f in r["flags"]]
    chart = bar_chart(items, r["summary"]["locations"], "flag")
    return (
        '<section id="flags"><h2>Flags</h2>'
        '<p class="note">Rows that become locations, per derived flag (flags are independent).</p>'
        f"{chart}</section>"
    )


def _codes(r: dict[str, Any]) -> str:
    whole = r["summary"]["locations"]
    items = [
        (
            f"<code>{cell(c['code'])}</code>"
            + (' <span class="tag">new</span>' if c["new"] else ""),
            c["rows"],
            "new" if c["new"] else "",
        )
        for c in r["list_codes"]
    ]
    base = [(f"<code>{cell(c['code'])}</code>", c["rows"], "") for c in r["base_codes"]]
    return (
        '<section id="codes"><h2>List codes</h2>'
        "<h3>Final list code per location (Location.PriorityCode)</h3>"
        + bar_chart(items, whole, "code")
        + "<h3>Base priority code</h3>"
        + bar_chart(base, whole, "code")
        + "</section>"
    )


def _completeness(r: dict[str, Any]) -> str:
    rows = []
    for c in r["completeness"]:
        state = "required" if c["required"] else ""
        if not c["in_file"]:
            state = '<span class="missing">not in file</span>'
        kind = "low" if c["required"] and c["filled"] < r["summary"]["rows_read"] else ""
        rows.append(
            (
                cell(c["column"]),
                state,
                number(c["filled"]),
                bar(c["percent"], kind),
                f"{c['percent']:.1f} %",
                number(c["unparseable"]) if c["unparseable"] else "",
            )
        )
    headers = ("column", "", "filled", "", "filled", "unparseable (now empty)")
    out = table(headers, rows, numeric=(2, 4, 5), bars=(3,))
    examples = r["unparseable_examples"]
    if examples:
        out += "<h3>Values that did not parse (examples)</h3>" + table(
            ("row", "column", "value"),
            [(number(e["row"]), cell(e["column"]), cell(e["value"])) for e in examples],
            numeric=(0,),
        )
    return f'<section id="completeness"><h2>Column completeness</h2>{out}</section>'


def _rejects(r: dict[str, Any]) -> str:
    rj = r["rejects"]
    out = ['<section id="rejects"><h2>Rejected rows</h2>']
    if not rj["total"]:
        return out[0] + "<p>None: every row can be loaded.</p></section>"
    out.append(
        f"<p>{number(rj['total'])} rows are not loaded. Every one, with all its columns, is in "
        "<code>rejects.csv</code> beside this page.</p>"
    )
    out.append(
        bar_chart(
            [(cell(b["reason"]), b["rows"], "low") for b in rj["by_reason"]],
            r["summary"]["rows_read"],
            "reason",
        )
    )
    out.append(
        table(
            ("row", "LocationPrimaryId", "reason"),
            [
                (
                    number(x["row"]),
                    f"<code>{cell(x['LocationPrimaryId'])}</code>",
                    cell(x["reason"]),
                )
                for x in rj["rows"]
            ],
            numeric=(0,),
        )
    )
    out.append(listed_note(rj, "rejected rows"))
    return "".join(out) + "</section>"


def _niche_rows(listed: dict[str, Any], with_parcels: bool) -> str:
    headers = ["row", "LocationPrimaryId", "LocationAddress1", "LocationZip"]
    if with_parcels:
        headers.append("parcels at that address")
    rows = [
        [
            number(x["row"]),
            f"<code>{cell(x.get('LocationPrimaryId'))}</code>",
            cell(x.get("LocationAddress1")),
            cell(x.get("LocationZip")),
            *([number(x["parcels"])] if with_parcels else []),
        ]
        for x in listed["rows"]
    ]
    return table(headers, rows, numeric=(0, 4) if with_parcels else (0,))


def _niche(r: dict[str, Any]) -> str:
    out = ['<section id="niche"><h2>Niche lists</h2>']
    if not r["niche"]:
        return out[0] + "<p>No niche list was given.</p></section>"
    for n in r["niche"]:
        out.append(f"<h3>{cell(n['type'])} <span class=note>({cell(n['source'])})</span></h3>")
        out.append(
            table(
                (
                    "rows",
                    "matched by parcel id",
                    "matched by address",
                    "locations tagged",
                    "matched nothing",
                    "matched several",
                ),
                [
                    (
                        number(n["rows"]),
                        number(n["matched_by_id"]),
                        number(n["matched_by_address"]),
                        number(n["locations_tagged"]),
                        number(n["unmatched"]["total"]),
                        number(n["ambiguous"]["total"]),
                    )
                ],
                numeric=range(6),
            )
        )
        if n["unmatched"]["total"]:
            out.append("<p>Rows that matched no location:</p>")
            out.append(_niche_rows(n["unmatched"], with_parcels=False))
            out.append(listed_note(n["unmatched"], "rows"))
        if n["ambiguous"]["total"]:
            out.append("<p>Rows whose address matches several locations (not applied):</p>")
            out.append(_niche_rows(n["ambiguous"], with_parcels=True))
            out.append(listed_note(n["ambiguous"], "rows"))
    return "".join(out) + "</section>"


def render(report: dict[str, Any]) -> str:
    """The whole page."""
    body = "".join(
        part(report) for part in (_summary, _diff, _flags, _codes, _completeness, _rejects, _niche)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>propmail report: {cell(report['upload']['file'])}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"{_header(report)}{_nav(report)}<main>{body}</main></body></html>\n"
    )
