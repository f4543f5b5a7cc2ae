"""IsOwnerOccupied (SPEC 3.2): the property and the owner's mailing address are the same place.

Both street lines are normalized to Pub 28 form (`propmail.rules.address`), then house number,
street and unit must be equal, and so must the 5-digit ZIPs. A blank mailing street or ZIP is
not owner-occupied (False, never null).

OwnerAddress2 counts only when it holds a unit alone (``APT 2``, ``# 2``, ``UNIT 2``) and
OwnerAddress1 has none: providers often split a condo owner's mailing address into
``456 OAK AVE`` / ``APT 2``, and ignoring the second line would call that owner absentee.
Anything else there (``C/O ...``, ``ATTN ...``) is not part of the street and is ignored.

>>> import polars as pl
>>> from propmail.settings import load_rules
>>> frame = pl.DataFrame({
...     "LocationAddress1": ["123 North Main Street", "456 Oak Ave Apt 2"],
...     "LocationZip": ["02134", "24016"],
...     "OwnerAddress1": ["123 N MAIN ST", "456 OAK AVENUE"],
...     "OwnerAddress2": [None, "#2"],
...     "OwnerZip": ["02134", "24016-1234"],
... })
>>> derive(frame, load_rules())["IsOwnerOccupied"].to_list()
[True, True]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from propmail.rules.address import LOCATION_STREET, normalize_street, normalize_zip5

if TYPE_CHECKING:
    from propmail.settings import Rules

_LOCATION = "_occupancy_location"
_OWNER = "_occupancy_owner"
_OWNER_UNIT = "_occupancy_owner_unit"


def derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """`frame` with the Boolean column ``IsOwnerOccupied`` added."""
    address2 = pl.col("OwnerAddress2") if "OwnerAddress2" in frame.columns else pl.lit(None)
    owner, unit = pl.col(_OWNER), pl.col(_OWNER_UNIT)
    # the pipeline normalizes the property street once for this rule and the niche rule
    location = (
        pl.col(LOCATION_STREET)
        if LOCATION_STREET in frame.columns
        else normalize_street(pl.col("LocationAddress1"))
    )
    # normalized + " # 2" is already normal form: the unit is the last part of a Pub 28 line
    with_unit = (
        pl.when(unit.str.contains(r"^# [A-Z0-9/]+$") & ~owner.str.contains(" # ", literal=True))
        .then(pl.concat_str(owner, pl.lit(" "), unit))
        .otherwise(owner)
    )
    same_place = (pl.col(_LOCATION) == with_unit) & (
        normalize_zip5(pl.col("LocationZip")) == normalize_zip5(pl.col("OwnerZip"))
    )
    return (
        frame.with_columns(
            location.alias(_LOCATION),
            normalize_street(pl.col("OwnerAddress1")).alias(_OWNER),
            normalize_street(address2).alias(_OWNER_UNIT),
        )
        .with_columns(same_place.fill_null(False).alias("IsOwnerOccupied"))
        .drop(_LOCATION, _OWNER, _OWNER_UNIT)
    )
