"""Niche lists (SPEC 3.7): stack each matched location's code as ``"{NicheType} - {code}"``.

A niche row matches a location by parcel id first, else by normalized property address and
ZIP5 when that address belongs to exactly one parcel. Lists apply in the order given; a type
already present as a segment of the code is not added again, so re-running changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from propmail.contract import SOURCE_ROW
from propmail.rules.address import LOCATION_STREET, address_key


@dataclass(frozen=True)
class NicheList:
    """One niche file, read to the canonical niche columns (LocationPrimaryId, address, ZIP)."""

    type: str
    frame: pl.DataFrame
    source: str = ""


@dataclass
class NicheOutcome:
    """What one niche list did: counts, and the rows that matched nothing or too much."""

    type: str
    source: str
    rows: int
    matched_by_id: int
    matched_by_address: int
    locations_tagged: int
    unmatched: pl.DataFrame = field(repr=False)
    ambiguous: pl.DataFrame = field(repr=False)


def _has_segment(code: pl.Expr, niche_type: str, separator: str) -> pl.Expr:
    wanted = niche_type.strip().upper()
    return (
        code.str.split(separator)
        .list.eval(pl.element().str.strip_chars().str.to_uppercase() == wanted)
        .list.any()
    )


def stack(code: pl.Expr, niche_type: str, separator: str) -> pl.Expr:
    """Prefix `code` with the niche type unless the type is already one of its segments."""
    return (
        pl.when(_has_segment(code, niche_type, separator))
        .then(code)
        .otherwise(pl.lit(niche_type.strip() + separator) + code)
    )


@dataclass(frozen=True)
class UploadKeys:
    """What every niche list is matched against, computed once per upload."""

    ids: pl.Series  # the upload's parcel ids (looked up with is_in: repeats do not matter)
    address: pl.Series  # the normalized address key of every upload row (null when unusable)
    parcels_per_key: pl.DataFrame  # _key, _parcels: how many parcels an address key names

    @classmethod
    def of(cls, frame: pl.DataFrame) -> UploadKeys:
        if LOCATION_STREET in frame.columns:  # normalized by the pipeline already
            key = address_key(pl.col(LOCATION_STREET), pl.col("LocationZip"), normalized=True)
        else:
            key = address_key(pl.col("LocationAddress1"), pl.col("LocationZip"))
        keyed = frame.select(
            key.alias("_key"),
            pl.col("LocationPrimaryId"),
        )
        parcels = (
            keyed.drop_nulls("_key")
            .group_by("_key")
            .agg(pl.col("LocationPrimaryId").n_unique().alias("_parcels"))
        )
        ids = frame["LocationPrimaryId"].drop_nulls()  # no unique(): one pass less over 1M ids
        return cls(ids=ids, address=keyed["_key"], parcels_per_key=parcels)


def match(
    frame: pl.DataFrame, niche: NicheList, keys: UploadKeys | None = None
) -> tuple[pl.Series, NicheOutcome]:
    """A boolean mask over `frame` of the locations this niche list tags, and its outcome."""
    keys = keys or UploadKeys.of(frame)
    rows = niche.frame.with_columns(
        pl.col("LocationPrimaryId").is_in(keys.ids.implode()).fill_null(False).alias("_by_id"),
        address_key(pl.col("LocationAddress1"), pl.col("LocationZip")).alias("_key"),
    )
    # parcels per address key in the upload: a key naming several parcels is ambiguous
    rows = rows.join(keys.parcels_per_key, on="_key", how="left").with_columns(
        pl.col("_parcels").fill_null(0)
    )
    by_address = rows.filter(~pl.col("_by_id") & (pl.col("_parcels") == 1))
    unmatched = rows.filter(~pl.col("_by_id") & (pl.col("_parcels") == 0))
    ambiguous = rows.filter(~pl.col("_by_id") & (pl.col("_parcels") > 1))

    ids = rows.filter(pl.col("_by_id"))["LocationPrimaryId"].unique()
    matched_keys = by_address["_key"].unique()
    mask = (
        frame["LocationPrimaryId"].is_in(ids.implode()) | keys.address.is_in(matched_keys.implode())
    ).fill_null(False)
    keep = [
        c
        for c in (SOURCE_ROW, "LocationPrimaryId", "LocationAddress1", "LocationZip")
        if c in rows.columns
    ]
    outcome = NicheOutcome(
        type=niche.type,
        source=niche.source,
        rows=rows.height,
        matched_by_id=int(rows["_by_id"].sum()),
        matched_by_address=by_address.height,
        locations_tagged=int(mask.sum()),
        unmatched=unmatched.select(keep),
        ambiguous=ambiguous.select([*keep, "_parcels"]).rename({"_parcels": "parcels"}),
    )
    return mask, outcome


def apply(
    frame: pl.DataFrame, niches: list[NicheList], niche_separator: str
) -> tuple[pl.DataFrame, list[NicheOutcome]]:
    """Add ListCode: EnhancedCode with every matching niche type stacked, in list order, each
    type joined to the code by `niche_separator` (``[niche] separator``)."""
    frame = frame.with_columns(pl.col("EnhancedCode").alias("ListCode"))
    outcomes = []
    keys = UploadKeys.of(frame) if niches else None
    for niche in niches:
        mask, outcome = match(frame, niche, keys)
        # stack the codes of the tagged rows only (a few %), then put them back in place
        tagged = mask.arg_true()
        codes = frame["ListCode"].gather(tagged).to_frame()
        stacked = codes.select(stack(pl.col("ListCode"), niche.type, niche_separator))
        frame = frame.with_columns(frame["ListCode"].clone().scatter(tagged, stacked.to_series()))
        outcomes.append(outcome)
    return frame, outcomes


def how_matched(frame: pl.DataFrame, niche: NicheList, row: int, keys: UploadKeys) -> str:
    """How niche list `niche` matched row `row` of the upload `frame`, or why it did not
    (for `propmail explain`): by parcel id, by address key, or neither, naming the key.

    >>> upload = pl.DataFrame({"LocationPrimaryId": ["1", "2"],
    ...     "LocationAddress1": ["12 Oak Street", "9 Elm St"], "LocationZip": ["24016", "24016"]})
    >>> liens = NicheList("Liens", pl.DataFrame({"LocationPrimaryId": [None, "7"],
    ...     "LocationAddress1": ["12 OAK ST", None], "LocationZip": ["24016", None]}))
    >>> keys = UploadKeys.of(upload)
    >>> how_matched(upload, liens, 0, keys)
    "by address key '12 OAK ST|24016'"
    >>> how_matched(upload, liens, 1, keys)
    "not matched: no row has parcel id '2' or address key '9 ELM ST|24016'"
    """
    parcel = frame["LocationPrimaryId"][row]
    key = keys.address[row]
    ids = niche.frame["LocationPrimaryId"].cast(pl.String)
    if parcel is not None and (ids == parcel).any():
        return f"by parcel id {parcel!r}"
    niche_keys = niche.frame.select(
        address_key(pl.col("LocationAddress1"), pl.col("LocationZip")).alias("_key")
    )["_key"]
    if key is not None and (niche_keys == key).any():
        parcels = keys.parcels_per_key.filter(pl.col("_key") == key)["_parcels"]
        if parcels.len() and parcels[0] > 1:
            return f"not matched: address key {key!r} names {parcels[0]} parcels (ambiguous)"
        return f"by address key {key!r}"
    return f"not matched: no row has parcel id {parcel!r} or address key {key!r}"
