"""Source headers -> canonical columns, and the checks that a file has the columns it needs.

A header is looked up in the user mapping, then as a canonical name, then in the default
mapping (`propmail.read.mapping`); when several headers reach one column, the earliest lookup
wins, and two headers of the same lookup are an error naming both.
"""

from __future__ import annotations

from collections.abc import Mapping

from propmail.contract import REQUIRED, Kind
from propmail.errors import InputError
from propmail.read.files import Sheet
from propmail.read.mapping import ColumnMapping, default_mapping, normalize


def show(header: str, width: int = 60) -> str:
    """A header for a message: quoted, and cut short if a hostile file made it huge."""
    return repr(header if len(header) <= width else header[: width - 3] + "...")


def match_headers(
    sheet: Sheet,
    columns: Mapping[str, Kind],
    mapping: ColumnMapping | None,
    niche: bool,
    name: str,
) -> tuple[dict[str, int], list[str]]:
    """Canonical column -> source position, and the unmapped source headers.

    A header repeated is an error when it feeds a column, and is left out when it feeds none.
    """
    lookups = (
        mapping.aliases(niche) if mapping else {},
        {normalize(c): c for c in columns},
        {} if mapping is not None and mapping.only else default_mapping().aliases(niche),
    )
    feeding = (mapping.source_headers() if mapping else set()).union(*lookups)
    seen: dict[str, str] = {}
    repeated: set[int] = set()
    for pos, header in enumerate(sheet.headers):
        key = normalize(header)
        if key in seen and key in feeding:
            message = f"duplicate column headers {show(seen[key])} and {show(header)}"
            raise InputError(message, file=name)
        if key in seen:
            repeated.add(pos)
        elif key:
            seen[key] = header

    found: dict[str, list[tuple[int, int]]] = {}  # canonical -> [(lookup rank, position)]
    for pos, header in enumerate(sheet.headers):
        key = normalize(header)
        if pos in repeated:
            continue
        rank, canon = next(((r, t[key]) for r, t in enumerate(lookups) if key in t), (0, ""))
        if canon in columns:  # a header mapped to a column this kind of file lacks is extra
            found.setdefault(canon, []).append((rank, pos))

    picked: dict[str, int] = {}
    for canon, hits in found.items():
        best = min(rank for rank, _ in hits)
        winners = [pos for rank, pos in hits if rank == best]
        if len(winners) > 1:
            both = " and ".join(show(sheet.headers[p]) for p in winners)
            message = f"columns {both} both mean {canon}; name the one to use in a mapping file"
            raise InputError(message, file=name, column=canon)
        picked[canon] = winners[0]
    picked = {c: picked[c] for c in columns if c in picked}  # canonical order

    used = set(picked.values())
    extra = [h for pos, h in enumerate(sheet.headers) if h and pos not in used]
    blank_with_data = [
        f"(no header, column {pos + 1})"
        for pos, h in enumerate(sheet.headers)
        if not h and sheet.frame.get_column(sheet.frame.columns[pos]).is_not_null().any()
    ]
    return picked, extra + blank_with_data


def check_required(picked: Mapping[str, int], niche: bool, headers: list[str], name: str) -> None:
    """Raise unless the file has its required columns; the message lists the headers found."""
    found = [show(h) for h in headers if h]
    listed = ", ".join(found[:20]) + (", ..." if len(found) > 20 else "")
    hint = f"found {listed}; map other headers with --mapping"
    if niche:
        if "LocationPrimaryId" in picked or {"LocationAddress1", "LocationZip"} <= picked.keys():
            return
        message = "a niche list needs LocationPrimaryId, or LocationAddress1 and LocationZip"
        raise InputError(f"{message} ({hint})", file=name)
    missing = [c for c in REQUIRED if c not in picked]
    if missing:
        message = f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        column = missing[0] if len(missing) == 1 else None
        raise InputError(f"{message} ({hint})", file=name, column=column)
