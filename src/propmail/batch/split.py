"""`propmail split`: a national file (csv or parquet) into one upload per region, streamed.

The region of a row comes from the values of one or more columns (county FIPS; state and
county; a ZIP's first three digits with ``prefix=3``) looked up in a small table of values to
RegionIds, a CSV (the columns and ``RegionId``) or a TOML file (``[regions]``, several columns'
values joined with ``|``). polars' streaming engine reads the file in batches and writes each
region's rows to ``region-<RegionId>.<ext>`` as it goes, so memory stays bounded whatever the
input's size; rows of no region go to ``unmatched.<ext>``. The manifest for `propmail batch`
is written beside them, in its glob form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from propmail.errors import InputError
from propmail.validation import Problems, Table, read_toml

REGION = "RegionId"
_KEY = "__propmail_region_key"


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
    keyed = frame.with_columns(_key_expr(by, prefix)).join(
        regions.lazy(), on=_KEY, how="left", maintain_order="none"
    )
    rows = keyed.drop(_KEY)
    target = pl.PartitionBy(
        out,
        key=REGION,
        include_key=False,
        file_path_provider=lambda args: _file_name(args.partition_keys[REGION][0], ext),
        approximate_bytes_per_file=None,  # one file per region, however large
    )
    sink = (
        rows.sink_parquet(target, lazy=True, mkdir=True)
        if ext == "parquet"
        else rows.sink_csv(target, lazy=True, mkdir=True, maintain_order=False)
    )
    counts = keyed.group_by(REGION).len()
    _, counted = pl.collect_all([sink, counts], engine="streaming")
    per_region = dict(zip(counted[REGION].to_list(), counted["len"].to_list(), strict=True))
    manifest = out / "manifest.toml"
    manifest.write_text(manifest_text(ext), encoding="utf-8")
    return SplitResult(per_region, manifest)


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
