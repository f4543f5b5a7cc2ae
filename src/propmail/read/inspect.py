"""What reading a file would do, shown before any database is touched (`propmail inspect`).

The sheet and header row, the layout and how it was chosen, each column read by meaning with
its evidence and confidence (and what would stop `process`), every header and the canonical
column it feeds, five parsed values per column, the required columns still missing and the
first problems the reader would report; and the mapping used, as a file `--mapping` takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from propmail.contract import REQUIRED, UPLOAD_COLUMNS, Kind
from propmail.read import layouts
from propmail.read.mapping import ColumnMapping, normalize, to_toml
from propmail.read.meaning import Choice
from propmail.read.reader import like_layout, read_loosely

SAMPLES = 5
PROBLEMS = 10
_NUMERIC_ZIP = r"^[0-9]{3,4}(?:\.0*)?$"  # a ZIP saved as a number: its leading zeros lost


@dataclass
class Inspection:
    file: str
    sheet: str
    header_row: int
    layout: str
    candidates: list[tuple[str, int]]  # (layout, headers it knows) of the layouts that fit
    feeds: list[tuple[str, list[str]]]  # (header, canonical columns it feeds) in file order
    samples: dict[str, list[str]]  # canonical column -> its first parsed values
    missing_required: list[str]
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    mapping_text: str = ""  # the mapping used, as a mapping file
    choices: list[Choice] = field(default_factory=list)  # read by meaning: each column's choice
    stops: list[str] = field(default_factory=list)  # why `process` would stop

    def lines(self) -> list[str]:
        """The inspection as the terminal shows it."""
        out = [f"file: {self.file}"]
        if self.sheet:
            out.append(f"sheet: {self.sheet}")
        out.append(f"header row: {self.header_row}")
        fits = ", ".join(f"{n} ({p} headers)" for n, p in self.candidates)
        out.append(f"layout: {self.layout}" + (f"  (fits: {fits})" if fits else ""))
        out += [f"note: {n}" for n in self.notes]
        if self.choices:
            out.append("read by meaning (column <- header: confidence, evidence):")
        for c in self.choices:
            headers = " + ".join(repr(h) for h in c.headers)
            out.append(f"  {c.column} <- {headers}: {c.confidence:.2f}, {c.evidence}")
        out += [f"stops process: {s}" for s in self.stops]
        out.append("headers:")
        for header, columns in self.feeds:
            out.append(f"  {header!r} -> {', '.join(columns) if columns else 'unused'}")
        out.append("values (parsed):")
        for column, values in self.samples.items():
            out.append(f"  {column}: {' | '.join(values)}")
        missing = ", ".join(self.missing_required) or "none"
        out.append(f"required columns missing: {missing}")
        out.append("problems:" + ("" if self.problems else " none"))
        out += [f"  {p}" for p in self.problems]
        return out


def inspect_file(
    path: str | Path, mapping: ColumnMapping | None = None, sheet: str | None = None
) -> Inspection:
    """Read `path` as `process` would (through `mapping`, else the layout detected)."""
    result, text = read_loosely(path, mapping, sheet)
    used = result.mapping or layouts.shipped()[0]
    candidates = [] if mapping is not None else _fits(result.headers)
    feeds = [(h, [c for c, hs in result.fed.items() if h in hs]) for h in result.headers if h]
    samples = {
        c: [str(v) for v in result.frame.get_column(c).drop_nulls().head(SAMPLES).to_list()]
        for c in result.fed
        if result.frame.get_column(c).is_not_null().any()
    }
    problems = [
        f"row {row}, {column}: {raw!r} does not parse (read as empty)"
        for row, column, raw in result.unparseable_examples[:PROBLEMS]
    ]
    problems += _numeric_zips(text)
    comment = (
        f"Mapping used for {result.source} (layout {result.layout}), written by propmail inspect.\n"
        "Edit it and pass it with: propmail process FILE --mapping THIS_FILE"
    )
    return Inspection(
        file=result.source,
        sheet=result.sheet,
        header_row=result.header_row,
        layout=result.layout,
        candidates=candidates,
        feeds=feeds,
        samples=samples,
        missing_required=[c for c in REQUIRED if c in result.missing_columns],
        problems=problems[:PROBLEMS],
        notes=result.notes,
        mapping_text=to_toml(_present(used, result.headers), result.direct, comment),
        choices=result.choices,
        stops=result.stops,
    )


def _fits(headers: list[str]) -> list[tuple[str, int]]:
    """The shipped layouts the headers fit, and how many headers each knows (none: a tie)."""
    return layouts.detect(headers, False)[1] if like_layout(headers, False) != "by meaning" else []


def _present(mapping: ColumnMapping, headers: list[str]) -> ColumnMapping:
    """`mapping` with only the made columns whose headers the file has: the rest read nothing."""
    have = {normalize(h) for h in headers if h}

    def known(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h for h in names if normalize(h) in have)

    return replace(
        mapping,
        joins=tuple(
            replace(j, headers=known(j.headers), prefer=known(j.prefer))
            for j in mapping.joins
            if known(j.headers)
        ),
        firsts=tuple(
            replace(f, headers=known(f.headers)) for f in mapping.firsts if known(f.headers)
        ),
        splits=tuple(
            replace(s, headers=known(s.headers)) for s in mapping.splits if known(s.headers)
        ),
        blocks=tuple(b for b in mapping.blocks if known(b.lines)),
        units={c: known(hs) for c, hs in mapping.units.items() if known(hs)},
    )


def _numeric_zips(text: pl.DataFrame) -> list[str]:
    zips = [c for c in text.columns if UPLOAD_COLUMNS.get(c) is Kind.ZIP5]
    if not zips:
        return []
    counts = text.select(pl.col(c).str.contains(_NUMERIC_ZIP).sum() for c in zips).row(0)
    return [
        f"{column}: {count:,} values look like numbers that lost their leading zeros "
        f"(read padded to five digits)"
        for column, count in zip(zips, counts, strict=True)
        if count
    ]
