r"""The library API under the guide's names. DataFrames at this surface are pandas.

One upload end to end, into a new SQLite file with region 40:

>>> import pathlib, tempfile
>>> from propmail import DatabaseIntegrator, PropertyProcessor
>>> from propmail.db import connect
>>> from propmail.job import load_options
>>> from propmail.settings import load_rules
>>> work = pathlib.Path(tempfile.mkdtemp())
>>> _ = (work / "upload.csv").write_text(
...     "LocationPrimaryId,OwnerName,OwnerAddress1,OwnerZip,LocationAddress1,LocationZip\n"
...     "12-345,SMITH JOHN & MARY,9 Oak St,24016,9 Oak St,24016\n"
... )
>>> url = f"sqlite:///{work / 'propmail.db'}"
>>> backend = connect(url)
>>> backend.init({40: "Roanoke"}, load_options(load_rules()))
['OO', 'ABS1', 'ABS2', 'ABS3']
>>> backend.dispose()
>>> out = PropertyProcessor().process_excel_file_for_database(work / "upload.csv", region_id=40)
>>> with DatabaseIntegrator(url) as db:
...     result = db.insert_processed_data(out["owners_df"], out["locations_df"], region_id=40)
>>> result["success"], result["locations_inserted"], result["new_codes"]
(True, 1, [])
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from propmail import pipeline
from propmail.contract import FLAGS
from propmail.db import Batch, Database, connect, with_ssm_prefix
from propmail.db.schema import (
    DATE,
    FLAG,
    NUMBER,
    STAGE_LOCATION_FIELDS,
    STAGE_OWNER_FIELDS,
    Field,
)
from propmail.errors import DatabaseUnavailable, InputError, PropmailError
from propmail.inputs import Inputs
from propmail.job import check_database, database_errors, load_options, prepare
from propmail.read import load_mapping
from propmail.redact import redact
from propmail.rules import codes, priority
from propmail.settings import Rules, load_rules

log = logging.getLogger("propmail")

_POLARS_KIND = {FLAG: pl.Boolean, NUMBER: pl.Float64, DATE: pl.Date}


def _rules(rules: Rules | str | Path | None) -> Rules:
    return rules if isinstance(rules, Rules) else load_rules(rules)


def _to_polars(frame: pd.DataFrame, fields: Iterable[Field]) -> pl.DataFrame:
    """A pandas frame from the API, coerced to the column types the load stages."""
    pl_frame = pl.from_pandas(frame)
    casts = []
    for f in fields:
        if f.name not in pl_frame.columns:
            casts.append(pl.lit(None, _POLARS_KIND.get(f.kind, pl.String)).alias(f.name))
        elif f.kind == DATE:
            casts.append(pl.col(f.name).cast(pl.Date, strict=False))
        else:
            casts.append(pl.col(f.name).cast(_POLARS_KIND.get(f.kind, pl.String), strict=False))
    return pl_frame.with_columns(casts)


class PropertyProcessor:
    """Reads an upload and computes every derived field (SPEC section 3)."""

    def __init__(
        self, rules: Rules | str | Path | None = None, mapping: str | Path | None = None
    ) -> None:
        self.rules = _rules(rules)
        self.mapping = load_mapping(mapping) if mapping else None

    def process_excel_file(
        self, file_path: str | Path, niche_files: Sequence[str] = ()
    ) -> pd.DataFrame:
        """Every upload row with every derived field."""
        _, _, processed = prepare(Inputs.gather(file_path, niche_files, self.rules, self.mapping))
        return processed.processed.to_pandas()

    def process_excel_file_for_database(
        self, file_path: str | Path, region_id: int, niche_files: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The guide's result: processed_df, owners_df, locations_df and statistics."""
        inputs = Inputs.gather(file_path, niche_files, self.rules, self.mapping)
        upload, _, processed = prepare(inputs)
        owners, locations = _database_frames(processed, region_id)
        return {
            "processed_df": processed.processed.to_pandas(),
            "owners_df": owners,
            "locations_df": locations,
            "rejects_df": processed.rejects.to_pandas(),
            "total_records": upload.frame.height,
            "unique_owners": processed.owners.height,
            "processing_summary": _processing_summary(processed),
        }

    def generate_database_ready_output(
        self, processed_df: pd.DataFrame, region_id: int
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(owners_df, locations_df) from a processed frame; rejected rows are dropped."""
        good, _ = pipeline.split_rejects(pl.from_pandas(processed_df))
        processed = pipeline.Processed(
            processed=good,
            owners=pipeline.owners_frame(good),
            locations=pipeline.locations_frame(good),
            rejects=pl.DataFrame(),
        )
        return _database_frames(processed, region_id)


def _database_frames(
    processed: pipeline.Processed, region_id: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    owners = processed.owners.rename({"Slug": "OwnerSlug"}).to_pandas()
    locations = processed.locations.with_columns(pl.lit(region_id).alias("RegionId")).to_pandas()
    return owners, locations


def _processing_summary(processed: pipeline.Processed) -> dict[str, Any]:
    frame = processed.processed
    return {
        "flags": {f: int(frame[f].sum()) for f in FLAGS if f in frame.columns},
        "codes": dict(
            processed.locations.group_by("PriorityCode").len().sort("PriorityCode").iter_rows()
        ),
        "rejected": processed.rejects.height,
    }


class ListPriorityManager:
    """Get-or-create of ListPriority rows (and their RegionListFrequency rows), cached."""

    def __init__(
        self,
        db: Database | DatabaseIntegrator | str | None = None,
        rules: Rules | str | Path | None = None,
    ) -> None:
        if isinstance(db, DatabaseIntegrator):
            db = db.backend
        self.backend = db if isinstance(db, Database) else connect(db)
        self.rules = _rules(rules)
        self._cache: dict[str, int] = {}
        self.created: list[str] = []

    def get_or_create_list_priority_id(self, list_code: str) -> int:
        return self.get_or_create_list_priority_ids([list_code])[list_code]

    def get_or_create_list_priority_ids(self, list_codes: Iterable[str]) -> dict[str, int]:
        """One batch for all codes not cached yet: one transaction, not one per code."""
        wanted = {c for c in list_codes if c}
        missing = sorted(wanted - self._cache.keys())
        if missing:
            self._require_initialised()
            new_list = load_options(self.rules).new_list
            ids, created = self.backend.resolve_codes(missing, new_list)
            self._cache.update(ids)
            self.created += created
        return {c: self._cache[c] for c in wanted}

    def _require_initialised(self) -> None:
        """List codes belong beside regions and the base codes: never in a bare database."""
        backend = self.backend
        if not backend.exists() or not backend.has_schema() or not backend.regions():
            raise InputError(
                f"{backend.where} has not been initialised (no propmail tables or no region); "
                "create them first with: propmail db init --region ID=NAME "
                "(or Backend.init in Python)"
            )

    def generate_enhanced_list_codes(self, processed_df: pd.DataFrame) -> pd.Series:
        """Base priority code with the prefix rules applied (needs IsOwnerOccupied)."""
        rules = self.rules
        frame = priority.derive(pl.from_pandas(processed_df), rules.priority)
        frame = codes.derive(frame, rules.prefixes, rules.ncoa)
        return frame["EnhancedCode"].to_pandas()


class DatabaseIntegrator:
    """Hands owners and locations to the database's set-based merge.

    As in the guide, the connection is tested when the integrator is made (``SELECT @@VERSION``
    and an OPENJSON round trip on SQL Server) and a failure raises ConnectionError. Making one
    writes nothing: the tables are `propmail db init`'s (or `process`'s on an empty database),
    and a load into a database without them returns the guide's error dict naming that. One
    integrator keeps one connection for all its loads; `close()` releases it.
    """

    REQUIRED_OWNER = (
        "OwnerSlug",
        "Name",
        "FirstName",
        "LastName",
        "Address1",
        "City",
        "State",
        "Zip",
    )
    REQUIRED_LOCATION = (
        "PrimaryId",
        "RegionId",
        "OwnerSlug",
        "PriorityCode",
        "IsOwnerOccupied",
        "IsTrust",
        "IsChurch",
        "IsBusiness",
    )

    def __init__(
        self,
        connection_string: str | None = None,
        rules: Rules | str | Path | None = None,
        *,
        use_aws_credentials: bool = False,
        ssm_prefix: str | None = None,
        test_connection: bool = True,
    ) -> None:
        if use_aws_credentials:
            connection_string = with_ssm_prefix(connection_string, ssm_prefix)
        self.backend = connect(connection_string)
        self.rules = _rules(rules)
        self.connection_info: dict[str, Any] = {}
        if test_connection:
            self.connection_info = self.test_connection()

    def test_connection(self) -> dict[str, Any]:
        """Server version and, on SQL Server, the OPENJSON check; raises ConnectionError.

        Writes nothing: a SQLite file that is not there is a failed test, not a new file.
        """
        try:
            if not self.backend.exists():
                raise DatabaseUnavailable(
                    f"{self.backend.where} does not exist; create it with: propmail db init"
                )
            return self.backend.test_connection()
        except PropmailError as exc:
            message = redact(str(exc))
            log.error("connection test failed for %s: %s", self.backend.display_url, message)
            raise ConnectionError(
                f"connection test failed for {self.backend.display_url}: {message}"
            ) from None

    def close(self) -> None:
        self.backend.dispose()

    def __enter__(self) -> DatabaseIntegrator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def insert_processed_data(
        self,
        owners_df: pd.DataFrame,
        locations_df: pd.DataFrame,
        region_id: int,
        upload_log_id: int | None = None,
        file_name: str = "api",
    ) -> dict[str, Any]:
        """Merge owners and locations; returns the guide's result dict (success or error)."""
        try:
            self._validate_dataframes(owners_df, locations_df)
            owners = _to_polars(owners_df.rename(columns={"OwnerSlug": "Slug"}), STAGE_OWNER_FIELDS)
            locations = _to_polars(locations_df, STAGE_LOCATION_FIELDS)
            with database_errors(self.backend):
                check_database(self.backend, region_id)  # the tables come from db init
            now = datetime.now()
            if upload_log_id is None:
                upload_log_id = self.backend.open_upload_log(region_id, file_name, now)
            batch = Batch(region_id, owners, locations, load_options(self.rules), now)
            result = self.backend.load(upload_log_id, batch)
            row = self.backend.upload_log(upload_log_id)
        except PropmailError as exc:
            log.error("database integration error: %s", exc)
            error_type = "validation" if isinstance(exc, InputError) else "database"
            return {
                "success": False,
                "error": str(exc),
                "error_type": error_type,
                "upload_log_id": upload_log_id,
                "region_id": region_id,
            }
        return {
            "success": True,
            "rows_processed": row["RowsProcessed"],
            "processing_state": row["ProcessingState"],
            "processing_ended": row["ProcessingEnded"],
            "owners_count": len(owners_df),
            "locations_count": len(locations_df),
            "upload_log_id": upload_log_id,
            "region_id": region_id,
            **{
                k: v
                for k, v in result.as_dict().items()
                if k not in ("upload_log_id", "region_id", "rows_processed", "processing_state")
            },
        }

    def _validate_dataframes(self, owners_df: pd.DataFrame, locations_df: pd.DataFrame) -> None:
        for name, frame, required in (
            ("owners_df", owners_df, self.REQUIRED_OWNER),
            ("locations_df", locations_df, self.REQUIRED_LOCATION),
        ):
            missing = [c for c in required if c not in frame.columns]
            if missing:
                raise InputError(f"missing required columns: {', '.join(missing)}", file=name)
            if frame["OwnerSlug"].isna().any():
                row = int(frame["OwnerSlug"].isna().to_numpy().nonzero()[0][0])
                raise InputError("OwnerSlug is empty", file=name, row=row, column="OwnerSlug")
        orphans = set(locations_df["OwnerSlug"]) - set(owners_df["OwnerSlug"])
        if orphans:
            raise InputError(
                f"{len(orphans)} locations name an owner not in owners_df, "
                f"e.g. {sorted(orphans)[0]!r}",
                file="locations_df",
                column="OwnerSlug",
            )
        if locations_df["PrimaryId"].duplicated().any():
            dup = locations_df.loc[locations_df["PrimaryId"].duplicated(), "PrimaryId"].iloc[0]
            raise InputError(
                f"duplicate PrimaryId {dup!r}", file="locations_df", column="PrimaryId"
            )
