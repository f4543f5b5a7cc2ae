"""The guide's derived fields in pandas: flags, occupancy, grantor, envelope name, codes, slug.

The guide shows no code for classification, occupancy, grantor and envelope name, so they get
the vectorized ``.str`` form it uses for slugs, which flatters the design; the enhanced codes
are its ``generate_enhanced_list_codes``, mask by mask.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from propmail.rules.address import STREET_WORDS
from propmail.rules.classification import keyword_pattern
from propmail.settings import Rules

_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, STREET_WORDS), key=len, reverse=True)) + r")\b"
)


def _upper(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.upper()


def normalize_street(series: pd.Series) -> pd.Series:
    """Street lines as comparison keys: upper case, punctuation gone, Pub 28 abbreviations."""
    text = _upper(series).str.replace(r"[^A-Z0-9# ]", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str.replace(_WORD, lambda m: STREET_WORDS[m.group(0)], regex=True)


def zip5(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.extract(r"^(\d{5})", expand=False)


def number(series: pd.Series) -> pd.Series:
    """Numbers out of text such as ``$1,200`` or ``45 %``; anything else becomes NaN."""
    cleaned = series.astype("string").str.replace(r"[$,%\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce")


def _flags(df: pd.DataFrame, rules: Rules) -> None:
    name = _upper(df["OwnerName"]).str.replace(r"[^A-Z0-9]+", " ", regex=True)
    c = rules.classification
    for column, words in (("IsTrust", c.trust), ("IsChurch", c.church), ("IsBusiness", c.business)):
        pattern = keyword_pattern(words)
        df[column] = name.str.contains(pattern, regex=True) if pattern else False


def _owner_occupied(df: pd.DataFrame) -> None:
    same_street = normalize_street(df["LocationAddress1"]) == normalize_street(df["OwnerAddress1"])
    same_zip = zip5(df["LocationZip"]) == zip5(df["OwnerZip"])
    df["IsOwnerOccupied"] = same_street & same_zip & df["OwnerAddress1"].notna()


def _grantor_match(df: pd.DataFrame) -> None:
    def words(series: pd.Series) -> pd.Series:
        return _upper(series).str.findall(r"[A-Z]{2,}").map(set)

    pairs = zip(words(df["OwnerName"]), words(df["LocationGrantor"]), strict=True)
    df["OwnerGrantorMatch"] = [bool(a and b and (a <= b or b <= a)) for a, b in pairs]


def _alternate_name(df: pd.DataFrame) -> None:
    person = ~(df["IsTrust"] | df["IsChurch"] | df["IsBusiness"])
    name = _upper(df["OwnerName"])
    reordered = name.str.replace(r"^(\w+) (\w+)(?: & (\w+))?$", r"\2 & \3 \1", regex=True)
    reordered = reordered.str.replace(" &  ", " ", regex=False)
    df["AlternateName"] = np.where(person, reordered, name)
    df["AlternateName"] = df["AlternateName"].str.title()


def _priority(df: pd.DataFrame) -> None:
    absentee = ~df["IsOwnerOccupied"]
    state_differs = _upper(df["OwnerState"]) != _upper(df["LocationState"])
    zip_differs = zip5(df["OwnerZip"]) != zip5(df["LocationZip"])
    codes = np.select(
        [df["IsOwnerOccupied"], absentee & state_differs, absentee & zip_differs],
        ["OO", "ABS1", "ABS2"],
        default="ABS3",
    )
    df["PriorityCode"] = pd.Series(codes, index=df.index, dtype=object)


def generate_enhanced_list_codes(df: pd.DataFrame) -> pd.Series:
    """The guide's method, mask by mask."""
    codes = df["PriorityCode"].copy()
    ltv = number(df["EstLoanToValue"])
    masks = [
        ("HE-", (ltv <= 50.0) & (ltv > 0.0)),
        ("Liens-", df["LienType"].notna() & (df["LienType"] != "")),
        ("Bankrupcy-", df["BKDate"].notna()),
        ("Divorce-", df["DivorceDate"].notna()),
        ("PreFor-", df["PreFcRecordingDate"].notna()),
        ("F&C-", (ltv == 0.0) & df["EstEquity"].notna() & (df["EstEquity"] != "")),
        ("Vacant-", df["Vacant"] == "Yes"),
        ("NCOA_Moves-", df["ResponseNCOA"].isin(["A", "91", "92"])),
        (
            "NCOA_Drops-",
            df["ResponseNCOA"].notna()
            & (df["ResponseNCOA"] != "")
            & ~df["ResponseNCOA"].isin(["A", "91", "92"]),
        ),
    ]
    for prefix, mask in masks:
        mask = mask.fillna(False).astype(bool)
        codes.loc[mask] = prefix + codes.loc[mask]
    return codes


def derive_fields(df: pd.DataFrame, rules: Rules) -> None:
    """Every derived column, written into `df` in place as the guide's processor does."""
    _flags(df, rules)
    _owner_occupied(df)
    _grantor_match(df)
    _alternate_name(df)
    _priority(df)
    df["PriorityCode"] = generate_enhanced_list_codes(df)


def create_owner_slugs(df: pd.DataFrame) -> pd.Series:
    """The guide's `_create_owner_slugs`, verbatim but for the ZIP, which is 5 digits here."""
    street = (
        df["OwnerAddress1"]
        .fillna("")
        .astype(str)
        .str.upper()
        .str.replace(".", "", regex=False)
        .str.replace(",", "", regex=False)
        .str.strip()
        .str.replace(r"\s+", "_", regex=True)
    )
    zip_ = zip5(df["OwnerZip"]).fillna("")
    return street + "_" + zip_
