"""A planned drop's proof: drop.json (`drop.schema.json`) and the proof page drop.html, in the
report page's style and safety (`propmail.report.page`: escaped, neutralized, no script, no
request), written beside report.html."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from propmail.errors import InputError
from propmail.report.page import environment


@dataclass(frozen=True)
class ProofFiles:
    json: Path
    html: Path


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema drop.json follows."""
    text = resources.files("propmail.report").joinpath("drop.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def render(proof: dict[str, Any]) -> str:
    """The proof page."""
    charts = {
        "lists": [
            {"rows": r["pieces"], "label": f"{r['code']} (ListPriorityId {r['list_priority_id']})"}
            for r in proof["by_list"]
        ],
        "states": [
            {"rows": r["pieces"], "label": r["state"] or "(none)"} for r in proof["by_state"]
        ],
    }
    return environment().get_template("drop.html.j2").render(proof=proof, charts=charts)


def write_proof(proof: dict[str, Any], directory: str | Path) -> ProofFiles:
    """Write drop.json and drop.html into `directory` (created if needed)."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files = ProofFiles(folder / "drop.json", folder / "drop.html")
        files.json.write_text(json.dumps(proof, indent=2, default=str) + "\n", encoding="utf-8")
        files.html.write_text(render(proof), encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the proof into {folder}: {exc}", option="--report"
        ) from None
    return files
