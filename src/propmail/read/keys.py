"""The parcel key of a file without a parcel id: its site street, unit and ZIP.

A list export or a tax list cut down to a few columns may have no parcel id (or give only the
site line where a layout looks for one). Each row is then keyed by its site street in Pub 28
form with its unit (`propmail.rules.address.normalize_street`: ``413 NEW YORK AVE. #2`` and
``413 New York Avenue Apt 2`` are one key) and, where the file gives one, its site ZIP.

Without an id nothing in such a file tells two rows at one site apart as one parcel: a tax list
holds one line per condominium unit, and a building's units owned by one developer are rows
alike in every column. So rows sharing a key are kept apart, the second and later numbered in
file order (``413 NEW YORK AVE|07307|2``); the same file loaded again gives the same keys.

>>> text = pl.DataFrame({"LocationAddress1": ["413 NEW YORK AVE.", "413 New York Avenue",
...     "99 HUDSON ST # 4", None], "LocationZip": ["07307", "07307", None, None]})
>>> keyed, note = site_keys(text, with_zip=True)
>>> keyed["LocationPrimaryId"].to_list()
['413 NEW YORK AVE|07307', '413 NEW YORK AVE|07307|2', '99 HUDSON ST # 4', None]
"""

from __future__ import annotations

import polars as pl

from propmail.rules.address import normalize_street, normalize_zip5

KEY = "LocationPrimaryId"


def site_keys(text: pl.DataFrame, *, with_zip: bool) -> tuple[pl.DataFrame, str]:
    """`text` with LocationPrimaryId made from the site (module doc), and the note that says so."""
    parts = [normalize_street(pl.col("LocationAddress1"))]
    if with_zip and "LocationZip" in text.columns:
        parts.append(normalize_zip5(pl.col("LocationZip")))
    base = pl.when(parts[0].is_not_null()).then(
        pl.concat_str(parts, separator="|", ignore_nulls=True)
    )
    keyed = text.with_columns(base.alias(KEY)).with_columns(
        (pl.int_range(pl.len()).over(KEY) + 1).alias("__n")
    )
    later = keyed.select((pl.col(KEY).is_not_null() & (pl.col("__n") > 1)).sum()).item()
    keyed = keyed.with_columns(
        pl.when(pl.col("__n") > 1)
        .then(pl.format("{}|{}", pl.col(KEY), pl.col("__n")))
        .otherwise(pl.col(KEY))
        .alias(KEY)
    ).drop("__n")
    used = "site street and unit" + (" and site ZIP" if len(parts) > 1 else "")
    note = (
        f"no parcel id: each row is keyed by its {used} (LocationPrimaryId); {later:,} rows "
        "share their site with an earlier row and are kept apart, numbered in file order"
    )
    return keyed, note


def keyless(read_from: dict[str, list[str]]) -> bool:
    """The file gives no parcel id of its own (`read_from`: canonical column -> the headers it
    is read from): none, or only the site line read as one."""
    site = set(read_from.get("LocationAddress1", []))
    return bool(site) and set(read_from.get(KEY, [])) <= site


__all__ = ["keyless", "site_keys"]
