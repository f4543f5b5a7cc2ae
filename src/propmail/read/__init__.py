"""Input files -> the canonical frame of SPEC 2: `read_upload`, `read_niche`, the column mapping.

The modules, in the order a file passes through them:

- `safety`: hostile or mislabelled files refused before any reader library opens them
- `files`: csv / xlsx / parquet -> a sheet of text cells and its header row (a csv's or
  parquet's header read first, `head`, so a file without the columns is refused unread)
- `encoding`: csv text that is not all UTF-8, decoded line by line
- `xlsx`: what calamine does not give: number formats, merged cells, the 1904 date system
- `merged`: merged header cells -> one header per column
- `mapping`: the mapping file (which source headers mean which column) and its validation
- `layouts`: the shipped layouts (mapping files) and a file's layout detected by its headers
- `derive`: canonical columns made from several source columns (joins, splits, blocks)
- `headers`: source headers -> canonical columns; the required ones checked
- `values`: text -> typed values by `Kind`, unparseable values counted
- `reader`: all of the above -> `ReadResult`
- `inspect`: what reading a file would do, without a database (`propmail inspect`)
"""

from __future__ import annotations

from propmail.read.layouts import resolve as resolve_mapping
from propmail.read.mapping import ColumnMapping, default_mapping, load_mapping
from propmail.read.reader import ReadResult, read_niche, read_upload

__all__ = [
    "ColumnMapping",
    "ReadResult",
    "default_mapping",
    "load_mapping",
    "read_niche",
    "read_upload",
    "resolve_mapping",
]
