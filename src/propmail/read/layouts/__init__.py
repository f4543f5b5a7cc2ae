"""The shipped layouts (one mapping file each) and a file's layout recognized by its headers.

A layout fits a file when, read through it, the file has every required column. Among the
layouts that fit, the one that knows the most of the file's headers as its own wins; a tie is
refused with the candidates named, and `--mapping NAME` picks one; the canonical layout wins a
tie, since that is how every file was read before layouts.

>>> [layout.name for layout in shipped()]
['canonical', 'list-provider', 'county']
>>> detect(["APN", "Address", "Unit #", "Zip", "Owner 1 First Name", "Owner 1 Last Name",
...         "Mailing Address", "Mailing City", "Mailing State", "Mailing Zip"], False)[0].name
'list-provider'
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

from propmail.contract import NICHE_COLUMNS, UPLOAD_COLUMNS, Kind
from propmail.errors import InputError
from propmail.read.derive import PARTS
from propmail.read.headers import check_required
from propmail.read.mapping import (
    FROM_MAILING,
    ColumnMapping,
    default_mapping,
    load_mapping,
    normalize,
    parse_mapping,
)

FILES = ("canonical.toml", "list_provider.toml", "county.toml")


@cache
def shipped() -> tuple[ColumnMapping, ...]:
    """The layouts shipped in the package, in the order they are tried."""
    folder = resources.files("propmail.read.layouts")
    return tuple(
        parse_mapping(folder.joinpath(f).read_text(encoding="utf-8"), f"layouts/{f}") for f in FILES
    )


def by_name(name: str) -> ColumnMapping | None:
    """The shipped layout called `name`, if there is one."""
    return next((layout for layout in shipped() if layout.name == name), None)


def resolve(value: str | Path) -> ColumnMapping:
    """`--mapping`: a mapping file, or the name of a shipped layout when no such file exists."""
    layout = by_name(str(value))
    if layout is not None and not Path(value).exists():
        return layout
    return load_mapping(value)


def own_headers(layout: ColumnMapping, niche: bool) -> set[str]:
    """The normalized headers a layout knows as its own."""
    own = set(layout.aliases(niche)) | layout.source_headers()
    if layout.defaults:
        columns = NICHE_COLUMNS if niche else UPLOAD_COLUMNS
        own |= {normalize(c) for c in columns} | set(default_mapping().aliases(niche))
    return own


def columns_found(headers: list[str], layout: ColumnMapping, niche: bool) -> set[str]:
    """The canonical columns a file with `headers` has when it is read through `layout`."""
    columns: Mapping[str, Kind] = NICHE_COLUMNS if niche else UPLOAD_COLUMNS
    keys = {normalize(h) for h in headers if h}
    lookups = (
        layout.aliases(niche),
        {normalize(c): c for c in columns},
        default_mapping().aliases(niche),
    )
    found = {next(t[k] for t in lookups if k in t) for k in keys if any(k in t for t in lookups)}

    def any_of(names: tuple[str, ...]) -> bool:
        return any(normalize(h) in keys for h in names)

    found |= {j.into for j in layout.joins if any_of(j.headers)}
    found |= {f.into for f in layout.firsts if any_of(f.headers)}
    for split in layout.splits:
        if any_of(split.headers):
            found |= {c for c in PARTS[split.into] if c}
    if any(any_of(b.lines) for b in layout.blocks):
        found |= {"OwnerAddress1", "OwnerAddress2", *PARTS["owner"]}
    found |= {
        c
        for c in layout.from_mailing
        if {FROM_MAILING[c], "LocationAddress1", "OwnerAddress1"} <= found
    }
    found |= set(layout.constants)
    return found & set(columns)


def score(headers: list[str], layout: ColumnMapping, niche: bool) -> int:
    """How many of the file's headers the layout knows as its own."""
    own = own_headers(layout, niche)
    return sum(1 for h in headers if h and normalize(h) in own)


def fits(headers: list[str], layout: ColumnMapping, niche: bool) -> bool:
    """Whether the file has its required columns when read through `layout`."""
    found = dict.fromkeys(columns_found(headers, layout, niche), 0)
    try:
        check_required(found, niche, headers, "")
    except InputError:
        return False
    return True


def detect(
    headers: list[str], niche: bool, name: str = ""
) -> tuple[ColumnMapping, list[tuple[str, int]]]:
    """The layout of a file with `headers`, and (layout, score) of every layout that fits.

    No layout fits: the one that knows most of the headers (its reading names the missing
    columns; the canonical one if none knows any). Two fit best: InputError naming them.
    """
    scored = [
        (layout, points)
        for layout in shipped()
        if (points := score(headers, layout, niche)) and fits(headers, layout, niche)
    ]
    scored.sort(key=lambda pair: -pair[1])
    candidates = [(layout.name, points) for layout, points in scored]
    if not scored:  # the one that knows most headers names what is missing
        closest = max(shipped(), key=lambda layout: score(headers, layout, niche))
        return closest, candidates
    best = [layout.name for layout, points in scored if points == scored[0][1]]
    if "canonical" in best:  # a tie with the canonical names reads as files always have
        return shipped()[0], candidates
    if len(best) > 1:
        listed = ", ".join(f"{n} ({p} headers)" for n, p in candidates)
        message = (
            f"the headers fit several layouts equally well: {listed}; "
            f"choose one with --mapping {best[0]} (or a mapping file)"
        )
        raise InputError(message, file=name)
    return scored[0][0], candidates
