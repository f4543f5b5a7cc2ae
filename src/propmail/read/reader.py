"""The readers: an upload or niche file (xlsx / csv / parquet) -> the canonical frame of SPEC 2.

A file passes through the modules of `propmail.read` in turn: safety checks and its sheet
(`files`), its headers read by meaning and confirmed by their values (`meaning`) unless a
mapping is given, the columns made from several columns (`derive`), headers matched to
canonical columns (`headers`), then every matched column cast by its `Kind` (`values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from propmail.contract import NICHE_COLUMNS, UPLOAD_COLUMNS, Kind
from propmail.errors import InputError
from propmail.read import derive, files, headers, keys, kinds, layouts, meaning, values
from propmail.read.mapping import FROM_MAILING, ColumnMapping, normalize


@dataclass
class ReadResult:
    frame: pl.DataFrame  # every canonical column in order, typed by Kind, then SOURCE_ROW
    missing_columns: list[str]  # optional columns absent from the file: all null
    unparseable: dict[str, int]  # per column, values that became null
    unparseable_examples: list[tuple[int, str, str]]  # (row, column, raw value)
    extra_columns: list[str]  # source columns not mapped, ignored
    source: str  # the file name
    layout: str = ""  # the shipped layout used, or the mapping file given
    notes: list[str] = field(default_factory=list)  # sheet, header row, encoding, rows left out
    fed: dict[str, list[str]] = field(default_factory=dict)  # canonical column -> source headers
    headers: list[str] = field(default_factory=list)  # the header row as the file has it
    header_row: int = 1  # its spreadsheet row number
    sheet: str = ""  # the workbook sheet read
    mapping: ColumnMapping | None = None  # the mapping or layout it was read through
    direct: dict[str, str] = field(default_factory=dict)  # canonical column -> its one header
    choices: list[meaning.Choice] = field(default_factory=list)  # read by meaning: each choice
    stops: list[str] = field(default_factory=list)  # why `process` would stop on the choices


def read_upload(
    path: str | Path, mapping: ColumnMapping | None = None, sheet: str | None = None
) -> ReadResult:
    """Read an upload file: through `mapping` if given, else through the layout its headers fit.

    `sheet` names a workbook's sheet (or its number from 1); else the first a layout knows.
    """
    return _read(Path(path), mapping, UPLOAD_COLUMNS, niche=False, sheet=sheet)[0]


def check_upload_header(
    path: str | Path, mapping: ColumnMapping | None = None, sheet: str | None = None
) -> None:
    """Refuse an upload whose header cannot supply the required columns, reading only its head
    (a csv's first MiBs, a parquet's schema): what must hold before its bytes are hashed or
    its body read."""
    path = Path(path)
    first = files.head(path, sheet, header_score(mapping, False))
    if first is not None:
        used = layout_of(first, mapping, UPLOAD_COLUMNS, False)[0]
        _columns(first, used, UPLOAD_COLUMNS, path.name, False, True)


def read_niche(path: str | Path, mapping: ColumnMapping | None = None) -> ReadResult:
    """Read a niche list: it needs LocationPrimaryId, or LocationAddress1 and LocationZip."""
    return _read(Path(path), mapping, NICHE_COLUMNS, niche=True, sheet=None)[0]


def read_loosely(
    path: str | Path, mapping: ColumnMapping | None = None, sheet: str | None = None
) -> tuple[ReadResult, pl.DataFrame]:
    """An upload read as far as it goes: missing required columns are only listed in the
    result; with the text frame the values were parsed from (`propmail inspect`)."""
    return _read(Path(path), mapping, UPLOAD_COLUMNS, niche=False, sheet=sheet, strict=False)


def layout_of(
    sheet: files.Sheet, mapping: ColumnMapping | None, columns: Mapping[str, Kind], niche: bool
) -> tuple[ColumnMapping, meaning.Matched | None, str]:
    """The mapping a sheet is read through: the one given, else its headers read by meaning;
    with the choices made, and the name shown: the shipped layout the file fits, if one does."""
    if mapping is not None:
        return mapping, None, mapping.name or mapping.source
    matched = meaning.match(sheet, columns, niche)
    return matched.mapping, matched, like_layout(sheet.headers, niche)


def like_layout(headers_: list[str], niche: bool) -> str:
    """The shipped layout a file's headers fit (only a name now: the file is read by meaning)."""
    try:
        layout, fit = layouts.detect(headers_, niche)
    except InputError:
        return meaning.MEANING
    return layout.name if fit else meaning.MEANING


def header_score(mapping: ColumnMapping | None, niche: bool) -> files.Score:
    """How well a row reads as the header row: the headers a layout (or `mapping`) knows, or,
    without a mapping, the cells that read by meaning as a column's header."""
    known = [mapping] if mapping is not None else list(layouts.shipped())
    owned = [layouts.own_headers(m, niche) for m in known]
    if mapping is not None and not mapping.name:  # a user's file lays over the canonical names
        owned = [owned[0] | layouts.own_headers(layouts.shipped()[0], niche)]

    def score(cells: list[str]) -> int:
        by_name = max(sum(1 for c in cells if c and normalize(c) in own) for own in owned)
        return by_name if mapping is not None else max(by_name, kinds.meant(cells))

    return score


def _read(
    path: Path,
    mapping: ColumnMapping | None,
    columns: Mapping[str, Kind],
    *,
    niche: bool,
    sheet: str | None,
    strict: bool = True,
) -> tuple[ReadResult, pl.DataFrame]:
    name = path.name
    score = header_score(mapping, niche)
    first = files.head(path, sheet, score) if strict else None
    if first is not None:  # a file that cannot supply the columns is refused, its body unread
        _columns(first, layout_of(first, mapping, columns, niche)[0], columns, name, niche, strict)
    source = files.load(path, sheet, score)
    used, matched, label = layout_of(source, mapping, columns, niche)
    if matched is not None and matched.stops and strict:
        raise InputError("; ".join(matched.stops), file=name)
    derived, fed, picked, extra, filled = _columns(source, used, columns, name, niche, strict)
    width = len(source.headers)
    no_id = keys.KEY in filled  # keyed by its site below

    units = derive.unit_columns(source, used)
    text_columns = {**columns, **dict.fromkeys(units, Kind.TEXT)}
    # the cells are let go of as they are read: `derived` is left without them, `source` first
    source = _without_cells(source)
    text = values.text_frame(derived, {**picked, **units}, text_columns)
    text, site_notes = derive.finish_text(text, used)
    if no_id:
        text, key_note = keys.site_keys(text, with_zip="LocationZip" in picked)
        site_notes.append(key_note)
    if text.height == 0 and strict:
        raise InputError("no data rows below the header", file=name)
    picked = {c: picked.get(c, -1) for c in columns if c in picked or c in filled}
    formats = {c: derived.formats.get(p, "") for c, p in picked.items()}
    parsed = values.parsed_frame(text, columns, formats, date1904=derived.date1904)
    counts, examples = values.unparseable(parsed, picked, columns)
    counts, examples = values.with_error_cells(counts, examples, derived.errors, picked)
    consumed = used.source_headers()
    direct = {c: source.headers[p] for c, p in picked.items() if 0 <= p < width}
    units_fed = {derive.street_of(u): source.headers[p] for u, p in units.items()}
    fed = _fed(fed, direct, filled, units_fed, picked, columns)
    if no_id and "LocationAddress1" in fed:
        fed[keys.KEY] = list(fed["LocationAddress1"])
    appended = set(derived.headers[width:]) - set(source.headers)
    extra = [h for h in extra if normalize(h) not in consumed and h not in appended]
    result = ReadResult(
        frame=values.with_error_rows(
            values.canonical_frame(parsed, picked, columns), derived.errors, picked
        ),
        missing_columns=[c for c in columns if c not in picked],
        unparseable=counts,
        unparseable_examples=examples,
        extra_columns=extra,
        source=name,
        layout=label,
        notes=[*source.notes, *(matched.notes if matched else []), *site_notes],
        fed=fed,
        headers=source.headers,
        header_row=source.first_row - 1,
        sheet=source.sheet_name,
        mapping=used,
        direct=direct,
        choices=matched.choices if matched else [],
        stops=matched.stops if matched else [],
    )
    return result, text


def _columns(
    sheet: files.Sheet,
    used: ColumnMapping,
    columns: Mapping[str, Kind],
    name: str,
    niche: bool,
    strict: bool,
) -> tuple[files.Sheet, dict[str, list[str]], dict[str, int], list[str], list[str]]:
    """The sheet with its derived columns, the headers each feeds, canonical column ->
    position, the headers not used and the columns filled without one; with `strict`,
    InputError unless the sheet has the required columns."""
    derived, fed = derive.derive_sheet(sheet, used)
    picked, extra = headers.match_headers(derived, columns, used, niche, name)
    filled = derive.filled(used, picked)
    width = len(sheet.headers)
    read_from = {c: [sheet.headers[p]] if p < width else fed.get(c, []) for c, p in picked.items()}
    if not niche and keys.keyless(read_from):  # no parcel id: the reader keys it by its site
        picked.pop(keys.KEY, None)
        filled.append(keys.KEY)
    if strict:
        headers.check_required({**picked, **dict.fromkeys(filled, -1)}, niche, sheet.headers, name)
    return derived, fed, picked, extra, filled


def _without_cells(sheet: files.Sheet) -> files.Sheet:
    """The sheet's headers, formats and notes, its frame emptied (the cells are read)."""
    return replace(sheet, frame=sheet.frame.clear())


def _fed(
    derived: Mapping[str, list[str]],
    direct: Mapping[str, str],
    filled: list[str],
    units: Mapping[str, str],
    picked: Mapping[str, int],
    columns: Mapping[str, Kind],
) -> dict[str, list[str]]:
    """Canonical column -> the source headers it is read from, in canonical order."""
    fed = {c: list(hs) for c, hs in derived.items()}
    fed.update({c: [h] for c, h in direct.items()})  # a column the file has beats a derived one
    for site in filled:  # from the mailing address, or a constant (no header)
        fed[site] = list(fed.get(FROM_MAILING.get(site, ""), []))
    for street, header in units.items():  # a unit column feeds its street
        fed.setdefault(street, []).append(header)
    read = set(picked)
    if values.PLUS4_FROM in picked and values.PLUS4_INTO in columns:  # a ZIP+4 in one cell
        zip4 = fed.setdefault(values.PLUS4_INTO, [])
        zip4 += [h for h in fed.get(values.PLUS4_FROM, []) if h not in zip4]
        read.add(values.PLUS4_INTO)
    return {c: fed[c] for c in columns if c in read and c in fed}
