"""verify-slugs: which slug style reproduces the Owner.Slug values a database already holds.

Every stored Owner's slug is recomputed from its Address1 and Zip with each style of SPEC 3.9
(`propmail.rules.slug.slug_expr`) and compared with the stored one. The owners are read in
batches over one streaming query, and each batch is compared with vectorized expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from propmail.db import Database
from propmail.errors import InputError
from propmail.rules.slug import STYLES, slug_expr

BATCH_ROWS = 100_000
SAMPLE = 5
OWNER_COLUMNS: dict[str, pl.DataType] = {
    "Slug": pl.String(),
    "Address1": pl.String(),
    "Zip": pl.String(),
}


@dataclass
class StyleMatch:
    """How one style fares: stored slugs it reproduces, and a few it does not."""

    style: str
    matched: int = 0
    mismatches: list[dict[str, str | None]] = field(default_factory=list)


@dataclass
class SlugCheck:
    owners: int  # Owner rows read
    unusable: int  # rows with an empty Address1 or Zip: no style can recompute their slug
    styles: list[StyleMatch]

    def rate(self, match: StyleMatch) -> float:
        return match.matched / self.owners if self.owners else 0.0

    @property
    def best(self) -> StyleMatch:
        return max(self.styles, key=lambda m: m.matched)


def compare(batch: pl.DataFrame, style: str) -> pl.DataFrame:
    """`batch` (Slug, Address1, Zip) with `computed` and `match` for one style."""
    computed = slug_expr(style, "Address1", "Zip")
    return batch.with_columns(computed.alias("computed")).with_columns(
        (pl.col("computed") == pl.col("Slug")).fill_null(False).alias("match")
    )


def verify_slugs(
    backend: Database,
    styles: tuple[str, ...] = tuple(STYLES),
    sample: int = SAMPLE,
    batch_rows: int = BATCH_ROWS,
) -> SlugCheck:
    """Recompute every stored owner's slug in each style and count the matches."""
    if not backend.exists() or not backend.has_schema():
        raise InputError(f"{backend.display_url} has no propmail tables", option="--db")
    results = [StyleMatch(style) for style in styles]
    owners = unusable = 0
    for batch in backend.read_rows("Owner", OWNER_COLUMNS, batch_rows):
        owners += batch.height
        unusable += batch.select(slug_expr(styles[0], "Address1", "Zip").is_null().sum()).item()
        for result in results:
            compared = compare(batch, result.style)
            result.matched += int(compared["match"].sum())
            wanted = sample - len(result.mismatches)
            if wanted > 0:
                result.mismatches += (
                    compared.filter(~pl.col("match"))
                    .head(wanted)
                    .select("Slug", "Address1", "Zip", "computed")
                    .to_dicts()
                )
    return SlugCheck(owners=owners, unusable=unusable, styles=results)
