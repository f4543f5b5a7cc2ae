"""The changes report (`propmail changes --report DIR`): changes.json and changes.html.

changes.json is `propmail.changes.Changes.as_dict()` (validated by `changes.schema.json`,
described in docs/report.md); changes.html is one self-contained page in the quality report's
style and safety (`page.environment`: every value neutralized and escaped), with an inline SVG
bar chart of the joins and leaves per list, its geometry computed here (`chart`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from propmail import jsontext
from propmail.errors import InputError
from propmail.report.cells import write_text
from propmail.report.page import environment

LABEL_WIDTH = 190  # the list names' column of the chart, in pixels
BAR_WIDTH = 220  # the longest bar on each side
ROW_HEIGHT = 22


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema changes.json follows."""
    text = resources.files("propmail.report").joinpath("changes.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The joins-and-leaves chart: per list a bar to the left (left the list) and one to the
    right (joined it) of a middle line, scaled to the largest count.

    >>> c = chart([{"list": "Liens-", "joined": 4, "left": 2}])
    >>> c["bars"][0]["joined_width"], c["bars"][0]["left_width"], c["height"]
    (220.0, 110.0, 52)
    """
    most = max([1, *(max(r["joined"], r["left"]) for r in rows)])
    middle = LABEL_WIDTH + BAR_WIDTH + 10
    bars = []
    for i, row in enumerate(rows):
        y = 30 + i * ROW_HEIGHT
        left = round(BAR_WIDTH * row["left"] / most, 1)
        joined = round(BAR_WIDTH * row["joined"] / most, 1)
        bars.append(
            {
                "list": row["list"],
                "y": y,
                "text_y": y + 13,
                "joined": row["joined"],
                "left": row["left"],
                "joined_width": joined,
                "left_width": left,
                "left_x": middle - left,
                "joined_label_x": middle + joined + 4,
                "left_label_x": middle - left - 4,
            }
        )
    return {
        "bars": bars,
        "middle": middle,
        "label_x": LABEL_WIDTH - 6,
        "width": middle + BAR_WIDTH + 60,
        "height": 30 + ROW_HEIGHT * max(1, len(rows)),
    }


def render(report: dict[str, Any]) -> str:
    """changes.html."""
    template = environment().get_template("changes.html.j2")
    return template.render(report=report, chart=chart(report["sections"]["lists"]["rows"]))


def write_changes(report: dict[str, Any], directory: str | Path) -> tuple[Path, Path]:
    """Write changes.json and changes.html into `directory` (created if needed)."""
    folder = Path(directory)
    json_path, html_path = folder / "changes.json", folder / "changes.html"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text(json_path, jsontext.dumps(report, indent=2, ensure_ascii=False) + "\n")
        write_text(html_path, render(report))
    except OSError as exc:
        where = exc.filename or folder
        raise InputError(f"cannot write the report: {exc.strerror}", file=str(where)) from None
    return json_path, html_path
