"""Cells an operator opens in a spreadsheet: formula injection neutralized (OWASP); files for
people written whole or not at all.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as a
formula when a csv file, or a table pasted from a web page, is opened in Excel or LibreOffice.
Such a cell gets a leading single quote, which spreadsheets show as text.

>>> neutralize("=SUM(A1:A9)")
"'=SUM(A1:A9)"
>>> neutralize("123 MAIN ST")
'123 MAIN ST'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"


def neutralize(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def neutralized(column: pl.Expr) -> pl.Expr:
    """`neutralize` over a text column, vectorized."""
    return (
        pl.when(column.str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + column).otherwise(column)
    )


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text (dates ISO, flags true/false), each cell neutralized."""
    return frame.select(
        neutralized(pl.col(name).cast(pl.String)).alias(name) for name in frame.columns
    )


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """A csv safe to open in a spreadsheet: UTF-8 with a BOM (so Excel reads it as UTF-8)."""
    with replaced(path) as temp, temp.open("wb") as out:
        out.write("\ufeff".encode())
        as_text(frame).write_csv(out, quote_style="necessary")


def write_text(path: Path, text: str) -> None:
    """`text` as the UTF-8 file `path`, written whole or not at all (`replaced`)."""
    with replaced(path) as temp, temp.open("w", encoding="utf-8") as out:
        out.write(text)


@contextmanager
def replaced(path: Path) -> Iterator[Path]:
    """A new file beside `path` that takes its place once written: a write that fails (a full
    disk) leaves the file `path` was, or none, never a truncated one; the new file is removed."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
