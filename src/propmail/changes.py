"""`propmail changes`: what a load (or a range of loads) changed in a region, by section.

The rows come from the journal and the stored rows (`Database.read_changes`); everything here
is polars over them, and the list codes are read once per distinct code or pair of codes
(`rules.stack`), never once per row. The sections, in order:

- new: locations the range inserted;
- gone: locations of the region's previous upload that the last load did not contain (sold off
  the roll, or a provider's filter); the legacy load leaves them stored as they are;
- sold: the owner of a location changed (the old owner to stop mailing, the new one to mail);
- lists: per prefix list and niche list, the locations that joined it and that left it;
- absentee: the base code changed (OO to ABS1, ABS1 to ABS2, ...);
- ncoa: NCOA moves and drops that are new (by the rules file's `[ncoa]` codes);
- stack: locations whose stack count went up, by the count they reached ("joined a 3rd list");
- codes: the region's locations per list code, before and after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from propmail import __version__
from propmail.db import Database
from propmail.db.changes import ChangeRows
from propmail.db.results import CodeMove
from propmail.db.schema import State
from propmail.rules.codes import Ncoa
from propmail.rules.stack import stack_count, stack_parts
from propmail.settings import Rules

SCHEMA_VERSION = 1
MAX_EXAMPLES = 5  # rows shown per section
SECTIONS = ("new", "gone", "sold", "lists", "absentee", "ncoa", "stack", "codes")


@dataclass(frozen=True)
class Reading:
    """What the sections need of the rules: how a code is read and which NCOA codes count."""

    prefixes: tuple[str, ...]
    separator: str
    ncoa: Ncoa

    @classmethod
    def of(cls, rules: Rules) -> Reading:
        return cls(tuple(r.prefix for r in rules.prefixes), rules.niche_separator, rules.ncoa)

    def lists(self, code: str | None) -> set[str]:
        """The lists a code puts a location on: prefixes as written (``Liens-``), niche lists
        by name with ``(niche)``."""
        if not code:
            return set()
        niches, prefixes, _ = stack_parts(code, self.prefixes, self.separator)
        return {*prefixes, *(f"{n} (niche)" for n in niches)}

    def base(self, code: str | None) -> str | None:
        return stack_parts(code, self.prefixes, self.separator)[2] if code else None

    def stack(self, code: str | None) -> int:
        return stack_count(code, self.prefixes, self.separator)


def _ncoa_class(column: str, ncoa: Ncoa) -> pl.Expr:
    """``move``, ``drop`` or null for a ResponseNCOA column (as the ``ncoa_*`` operators)."""
    value = pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()
    return (
        pl.when(value.is_in(list(ncoa.moves)))
        .then(pl.lit("move"))
        .when(value.is_not_null() & ~value.is_in([*ncoa.moves, *ncoa.not_drops]))
        .then(pl.lit("drop"))
        .otherwise(pl.lit(None, pl.String))
    )


def _per_code(
    frame: pl.DataFrame, columns: Sequence[str], fn: Any, names: Sequence[str]
) -> pl.DataFrame:
    """`frame` with `fn` of each of `columns` added as `names`, computed once per distinct
    value (codes are few) and joined back."""
    for column, name in zip(columns, names, strict=True):
        distinct = frame.select(pl.col(column).unique()).to_series().to_list()
        table = pl.DataFrame(
            {column: distinct, name: [fn(code) for code in distinct]},
            schema_overrides={column: frame.schema[column]},
        )
        frame = frame.join(table, on=column, how="left", nulls_equal=True)
    return frame


@dataclass
class Changes:
    """The sections of one range of loads, ready for the terminal, changes.json and the page."""

    rows: ChangeRows
    reading: Reading
    upload: str  # the last load's file, as UploadLog names it
    database: str
    generated_at: datetime

    def __post_init__(self) -> None:
        r = self.reading
        moves = self.rows.moves.with_columns(
            pl.col("IsNew").cast(pl.Boolean), pl.col("Stored").cast(pl.Boolean)
        )
        moves = moves.with_columns(
            *(
                pl.when(pl.col("IsNew")).then(None).otherwise(pl.col(c)).alias(c)
                for c in ("OldOwnerId", "OldPriorityCode", "OldResponseNCOA", "OldOwnerName")
            )
        )
        moves = _per_code(
            moves,
            ("OldPriorityCode", "NewPriorityCode"),
            r.stack,
            ("OldStack", "NewStack"),
        )
        moves = _per_code(
            moves, ("OldPriorityCode", "NewPriorityCode"), r.base, ("OldBase", "NewBase")
        )
        self.moves = moves.with_columns(
            _ncoa_class("OldResponseNCOA", r.ncoa).alias("OldNcoa"),
            _ncoa_class("NewResponseNCOA", r.ncoa).alias("NewNcoa"),
        ).sort("PrimaryId")

    def explain(self, parcel: str) -> str:
        return explain_command(self.upload, parcel, self.database)

    # -- the sections ----------------------------------------------------------------------

    def _examples(self, frame: pl.DataFrame, columns: dict[str, str]) -> list[dict[str, Any]]:
        head = frame.sort("PrimaryId").head(MAX_EXAMPLES)
        return head.select(pl.col(c).alias(name) for c, name in columns.items()).to_dicts()

    def _section(self, key: str, frame: pl.DataFrame, columns: dict[str, str]) -> dict[str, Any]:
        examples = self._examples(frame, columns)
        return {
            "id": key,
            "count": frame.height,
            "examples": examples,
            "explain": self.explain(examples[0]["parcel"]) if examples else None,
        }

    def new(self) -> dict[str, Any]:
        new = self.moves.filter(pl.col("IsNew"))
        return self._section(
            "new",
            new,
            {"PrimaryId": "parcel", "NewPriorityCode": "code", "NewStack": "stack"},
        )

    def gone(self) -> dict[str, Any]:
        gone = _per_code(self.rows.gone, ("PriorityCode",), self.reading.stack, ("Stack",))
        return self._section(
            "gone", gone, {"PrimaryId": "parcel", "PriorityCode": "code", "Stack": "stack"}
        )

    def sold(self) -> dict[str, Any]:
        sold = self.moves.filter(
            ~pl.col("IsNew") & pl.col("OldOwnerId").ne_missing(pl.col("NewOwnerId"))
        )
        return self._section(
            "sold",
            sold,
            {
                "PrimaryId": "parcel",
                "OldOwnerName": "old_owner",
                "NewOwnerName": "new_owner",
                "NewPriorityCode": "code",
            },
        )

    def lists(self) -> dict[str, Any]:
        """Per list, the locations that joined it and that left it, from each distinct pair of
        codes before and after (a new location joins every list of its code)."""
        pairs = (
            self.moves.filter(pl.col("OldPriorityCode").ne_missing(pl.col("NewPriorityCode")))
            .group_by("OldPriorityCode", "NewPriorityCode")
            .agg(pl.len().alias("n"), pl.col("PrimaryId").min().alias("example"))
        )
        joined: Counter[str] = Counter()
        left: Counter[str] = Counter()
        example: dict[str, str] = {}
        for old, new, n, first in pairs.iter_rows():
            before, after = self.reading.lists(old), self.reading.lists(new)
            for name in after - before:
                joined[name] += n
            for name in before - after:
                left[name] += n
            for name in before ^ after:
                example[name] = min(example.get(name, first), first)
        rows = [
            {
                "list": name,
                "kind": "niche" if name.endswith("(niche)") else "prefix",
                "joined": joined[name],
                "left": left[name],
                "example": example[name],
                "explain": self.explain(example[name]),
            }
            for name in sorted(joined.keys() | left.keys())
        ]
        return {
            "id": "lists",
            "count": sum(joined.values()) + sum(left.values()),
            "joined": sum(joined.values()),
            "left": sum(left.values()),
            "rows": rows,
            "explain": rows[0]["explain"] if rows else None,
        }

    def absentee(self) -> dict[str, Any]:
        changed = self.moves.filter(
            ~pl.col("IsNew") & pl.col("OldBase").ne_missing(pl.col("NewBase"))
        )
        transitions = (
            changed.group_by("OldBase", "NewBase")
            .agg(pl.len().alias("locations"), pl.col("PrimaryId").min().alias("example"))
            .sort(["locations", "OldBase", "NewBase"], descending=[True, False, False])
            .rename({"OldBase": "from", "NewBase": "to"})
        )
        section = self._section(
            "absentee",
            changed,
            {"PrimaryId": "parcel", "OldBase": "from", "NewBase": "to", "NewPriorityCode": "code"},
        )
        return {**section, "transitions": transitions.to_dicts()}

    def ncoa(self) -> dict[str, Any]:
        parts = {}
        for kind in ("move", "drop"):
            found = self.moves.filter(
                (pl.col("NewNcoa") == kind) & pl.col("OldNcoa").ne_missing(pl.lit(kind))
            )
            parts[f"{kind}s"] = self._section(
                f"ncoa_{kind}s",
                found,
                {
                    "PrimaryId": "parcel",
                    "OldResponseNCOA": "before",
                    "NewResponseNCOA": "after",
                    "NewOwnerName": "owner",
                },
            )
        count = parts["moves"]["count"] + parts["drops"]["count"]
        explain = parts["moves"]["explain"] or parts["drops"]["explain"]
        return {"id": "ncoa", "count": count, **parts, "explain": explain}

    def stack(self) -> dict[str, Any]:
        """Locations whose stack count went up, by the count reached, and the examples."""
        up = self.moves.filter(pl.col("NewStack") > pl.col("OldStack").fill_null(0))
        reached = (
            up.group_by("NewStack")
            .agg(pl.len().alias("locations"))
            .sort("NewStack")
            .rename({"NewStack": "lists"})
        )
        section = self._section(
            "stack",
            up,
            {
                "PrimaryId": "parcel",
                "OldStack": "before",
                "NewStack": "after",
                "NewPriorityCode": "code",
            },
        )
        down = self.moves.filter(pl.col("NewStack") < pl.col("OldStack").fill_null(0)).height
        return {**section, "reached": reached.to_dicts(), "fewer": down}

    def codes(self) -> dict[str, Any]:
        """The region's locations per list code before the range and after it."""
        now = dict(self.rows.codes_now.iter_rows())
        after = _less(now, _delta(self.rows.moves_after))
        before = _less(after, _delta(self.rows.moves))
        if self.rows.span.undone:  # the stored rows are as they were before the load
            before = after
            after = _less(before, {c: -n for c, n in _delta(self.rows.moves).items()})
        rows = [
            {"code": code, "before": before.get(code, 0), "after": after.get(code, 0)}
            for code in after.keys() | before.keys()
            if before.get(code, 0) or after.get(code, 0)
        ]
        rows.sort(key=lambda r: (-r["after"], -r["before"], str(r["code"])))
        changed = sum(1 for r in rows if r["before"] != r["after"])
        return {"id": "codes", "count": changed, "rows": rows, "explain": None}

    # -- the whole ---------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        span = self.rows.span
        sections = {
            "new": self.new(),
            "gone": self.gone(),
            "sold": self.sold(),
            "lists": self.lists(),
            "absentee": self.absentee(),
            "ncoa": self.ncoa(),
            "stack": self.stack(),
            "codes": self.codes(),
        }
        return {
            "schema_version": SCHEMA_VERSION,
            "propmail_version": __version__,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "database": self.database,
            "region_id": span.region_id,
            "loads": [
                {
                    "upload_log_id": x.upload_log_id,
                    "file": x.file_name,
                    "undone": x.state == State.UNDONE,
                    "loaded_at": x.loaded_at.isoformat(timespec="seconds") if x.loaded_at else None,
                }
                for x in span.loads
            ],
            "previous_load": span.previous.upload_log_id if span.previous else None,
            "counts": {
                "new": sections["new"]["count"],
                "gone": sections["gone"]["count"],
                "sold": sections["sold"]["count"],
                "joined": sections["lists"]["joined"],
                "left": sections["lists"]["left"],
                "absentee_changed": sections["absentee"]["count"],
                "ncoa_moves": sections["ncoa"]["moves"]["count"],
                "ncoa_drops": sections["ncoa"]["drops"]["count"],
                "stack_up": sections["stack"]["count"],
                "codes_changed": sections["codes"]["count"],
            },
            "sections": sections,
        }


def headline(moves: Sequence[CodeMove], reading: Reading) -> dict[str, int]:
    """The load's changes in a few figures, from its counts per pair of codes (`CodeMove`,
    counted from the load's kind table): new locations, locations rewritten, sales, list code
    changed, list joins and leaves, locations on more lists.

    >>> r = Reading(("HE-", "Liens-"), " - ", Ncoa(("A",), ()))
    >>> headline([CodeMove(True, None, "Liens-OO", 2, 0),
    ...     CodeMove(False, "OO", "HE-OO", 3, 1), CodeMove(False, "Liens-OO", "OO", 1, 0)], r)
    ... # doctest: +NORMALIZE_WHITESPACE
    {'new': 2, 'changed': 4, 'sold': 1, 'code_changed': 4, 'joined': 5, 'left': 1,
     'stack_up': 5}
    """
    figures = dict.fromkeys(
        ("new", "changed", "sold", "code_changed", "joined", "left", "stack_up"), 0
    )
    for move in moves:
        n = move.locations
        figures["new" if move.new else "changed"] += n
        figures["sold"] += move.sold
        old = None if move.new else move.old_code
        if move.new_code == old:
            continue
        figures["code_changed"] += 0 if move.new else n
        before, after = reading.lists(old), reading.lists(move.new_code)
        figures["joined"] += n * len(after - before)
        figures["left"] += n * len(before - after)
        figures["stack_up"] += n if reading.stack(move.new_code) > reading.stack(old) else 0
    return figures


def load_headline(moves: Sequence[CodeMove] | None, rules: Rules) -> dict[str, int] | None:
    """`headline` of a load's moves under its rules (None where the backend counts none)."""
    return None if moves is None else headline(moves, Reading.of(rules))


def _delta(moves: pl.DataFrame) -> dict[str | None, int]:
    """Locations per list code that `moves` added (after) less those it took away (before)."""
    added = moves.filter(pl.col("Stored") == 1).group_by("NewPriorityCode").len()
    taken = moves.filter(pl.col("IsNew") == 0).group_by("OldPriorityCode").len()
    delta: Counter[str | None] = Counter()
    for code, n in added.iter_rows():
        delta[code] += n
    for code, n in taken.iter_rows():
        delta[code] -= n
    return dict(delta)


def _less(counts: dict[Any, int], delta: dict[Any, int]) -> dict[Any, int]:
    return {c: counts.get(c, 0) - delta.get(c, 0) for c in counts.keys() | delta.keys()}


def explain_command(upload: str, parcel: str, db_url: str) -> str:
    r"""The `propmail explain` command for one row of a load's upload, quoted for a shell.

    >>> print(explain_command("may.csv", "0012-A", "sqlite:///propmail.db"))
    propmail explain may.csv --parcel 0012-A --db sqlite:///propmail.db
    >>> print(explain_command("May roll.csv", "it's", "sqlite:///p.db"))
    propmail explain 'May roll.csv' --parcel 'it'\''s' --db sqlite:///p.db
    """
    return f"propmail explain {_quoted(upload)} --parcel {_quoted(parcel)} --db {_quoted(db_url)}"


def _quoted(text: str) -> str:
    safe = all(c.isalnum() or c in "/._-:+@=" for c in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"


def read_changes(
    backend: Database,
    rules: Rules,
    region_id: int,
    load: int | None = None,
    since: int | None = None,
    generated_at: datetime | None = None,
) -> Changes:
    """The changes of the loads `since`..`load` of a region (default: its last load)."""
    rows = backend.read_changes(region_id, load, since)
    return Changes(
        rows,
        Reading.of(rules),
        rows.span.last.file_name or "UPLOAD",
        backend.display_url,
        generated_at or datetime.now().astimezone(),
    )


def lines(report: dict[str, Any]) -> list[str]:
    """The changes as text: the loads, each section's count and a few examples."""
    loads = report["loads"]
    named = ", ".join(
        f"{x['upload_log_id']} ({x['file']}{', undone' if x['undone'] else ''})" for x in loads
    )
    s = report["sections"]
    out = [f"region {report['region_id']}: changes of upload {named}"]
    if any(x["undone"] for x in loads):
        out.append("  undone since: these are the changes the undo put back")
    out.append(f"  new locations: {s['new']['count']:,}")
    out += _listed(s["new"], lambda e: f"{e['parcel']} {e['code']} ({e['stack']} lists)")
    out.append(f"  gone from the upload: {s['gone']['count']:,}")
    out += _listed(s["gone"], lambda e: f"{e['parcel']} {e['code']}")
    out.append(f"  owner changed (sold): {s['sold']['count']:,}")
    out += _listed(s["sold"], lambda e: f"{e['parcel']}: {e['old_owner']} -> {e['new_owner']}")
    lists = s["lists"]
    out.append(f"  lists: {lists['joined']:,} joined, {lists['left']:,} left")
    for row in lists["rows"]:
        out.append(
            f"    {row['list']}: +{row['joined']:,} -{row['left']:,} (e.g. {row['example']})"
        )
    out.append(f"  absentee level changed: {s['absentee']['count']:,}")
    for t in s["absentee"]["transitions"]:
        out.append(f"    {t['from']} -> {t['to']}: {t['locations']:,} (e.g. {t['example']})")
    ncoa = s["ncoa"]
    out.append(f"  new NCOA moves: {ncoa['moves']['count']:,}, drops: {ncoa['drops']['count']:,}")
    stack = s["stack"]
    reached = ", ".join(f"{r['locations']:,} to {r['lists']}" for r in stack["reached"])
    out.append(f"  stack count up: {stack['count']:,}" + (f" ({reached})" if reached else ""))
    codes = s["codes"]
    out.append(f"  list codes whose count changed: {codes['count']:,}")
    for row in [r for r in codes["rows"] if r["before"] != r["after"]][:10]:
        out.append(f"    {row['code']}: {row['before']:,} -> {row['after']:,}")
    example = next((s[k]["explain"] for k in SECTIONS if s[k].get("explain")), None)
    if example:
        out.append(f"  why a row: {example}")
    return out


def _listed(section: dict[str, Any], show: Any) -> list[str]:
    return [f"    {show(e)}" for e in section["examples"]]
