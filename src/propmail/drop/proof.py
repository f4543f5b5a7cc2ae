"""What a planned drop's proof says (drop.json, and the proof page made from it): pieces by
list code, priority and mailing state, suppressed and skipped locations by reason, the owners
collapsed, a sample of pieces as they will print, and the cost at the piece price.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from propmail import __version__
from propmail.db.drops import DropRow
from propmail.drop.export import printed
from propmail.drop.select import SAME_OWNER, Selection

SAMPLE = 25  # pieces shown as they will print
SCHEMA_ID = "propmail-drop/1"


def _counted(
    frame: pl.DataFrame, by: list[str], order: list[str], desc: list[bool]
) -> list[dict[str, Any]]:
    counts = frame.group_by(by).agg(pl.len().alias("pieces"))
    return counts.sort(order, descending=desc, nulls_last=True).to_dicts()


def _sample(pieces: pl.DataFrame) -> list[dict[str, Any]]:
    shown = printed(pieces.head(SAMPLE))
    city = pl.concat_str(
        pl.col("MailingCity").fill_null(""),
        pl.lit(" "),
        pl.col("MailingState").fill_null(""),
        pl.lit("  "),
        pl.col("MailingZipPlus4").fill_null(""),
    ).str.strip_chars()
    return shown.select(
        pl.col("PieceId").alias("piece_id"),
        pl.col("NameLine1").alias("name_line1"),
        pl.col("NameLine2").alias("name_line2"),
        pl.col("MailingAddress1").alias("address_line1"),
        pl.col("MailingAddress2").alias("address_line2"),
        city.alias("city_state_zip"),
        pl.col("PrimaryId").alias("parcel"),
        pl.col("PropertyAddress1").alias("property_address"),
        pl.col("ListCode").alias("list_code"),
        pl.col("TouchNumber").alias("touch_number"),
    ).to_dicts()


def content(
    drop: DropRow,
    selection: Selection,
    sample: pl.DataFrame,
    settings: dict[str, Any],
    database: str,
    generated_at: datetime,
) -> dict[str, Any]:
    """drop.json's content (its schema: `propmail.report.drop.schema`)."""
    pieces = selection.pieces
    price = float(settings["price_per_piece"])
    return {
        "schema": SCHEMA_ID,
        "propmail_version": __version__,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "database": database,
        "drop_id": drop.drop_id,
        "region_id": drop.region_id,
        "drop_date": drop.drop_date.isoformat(),
        "state": drop.state,
        "settings": settings,
        "locations": selection.locations,
        "pieces": pieces.height,
        "owners_collapsed": selection.reasons.get(SAME_OWNER, 0),
        "cost": round(pieces.height * price, 2),
        "by_list": _counted(
            pieces.rename({"Code": "code", "ListPriorityId": "list_priority_id"}),
            ["code", "list_priority_id"],
            ["pieces", "code"],
            [True, False],
        ),
        "by_priority": _counted(
            pieces.rename(
                {"ProcessingOrder": "processing_order", "PriorityLevel": "priority_level"}
            ),
            ["processing_order", "priority_level"],
            ["processing_order", "priority_level"],
            [False, True],
        ),
        "by_state": _counted(
            pieces.rename({"MailingState": "state"}), ["state"], ["pieces", "state"], [True, False]
        ),
        "suppressed": [{"reason": r, "locations": n} for r, n in selection.suppressed.items()],
        "skipped": [{"reason": r, "locations": n} for r, n in selection.skipped.items()],
        "sample": _sample(sample),
    }
