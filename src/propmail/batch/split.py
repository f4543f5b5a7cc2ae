"""`propmail split`: a national file (csv or parquet) into one upload per region, streamed.

The region of a row comes from the values of one or more columns (county FIPS; state and
county; a ZIP's first three digits with ``prefix=3``) looked up in a small table of values to
RegionIds, a CSV (the columns and ``RegionId``) or a TOML file (``[regions]``, several columns'
values joined with ``|``). The file is read in blocks (a csv in blocks of whole records, a parquet
file in batches of rows) and each block's rows are appended to ``region-<RegionId>.<ext>`` as it
goes, so memory is about one block whatever the input's size; rows of no region go to
``unmatched.<ext>``. At most a few hundred files are open at once, well below the process's
limit of open files, whatever the number of regions (a national file has about 3,143 counties).
The manifest for `propmail batch` is written beside them, in its glob form.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from propmail.batch.manifest import month_problem
from propmail.contract import INT_MAX
from propmail.errors import InputError
from propmail.validation import Problems, Table, read_toml

REGION = "RegionId"
_KEY = "__propmail_region_key"
CHUNK_ROWS = 250_000  # rows per batch of a parquet file
BLOCK_BYTES = 64 << 20  # bytes per block of a csv file (whole records)
MAX_OPEN = 512  # region files open at once, at most
RESERVED_FILES = 32  # of the limit of open files, left to the rest of the process


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
        for value, region_id in pairs.items():
            if region_id is not None and not 0 <= region_id <= INT_MAX:
                raise InputError(
                    f"regions.{value} = {region_id}: a RegionId is from 0 to {INT_MAX}",
                    file=str(path),
                )
        return pl.DataFrame(
            {_KEY: list(pairs), REGION: list(pairs.values())},
            schema={_KEY: pl.String, REGION: pl.Int64},
        )
    try:
        table = pl.read_csv(path, infer_schema=False, glob=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot read the regions table: {exc}", file=str(path)) from None
    missing = [c for c in (*by, REGION) if c not in table.columns]
    if missing:
        raise InputError(f"the regions table lacks {', '.join(missing)}", file=str(path))
    try:
        region = pl.col(REGION).str.strip_chars().cast(pl.Int64)
        rows = table.with_row_index(_ROW, offset=2).select(_ROW, _key_expr(by, None), region)
    except pl.exceptions.PolarsError:
        raise InputError("RegionId must be a whole number", file=str(path), column=REGION) from None
    return checked_regions(rows, str(path))


_ROW = "row"  # a row's line in the regions file (its header is line 1)


def checked_regions(rows: pl.DataFrame, file: str) -> pl.DataFrame:
    """The key -> RegionId table of a regions file's `rows` (row, key, RegionId); InputError
    for a RegionId no INT column holds (its row named) or a value given two regions (both rows
    named): the first of two would win without a word.

    >>> rows = pl.DataFrame({"row": [2, 3, 4], _KEY: ["A", "B", "A"], "RegionId": [40, 41, 7]})
    >>> checked_regions(rows, "regions.csv")
    Traceback (most recent call last):
    propmail.errors.InputError: file regions.csv, column RegionId: the value 'A' is given two \
regions: 40 on row 2 and 7 on row 4
    """
    bad = rows.filter(~pl.col(REGION).is_between(0, INT_MAX))
    if bad.height:
        row, key, region_id = bad.row(0)
        raise InputError(
            f"{region_id} is not a RegionId (0 to {INT_MAX}), for the value {key!r}",
            file=file,
            row=row,
            column=REGION,
        )
    distinct = rows.unique([_KEY, REGION], keep="first", maintain_order=True)
    twice = distinct.filter(pl.len().over(_KEY) > 1)
    if twice.height:
        (row_a, key, region_a), (row_b, _, region_b) = twice.filter(
            pl.col(_KEY) == twice[_KEY][0]
        ).rows()[:2]
        raise InputError(
            f"the value {key!r} is given two regions: {region_a} on row {row_a} and "
            f"{region_b} on row {row_b}",
            file=file,
            column=REGION,
        )
    return distinct.select(_KEY, REGION)


def _key_expr(by: Sequence[str], prefix: int | None) -> pl.Expr:
    parts = [pl.col(c).cast(pl.String).str.strip_chars() for c in by]
    key = pl.concat_str(parts, separator="|") if len(parts) > 1 else parts[0]
    return (key.str.slice(0, prefix) if prefix else key).alias(_KEY)


def scan(path: Path) -> pl.LazyFrame:
    """The national file, every column as text (values are written back as they were)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.scan_parquet(path, glob=False)  # a name is one file, never a pattern
    if suffix in (".csv", ".txt"):
        return pl.scan_csv(path, infer_schema=False, glob=False)
    raise InputError("split reads csv or parquet files", file=str(path))


def split(
    source: str | Path,
    by: Sequence[str],
    regions_path: str | Path,
    out: str | Path,
    prefix: int | None = None,
    month: str | None = None,
) -> SplitResult:
    """Write one file per region into `out` and the manifest `out/manifest.toml` (of `month`,
    YYYY-MM, when given: its jobs' ledger keys lead with it)."""
    source, out = Path(source), Path(out)
    problem = month_problem(month) if month is not None else None
    if problem:
        raise InputError(problem, column="--month")
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
    out.mkdir(parents=True, exist_ok=True)
    try:
        counts = _write((c.with_columns(region.alias(REGION)) for c in chunks(source)), out, ext)
    except OSError as exc:
        if exc.errno not in (errno.EMFILE, errno.ENFILE):
            raise
        raise InputError(
            f"too many open files ({exc.strerror}) with {open_files_cap()} region files open at"
            " once: raise the limit of open files (ulimit -n)",
            file=str(out),
        ) from None
    manifest = out / "manifest.toml"
    manifest.write_text(manifest_text(ext, month), encoding="utf-8")
    return SplitResult(counts, manifest)


def chunks(path: Path) -> Iterator[pl.DataFrame]:
    """The file's rows a block at a time, every column as text (csv) or as stored (parquet).

    Read by hand, not by polars' streaming engine, whose read-ahead grows with the file
    (5 GB for 20 million rows): here memory is one block, whatever the size.
    """
    if path.suffix.lower() == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
            yield pl.from_arrow(batch)  # type: ignore[misc]
        return
    columns: list[str] | None = None
    for block in csv_blocks(path):
        frame = pl.read_csv(
            io.BytesIO(block),
            infer_schema=False,
            has_header=columns is None,
            new_columns=columns,
        )
        columns = columns or frame.columns
        yield frame


def csv_blocks(path: Path, size: int | None = None) -> Iterator[bytes]:
    r"""The csv's bytes in blocks of about `size` (BLOCK_BYTES) that end where a record ends.

    A record ends at a newline outside quotes: one after an even number of quote characters
    since the block's start (a block starts where a record does; ``""`` inside a quoted value
    counts two).

    >>> list(csv_blocks_of(b'a,b\n1,"x\ny"\n2,z\n', size=6))
    [b'a,b\n', b'1,"x\ny"\n', b'2,z\n']
    """
    with open(path, "rb") as handle:
        yield from _blocks(iter(lambda: handle.read(size or BLOCK_BYTES), b""))


def csv_blocks_of(data: bytes, size: int) -> Iterator[bytes]:
    """`csv_blocks` over bytes in memory."""
    yield from _blocks(data[i : i + size] for i in range(0, len(data), size))


def _blocks(reads: Iterator[bytes]) -> Iterator[bytes]:
    carry = b""
    for data in reads:
        buffer = carry + data
        cut = _record_end(buffer)
        carry = buffer[cut:]
        if cut:
            yield buffer[:cut]
    if carry:
        yield carry


def _record_end(buffer: bytes) -> int:
    """Where the last whole record of `buffer` ends (after its newline); 0 when none does."""
    end = len(buffer)
    while (newline := buffer.rfind(b"\n", 0, end)) >= 0:
        if buffer.count(b'"', 0, newline) % 2 == 0:
            return newline + 1
        end = newline
    return 0


def _write(chunks: Iterator[pl.DataFrame], out: Path, ext: str) -> dict[int | None, int]:
    """Append each chunk's rows to its region's file; rows per region.

    The loop is over chunks, never rows: memory is one chunk, whatever the file's size.
    """
    counts: dict[int | None, int] = {}
    with _Outputs(out, ext, open_files_cap()) as outputs:
        for chunk in chunks:
            for (region,), part in chunk.partition_by(REGION, as_dict=True).items():
                outputs.write(region, part.drop(REGION))
                counts[region] = counts.get(region, 0) + part.height
    return counts


def open_files_cap() -> int:
    """How many region files may be open at once: at most MAX_OPEN, and half the process's
    soft limit of open files less RESERVED_FILES (what the interpreter and its libraries hold).
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit to read
        return MAX_OPEN
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_OPEN
    return max(1, min(MAX_OPEN, soft // 2 - RESERVED_FILES))


class _Outputs:
    """The region files, at most `cap` open at once: the least recently written is closed.

    A csv file closed early is opened again for appending. A parquet file cannot be appended
    to: a region opened again writes a part file into a scratch folder, and on closing, the
    region's parts are copied after its file's rows (a row group at a time) into one file.
    """

    def __init__(self, out: Path, ext: str, cap: int) -> None:
        self.out, self.ext, self.cap = out, ext, cap
        self.scratch = out / ".propmail-split-parts"
        self.open: OrderedDict[int | None, _CsvAppender | _ParquetAppender] = OrderedDict()
        self.opened: dict[int | None, int] = {}  # times each region's file was opened

    def write(self, region: int | None, rows: pl.DataFrame) -> None:
        writer = self.open.pop(region, None) or self._open(region, rows)
        self.open[region] = writer  # the most recently written, last
        writer.write(rows)

    def _open(self, region: int | None, rows: pl.DataFrame) -> _CsvAppender | _ParquetAppender:
        if len(self.open) >= self.cap:
            self.open.popitem(last=False)[1].close()
        times = self.opened[region] = self.opened.get(region, 0) + 1
        path = self.out / _file_name(region, self.ext)
        if self.ext == "csv":
            return _CsvAppender(path, append=times > 1)
        if times > 1:
            self.scratch.mkdir(exist_ok=True)
            path = self._part(region, times)
        return _ParquetAppender(path, rows)

    def _part(self, region: int | None, times: int) -> Path:
        return self.scratch / f"{times}-{_file_name(region, self.ext)}"

    def __enter__(self) -> _Outputs:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self.open:
                self.open.popitem()[1].close()
            if exc[0] is None and self.ext == "parquet":
                for region, times in self.opened.items():
                    if times > 1:
                        final = self.out / _file_name(region, self.ext)
                        parts = [self._part(region, n) for n in range(2, times + 1)]
                        _concat_parquet([final, *parts], final)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _concat_parquet(paths: list[Path], target: Path) -> None:
    """`paths`' rows, in order, into `target` (which may be the first of them), in row groups
    of about CHUNK_ROWS: a part file holds one chunk's rows, too few for a row group of its own.
    """
    merged = target.with_name(target.name + ".merging")
    schema = pq.read_schema(paths[0])
    with pq.ParquetWriter(merged, schema) as writer:
        group: list[pa.RecordBatch] = []
        rows = 0
        for path in paths:
            with pq.ParquetFile(path) as part:
                for batch in part.iter_batches(batch_size=CHUNK_ROWS):
                    group.append(batch)
                    rows += batch.num_rows
                    if rows >= CHUNK_ROWS:
                        writer.write_table(pa.Table.from_batches(group, schema))
                        group, rows = [], 0
        if group:
            writer.write_table(pa.Table.from_batches(group, schema))
    os.replace(merged, target)


class _CsvAppender:
    def __init__(self, path: Path, append: bool) -> None:
        self.handle = open(path, "ab" if append else "wb")  # noqa: SIM115  (closed by close())
        self.header = not append

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


def _file_name(region: int | None, ext: str) -> str:
    return f"unmatched.{ext}" if region is None else f"region-{region}.{ext}"


def manifest_text(ext: str, month: str | None = None) -> str:
    """The manifest of a split directory: every region's file, in the glob form.

    >>> print(manifest_text("csv", "2026-11"), end="")
    # Written by propmail split: one job per region-<RegionId> file beside it.
    month = "2026-11"
    [[job]]
    upload = "region-{region}.csv"
    """
    of_month = f'month = "{month}"\n' if month else ""
    return (
        "# Written by propmail split: one job per region-<RegionId> file beside it.\n"
        f'{of_month}[[job]]\nupload = "region-{{region}}.{ext}"\n'
    )
