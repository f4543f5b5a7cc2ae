"""The pipeline: an upload frame (and niche lists) -> every derived field -> owners, locations.

The rules run in the order of SPEC section 3; each is a pure function over the frame.
ListPriorityId (3.8) needs the database, so the load resolves it from ``locations.PriorityCode``.
The owner and location columns come from the contract's table of stored columns:

>>> LOCATION_COLUMNS["PriorityCode"], OWNER_COLUMNS["MailingCounty"].meta.output_name()
('ListCode', 'LocationCounty')
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from propmail import storable
from propmail.contract import KEEP_STORED, LOCATION, OWNER, SOURCE_ROW, TEXT, kept, stored
from propmail.progress import Step, no_step
from propmail.rules import (
    classification,
    codes,
    grantor,
    names,
    niche,
    occupancy,
    places,
    priority,
    slug,
)
from propmail.rules.address import LOCATION_STREET, normalize_street
from propmail.rules.niche import NicheList, NicheOutcome
from propmail.settings import Rules

# A rule: the frame, then the settings it takes, each parameter named as a field of `Rules`
Rule = Callable[..., pl.DataFrame]

# SPEC 3.1 - 3.6, top to bottom; niche lists (3.7) and the slug (3.9) follow in `run`.
RULES: tuple[Rule, ...] = (
    classification.derive,  # IsTrust, IsChurch, IsBusiness, IsEstate, IsGovernment
    occupancy.derive,  # IsOwnerOccupied
    grantor.derive,  # OwnerGrantorMatch
    names.derive,  # AlternateName
    priority.derive,  # BasePriorityCode, IsAbsentee
    codes.derive,  # EnhancedCode
)


@cache
def takes(rule: Rule) -> tuple[str, ...]:
    """The fields of `Rules` that `rule` takes: the names of its parameters after the frame."""
    return tuple(inspect.signature(rule).parameters)[1:]


def apply(rule: Rule, frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """`rule` over `frame`, handed only the parts of `rules` it names (as sqlglot's optimizer
    hands each of its rules only the arguments it names), so that no rule sees the others'
    settings.

    >>> from propmail.settings import load_rules
    >>> takes(names.derive), takes(slug.derive)
    (('names', 'classification'), ('slug_style',))
    >>> frame = pl.DataFrame({"OwnerAddress1": ["1 Main St."], "OwnerZip": ["24016"]})
    >>> apply(slug.derive, frame, load_rules())["OwnerSlug"].item()
    '1_MAIN_ST_24016'
    """
    return rule(frame, **{name: getattr(rules, name) for name in takes(rule)})


# Owner columns aggregated per slug (database name -> expression over the processed frame);
# the slug is the group key, and FullAddress is made from the aggregated address.
OWNER_COLUMNS: dict[str, pl.Expr] = {
    c.name: pl.col(c.source)
    for c in stored(OWNER)
    if c.name not in ("Slug", "FullAddress") and not c.staged_only
}
# An owner's column read from the file (database name -> upload column) that none of its rows
# gave a value, and some row could not read: the stored owner keeps its value there.
OWNER_KEPT = kept(OWNER)
_UNREAD = "__unread_"

# Location columns (database name -> processed column); RegionId, OwnerId, ListPriorityId
# are resolved by the load.
LOCATION_COLUMNS: dict[str, str] = {c.name: c.source for c in stored(LOCATION)}


@dataclass
class Processed:
    """Everything one upload produced before it meets the database."""

    processed: pl.DataFrame  # every upload row with every derived field
    owners: pl.DataFrame  # one row per Slug
    locations: pl.DataFrame  # one row per PrimaryId
    rejects: pl.DataFrame  # _row, LocationPrimaryId, reason: rows not loaded
    niche: list[NicheOutcome] = field(default_factory=list)


def accuzip_request(frame: pl.DataFrame) -> pl.Expr:
    """RequestStreet_RequestCity_RequestState_RequestZip; a null part is empty, all null is null."""
    parts = [pl.col(c) for c in ("RequestStreet", "RequestCity", "RequestState", "RequestZip")]
    joined = pl.concat_str([p.fill_null("") for p in parts], separator="_")
    return pl.when(pl.any_horizontal([p.is_not_null() for p in parts])).then(joined)


def full_address() -> pl.Expr:
    """Owner.FullAddress: Address1, City, State, Zip joined by single spaces, no apostrophes."""
    parts = [pl.col(c).str.replace_all("'", "") for c in ("Address1", "City", "State", "Zip")]
    return (
        pl.concat_str([p.fill_null("") for p in parts], separator=" ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def derive_all(
    frame: pl.DataFrame,
    rules: Rules,
    niches: Sequence[NicheList] = (),
    step: Step = no_step,
    start: Rule | None = None,
) -> tuple[pl.DataFrame, list[NicheOutcome]]:
    """Every derived field of SPEC section 3 except the database-bound ListPriorityId.

    `step` is called with the name of each stage as it starts (progress, timing). `start`
    (a rule of `RULES`, or `slug.derive`) runs the pipeline from that rule on, over a frame
    the rules before it already processed with the same settings.
    """
    # the property street in Pub 28 form, for niche matching, made once
    frame = frame.with_columns(normalize_street(pl.col("LocationAddress1")).alias(LOCATION_STREET))
    first = len(RULES) if start is slug.derive else RULES.index(start) if start else 0
    for rule in RULES[first:]:
        frame = apply(rule, frame, rules)
    step("niche lists")
    frame, outcomes = niche.apply(frame, list(niches), rules.niche_separator)
    frame = frame.drop(LOCATION_STREET)
    step("owner key")
    frame = apply(slug.derive, frame, rules)
    return frame.with_columns(accuzip_request(frame).alias("AccuzipRequest")), outcomes


def stored_text_columns(frame: pl.DataFrame) -> dict[str, bool]:
    """Processed text columns written to the database -> whether their column is TEXT(255)."""
    owner = {c.name: c for c in stored(OWNER)}
    # FullAddress is made of columns checked on their own; the key is derived last, so a
    # reason names the file's own column first
    written = [owner[name] for name in OWNER_COLUMNS]
    written += [c for c in stored(LOCATION) if not c.staged_only]
    written += [owner["Slug"]]
    out: dict[str, bool] = {}
    for column in written:
        if frame.schema.get(column.source) == pl.String:
            out[column.source] = out.get(column.source, False) or column.kind == TEXT
    return out


DUPLICATE = "duplicate parcel id"


def rejects_by_reason(rejects: pl.DataFrame) -> pl.DataFrame:
    """reason, rows: one line per reason, most rows first; the rows of one parcel id repeated
    are one reason, whichever row each keeps ("1,571 rows: duplicate parcel id, a later row
    of the file kept"), never one line per kept row."""
    reason = pl.col("reason")
    general = (
        pl.when(reason.str.starts_with(DUPLICATE + ":"))
        .then(pl.lit(DUPLICATE + ": a later row of the file with the same id is kept"))
        .otherwise(reason)
    )
    return (
        rejects.group_by(general.alias("reason"))
        .agg(pl.len().alias("rows"))
        .sort(["rows", "reason"], descending=[True, False])
    )


def foreign_mailing(frame: pl.DataFrame) -> pl.Series:
    """Per row: the foreign place its mailing address names (`places.foreign_place`), else
    null. Only rows without a mailing state or ZIP are read."""
    names = ("OwnerCity", "OwnerState", "OwnerZip")
    read = [c for c in names if c in frame.columns]
    city, state, zip_ = (
        pl.col(c).cast(pl.String) if c in read else pl.lit(None, pl.String) for c in names
    )
    out = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("foreign")
    rows = frame.select((state.is_null() | zip_.is_null()).fill_null(True)).to_series().arg_true()
    if rows.len():
        mailing = frame.select(read) if read else frame  # those rows' mailing columns only
        named = mailing[rows].select(places.foreign_place(city, state, zip_)).to_series()
        out = out.scatter(rows, named)
    return out


NO_OWNER_NAME = "no owner name (OwnerName): the envelope has no addressee, the row cannot be mailed"


def split_rejects(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows that can be loaded, and the rejected ones with their reason.

    Each row's reason (the first check it fails) is worked out once on a narrow frame of the
    row number, the parcel id and the reason; the wide frame is filtered once, by that.
    """
    street, zip_ = slug.slug_parts()
    unstorable = storable.problem(storable.limits_to_check(frame, stored_text_columns(frame)))
    abroad = pl.lit(foreign_mailing(frame))
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        (pl.col("LocationPrimaryId").is_null(), "missing parcel id (LocationPrimaryId)"),
        (pl.col("OwnerName").is_null(), NO_OWNER_NAME),
        (abroad.is_not_null(), pl.format("foreign mailing address ({})", abroad)),
        (street == "", "empty owner street (OwnerAddress1): the owner key would be empty"),
        (zip_ == "", "empty owner ZIP (OwnerZip): the owner key would be empty"),
        (pl.col("ListCode").is_null(), "no priority rule matched"),
    ]
    # the reason of the first check failed; the storable one is null where the row fits
    failed = [
        pl.when(check).then(pl.lit(reason) if isinstance(reason, str) else reason)
        for check, reason in checks
    ]
    first_failed = pl.coalesce(*failed, unstorable)
    marks = frame.select(SOURCE_ROW, "LocationPrimaryId", first_failed.alias("reason"))
    # one location per parcel id: the last loadable row wins, earlier ones are reported
    loadable = pl.col("reason").is_null()
    kept = pl.when(loadable).then(pl.col(SOURCE_ROW)).max().over("LocationPrimaryId")
    marks = marks.with_columns(
        pl.when(loadable & (pl.col(SOURCE_ROW) != kept))
        .then(pl.format("{}: row {} of the file is kept", pl.lit(DUPLICATE), kept))
        .otherwise(pl.col("reason"))
        .alias("reason")
    )
    rejected = marks.filter(pl.col("reason").is_not_null()).sort(SOURCE_ROW)
    # a filter copies every column of the wide frame: only where a row is left out
    good = frame.filter(marks["reason"].is_null()) if rejected.height else frame
    return good, rejected


def owners_frame(good: pl.DataFrame) -> pl.DataFrame:
    """One owner per slug, each column the greatest non-null value (the legacy MAX()), in the
    order of each slug's first row.

    Most owners have one row: only slugs shared by several rows are aggregated, and the owners
    are gathered once from the rows and the aggregated ones (a filter and then a sort copied
    them twice: 300 MB more at 1M rows).

    `KEEP_STORED` names the columns an owner keeps stored: those its rows left empty where one
    of them could not read the cell.
    """
    unread = _unread_cells(good)
    rows = good.select(
        pl.col("OwnerSlug").alias("Slug"), *[e.alias(k) for k, e in OWNER_COLUMNS.items()], *unread
    ).with_row_index("__order")
    shared = rows["Slug"].is_duplicated()
    merged = (
        rows.filter(shared)
        .group_by("Slug")
        .agg(pl.col("__order").min(), pl.all().exclude("__order").max())
        .select(rows.columns)
    )
    single = rows["__order"].filter(~shared)
    # where each owner is in `rows` followed by `merged`, and its first row in the file
    after = pl.int_range(rows.height, rows.height + merged.height, eager=True).cast(single.dtype)
    first_row = pl.concat([single, merged["__order"]])
    order = pl.concat([single, after]).gather(first_row.arg_sort())
    owners = pl.concat([rows, merged]).select(pl.all().gather(order)).drop("__order")
    owners = owners.with_columns(full_address().alias("FullAddress"), _owner_kept(bool(unread)))
    return owners.select(pl.exclude(f"^{_UNREAD}.*$"))


def _unread_cells(good: pl.DataFrame) -> list[pl.Expr]:
    """Per row, whether it could not read the cell of each owner column (none where every
    cell of the upload was read)."""
    keep = good.get_column(KEEP_STORED, default=None)
    if keep is None or keep.null_count() == keep.len():
        return []
    return [
        pl.col(KEEP_STORED)
        .str.contains(f"|{source}|", literal=True)
        .fill_null(False)
        .alias(_UNREAD + name)
        for name, source in OWNER_KEPT.items()
    ]


def _owner_kept(unread: bool) -> pl.Expr:
    """An owner's `KEEP_STORED`: the upload columns of its columns left empty where one of its
    rows could not read the cell (`|OwnerCity|`), null where none."""
    if not unread:
        return pl.lit(None, pl.String).alias(KEEP_STORED)
    names = [
        pl.when(pl.col(_UNREAD + name) & pl.col(name).is_null()).then(pl.lit(source))
        for name, source in OWNER_KEPT.items()
    ]
    joined = pl.concat_str(names, separator="|", ignore_nulls=True)
    return pl.when(joined.str.len_bytes() > 0).then(pl.format("|{}|", joined)).alias(KEEP_STORED)


def locations_frame(good: pl.DataFrame) -> pl.DataFrame:
    """One location per row; `KEEP_STORED` null where the frame has none (not read from a file)."""
    if KEEP_STORED not in good.columns:
        good = good.with_columns(pl.lit(None, pl.String).alias(KEEP_STORED))
    return good.select([pl.col(src).alias(name) for name, src in LOCATION_COLUMNS.items()])


def run(
    frame: pl.DataFrame,
    rules: Rules,
    niches: Sequence[NicheList] = (),
    step: Step = no_step,
    start: Rule | None = None,
) -> Processed:
    """The whole pure pipeline for one upload; `step` names each stage as it starts.

    With `start`, `frame` is an upload processed already and the rules run from `start` on
    (a setting that only changes that rule and the ones after it: `parity --suggest`).
    """
    processed, outcomes = derive_all(frame, rules, niches, step, start)
    step("owners and locations")
    good, rejects = split_rejects(processed)
    return Processed(
        processed=processed,
        owners=owners_frame(good),
        locations=locations_frame(good),
        rejects=rejects,
        niche=outcomes,
    )
