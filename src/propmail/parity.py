"""`propmail parity`: how far propmail's values are from what the database holds, column by column.

The upload is read and processed exactly as `propmail process` would (`job.prepare`); the
region's stored locations, each with its owner's columns and the code its ListPriorityId names
(`Admin.read_region`), are read in batches over one streaming query and each batch is compared
with propmail's rows in polars. Memory holds the processed rows (explain and the variants read
them), propmail's values in the compared form and one batch of stored rows, whatever the size
of the region. Nothing is written: no row, no UploadLog.

Every value is compared typed, in its storage kind (a flag or count as an integer, a number as
a float, a date as a date, text as text), null equal to null: `1` and `1.0` are one number, and
a legacy column of another type reads as the contract's (`db.stored`), so `2024-01-05 00:00:00`
in a date column is the date `2024-01-05`. Disagreements are shown and grouped as text. The
Owner link is compared as the Slug of the owner each side points to, ListPriorityId as the code
it names.
Owner columns are compared through each location's owner, so the rates count locations.

>>> canonical_kind("Location.IsTrust"), canonical_kind("Owner.Slug"), canonical_kind("Owner.Zip")
('flag', 'text', 'text')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from propmail import calibration, explain, pipeline
from propmail.contract import DATE, DERIVED, FLAG, INT, LOCATION, NUMBER, OWNER, STORED, TEXT
from propmail.db import Database
from propmail.db.stored import LIST_CODE, OWNER_LINK, region_columns
from propmail.inputs import Inputs
from propmail.job import checked_backend, database_errors, prepare
from propmail.progress import Step, no_step
from propmail.rules.niche import NicheList
from propmail.rules.slug import STYLES, slug_expr

# stored rows per batch: each arrives from the driver as Python objects (45 a row) before it
# becomes a frame, so a batch stays small next to the processed upload
BATCH_ROWS = 25_000
EXAMPLES = 3  # example parcel ids per pattern
EXPLAINED = 50  # patterns per column whose examples are explained (the report lists as many)
PARCEL = "Location.PrimaryId"
# propmail's side of a compared column, next to the stored one in a joined batch
MINE = "\0propmail:"

# Columns whose disagreements are grouped by the two values themselves (few distinct values);
# the others by the kind of difference, as their values are mostly unique.
VALUE_COLUMNS = frozenset(
    {
        LIST_CODE,
        "Location.PriorityCode",
        "Location.State",
        "Location.County",
        "Location.LienType",
        "Location.Vacant",
        "Location.ResponseNCOA",
        "Owner.State",
        "Owner.DoNotMail",
    }
)

# the stored id the load resolves from a derived field, compared as that field's value
RESOLVED = {LIST_CODE: "ListCode"}


def derived_order() -> tuple[str, ...]:
    """The compared columns a derived field fills, in the contract's (SPEC) order of the fields:
    a location's column before its owner's, then the id the load resolves from it.

    >>> derived_order()[2:4], derived_order()[-2:]
    (('Location.IsBusiness', 'Owner.IsBusiness'), ('Owner.AccuzipRequest', 'Owner.FullAddress'))
    """
    order: list[str] = []
    for derived in DERIVED:
        order += [
            f"{c.table}.{c.name}"
            for table in (LOCATION, OWNER)
            for c in STORED
            if c.table == table and c.source == derived.name and not c.staged_only
        ]
        order += [column for column, source in RESOLVED.items() if source == derived.name]
    return tuple(order)


# SPEC order of the derived columns first, then the plain copies as the tables hold them
DERIVED_ORDER = derived_order()


def _kinds() -> dict[str, str]:
    kinds = {f"{c.table}.{c.name}": c.kind for c in STORED}
    kinds[LIST_CODE] = kinds[OWNER_LINK] = TEXT
    return kinds


KINDS = _kinds()


def canonical_kind(column: str) -> str:
    kind = KINDS[column]
    return TEXT if kind not in (FLAG, INT, NUMBER, DATE) else kind


def compared_columns() -> list[str]:
    """Every compared column: the derived ones in SPEC order, then the plain copies."""
    stored = [c for c in region_columns() if c != PARCEL]
    return [*DERIVED_ORDER, *(c for c in stored if c not in DERIVED_ORDER)]


def canonical(expr: pl.Expr, column: str) -> pl.Expr:
    """A value in the type both sides are compared in: its storage kind's."""
    kind = canonical_kind(column)
    if kind in (FLAG, INT):
        return expr.cast(pl.Int64)
    if kind == NUMBER:
        return expr.cast(pl.Float64)
    if kind == DATE:
        return expr.cast(pl.Date)
    return expr.cast(pl.String)


def propmail_rows(processed: pipeline.Processed) -> pl.DataFrame:
    """propmail's value of every compared column per location, in its compared type."""
    owners = processed.owners
    frame = processed.locations.join(
        owners.rename({c: f"Owner.{c}" for c in owners.columns if c != "Slug"}),
        left_on="OwnerSlug",
        right_on="Slug",
        how="left",
    )
    named = {
        PARCEL: pl.col("PrimaryId"),
        LIST_CODE: pl.col("PriorityCode"),
        OWNER_LINK: pl.col("OwnerSlug"),
    }
    for c in STORED:
        key = f"{c.table}.{c.name}"
        if key in named or c.staged_only or key == "Owner.Slug":
            continue
        named[key] = pl.col(f"Owner.{c.name}") if c.table == OWNER else pl.col(c.name)
    return frame.select(
        pl.col("PrimaryId").alias(PARCEL),
        *(canonical(expr, k).alias(k) for k, expr in named.items() if k != PARCEL),
    )


def stored_rows(batch: pl.DataFrame) -> pl.DataFrame:
    """A batch of stored rows in the compared types."""
    return batch.select(
        pl.col(PARCEL), *(canonical(pl.col(c), c).alias(c) for c in compared_columns())
    )


def difference(stored: pl.Expr, mine: pl.Expr) -> pl.Expr:
    """The kind of a difference between two texts, for columns of mostly unique values."""
    folded_s, folded_m = stored.str.to_uppercase(), mine.str.to_uppercase()
    bare_s = folded_s.str.replace_all(r"[^A-Z0-9]+", "")
    bare_m = folded_m.str.replace_all(r"[^A-Z0-9]+", "")
    return (
        pl.when(stored.is_null())
        .then(pl.lit("empty -> a value"))
        .when(mine.is_null())
        .then(pl.lit("a value -> empty"))
        .when(folded_s == folded_m)
        .then(pl.lit("letter case only"))
        .when(bare_s == bare_m)
        .then(pl.lit("spacing or punctuation (and case) only"))
        .otherwise(pl.lit("other value"))
    )


def slug_style_of(stored: pl.Expr, otherwise: pl.Expr) -> pl.Expr:
    """A stored Owner link that is propmail's owner address in a slug style, named as such."""
    street, zip_ = MINE + "Owner.Address1", MINE + "Owner.Zip"
    named = otherwise
    for style in reversed(STYLES):
        named = (
            pl.when(stored == slug_expr(style, street, zip_))
            .then(pl.lit(f"the {style} slug style of the same owner address"))
            .otherwise(named)
        )
    return named


def pattern_of(column: str) -> pl.Expr:
    """The pattern a disagreement of `column` is grouped under (stored -> propmail)."""
    stored, mine = pl.col(column), pl.col(MINE + column)
    if column == OWNER_LINK:
        return slug_style_of(stored, difference(stored, mine))
    if canonical_kind(column) in (FLAG, INT) or column in VALUE_COLUMNS:
        shown = [
            pl.when(e.is_null()).then(pl.lit("null")).otherwise(pl.format("'{}'", e))
            for e in (stored, mine)
        ]
        if canonical_kind(column) in (FLAG, INT):
            shown = [e.fill_null("null") for e in (stored, mine)]
        return pl.concat_str([shown[0], pl.lit(" -> "), shown[1]])
    return difference(stored, mine)


@dataclass
class Example:
    parcel: str
    stored: str | None
    propmail: str | None
    reason: str = ""  # in the words of `propmail explain`

    def as_dict(self) -> dict[str, Any]:
        return {
            "parcel": self.parcel,
            "stored": self.stored,
            "propmail": self.propmail,
            "reason": self.reason,
        }


@dataclass
class Pattern:
    """Disagreements of one column that look alike: stored -> propmail."""

    pattern: str
    rows: int
    examples: list[Example] = field(default_factory=list)


@dataclass
class ColumnParity:
    column: str
    compared: int = 0
    agree: int = 0
    patterns: dict[str, Pattern] = field(default_factory=dict)

    @property
    def disagree(self) -> int:
        return self.compared - self.agree

    @property
    def rate(self) -> float:
        return self.agree / self.compared if self.compared else 1.0

    def ranked(self) -> list[Pattern]:
        return sorted(self.patterns.values(), key=lambda p: (-p.rows, p.pattern))


@dataclass
class Suggestion:
    """One setting's variant: the rules-file fragment and the agreement it would give."""

    setting: str  # what it changes, in words
    fragment: str  # TOML the operator can adopt
    columns: dict[str, tuple[int, int]]  # column -> (agreeing now, agreeing with the setting)
    compared: int

    @property
    def gain(self) -> int:
        return sum(after - before for before, after in self.columns.values())

    def rates(self) -> dict[str, tuple[float, float]]:
        n = self.compared or 1
        return {c: (b / n, a / n) for c, (b, a) in self.columns.items()}


@dataclass
class ParityResult:
    region_id: int
    upload: str
    db_url: str
    rules: str
    started: datetime
    finished: datetime
    upload_rows: int  # locations propmail would write
    rejected: int  # upload rows propmail would not write (the report of process names them)
    stored_rows: int  # the region's stored locations
    compared: int  # locations on both sides
    only_in_database: int  # stored locations the upload does not hold (or rejects)
    only_in_database_rejected: int  # of those, rows the upload holds but propmail rejects
    only_in_upload: int  # locations propmail would insert
    columns: list[ColumnParity]
    suggestions: list[Suggestion] = field(default_factory=list)
    together: Suggestion | None = None  # every setting that helps, adopted at once

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()

    def column(self, name: str) -> ColumnParity:
        return next(c for c in self.columns if c.column == name)

    @property
    def agree(self) -> int:
        return sum(c.agree for c in self.columns)

    @property
    def cells(self) -> int:
        return sum(c.compared for c in self.columns)


class Comparison:
    """The running comparison of stored batches with propmail's rows (and its variants')."""

    def __init__(self, mine: pl.DataFrame, rejected: pl.Series, examples: int = EXAMPLES) -> None:
        self.mine = mine.rename({c: MINE + c for c in mine.columns if c != PARCEL})
        self.rejected = rejected
        self.examples = examples
        self.columns = {c: ColumnParity(c) for c in compared_columns()}
        self.stored = self.matched = self.only_stored = self.only_stored_rejected = 0
        self.variants: list[tuple[pl.DataFrame, dict[str, int]]] = []

    def add_variant(self, variant: pl.DataFrame) -> dict[str, int]:
        """Cells where a variant's rows differ from the rows in force, kept long and sparse:
        (parcel, column, value), the value as the text of its typed value (one column for every
        type); the returned dict fills with each column's change in agreement."""
        base = self.mine
        joined = variant.join(base, on=PARCEL, how="inner")
        cells = []
        for c in compared_columns():
            differs = ~pl.col(c).eq_missing(pl.col(MINE + c))
            cells.append(
                joined.filter(differs).select(
                    PARCEL, pl.lit(c).alias("column"), pl.col(c).cast(pl.String).alias("value")
                )
            )
        diff = pl.concat(cells)
        delta = {c: 0 for c in diff["column"].unique(maintain_order=True).to_list()}
        self.variants.append((diff, delta))
        return delta

    def add(self, batch: pl.DataFrame) -> None:
        stored = stored_rows(batch)
        self.stored += stored.height
        joined = stored.join(self.mine, on=PARCEL, how="inner")
        alone = stored.join(self.mine, on=PARCEL, how="anti")
        self.matched += joined.height
        self.only_stored += alone.height
        self.only_stored_rejected += int(alone[PARCEL].is_in(self.rejected.implode()).sum())
        self._compare(joined)
        for diff, delta in self.variants:
            self._compare_variant(stored, diff, delta)

    def _compare(self, joined: pl.DataFrame) -> None:
        wrong = []
        for name, col in self.columns.items():
            same = pl.col(name).eq_missing(pl.col(MINE + name))
            col.compared += joined.height
            col.agree += int(joined.select(same.sum()).item())
            shown = [pl.col(c).cast(pl.String) for c in (name, MINE + name)]  # grouped as text
            wrong.append(
                joined.filter(~same)
                .with_columns(shown)
                .select(
                    pl.lit(name).alias("column"),
                    pattern_of(name).alias("pattern"),
                    pl.col(PARCEL),
                    pl.col(name).alias("stored"),
                    pl.col(MINE + name).alias("propmail"),
                )
            )
        grouped = (
            pl.concat(wrong)
            .group_by("column", "pattern", maintain_order=True)
            .agg(
                pl.len().alias("rows"),
                *(pl.col(c).head(self.examples) for c in (PARCEL, "stored", "propmail")),
            )
        )
        for name, pattern, rows, parcels, stored, mine in grouped.iter_rows():
            found = self.columns[name].patterns.setdefault(pattern, Pattern(pattern, 0))
            found.rows += rows
            room = self.examples - len(found.examples)
            found.examples += [Example(*e) for e in zip(parcels, stored, mine, strict=True)][:room]

    def _compare_variant(
        self, stored: pl.DataFrame, diff: pl.DataFrame, delta: dict[str, int]
    ) -> None:
        """Adds to `delta` how many more of this batch's cells the variant gets right."""
        here = diff.join(stored.select(PARCEL), on=PARCEL, how="semi")
        if here.height == 0:
            return
        for (name,), cells in here.partition_by("column", as_dict=True).items():
            # as text, as the variant's values are: one typed value has one text
            stored_value = pl.col(str(name)).cast(pl.String).alias("stored")
            base = pl.col(MINE + str(name)).cast(pl.String).alias("base")
            both = cells.join(stored.select(PARCEL, stored_value), on=PARCEL).join(
                self.mine.select(PARCEL, base), on=PARCEL
            )
            right = both.select(
                pl.col("value").eq_missing(pl.col("stored")).cast(pl.Int64).sum()
                - pl.col("base").eq_missing(pl.col("stored")).cast(pl.Int64).sum()
            ).item()
            delta[str(name)] += int(right)


Variants = Iterable[tuple[str, str, Callable[[], pipeline.Processed]]]


def compare(
    backend: Database,
    region_id: int,
    mine: pl.DataFrame,
    rejected: pl.Series,
    variants: Variants = (),
    batch_rows: int = BATCH_ROWS,
    step: Step = no_step,
) -> tuple[Comparison, list[Suggestion]]:
    """Stream the region once and compare it with propmail's rows (`propmail_rows`) and each
    variant's; `rejected` holds the parcel ids of the upload's rejected rows.

    A variant is (setting, fragment, a function that processes the upload with it); each is
    run in turn and only the values where it differs from `mine` are kept.
    """
    comparison = Comparison(mine, rejected)
    tried = []
    for setting, fragment, run in variants:
        step(f"trying {setting}")
        tried.append((setting, fragment, comparison.add_variant(propmail_rows(run()))))
    step("comparing with the database")
    with database_errors(backend):
        for batch in backend.read_region(region_id, batch_rows):
            comparison.add(batch)
    suggestions = []
    for setting, fragment, delta in tried:
        columns = {
            c: (comparison.columns[c].agree, comparison.columns[c].agree + d)
            for c, d in delta.items()
        }
        suggestions.append(Suggestion(setting, fragment, columns, comparison.matched))
    suggestions.sort(key=lambda s: (-s.gain, s.setting))
    return comparison, suggestions


def explain_examples(columns: list[ColumnParity], explainer: explain.Explainer) -> None:
    """Each example of the largest `EXPLAINED` patterns of each column gets its reason."""
    shown = [(col, p) for col in columns for p in col.ranked()[:EXPLAINED]]
    explainer.find(sorted({e.parcel for _, p in shown for e in p.examples}))
    for col, pattern in shown:
        for example in pattern.examples:
            example.reason = explainer.reason(example.parcel, col.column)


@dataclass
class Counts:
    """What the result reads of the processed upload, taken before its frames are let go of."""

    locations: int  # locations propmail would write
    rejected: int  # upload rows propmail would not write


def without_frames(processed: pipeline.Processed) -> pipeline.Processed:
    """The processed upload without its owners and locations (columns kept, no rows): once
    `propmail_rows` holds them in the compared form, only the processed rows are read again
    (by explain and by each variant). polars puts them at 71 MB for 250,000 rows, held through
    the comparison otherwise (some of it shared with the processed rows)."""
    return replace(
        processed, owners=processed.owners.clear(), locations=processed.locations.clear()
    )


def _rerun(
    processed: pipeline.Processed, variant: calibration.Variant, lists: list[NicheList]
) -> pipeline.Processed:
    """The upload processed with a variant's settings: from the first rule it changes, over
    the rows processed already."""
    return pipeline.run(processed.processed, variant.rules, lists, start=variant.start)


def run_parity(
    inputs: Inputs,
    region_id: int,
    *,
    db_url: str | None = None,
    backend: Database | None = None,
    suggest: bool = False,
    step: Step = no_step,
    batch_rows: int = BATCH_ROWS,
) -> ParityResult:
    """Read and process the upload as `process` would, then compare it with the region."""
    started = datetime.now()
    rules, rules_path = inputs.rules, inputs.rules_path
    with checked_backend(db_url, backend, region_id, step) as backend:
        # the upload as read is not kept: the processed rows hold what explain reads of it
        niches, processed = prepare(inputs, step)[1:]
        lists = inputs.niche_lists(niches)
        mine = propmail_rows(processed)
        counts = Counts(mine.height, processed.rejects.height)
        rejected = processed.rejects["LocationPrimaryId"].drop_nulls()
        processed = without_frames(processed)  # what is left: the rows explain and rerun read
        tried = {v.setting: v for v in calibration.variants(rules_path, rules)} if suggest else {}
        variants = [
            (v.setting, v.fragment, partial(_rerun, processed, v, lists)) for v in tried.values()
        ]
        comparison, suggestions = compare(
            backend, region_id, mine, rejected, variants, batch_rows, step
        )
        helping = [tried[s.setting] for s in suggestions if s.gain > 0]
        together = None
        if len(helping) > 1:  # adopted at once they may interact: one more pass says how
            both = calibration.together(rules_path, helping)
            run = (both.setting, both.fragment, partial(_rerun, processed, both, lists))
            together = compare(backend, region_id, mine, rejected, [run], batch_rows, step)[1][0]
    columns = list(comparison.columns.values())
    step("explaining the examples")
    explain_examples(columns, explain.Explainer(processed, rules, lists))
    return result(
        comparison,
        suggestions,
        counts,
        region_id,
        inputs.upload,
        backend.display_url,
        rules.source,
        started,
        together,
    )


def result(
    comparison: Comparison,
    suggestions: list[Suggestion],
    counts: Counts,
    region_id: int,
    upload: str | Path,
    db_url: str,
    rules: str,
    started: datetime,
    together: Suggestion | None = None,
) -> ParityResult:
    c = comparison
    return ParityResult(
        region_id=region_id,
        upload=str(upload),
        db_url=db_url,
        rules=rules,
        started=started,
        finished=datetime.now(),
        upload_rows=counts.locations,
        rejected=counts.rejected,
        stored_rows=c.stored,
        compared=c.matched,
        only_in_database=c.only_stored,
        only_in_database_rejected=c.only_stored_rejected,
        only_in_upload=counts.locations - c.matched,
        columns=list(c.columns.values()),
        suggestions=suggestions,
        together=together,
    )
