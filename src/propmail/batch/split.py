"""`propmail split`: a national file (csv or parquet) into one upload per region, streamed.

The region of a row comes from the values of one or more columns (county FIPS; state and
county; a ZIP's first three digits with ``prefix=3``) looked up in a small table of values to
RegionIds, a CSV (the columns and ``RegionId``) or a TOML file (``[regions]``, several columns'
values joined with ``|``). polars' streaming engine reads the file in chunks and each chunk's rows
are appended to ``region-<RegionId>.<ext>`` as it goes, so memory stays bounded whatever the
input's size; rows of no region go to ``unmatched.<ext>``. The manifest for `propmail batch`
is written beside them, in its glob form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from propmail.errors import InputError
from propmail.validation import Problems, Table, read_toml

REGION = "RegionId"
_KEY = "__propmail_region_key"
CHUNK_ROWS = 250_000


@dataclass(frozen=True)
class SplitResult:
    """Rows written per RegionId (None: the rows of no region), and the manifest written."""

    counts: dict[int | None, int]
    manifest: Path


def load_regions(path: str | Path, by: Sequence[str]) -> pl.DataFrame:
    """The table of values to RegionIds: one row per key (the `by` values joined with ``|``)."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        problems = Problems(str(path))
        top = Table(read_toml(path, "regions file"), "", problems)
        top.only({"regions"})
        regions = top.table("regions")
        pairs = {value: regions.get(value, int) for value in regions.data}
        problems.check()
        return pl.DataFrame(
            {_KEY: list(pairs), REGION: list(pairs.values())},
            schema={_KEY: pl.String, REGION: pl.Int64},
        )
    try:
        table = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot read the regions table: {exc}", file=str(path)) from None
    missing = [c for c in (*by, REGION) if c not in table.columns]
    if missing:
        raise InputError(f"the regions table lacks {', '.join(missing)}", file=str(path))
    try:
        region = pl.col(REGION).str.strip_chars().cast(pl.Int64)
        return table.select(_key_expr(by, None), region).unique(_KEY)
    except pl.exceptions.PolarsError:
        raise InputError("RegionId must be a whole number", file=str(path), column=REGION) from None


def _key_expr(by: Sequence[str], prefix: int | None) -> pl.Expr:
    parts = [pl.col(c).cast(pl.String).str.strip_chars() for c in by]
    key = pl.concat_str(parts, separator="|") if len(parts) > 1 else parts[0]
    return (key.str.slice(0, prefix) if prefix else key).alias(_KEY)


def scan(path: Path) -> pl.LazyFrame:
    """The national file, every column as text (values are written back as they were)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix in (".csv", ".txt"):
        return pl.scan_csv(path, infer_schema=False)
    raise InputError("split reads csv or parquet files", file=str(path))


def split(
    source: str | Path,
    by: Sequence[str],
    regions_path: str | Path,
    out: str | Path,
    prefix: int | None = None,
) -> SplitResult:
    """Write one file per region into `out` and the manifest `out/manifest.toml`."""
    source, out = Path(source), Path(out)
    if not source.is_file():
        raise InputError("not found", file=str(source))
    frame = scan(source)
    columns = frame.collect_schema().names()
    missing = [c for c in by if c not in columns]
    if missing:
        raise InputError(
            f"no column {', '.join(missing)} (the file has {', '.join(columns)})",
            file=str(source),
            column="--by",
        )
    regions = load_regions(regions_path, by)
    ext = "parquet" if source.suffix.lower() == ".parquet" else "csv"
    mapping = dict(zip(regions[_KEY].to_list(), regions[REGION].to_list(), strict=True))
    region = _key_expr(by, prefix).replace_strict(mapping, default=None, return_dtype=pl.Int64)
    keyed = frame.with_columns(region.alias(REGION))
    out.mkdir(parents=True, exist_ok=True)
    counts = _write(keyed, out, ext)
    manifest = out / "manifest.toml"
    manifest.write_text(manifest_text(ext), encoding="utf-8")
    return SplitResult(counts, manifest)


def _write(keyed: pl.LazyFrame, out: Path, ext: str) -> dict[int | None, int]:
    """Stream `keyed` in chunks, appending each region's rows to its file; rows per region.

    The loop is over chunks of CHUNK_ROWS, never rows: memory is one chunk (and polars' read
    ahead), whatever the file's size.
    """
    counts: dict[int | None, int] = {}
    writers: dict[int | None, Any] = {}
    try:
        for chunk in keyed.collect_batches(chunk_size=CHUNK_ROWS, maintain_order=False):
            for (region,), part in chunk.partition_by(REGION, as_dict=True).items():
                rows = part.drop(REGION)
                if region not in writers:
                    writers[region] = _open(out / _file_name(region, ext), rows, ext)
                writers[region].write(rows)
                counts[region] = counts.get(region, 0) + rows.height
    finally:
        for writer in writers.values():
            writer.close()
    return counts


class _CsvAppender:
    def __init__(self, path: Path) -> None:
        self.handle = open(path, "wb")  # noqa: SIM115  (closed by close())
        self.header = True

    def write(self, rows: pl.DataFrame) -> None:
        rows.write_csv(self.handle, include_header=self.header)
        self.header = False

    def close(self) -> None:
        self.handle.close()


class _ParquetAppender:
    def __init__(self, path: Path, rows: pl.DataFrame) -> None:
        self.writer = pq.ParquetWriter(path, rows.to_arrow().schema)

    def write(self, rows: pl.DataFrame) -> None:
        self.writer.write_table(rows.to_arrow())

    def close(self) -> None:
        self.writer.close()


def _open(path: Path, rows: pl.DataFrame, ext: str) -> _CsvAppender | _ParquetAppender:
    return _ParquetAppender(path, rows) if ext == "parquet" else _CsvAppender(path)


def _file_name(region: int | None, ext: str) -> str:
    return f"unmatched.{ext}" if region is None else f"region-{region}.{ext}"


def manifest_text(ext: str) -> str:
    """The manifest of a split directory: every region's file, in the glob form.

    >>> print(manifest_text("csv"), end="")
    # Written by propmail split: one job per region-<RegionId> file beside it.
    [[job]]
    upload = "region-{region}.csv"
    """
    return (
        "# Written by propmail split: one job per region-<RegionId> file beside it.\n"
        f'[[job]]\nupload = "region-{{region}}.{ext}"\n'
    )
