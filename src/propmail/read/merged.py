"""Merged header cells -> one header per column, so grouped headers read as the layouts know them.

A workbook gives a merged cell's value in its top-left cell only; the cells it covers arrive
blank (and read as "(no header, column N)"). The convention, for the header row chosen:

- A merged cell that covers the header row heads every column it covers: the first with its
  label, the next ones numbered (`Mailing Address` over two columns -> `Mailing Address`,
  `Mailing Address 2`). A cell merged down from the row above (`APN` over two header rows)
  heads its column with its label.
- A two-row header: a cell merged across columns in the row just above the header row is a
  group label, put before each header below it (`Owner 1` above `First Name`, `Last Name` ->
  `Owner 1 First Name`, `Owner 1 Last Name`; a blank one below gets the label, numbered).
  That row is a header row, not a title, when it has two labels or more, or a cell merged
  down from it into the header row; a lone merged cell above the headers is a title and left
  out (`Absentee owners - Wake County` over the first columns).

>>> grid = [["APN", "Owner 1", "", "Mailing Address", ""],
...         ["", "First Name", "Last Name", "", ""]]
>>> merges = [(0, 0, 1, 0), (0, 1, 0, 2), (0, 3, 1, 4)]
>>> header_cells(1, 5, lambda r, c: grid[r][c], merges)
(['APN', 'Owner 1 First Name', 'Owner 1 Last Name', 'Mailing Address', 'Mailing Address 2'], True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based)
Cell = Callable[[int, int], str]  # (row, column) -> the cell's text, "" when blank


def header_cells(
    row: int, width: int, cell: Cell, merges: Sequence[Merge]
) -> tuple[list[str], bool]:
    """The headers of `row` read as the header row, and whether the row above is part of it."""
    headers = [cell(row, c) for c in range(width)]
    for r1, c1, r2, c2 in merges:
        if r1 <= row <= r2:
            _head(headers, cell(r1, c1), c1, c2, group=False)
    groups = [m for m in merges if m[2] == row - 1 and m[3] > m[1]]
    merged_down = any(r1 < row <= r2 for r1, _, r2, _ in merges)
    above = sum(1 for c in range(width) if cell(row - 1, c)) if row > 0 else 0
    grouped = bool(groups) and (merged_down or above >= 2)
    if grouped:
        for r1, c1, _, c2 in groups:
            _head(headers, cell(r1, c1), c1, c2, group=True)
    return headers, grouped


def _head(headers: list[str], label: str, first: int, last: int, *, group: bool) -> None:
    """Head the columns `first`..`last` with `label`, numbered after the first; a group label
    goes before the header a column has."""
    if not label:
        return
    for k, c in enumerate(range(first, min(last, len(headers) - 1) + 1)):
        numbered = label if k == 0 else f"{label} {k + 1}"
        headers[c] = f"{label} {headers[c]}" if group and headers[c] else numbered
