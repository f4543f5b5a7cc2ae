"""The backend seam: the load plan every backend follows, and the few steps that differ.

A load is one transaction: lock the region, stage owners and locations, get-or-create the
list codes, merge owners, merge locations, final updates. UploadLog states are written so that
another connection can watch them; on failure the transaction is rolled back and UploadLog
records state 4 with the message.
"""

from __future__ import annotations

import calendar
import logging
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from propmail import redact
from propmail.db import schema, sql
from propmail.db.schema import OWNER_FIELDS, STAGE_LOCATION_FIELDS, Field, State
from propmail.errors import InputError, LoadError
from propmail.progress import Step, no_step
from propmail.settings import NewList, Rules

if TYPE_CHECKING:
    from propmail.db.preview import Preview

log = logging.getLogger("propmail")


@dataclass
class LoadResult:
    """What one load did (or, for a dry run, would do)."""

    upload_log_id: int | None
    region_id: int
    rows_processed: int = 0
    owners_inserted: int = 0
    owners_updated: int = 0
    owners_unchanged: int = 0
    locations_inserted: int = 0
    locations_updated: int = 0
    locations_unchanged: int = 0
    locations_frozen: int = 0
    new_codes: list[str] = field(default_factory=list)
    processing_state: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def months_before(moment: datetime, months: int) -> datetime:
    """`moment` minus whole months, the day clamped to the month's end (DATEADD(MM, -n, ...))."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


class Backend(ABC):
    """A database propmail loads into. Subclasses supply the steps marked abstract."""

    dialect: sql.Dialect = sql.SQLITE

    def __init__(self, engine: Engine, display_url: str) -> None:
        self.engine = engine
        redact.remember(engine.url)  # a driver's error may echo the URL or DSN
        self.display_url = redact.redact(display_url)  # password masked, in the query too

    # -- the steps that differ per backend ------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection inside a write transaction, committed on success, rolled back on error."""

    @abstractmethod
    def lock_region(self, conn: Connection, region_id: int) -> None:
        """Make two loads of the same region wait for each other (held until commit)."""

    @abstractmethod
    def stage(
        self, conn: Connection, name: str, fields: tuple[Field, ...], frame: pl.DataFrame
    ) -> None:
        """Bulk-load `frame` (columns = `fields`) into a new temporary table `name`."""

    def timestamp(self, moment: datetime) -> Any:
        """A timestamp as the driver should bind it."""
        return moment

    # -- schema and master data -------------------------------------------------------------

    def create_schema(self) -> None:
        schema.metadata.create_all(self.engine)

    def exists(self) -> bool:
        """Whether the database is there at all; asking must not create it."""
        return True

    def has_schema(self) -> bool:
        from sqlalchemy import inspect

        names = set(inspect(self.engine).get_table_names())
        return all(t.name in names for t in schema.TABLES)

    def init(self, regions: dict[int, str | None], rules: Rules) -> list[str]:
        """Create the schema, the regions given and the base list codes; returns codes created."""
        self.create_schema()
        with self.transaction() as conn:
            existing = set(conn.scalars(select(schema.region.c.RegionId)))
            for region_id, name in regions.items():
                if region_id in existing:
                    if name:
                        conn.execute(
                            update(schema.region)
                            .where(schema.region.c.RegionId == region_id)
                            .values(Name=name)
                        )
                    continue
                conn.execute(insert(schema.region).values(RegionId=region_id, Name=name))
                # a new region gets the frequency row of every list that exists already
                conn.execute(
                    insert(schema.region_list_frequency).from_select(
                        ["Frequency", "ListId", "RegionId", "DividedBy"],
                        select(
                            text(str(int(rules.new_list.frequency))),
                            schema.list_priority.c.ListPriorityId,
                            text(str(int(region_id))),
                            text(str(int(rules.new_list.divided_by))),
                        ),
                    )
                )
            created = []
            for rule in rules.priority:
                found = conn.scalar(
                    select(schema.list_priority.c.ListPriorityId).where(
                        schema.list_priority.c.Code == rule.code
                    )
                )
                if found is None:
                    new_id = conn.execute(
                        insert(schema.list_priority).values(
                            Code=rule.code,
                            Name=rule.code,
                            PriorityLevel=rules.new_list.priority_level,
                            ProcessingOrder=rules.new_list.processing_order,
                            IsAbsentee=rule.is_absentee,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                    conn.execute(
                        text(sql.insert_frequencies(self.dialect, [new_id])),
                        {
                            "frequency": rules.new_list.frequency,
                            "divided_by": rules.new_list.divided_by,
                        },
                    )
                    created.append(rule.code)
        return created

    def test_connection(self) -> dict[str, Any]:
        """Connect once and report the server; raises if the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
                version = conn.dialect.server_version_info
        except SQLAlchemyError as exc:
            raise LoadError(f"cannot connect to {self.display_url}: {exc.args[0]}") from None
        return {"server": self.display_url, "version": ".".join(str(p) for p in version or ())}

    def require_region(self, region_id: int) -> None:
        with self.engine.connect() as conn:
            found = conn.scalar(
                select(schema.region.c.RegionId).where(schema.region.c.RegionId == region_id)
            )
        if found is None:
            raise InputError(
                f"region {region_id} does not exist in {self.display_url}; "
                f"add it with: propmail db init --region {region_id}=NAME",
                column="--region",
            )

    # -- UploadLog ----------------------------------------------------------------------------

    def open_upload_log(self, region_id: int, file_name: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(schema.upload_log).values(
                    RegionId=region_id,
                    FileName=file_name,
                    ProcessingState=State.RECEIVED,
                    ProcessingStarted=now,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def set_state(self, log_id: int, state: int, conn: Connection | None = None) -> None:
        """Write a processing state that other connections see at once (committed apart)."""
        with self.engine.begin() as side:
            side.execute(
                update(schema.upload_log)
                .where(schema.upload_log.c.UploadLogId == log_id)
                .values(ProcessingState=state)
            )

    def fail(self, log_id: int, message: str, now: datetime) -> None:
        with self.engine.begin() as side:
            side.execute(
                update(schema.upload_log)
                .where(schema.upload_log.c.UploadLogId == log_id)
                .values(
                    ProcessingState=State.FAILED,
                    ErrorMessage=redact.redact(message)[:4000],
                    ProcessingEnded=now,
                )
            )

    # -- list codes -------------------------------------------------------------------------

    def resolve_codes(
        self, conn: Connection, codes: list[str], new_list: NewList
    ) -> tuple[dict[str, int], list[str]]:
        """Get-or-create one ListPriorityId per code, in one batch; returns (ids, created)."""
        self.stage(
            conn,
            sql.STAGE_CODE,
            (Field("Code", schema.TEXT),),
            pl.DataFrame({"Code": sorted(set(codes))}, schema={"Code": pl.String}),
        )
        created = conn.execute(
            text(sql.insert_codes(self.dialect)),
            {
                "priority_level": new_list.priority_level,
                "processing_order": new_list.processing_order,
                "is_absentee": new_list.is_absentee,
            },
        ).all()
        for list_id, code in created:
            log.info("new list code %r: ListPriorityId %s", code, list_id)
        if created:
            conn.execute(
                text(sql.insert_frequencies(self.dialect, [r[0] for r in created])),
                {"frequency": new_list.frequency, "divided_by": new_list.divided_by},
            )
        ids = {code: int(i) for code, i in conn.execute(text(sql.code_ids(self.dialect)))}
        conn.execute(text(sql.drop_stage_table(sql.STAGE_CODE)))
        return ids, sorted(r[1] for r in created)

    # -- the load -----------------------------------------------------------------------------

    def stage_upload(self, conn: Connection, owners: pl.DataFrame, locations: pl.DataFrame) -> None:
        self.stage(
            conn, sql.STAGE_OWNER, OWNER_FIELDS, owners.select([f.name for f in OWNER_FIELDS])
        )
        self.stage(
            conn,
            sql.STAGE_LOCATION,
            STAGE_LOCATION_FIELDS,
            locations.select([f.name for f in STAGE_LOCATION_FIELDS]),
        )

    def load_params(self, region_id: int, rules: Rules, now: datetime) -> dict[str, Any]:
        """The bound parameters of the load's statements (the clock and the update window)."""
        return {
            "now": self.timestamp(now),
            "day_start": self.timestamp(now.replace(hour=0, minute=0, second=0, microsecond=0)),
            "cutoff": self.timestamp(months_before(now, rules.update_window_months)),
            "region": region_id,
        }

    def preview(
        self,
        region_id: int,
        owners: pl.DataFrame,
        locations: pl.DataFrame,
        rules: Rules,
        now: datetime,
        step: Step = no_step,
    ) -> Preview:
        """What `load` would do, and nothing written (the dry run).

        Stages into temporary tables inside a transaction that is always rolled back; a
        backend that stages otherwise overrides this with its own read-only comparison.
        """
        from propmail.db.preview import preview

        return preview(self, region_id, owners, locations, rules, now, step)

    def merge_owners(
        self, conn: Connection, params: dict[str, Any], staged: int
    ) -> tuple[int, int, int]:
        """Upsert the staged owners; returns how many were inserted, updated, unchanged.

        Counted beforehand, which is exact where one load writes at a time (SQLite).
        """
        inserted, updated, unchanged = conn.execute(
            text(sql.owner_counts(self.dialect)), params
        ).one()
        conn.execute(text(sql.owner_upsert(self.dialect)), params)
        return int(inserted), int(updated), int(unchanged)

    def load(
        self,
        log_id: int,
        region_id: int,
        owners: pl.DataFrame,
        locations: pl.DataFrame,
        rules: Rules,
        now: datetime,
        step: Step = no_step,
    ) -> LoadResult:
        """Merge one upload, all or nothing. `step` is called with the name of each stage."""
        params = self.load_params(region_id, rules, now)
        result = LoadResult(
            upload_log_id=log_id, region_id=region_id, rows_processed=locations.height
        )
        self.set_state(log_id, State.MERGING_OWNERS)
        try:
            with self.transaction() as conn:
                self.lock_region(conn, region_id)
                step("staging")
                self.stage_upload(conn, owners, locations)
                step("list codes")
                codes = locations["PriorityCode"].unique().to_list()
                _, result.new_codes = self.resolve_codes(conn, codes, rules.new_list)
                step("merging owners")
                (result.owners_inserted, result.owners_updated, result.owners_unchanged) = (
                    self.merge_owners(conn, params, owners.height)
                )
                self.set_state(log_id, State.MERGING_LOCATIONS, conn)
                step("merging locations")
                (
                    result.locations_inserted,
                    result.locations_updated,
                    result.locations_unchanged,
                    result.locations_frozen,
                ) = conn.execute(text(sql.location_counts(self.dialect)), params).one()
                conn.execute(text(sql.location_upsert(self.dialect)), params)
                self.set_state(log_id, State.FINAL_UPDATES, conn)
                step("final updates")
                conn.execute(
                    update(schema.upload_log)
                    .where(schema.upload_log.c.UploadLogId == log_id)
                    .values(
                        ProcessingState=State.DONE,
                        RowsProcessed=locations.height,
                        ProcessingEnded=now,
                    )
                )
                step("dropping staging tables")
                for name in (sql.STAGE_OWNER, sql.STAGE_LOCATION):
                    conn.execute(text(sql.drop_stage_table(name)))
                step("commit")
        except BaseException as exc:
            self.fail(log_id, f"{type(exc).__name__}: {exc}", datetime.now())
            if isinstance(exc, Exception):
                # the driver's own words, not the SQL statement SQLAlchemy wraps around them
                reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
                message = redact.redact(reason)
                raise LoadError(f"load failed and was rolled back: {message}") from exc
            raise
        result.processing_state = State.DONE
        return result

    def upload_log(self, log_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.upload_log).where(schema.upload_log.c.UploadLogId == log_id)
            ).one()
        return dict(row._mapping)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in schema.TABLES
            }

    def dispose(self) -> None:
        self.engine.dispose()
