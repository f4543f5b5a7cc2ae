"""Which locations a drop mails, and why each other one is not: pure polars over the region's
rows (`propmail.db.drops.candidates`), no loop over rows.

Each location gets the first reason that holds, in `REASONS` order: skipped (not in the last
upload, not on a chosen list, no RegionListFrequency row), suppressed (`SUPPRESSED`), not due
(touched within its spacing, or not its group's turn), then, among the eligible ranked
(`RANK`), the same owner's other locations, a list's pieces per touch (``days_between``
reading) and the piece budget (``--max-pieces``). The pieces are the locations left with no
reason, in rank order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from propmail.drop import cadence
from propmail.rules.address import address_key
from propmail.rules.codes import Condition, Ncoa, condition_expr
from propmail.rules.stack import stack_counts
from propmail.rules.zip_codes import states

NOT_IN_LAST_UPLOAD = "not in the last upload"
LIST_NOT_CHOSEN = "list not chosen (--lists)"
NO_FREQUENCY = "no RegionListFrequency row for the region"
DO_NOT_MAIL = "Owner.DoNotMail"
NCOA_DROP = "ResponseNCOA drop code"
SUPPRESSION_LIST = "on the suppression list"
ADDRESS_MISSING = "mailing address missing"
ADDRESS_FOREIGN = "mailing address foreign"
ADDRESS_UNMAILABLE = "mailing address unmailable"
FALLBACK_NAME = "envelope name is the fall-back"
TOUCHED_RECENTLY = "touched within its spacing"
NOT_ITS_TURN = "not its group's turn this week"
SAME_OWNER = "same owner"
LIST_CAP = "over its list's pieces per touch"
OVER_BUDGET = "over --max-pieces"

SUPPRESSED = (
    DO_NOT_MAIL,
    NCOA_DROP,
    SUPPRESSION_LIST,
    ADDRESS_MISSING,
    ADDRESS_FOREIGN,
    ADDRESS_UNMAILABLE,
    FALLBACK_NAME,
)
REASONS = (
    NOT_IN_LAST_UPLOAD,
    LIST_NOT_CHOSEN,
    NO_FREQUENCY,
    *SUPPRESSED,
    TOUCHED_RECENTLY,
    NOT_ITS_TURN,
    SAME_OWNER,
    LIST_CAP,
    OVER_BUDGET,
)
# the order of the eligible: ProcessingOrder, PriorityLevel (higher first), stack count (more
# lists first), the oldest last touch (never touched first), then PrimaryId
RANK = ("ProcessingOrder", "PriorityLevel", "Stack", "LastTouch", "PrimaryId")
_DESCENDING = (False, True, True, False, False)

PARCEL, OWNER_SLUG, MAILING_ADDRESS = "parcel", "owner_slug", "mailing_address"
KEY_KINDS = (PARCEL, OWNER_SLUG, MAILING_ADDRESS)


@dataclass(frozen=True)
class Choice:
    """What a drop is planned with, besides the region's rows."""

    on: date
    cadence: str = cadence.TOUCHES_PER_YEAR
    one_piece_per: str = "owner"
    mail_when_do_not_mail: tuple[str, ...] = ("", "0", "N", "NO", "F", "FALSE")
    ncoa: Ncoa = field(default_factory=lambda: Ncoa(moves=(), not_drops=()))
    niche_separator: str = " - "
    prefixes: tuple[str, ...] = ()  # the [[prefix]] rules' prefixes (the stack count reads them)
    lists: tuple[str, ...] = ()  # only these list codes (none: every list)
    max_pieces: int | None = None
    fallback_name: str | None = None  # the envelope name printed as the fall-back, if suppressed
    latest_load: datetime | None = None  # when the region's last upload was loaded


@dataclass
class Selection:
    """The pieces, in rank order, and the count of every reason a location was left out."""

    pieces: pl.DataFrame
    locations: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def suppressed(self) -> dict[str, int]:
        return {r: n for r, n in self.reasons.items() if r in SUPPRESSED}

    @property
    def skipped(self) -> dict[str, int]:
        return {r: n for r, n in self.reasons.items() if r not in SUPPRESSED}


def mailing_key(street: pl.Expr, zip_: pl.Expr) -> pl.Expr:
    """A mailing address as the suppression list keys it: normalized street | ZIP5."""
    return address_key(street, zip_)


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def _address_reasons() -> list[tuple[str, pl.Expr]]:
    zip_ = pl.col("MailingZip").str.strip_chars()
    state = pl.col("MailingState").str.strip_chars().str.to_uppercase()
    zip5 = zip_.str.slice(0, 5)
    us_zip = zip_.str.contains(r"^\d{5}(?:-?\d{4})?$")
    digits_only = zip_.str.contains(r"^[\d-]+$")
    return [
        (ADDRESS_MISSING, _blank("MailingAddress1") | _blank("MailingZip")),
        (
            ADDRESS_FOREIGN,
            (~_blank("MailingState") & ~state.is_in(sorted(states()))) | ~digits_only,
        ),
        (ADDRESS_UNMAILABLE, ~us_zip | (zip5 == "00000")),
    ]


def _suppressed_by_list(suppressions: pl.DataFrame) -> pl.Expr:
    def keys(kind: str) -> list[str]:
        return suppressions.filter(pl.col("KeyKind") == kind)["KeyValue"].to_list()

    return (
        pl.col("PrimaryId").is_in(keys(PARCEL))
        | pl.col("Slug").is_in(keys(OWNER_SLUG))
        | mailing_key(pl.col("MailingAddress1"), pl.col("MailingZip")).is_in(keys(MAILING_ADDRESS))
    ).fill_null(False)


def _reasons(choice: Choice, suppressions: pl.DataFrame) -> list[tuple[str, pl.Expr]]:
    """Each reason a location is left out before ranking, as a condition, in `REASONS` order."""
    found: list[tuple[str, pl.Expr]] = []
    if choice.latest_load is not None:
        # a load writes every row it holds once a day (inserted, updated or refreshed), so a
        # row of the last upload was touched on or after the start of that load's day
        day_start = choice.latest_load.replace(hour=0, minute=0, second=0, microsecond=0)
        touched = pl.coalesce(pl.col("UpdatedDate"), pl.col("InsertedDate"))
        found.append((NOT_IN_LAST_UPLOAD, ~(touched >= pl.lit(day_start)).fill_null(False)))
    if choice.lists:
        found.append((LIST_NOT_CHOSEN, ~pl.col("Code").is_in(list(choice.lists)).fill_null(False)))
    found.append((NO_FREQUENCY, pl.col("Frequency").is_null()))
    do_not_mail = pl.col("DoNotMail").str.strip_chars().str.to_uppercase()
    found.append(
        (DO_NOT_MAIL, do_not_mail.is_not_null() & ~do_not_mail.is_in(choice.mail_when_do_not_mail))
    )
    drop = Condition(column="ResponseNCOA", op="ncoa_drop")
    found.append((NCOA_DROP, condition_expr(drop, choice.ncoa)))
    found.append((SUPPRESSION_LIST, _suppressed_by_list(suppressions)))
    found.extend(_address_reasons())
    if choice.fallback_name is not None:
        fallback = pl.col("AlternateName").str.strip_chars() == choice.fallback_name.strip()
        found.append((FALLBACK_NAME, fallback.fill_null(False)))
    spacing = cadence.spacing_days(pl.col("Frequency"), choice.cadence)
    recent = cadence.touched_recently(choice.on, pl.col("LastTouch"), spacing)
    found.append((TOUCHED_RECENTLY, recent | spacing.is_null()))
    found.append(
        (NOT_ITS_TURN, cadence.not_its_turn(choice.on, choice.cadence, pl.col("DividedBy")))
    )
    return found


def _first_reason(reasons: list[tuple[str, pl.Expr]]) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, pl.String)
    for name, holds in reversed(reasons):
        expr = pl.when(holds.fill_null(False)).then(pl.lit(name)).otherwise(expr)
    return expr.alias("Reason")


def _left_out_after_ranking(ranked: pl.DataFrame, choice: Choice) -> pl.DataFrame:
    """Among the eligible in rank order: the same owner's others, a list's cap, the budget."""
    keep = pl.col("Reason").is_null()
    if choice.one_piece_per == "owner":
        owner = pl.coalesce(pl.col("OwnerId"), -pl.col("LocationId"))  # no owner: its own piece
        repeat = keep & (pl.int_range(pl.len()).over(pl.when(keep).then(owner)) > 0)
        ranked = ranked.with_columns(
            pl.when(repeat).then(pl.lit(SAME_OWNER)).otherwise(pl.col("Reason")).alias("Reason")
        )
    if choice.cadence == cadence.DAYS_BETWEEN:
        keep = pl.col("Reason").is_null()
        cap = pl.when(pl.col("DividedBy") > 0).then(pl.col("DividedBy"))
        listed = pl.int_range(pl.len()).over(pl.when(keep).then(pl.col("ListPriorityId")))
        ranked = ranked.with_columns(
            pl.when(keep & cap.is_not_null() & (listed >= cap))
            .then(pl.lit(LIST_CAP))
            .otherwise(pl.col("Reason"))
            .alias("Reason")
        )
    if choice.max_pieces is not None:
        keep = pl.col("Reason").is_null()
        placed = keep.cast(pl.Int64).cum_sum()
        ranked = ranked.with_columns(
            pl.when(keep & (placed > choice.max_pieces))
            .then(pl.lit(OVER_BUDGET))
            .otherwise(pl.col("Reason"))
            .alias("Reason")
        )
    return ranked


def choose(
    candidates: pl.DataFrame, region_id: int, choice: Choice, suppressions: pl.DataFrame
) -> Selection:
    """The drop's pieces from the region's rows (`propmail.db.drops.CANDIDATE_COLUMNS`)."""
    keyed = pl.concat_str(pl.lit(f"{region_id}|"), pl.col("PrimaryId"))
    stacks = stack_counts(candidates["Code"], choice.prefixes, choice.niche_separator)
    frame = candidates.with_columns(
        cadence.stable_hash(candidates.select(keyed).to_series()).alias("__hash"),
        stacks.cast(pl.Int64).alias("Stack"),
    )
    frame = frame.with_columns(_first_reason(_reasons(choice, suppressions)))
    ranked = frame.sort(
        list(RANK), descending=list(_DESCENDING), nulls_last=[True, True, True, False, False]
    )
    ranked = _left_out_after_ranking(ranked, choice)
    counts = ranked.filter(pl.col("Reason").is_not_null()).group_by("Reason").len()
    found = dict(counts.iter_rows())
    reasons = {r: int(found[r]) for r in REASONS if r in found}
    pieces = ranked.filter(pl.col("Reason").is_null()).with_columns(
        (pl.col("Touches").fill_null(0) + 1).alias("TouchNumber")
    )
    return Selection(pieces.drop("__hash", "Reason"), candidates.height, reasons)
