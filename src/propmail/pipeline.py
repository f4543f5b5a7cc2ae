"""The pipeline: an upload frame (and niche lists) -> every derived field -> owners, locations.

The rules run in the order of SPEC section 3; each is a pure function over the frame.
ListPriorityId (3.8) needs the database, so the load resolves it from ``locations.PriorityCode``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from propmail import storable
from propmail.contract import SOURCE_ROW
from propmail.db.schema import LOCATION_FIELDS, OWNER_FIELDS, TEXT
from propmail.progress import Step, no_step
from propmail.rules import classification, codes, grantor, names, niche, occupancy, priority, slug
from propmail.rules.address import LOCATION_STREET, normalize_street
from propmail.rules.niche import NicheList, NicheOutcome
from propmail.settings import Rules

Rule = Callable[[pl.DataFrame, Rules], pl.DataFrame]

# SPEC 3.1 - 3.6, top to bottom; niche lists (3.7) and the slug (3.9) follow in `run`.
RULES: tuple[Rule, ...] = (
    classification.derive,  # IsTrust, IsChurch, IsBusiness, IsEstate, IsGovernment
    occupancy.derive,  # IsOwnerOccupied
    grantor.derive,  # OwnerGrantorMatch
    names.derive,  # AlternateName
    priority.derive,  # BasePriorityCode, IsAbsentee
    codes.derive,  # EnhancedCode
)

# Owner columns (database name -> expression over the processed frame), aggregated per slug.
OWNER_COLUMNS: dict[str, pl.Expr] = {
    "Name": pl.col("OwnerName"),
    "FirstName": pl.col("OwnerFirstName"),
    "LastName": pl.col("OwnerLastName"),
    "Address1": pl.col("OwnerAddress1"),
    "Address2": pl.col("OwnerAddress2"),
    "City": pl.col("OwnerCity"),
    "State": pl.col("OwnerState"),
    "Zip": pl.col("OwnerZip"),
    "IsBusiness": pl.col("IsBusiness"),
    "AlternateName": pl.col("AlternateName"),
    "DoNotMail": pl.col("DoNotMail"),
    "MailingZip4": pl.col("OwnerMailingZip4"),
    "MailingCounty": pl.col("LocationCounty"),
    "AccuzipRequest": pl.col("AccuzipRequest"),
    "AccuzipResponse": pl.col("FullAccuzipResponse"),
}

# Location columns (database name -> processed column); RegionId, OwnerId, ListPriorityId
# are resolved by the load.
LOCATION_COLUMNS: dict[str, str] = {
    "PrimaryId": "LocationPrimaryId",
    "OwnerSlug": "OwnerSlug",
    "PriorityCode": "ListCode",
    "IsOwnerOccupied": "IsOwnerOccupied",
    "IsTrust": "IsTrust",
    "IsChurch": "IsChurch",
    "IsBusiness": "IsBusiness",
    "OwnerGrantorMatch": "OwnerGrantorMatch",
    "Address1": "LocationAddress1",
    "City": "LocationCity",
    "State": "LocationState",
    "Zip": "LocationZip",
    "County": "LocationCounty",
    "Neighborhood": "LocationNeighborhood",
    "Acres": "LocationAcres",
    "SellDate": "LocationSellDate",
    "SellAmount": "LocationSellAmount",
    "Grantor": "LocationGrantor",
    "EstLoanToValue": "EstLoanToValue",
    "EstEquity": "EstEquity",
    "LienType": "LienType",
    "BKDate": "BKDate",
    "DivorceDate": "DivorceDate",
    "PreFcRecordingDate": "PreFcRecordingDate",
    "Vacant": "Vacant",
    "ResponseNCOA": "ResponseNCOA",
}


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
) -> tuple[pl.DataFrame, list[NicheOutcome]]:
    """Every derived field of SPEC section 3 except the database-bound ListPriorityId.

    `step` is called with the name of each stage as it starts (progress, timing).
    """
    # the property street in Pub 28 form, used by occupancy and niche matching, made once
    frame = frame.with_columns(normalize_street(pl.col("LocationAddress1")).alias(LOCATION_STREET))
    for rule in RULES:
        frame = rule(frame, rules)
    step("niche lists")
    frame, outcomes = niche.apply(frame, list(niches), rules)
    frame = frame.drop(LOCATION_STREET)
    step("owner key")
    frame = slug.derive(frame, rules)
    return frame.with_columns(accuzip_request(frame).alias("AccuzipRequest")), outcomes


def stored_text_columns(frame: pl.DataFrame) -> dict[str, bool]:
    """Processed text columns written to the database -> whether their column is TEXT(255)."""
    owner = {f.name: f.kind for f in OWNER_FIELDS}
    location = {f.name: f.kind for f in LOCATION_FIELDS}
    # (source column, database kind); FullAddress is made of columns checked on their own
    written = [(e.meta.output_name(), owner[n]) for n, e in OWNER_COLUMNS.items()]
    written += [(LOCATION_COLUMNS[n], kind) for n, kind in location.items()]
    written += [("OwnerSlug", owner["Slug"])]  # derived last: the file's own column is named
    out: dict[str, bool] = {}
    for source, kind in written:
        if frame.schema.get(source) == pl.String:
            out[source] = out.get(source, False) or kind == TEXT
    return out


def _reject(frame: pl.DataFrame, mask: pl.Expr, reason: str | pl.Expr) -> pl.DataFrame:
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.filter(mask).select(
        SOURCE_ROW, "LocationPrimaryId", reason_expr.cast(pl.String).alias("reason")
    )


def split_rejects(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows that can be loaded, and the rejected ones with their reason."""
    street, zip_ = slug.slug_parts()
    unstorable = storable.problem(stored_text_columns(frame))
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        (pl.col("LocationPrimaryId").is_null(), "missing parcel id (LocationPrimaryId)"),
        (street == "", "empty owner street (OwnerAddress1): the owner key would be empty"),
        (zip_ == "", "empty owner ZIP (OwnerZip): the owner key would be empty"),
        (pl.col("ListCode").is_null(), "no priority rule matched"),
        (unstorable.is_not_null(), unstorable),
    ]
    bad = pl.lit(False)
    rejects = []
    for check, reason in checks:
        rejects.append(_reject(frame, ~bad & check, reason))
        bad = bad | check
    good = frame.filter(~bad)
    # one location per parcel id: the last row wins, earlier ones are reported; the kept row
    # is found before the rejected ones are filtered out, so the reason names the right row
    kept = "\0kept"
    good = good.with_columns(pl.col(SOURCE_ROW).max().over("LocationPrimaryId").alias(kept))
    duplicate = pl.col(SOURCE_ROW) != pl.col(kept)
    rejects.append(
        _reject(
            good,
            duplicate,
            pl.format("duplicate parcel id: row {} of the file is kept", pl.col(kept)),
        )
    )
    return good.filter(~duplicate).drop(kept), pl.concat(rejects).sort(SOURCE_ROW)


def owners_frame(good: pl.DataFrame) -> pl.DataFrame:
    """One owner per slug, each column the greatest non-null value (the legacy MAX())."""
    rows = good.select(
        pl.col("OwnerSlug").alias("Slug"), *[e.alias(k) for k, e in OWNER_COLUMNS.items()]
    ).with_row_index("__order")
    # most owners have one row: only slugs shared by several rows need the aggregation
    shared = rows["Slug"].is_duplicated()
    merged = (
        rows.filter(shared)
        .group_by("Slug")
        .agg(pl.col("__order").min(), pl.all().exclude("__order").max())
        .select(rows.columns)
    )
    owners = pl.concat([rows.filter(~shared), merged]).sort("__order").drop("__order")
    return owners.with_columns(full_address().alias("FullAddress"))


def locations_frame(good: pl.DataFrame) -> pl.DataFrame:
    return good.select([pl.col(src).alias(name) for name, src in LOCATION_COLUMNS.items()])


def run(
    frame: pl.DataFrame,
    rules: Rules,
    niches: Sequence[NicheList] = (),
    step: Step = no_step,
) -> Processed:
    """The whole pure pipeline for one upload; `step` names each stage as it starts."""
    processed, outcomes = derive_all(frame, rules, niches, step)
    step("owners and locations")
    good, rejects = split_rejects(processed)
    return Processed(
        processed=processed,
        owners=owners_frame(good),
        locations=locations_frame(good),
        rejects=rejects,
        niche=outcomes,
    )
