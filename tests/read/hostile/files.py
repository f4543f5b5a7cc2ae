"""Hostile files, built byte by byte: zip bombs, entity bombs, encrypted and damaged workbooks.

Every builder writes a small file (kilobytes to a few megabytes) from scratch, so the tests
need no fixture blobs and show exactly what each attack looks like.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import xlsxwriter

HEADER = [
    "LocationPrimaryId",
    "OwnerName",
    "OwnerAddress1",
    "OwnerZip",
    "LocationAddress1",
    "LocationZip",
]
ROW = ["000123", "JOHN SMITH", "1 MAIN ST", "24016", "1 MAIN ST", "24016"]
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
GIB = 1 << 30


def workbook(path: Path, fill: Callable[[Any, Any], None] | None = None) -> Path:
    """A small, valid upload workbook (header and one row unless `fill` says otherwise)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    if fill is None:
        sheet.write_row(0, 0, HEADER)
        sheet.write_row(1, 0, ROW)
    else:
        fill(book, sheet)
    book.close()
    return path


@dataclass
class Entry:
    """One zip entry as written: `data` already compressed when `method` is 8 (deflate)."""

    name: str
    data: bytes
    crc: int
    size: int  # the uncompressed size the headers declare
    method: int = 8


def deflated(name: str, content: bytes) -> Entry:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(name, co.compress(content) + co.flush(), zlib.crc32(content), len(content))


def write_zip(path: Path, entries: list[Entry]) -> Path:
    """A zip archive with exactly the headers given (sizes may lie: that is the point)."""
    body, directory = bytearray(), bytearray()
    for e in entries:
        name = e.name.encode()
        offset = len(body)
        fixed = (20, 0, e.method, 0, 0, e.crc, len(e.data), e.size, len(name), 0)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fixed) + name + e.data
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fixed, 0, 0, 0, 0, offset)
        directory += name
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(body), 0
    )
    path.write_bytes(bytes(body + directory + end))
    return path


def parts_of(xlsx: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(xlsx) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def repeated_deflate(head: bytes, chunk: bytes, times: int, tail: bytes) -> tuple[bytes, int, int]:
    """head + chunk * times + tail, deflated without ever holding the inflated text.

    Each piece ends in a full flush, so the chunk's compressed bytes can simply be repeated.
    Returns (deflate stream, crc32, inflated size).
    """
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    middle = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    last = co.compress(tail) + co.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return first + middle * times + last, crc, len(head) + len(chunk) * times + len(tail)


@cache
def sheet_bomb_stream(inflated: int = 3 * GIB) -> tuple[bytes, int, int]:
    """A worksheet of 786,432 one-cell rows, each padded with white space to 4 KiB."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
    )
    row = b"<row><c><v>1</v></c></row>".ljust(4096)
    chunk = row * 256  # 1 MiB
    return repeated_deflate(head, chunk, inflated // len(chunk), b"</sheetData></worksheet>")


@cache
def strings_bomb_stream(inflated: int = 3 * GIB) -> tuple[bytes, int, int]:
    """Shared strings of 1 MiB each (runs of one letter): a reader keeps them all: ~1:1000."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    chunk = b"<si><t>" + b"A" * ((1 << 20) - 15) + b"</t></si>"
    return repeated_deflate(head, chunk, inflated // len(chunk), b"</sst>")


def zip_bomb(path: Path, *, lie: bool = False, part: str = SHEET) -> Path:
    """A valid workbook whose `part` (the worksheet or the shared strings) inflates to 3 GiB.

    `lie=True` declares the real part's small size in the headers, so only inflating the
    entry shows what it is.
    """
    base = parts_of(workbook(path.with_suffix(".base.xlsx")))
    stream, crc, size = (strings_bomb_stream if part == STRINGS else sheet_bomb_stream)()
    entries = []
    for name, content in base.items():
        if name == part:
            declared = len(content) if lie else size
            entries.append(Entry(name, stream, crc, declared))
        else:
            entries.append(deflated(name, content))
    return write_zip(path, entries)


def many_entries(path: Path, count: int = 60_000) -> Path:
    """A workbook padded with tens of thousands of tiny entries (a directory bomb)."""
    base = parts_of(workbook(path.with_suffix(".base.xlsx")))
    entries = [deflated(n, c) for n, c in base.items()]
    entries += [deflated(f"xl/media/pad{i}.bin", b"") for i in range(count)]
    return write_zip(path, entries)


def overlapping(path: Path) -> Path:
    """Two directory entries that share one compressed body (the overlapping-files bomb)."""
    base = parts_of(workbook(path.with_suffix(".base.xlsx")))
    write_zip(path, [deflated(n, c) for n, c in base.items()])
    data = bytearray(path.read_bytes())
    # point the last directory entry at the first entry's local header
    end = data.rfind(struct.pack("<I", 0x06054B50))
    last = data.rfind(struct.pack("<I", 0x02014B50), 0, end)
    data[last + 42 : last + 46] = struct.pack("<I", 0)
    path.write_bytes(bytes(data))
    return path


LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)


def billion_laughs(path: Path, part: str = STRINGS) -> Path:
    """A workbook whose `part` declares nested entities (10^9 'lol's) and uses the last one."""
    base = parts_of(workbook(path.with_suffix(".base.xlsx")))
    content = base[part]
    body = content[content.index(b"?>") + 2 :] if content.startswith(b"<?xml") else content
    if part == STRINGS:
        body = body.replace(b"<t>JOHN SMITH</t>", b"<t>&lol9;</t>", 1)
    base[part] = LAUGHS + body.lstrip()
    return write_zip(path, [deflated(n, c) for n, c in base.items()])


def external_entity(path: Path) -> Path:
    """A workbook whose shared strings pull in a local file through an external entity."""
    base = parts_of(workbook(path.with_suffix(".base.xlsx")))
    content = base[STRINGS]
    body = content[content.index(b"?>") + 2 :].replace(b"<t>JOHN SMITH</t>", b"<t>&xxe;</t>", 1)
    base[STRINGS] = (
        b'<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body
    )
    return write_zip(path, [deflated(n, c) for n, c in base.items()])


# --- encrypted workbooks: an OLE2 compound file holding EncryptionInfo + EncryptedPackage ----

_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = _FREE) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _FREE, _FREE, child)  # left, right sibling; child
        + b"\0" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def encrypted_workbook(path: Path) -> Path:
    """What Excel writes for a password-protected xlsx: an OLE2 file, not a zip.

    The streams hold random-looking bytes (an attacker, or Excel, can put anything there);
    what marks the file is its container and the EncryptedPackage stream's name.
    """
    sector = 512
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>".ljust(4084, b"\0")  # 8 sectors
    package = struct.pack("<Q", 5000) + bytes(range(256)) * 20  # 5128 bytes: 11 sectors
    streams = [("EncryptionInfo", info), ("EncryptedPackage", package)]
    # sector 0: FAT; sector 1: directory; then the streams, each in a chain of sectors
    fat = [_FAT, _END]
    starts = []
    for _, data in streams:
        count = -(-len(data) // sector)
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(count - 1)] + [_END]
    directory = _dir_entry("Root Entry", 5, _END, 0, child=1)
    # a flat tree: root -> EncryptionInfo, whose right sibling is EncryptedPackage
    first = bytearray(_dir_entry(streams[0][0], 2, starts[0], len(streams[0][1])))
    first[72:76] = struct.pack("<I", 2)
    directory += bytes(first) + _dir_entry(streams[1][0], 2, starts[1], len(streams[1][1]))
    directory = directory.ljust(sector, b"\0")
    header = (
        _OLE_MAGIC
        + b"\0" * 16
        + struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9)
        + struct.pack("<H", 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<I", 0)  # DIFAT[0] = sector 0 holds the FAT
        + struct.pack("<I", _FREE) * 108
    )
    body = struct.pack(f"<{sector // 4}I", *(fat + [_FREE] * (sector // 4 - len(fat))))
    body += directory
    for _, data in streams:
        body += data.ljust(-(-len(data) // sector) * sector, b"\0")
    path.write_bytes(header + body)
    return path
