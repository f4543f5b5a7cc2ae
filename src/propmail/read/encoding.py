"""CSV bytes that are not all UTF-8 -> UTF-8, decoded line by line.

A vendor's file is UTF-8, or a legacy Windows encoding throughout, or (an export appended to
by hand) UTF-8 with some lines in Windows-1252. Decoding the whole file one way garbles the
other's lines (`JOSÉ` in UTF-8 read as Windows-1252 becomes `JOSÃ‰`), so:

- a file with no line of UTF-8 beyond ASCII is decoded whole as Windows-1252, else Latin-1
  (which decodes any byte), as the legacy encodings it is in;
- else only the lines that are not UTF-8 are decoded (Windows-1252, else Latin-1), and named.

The valid stretches between two bad lines are checked by one C-level decode each, so the work
in Python is per bad line, not per line; blocks of BLOCK bytes keep the decoded text that
check makes small.

>>> fixed = to_utf8("JOSÉ\\n".encode() + "RENÉE\\n".encode("cp1252") + b"ANN\\n")
>>> fixed.data.decode(), fixed.lines, fixed.encoding
('JOSÉ\\nRENÉE\\nANN\\n', [2], 'Windows-1252')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BLOCK = 8 << 20  # bytes checked at a time
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass
class Decoded:
    data: bytes  # the file as UTF-8
    whole: bool  # decoded whole in a legacy encoding (no line of it was UTF-8 beyond ASCII)
    encoding: str  # Windows-1252, or Latin-1 where that could not decode a line
    lines: list[int] = field(default_factory=list)  # 1-based numbers of the lines decoded


def to_utf8(data: bytes) -> Decoded:
    """`data` as UTF-8; see the module's docstring for how lines that are not are decoded."""
    pieces: list[bytes] = []
    lines: list[int] = []
    encodings: set[str] = set()
    utf8_beyond_ascii = False
    newlines, counted = 0, 0  # line breaks in data[:counted]
    for start, end in _blocks(data):
        pos = start
        while pos < end:
            bad = _first_invalid(data, pos, end)
            good_end = end if bad < 0 else data.rfind(b"\n", pos, bad) + 1 or pos
            if good_end > pos:
                piece = data[pos:good_end]
                utf8_beyond_ascii = utf8_beyond_ascii or bool(_NON_ASCII.search(piece))
                pieces.append(piece)
            if bad < 0:
                break
            line_end = data.find(b"\n", bad, end)
            line_end = end if line_end < 0 else line_end + 1
            newlines += data.count(b"\n", counted, good_end)
            counted = good_end
            lines.append(newlines + 1)
            text, encoding = _legacy(data[good_end:line_end])
            encodings.add(encoding)
            pieces.append(text.encode("utf-8"))
            pos = line_end
    if lines and not utf8_beyond_ascii:  # a legacy encoding throughout: decoded whole
        text, encoding = _legacy(data)
        return Decoded(text.encode("utf-8"), True, encoding, lines)
    encoding = "Latin-1" if "Latin-1" in encodings else "Windows-1252"
    return Decoded(b"".join(pieces), False, encoding, lines)


def _blocks(data: bytes) -> list[tuple[int, int]]:
    """Spans of about BLOCK bytes that end where a line does (or where the data does)."""
    spans, start = [], 0
    while start < len(data):
        end = min(start + BLOCK, len(data))
        if end < len(data):
            cut = data.rfind(b"\n", start, end)
            end = cut + 1 if cut >= 0 else (data.find(b"\n", end) + 1 or len(data))
        spans.append((start, end))
        start = end
    return spans


def _first_invalid(data: bytes, start: int, end: int) -> int:
    """Where the first byte that is not UTF-8 in data[start:end] is, else -1."""
    try:
        str(memoryview(data)[start:end], "utf-8")
    except UnicodeDecodeError as exc:
        return start + exc.start
    return -1


def _legacy(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"
