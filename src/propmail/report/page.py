"""report.html: one self-contained page made from the report dict (`content.build`).

The layout is `templates/report.html.j2` (its repeated parts in `macros.html.j2`), the style
sheet `templates/report.css`, inlined into the page's <style> element. No script, no external
style sheet, font or image: the bar charts are plain HTML and CSS, and a Content-Security-Policy
forbids the page any other resource, so it opens from the file system without a network.

Safety is the environment's default, not each value's habit: everything the templates print is
neutralized against formula injection (a table pasted into a spreadsheet, `printed`) and then
HTML-escaped (autoescape).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from propmail.report.cells import neutralize


def printed(value: Any) -> Any:
    """A value as the page shows it: nothing for None, the templates' own markup as it is."""
    if value is None:
        return ""
    if isinstance(value, Markup):  # a macro's output, already escaped
        return value
    return neutralize(str(value))


def number(value: int) -> str:
    """A count with thousands separators: 12,345."""
    return f"{value:,}"


def share(part: int, whole: int) -> float:
    """`part` as a percentage of `whole` (0 when there is no whole)."""
    return 100 * part / whole if whole else 0.0


def percent(value: float) -> str:
    return f"{value:.1f} %"


def bar_width(value: float) -> str:
    """A percentage as a bar's CSS width, kept within its track."""
    return f"{max(0.0, min(100.0, value)):.1f}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("propmail", "report/templates"),
        autoescape=select_autoescape(["html.j2"]),
        finalize=printed,
        undefined=StrictUndefined,  # a misspelt key fails the render instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=number, percent=percent, bar_width=bar_width)
    env.globals["share"] = share
    return env


def render(report: dict[str, Any]) -> str:
    """The whole page."""
    return environment().get_template("report.html.j2").render(report=report)
