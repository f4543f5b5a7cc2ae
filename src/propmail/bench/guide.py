"""The migration guide's literal design, on the benchmark's data: the yardstick propmail beats.

Its method, this module's code: pandas frames; derived fields with pandas string methods (the
guide shows none for classification, occupancy, grantor and envelope name, so they get the
vectorized ``.str`` form it uses for slugs, which flatters the design); the enhanced codes as
its ``generate_enhanced_list_codes``; the niche merge as its ``process_niche_list_integration``,
a loop over matched rows calling ``get_or_create_list_priority_id`` and assigning with ``.loc``;
ListPriorityId per row through the manager's cache, which opens a new connection for every
database call; owners and locations sent as one JSON payload each and merged by the SQL of its
``ProcessPythonEnhancedData`` (SQLite has no MERGE: the same statements as INSERT ... ON CONFLICT).

Not product code: nothing in propmail calls this module except the benchmark.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import make_url

from propmail.db.plan import months_before
from propmail.db.schema import LOCATION_FIELDS, OWNER_FIELDS, Field
from propmail.pipeline import LOCATION_COLUMNS
from propmail.rules.address import _WORDS
from propmail.rules.classification import keyword_pattern
from propmail.settings import Rules

Step = Callable[[str], None]

_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True)) + r")\b"
)


class ListPriorityManager:
    """The guide's manager: a dict cache in front of one connection per database call."""

    def __init__(self, connect: Callable[[], Any], postgres: bool) -> None:
        self.connect = connect
        self.postgres = postgres
        self.cache: dict[str, int] = {}
        self.round_trips = 0
        self.mark = "%s" if postgres else "?"

    def get_or_create_list_priority_id(self, list_code: str) -> int:
        if list_code in self.cache:
            return self.cache[list_code]
        existing = self._get_existing(list_code)
        new_id = existing if existing is not None else self._create(list_code)
        self.cache[list_code] = new_id
        return new_id

    def _get_existing(self, code: str) -> int | None:
        self.round_trips += 1
        conn = self.connect()
        try:
            row = (
                conn.cursor()
                .execute(
                    f'SELECT "ListPriorityId" FROM "ListPriority" WHERE "Code" = {self.mark}',
                    (code,),
                )
                .fetchone()
            )
        finally:
            conn.close()
        return int(row[0]) if row else None

    def _create(self, code: str) -> int:
        self.round_trips += 1
        m = self.mark
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(
                'INSERT INTO "ListPriority" ("Code", "Name", "PriorityLevel", "ProcessingOrder", '
                f'"IsAbsentee") VALUES ({m}, {m}, 0, 0, 2) RETURNING "ListPriorityId"',
                (code, code),
            )
            new_id = int(cur.fetchone()[0])
            regions = [r[0] for r in cur.execute('SELECT "RegionId" FROM "Region"').fetchall()]
            for region_id in regions:  # one INSERT per region, as the guide does
                cur.execute(
                    'INSERT INTO "RegionListFrequency" ("Frequency", "ListId", "RegionId", '
                    f'"DividedBy") VALUES (26, {m}, {m}, 4)',
                    (new_id, region_id),
                )
            conn.commit()
        finally:
            conn.close()
        return new_id


def _connector(url: str) -> tuple[Callable[[], Any], bool]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        import psycopg

        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return (lambda: psycopg.connect(dsn)), True
    path = parsed.database or ""
    return (lambda: sqlite3.connect(path)), False


# -- derived fields in pandas -----------------------------------------------------------------


def _upper(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.upper()


def _normalize_street(series: pd.Series) -> pd.Series:
    text = _upper(series).str.replace(r"[^A-Z0-9# ]", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str.replace(_WORD, lambda m: _WORDS[m.group(0)], regex=True)


def _zip5(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.extract(r"^(\d{5})", expand=False)


def _flags(df: pd.DataFrame, rules: Rules) -> None:
    name = _upper(df["OwnerName"]).str.replace(r"[^A-Z0-9]+", " ", regex=True)
    c = rules.classification
    for column, words in (("IsTrust", c.trust), ("IsChurch", c.church), ("IsBusiness", c.business)):
        pattern = keyword_pattern(words)
        df[column] = name.str.contains(pattern, regex=True) if pattern else False


def _owner_occupied(df: pd.DataFrame) -> None:
    same_street = _normalize_street(df["LocationAddress1"]) == _normalize_street(
        df["OwnerAddress1"]
    )
    same_zip = _zip5(df["LocationZip"]) == _zip5(df["OwnerZip"])
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


def _number(series: pd.Series) -> pd.Series:
    cleaned = series.astype("string").str.replace(r"[$,%\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce")


def _priority(df: pd.DataFrame) -> None:
    absentee = ~df["IsOwnerOccupied"]
    state_differs = _upper(df["OwnerState"]) != _upper(df["LocationState"])
    zip_differs = _zip5(df["OwnerZip"]) != _zip5(df["LocationZip"])
    codes = np.select(
        [df["IsOwnerOccupied"], absentee & state_differs, absentee & zip_differs],
        ["OO", "ABS1", "ABS2"],
        default="ABS3",
    )
    df["PriorityCode"] = pd.Series(codes, index=df.index, dtype=object)


def generate_enhanced_list_codes(df: pd.DataFrame) -> pd.Series:
    """The guide's method, mask by mask."""
    codes = df["PriorityCode"].copy()
    ltv = _number(df["EstLoanToValue"])
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


def _match_niche_records(df: pd.DataFrame, niche: pd.DataFrame) -> pd.DataFrame:
    """Rows of `df` a niche list names: by parcel id, else by street + ZIP5."""
    by_id = df[df["LocationPrimaryId"].isin(niche["LocationPrimaryId"].dropna())]
    rest = niche[niche["LocationPrimaryId"].isna()]
    keys = set(_normalize_street(rest["LocationAddress1"]) + "|" + _zip5(rest["LocationZip"]))
    upload_keys = _normalize_street(df["LocationAddress1"]) + "|" + _zip5(df["LocationZip"])
    by_address = df[upload_keys.isin(keys)]
    return pd.concat([by_id, by_address[~by_address.index.isin(by_id.index)]])


def process_niche_list_integration(
    df: pd.DataFrame, niche_files: dict[str, Path], manager: ListPriorityManager
) -> pd.DataFrame:
    """The guide's loop over matched rows, with the duplicate check it meant to write."""
    enhanced = df.copy()
    for niche_type, path in niche_files.items():
        niche = pd.read_csv(path, dtype=object)
        for idx, record in _match_niche_records(enhanced, niche).iterrows():
            existing = record["PriorityCode"]
            compound = f"{niche_type} - {existing}"
            if niche_type in existing.split(" - "):
                compound = existing
            list_priority_id = manager.get_or_create_list_priority_id(compound)
            # the guide writes .loc[idx, col]; on pandas 3 that copies the whole column for
            # one cell (8 ms a row on 1M rows), .at is the same one-cell write (0.2 ms)
            enhanced.at[idx, "PriorityCode"] = compound
            enhanced.at[idx, "ListPriorityId"] = list_priority_id
    return enhanced


def _create_owner_slugs(df: pd.DataFrame) -> pd.Series:
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
    zip_ = _zip5(df["OwnerZip"]).fillna("")
    return street + "_" + zip_


# -- database-ready output and the JSON handoff -------------------------------------------------

OWNER_SOURCE = {
    "Name": "OwnerName",
    "FirstName": "OwnerFirstName",
    "LastName": "OwnerLastName",
    "Address1": "OwnerAddress1",
    "Address2": "OwnerAddress2",
    "City": "OwnerCity",
    "State": "OwnerState",
    "Zip": "OwnerZip",
    "IsBusiness": "IsBusiness",
    "AlternateName": "AlternateName",
    "DoNotMail": "DoNotMail",
    "MailingZip4": "OwnerMailingZip4",
    "MailingCounty": "LocationCounty",
    "AccuzipResponse": "FullAccuzipResponse",
}
# propmail's own location columns; the guide keeps its final code in PriorityCode
LOCATION_SOURCE = {
    **{k: v for k, v in LOCATION_COLUMNS.items() if k != "OwnerSlug"},
    "PriorityCode": "PriorityCode",
}
NUMBERS = ("Acres", "SellAmount", "EstLoanToValue", "EstEquity")


def generate_database_ready_output(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    slugs = _create_owner_slugs(df)
    owners = pd.DataFrame({k: df[v] for k, v in OWNER_SOURCE.items()})
    owners["OwnerSlug"] = slugs
    owners["AccuzipRequest"] = (
        df["RequestStreet"].fillna("")
        + "_"
        + df["RequestCity"].fillna("")
        + "_"
        + df["RequestState"].fillna("")
        + "_"
        + df["RequestZip"].fillna("")
    )
    # one owner per slug: the guide sends every row, and a MERGE that meets a slug twice fails
    # (a groupby max over object strings, the legacy MAX(), takes minutes on 1M rows)
    owners = owners.drop_duplicates("OwnerSlug", keep="last")
    locations = pd.DataFrame({k: df[v] for k, v in LOCATION_SOURCE.items()})
    locations["OwnerSlug"] = slugs
    locations["ListPriorityId"] = df["ListPriorityId"].astype(int)
    for column in NUMBERS:
        locations[column] = _number(locations[column])
    return owners, locations.drop_duplicates("PrimaryId", keep="last")


def _json_columns(fields: tuple[Field, ...], extra: tuple[str, ...]) -> list[str]:
    return [f.name for f in fields if f.name not in ("Slug", "FullAddress")] + list(extra)


def _merge_statements(postgres: bool) -> list[str]:
    """The guide's procedure body: parse the JSON, MERGE Owner, MERGE Location, final update."""
    owner_cols = _json_columns(OWNER_FIELDS, ("OwnerSlug",))
    location_cols = _json_columns(LOCATION_FIELDS, ("OwnerSlug", "ListPriorityId"))
    q = '"{}"'.format
    p = "%(now)s" if postgres else ":now"
    cutoff, region, mark = (
        ("%(cutoff)s", "%(region)s", "%s") if postgres else (":cutoff", ":region", "?")
    )

    def parse(table: str, cols: list[str], payload: str) -> str:
        if postgres:
            typed = ", ".join(f"{q(c)} text" for c in cols)
            return (
                f"CREATE TEMP TABLE {table} AS SELECT * FROM "
                f"json_to_recordset({payload}::json) AS s({typed})"
            )
        picks = ", ".join(f"value ->> '$.{c}' AS {q(c)}" for c in cols)
        return f"CREATE TEMP TABLE {table} AS SELECT {picks} FROM json_each({payload})"

    def cast(col: str, kind: str) -> str:
        if not postgres:
            return f"s.{q(col)}"
        sql_type = {"flag": "boolean::int", "number": "float8", "date": "date", "int": "int"}
        return f"s.{q(col)}::{sql_type[kind]}" if kind in sql_type else f"s.{q(col)}"

    kinds = {f.name: f.kind for f in (*OWNER_FIELDS, *LOCATION_FIELDS)} | {"ListPriorityId": "int"}
    owner_data = [c for c in owner_cols if c != "OwnerSlug"]
    owner_values = ", ".join(cast(c, kinds[c]) for c in owner_data)
    location_data = [c for c in location_cols if c != "OwnerSlug"]
    location_values = ", ".join(cast(c, kinds[c]) for c in location_data)
    window = (
        f'(l."InsertedDate" >= {cutoff} OR l."UpdatedDate" >= {cutoff})'
        if postgres
        else f'("Location"."InsertedDate" >= {cutoff} OR "Location"."UpdatedDate" >= {cutoff})'
    )
    if postgres:
        owners = (
            'MERGE INTO "Owner" o USING py_owners s ON s."OwnerSlug" = o."Slug" '
            "WHEN MATCHED THEN UPDATE SET "
            + ", ".join(f"{q(c)} = {cast(c, kinds[c])}" for c in owner_data)
            + f', "ModifiedDate" = {p}, "UpdatedDate" = {p} '
            f'WHEN NOT MATCHED THEN INSERT ({", ".join(map(q, owner_data))}, "Slug", '
            f'"InsertedDate") VALUES ({owner_values}, s."OwnerSlug", {p})'
        )
        locations = (
            f'MERGE INTO "Location" l USING (SELECT pl.*, o."OwnerId" FROM py_locations pl '
            f'JOIN "Owner" o ON pl."OwnerSlug" = o."Slug") s '
            f'ON s."PrimaryId" = l."PrimaryId" AND l."RegionId" = {region} '
            f"WHEN MATCHED AND {window} THEN UPDATE SET "
            + ", ".join(f"{q(c)} = {cast(c, kinds[c])}" for c in location_data)
            + f', "OwnerId" = s."OwnerId", "ModifiedDate" = {p}, "UpdatedDate" = {p} '
            f'WHEN NOT MATCHED THEN INSERT ("RegionId", {", ".join(map(q, location_data))}, '
            f'"OwnerId", "InsertedDate") VALUES ({region}, {location_values}, s."OwnerId", {p})'
        )
    else:
        owners = (
            f'INSERT INTO "Owner" ({", ".join(map(q, owner_data))}, "Slug", "InsertedDate") '
            f'SELECT {owner_values}, s."OwnerSlug", {p} FROM py_owners s WHERE true '
            f'ON CONFLICT ("Slug") DO UPDATE SET '
            + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in owner_data)
            + f', "ModifiedDate" = {p}, "UpdatedDate" = {p}'
        )
        locations = (
            f'INSERT INTO "Location" ("RegionId", {", ".join(map(q, location_data))}, "OwnerId", '
            f'"InsertedDate") SELECT {region}, {location_values}, o."OwnerId", {p} '
            f'FROM py_locations s JOIN "Owner" o ON s."OwnerSlug" = o."Slug" WHERE true '
            f'ON CONFLICT ("PrimaryId", "RegionId") DO UPDATE SET '
            + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in [*location_data, "OwnerId"])
            + f', "ModifiedDate" = {p}, "UpdatedDate" = {p} WHERE {window}'
        )
    full_address = (
        "UPDATE \"Owner\" SET \"FullAddress\" = REPLACE(\"Address1\", '''', '') || ' ' || "
        "REPLACE(\"City\", '''', '') || ' ' || REPLACE(\"State\", '''', '') || ' ' || "
        "REPLACE(\"Zip\", '''', '') WHERE \"OwnerId\" IN (SELECT DISTINCT \"OwnerId\" "
        f'FROM "Location" WHERE "RegionId" = {region})'
    )
    return [
        parse("py_owners", owner_cols, mark),
        parse("py_locations", location_cols, mark),
        owners,
        locations,
        full_address,
    ]


def insert_processed_data(
    connect: Callable[[], Any],
    postgres: bool,
    owners: pd.DataFrame,
    locations: pd.DataFrame,
    region_id: int,
    now: datetime,
    step: Step,
) -> None:
    """Both frames as one JSON payload each, merged in one call (one transaction)."""
    step("JSON payload")
    owners_json = owners.to_json(orient="records", date_format="iso")
    locations_json = locations.to_json(orient="records", date_format="iso")
    step("merge (one call)")
    parse_owners, parse_locations, *rest = _merge_statements(postgres)
    stamp: Any = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    cutoff = months_before(now, 6)
    params = {
        "now": stamp,
        "region": region_id,
        "cutoff": cutoff if postgres else cutoff.strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    conn = connect()
    try:
        cur = conn.cursor()
        cur.execute(parse_owners, (owners_json,))
        cur.execute(parse_locations, (locations_json,))
        for statement in rest:
            cur.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def run(
    upload: Path,
    niche_files: dict[str, Path],
    url: str,
    region_id: int,
    now: datetime,
    rules: Rules,
    step: Step,
) -> dict[str, int]:
    """The whole literal design for one upload; returns counts for the report."""
    connect, postgres = _connector(url)
    manager = ListPriorityManager(connect, postgres)
    step("read (pandas)")
    # object strings, as pandas 2 (the guide's pandas) reads them: pandas 3's Arrow-backed
    # strings are immutable, so each `.loc` write in the niche loop would copy a whole column
    df = pd.read_csv(upload, dtype=object)
    step("rules (pandas)")
    _flags(df, rules)
    _owner_occupied(df)
    _grantor_match(df)
    _alternate_name(df)
    _priority(df)
    df["PriorityCode"] = generate_enhanced_list_codes(df)
    step("niche (loop over matched rows)")
    df["ListPriorityId"] = np.nan
    df = process_niche_list_integration(df, niche_files, manager)
    step("ListPriorityId per row (cached)")
    df["ListPriorityId"] = df["PriorityCode"].map(manager.get_or_create_list_priority_id)
    step("owners, locations, slug")
    owners, locations = generate_database_ready_output(df)
    insert_processed_data(connect, postgres, owners, locations, region_id, now, step)
    return {"round_trips": manager.round_trips, "locations": len(locations)}
