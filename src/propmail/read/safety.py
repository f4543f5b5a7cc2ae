"""Checks on an input file before any reader library opens it.

Monthly files come from outside vendors and from people editing spreadsheets by hand; some
are broken and a few may be built to hurt. `check_file` refuses, with a message naming the
file, anything that is not what its name says (a CSV renamed .xlsx, an HTML page saved as
.xls), a password-protected workbook, a truncated file, and an xlsx archive built to exhaust
memory: a zip bomb (parts that inflate hundreds of times over, or more than their headers
declare), a directory of tens of thousands of entries, overlapping entries, or XML parts that
declare a DTD (billion laughs, external entities; OOXML never uses one).

Every check streams: memory stays flat whatever the file claims. An xlsx is inflated once,
part by part, to prove each part's true size; that costs about a second per gigabyte of
sheet XML, a fraction of what reading the sheet costs.
"""

from __future__ import annotations

import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from propmail.errors import InputError

MAX_ENTRIES = 10_000  # an xlsx has about a dozen parts; a few hundred with many sheets or images
MAX_RATIO = 100  # sheet XML compresses about 5-15:1; a bomb hundreds or thousands to one
RATIO_FLOOR = 1 << 20  # parts smaller than this cannot hurt, whatever their ratio
MAX_INFLATED = 8 << 30  # all parts together: 2M rows x 34 columns is about 2.5 GiB of XML
MAX_METADATA = 64 << 20  # parts read whole: workbook, styles, relationships, content types
PROLOG_LIMIT = 64 << 10  # an XML part's root element must start within this many bytes
CHUNK = 1 << 20

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
PARQUET_MAGIC = b"PAR1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
METADATA_PARTS = re.compile(
    r"(?i)^(\[Content_Types\]\.xml|xl/workbook\.xml|xl/styles\.xml|.*\.rels)$"
)
XML_PARTS = re.compile(r"(?i)\.(xml|rels|vml)$")

# what a file that is something else should be renamed to
_RENAME = {"text": ".csv", "zip": ".xlsx", "ole": ".xls", "parquet": ".parquet"}


def check_file(path: Path) -> None:
    """Raise InputError unless `path` holds what its suffix says and is safe to hand a reader."""
    suffix = path.suffix.lower()
    with path.open("rb") as stream:
        head = stream.read(PROLOG_LIMIT)
        size = stream.seek(0, 2)
        kind = sniff(head, stream)
        if suffix in (".xlsx", ".xlsm"):
            if kind != "zip":
                _wrong_kind(path, kind)
            _check_archive(path, stream, size)
        elif suffix == ".xls":
            if kind != "ole":
                _wrong_kind(path, kind)
        elif suffix == ".csv" and kind not in ("text", "empty", "binary"):
            # a NUL byte or two is a damaged cell, not another kind of file: its row is
            # rejected, the rest of the file loads
            _wrong_kind(path, kind)
        elif suffix == ".parquet":
            _check_parquet(path, stream, head, size)


# --- what a file is --------------------------------------------------------------------

KINDS = {
    "empty": "empty",
    "zip": "an xlsx workbook (a zip archive)",
    "ole": "an Excel 97-2003 workbook (.xls)",
    "encrypted": "a password-protected (encrypted) workbook",
    "parquet": "a parquet file",
    "utf16": "UTF-16 text (Excel's 'Unicode Text' export)",
    "markup": "an HTML or XML document, not a workbook",
    "pdf": "a PDF document",
    "image": "an image",
    "binary": "binary data of an unknown kind",
    "text": "plain text (CSV?)",
}


def sniff(head: bytes, stream: BinaryIO | None = None) -> str:
    """What the first bytes of a file say it is: a key of KINDS.

    An OLE2 file is looked through (streamed, when `stream` is given) for the stream name
    that marks an encrypted Office document.
    """
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "encrypted" if stream is not None and _holds(stream, ENCRYPTED_STREAM) else "ole"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "image"
    if b"\0" in head:
        return "binary"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<!doctype", b"<html", b"<table", b"<!--")):
        return "markup"
    return "text"


def _holds(stream: BinaryIO, needle: bytes) -> bool:
    stream.seek(0)
    tail = b""
    while block := stream.read(CHUNK):
        if needle in tail + block:
            return True
        tail = block[-len(needle) :]
    return False


def _wrong_kind(path: Path, kind: str) -> None:
    suffix = path.suffix.lower()
    if kind == "empty":
        raise InputError("the file is empty", file=path.name)
    if kind == "encrypted":
        raise InputError(
            "the workbook is password-protected (encrypted); open it in Excel and save a copy "
            "without a password",
            file=path.name,
        )
    excel = suffix in (".xlsx", ".xlsm", ".xls")
    expected = "an Excel workbook" if excel else f"a {suffix[1:]} file"
    advice = (
        f"rename it to {_RENAME[kind]}"
        if kind in _RENAME
        else "open it in Excel and save it as .xlsx or as CSV UTF-8"
    )
    raise InputError(
        f"cannot read as {expected}: it is named {suffix} but holds {KINDS[kind]}; {advice}",
        file=path.name,
    )


# --- xlsx: the zip archive ---------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    name: str
    header: int  # offset of the local header
    start: int  # offset of the compressed data
    compressed: int
    declared: int  # uncompressed size, as the headers say
    method: int


def _check_archive(path: Path, stream: BinaryIO, size: int) -> None:
    name = path.name
    try:
        stream.seek(0)
        infos = zipfile.ZipFile(stream).infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error, NotImplementedError) as exc:
        raise InputError(
            f"cannot read as an Excel workbook: the file is truncated or damaged ({exc})",
            file=name,
        ) from None
    if len(infos) > MAX_ENTRIES:
        raise InputError(
            f"refused: the workbook holds {len(infos):,} parts, more than any spreadsheet "
            f"({MAX_ENTRIES:,} at most; a zip bomb?)",
            file=name,
        )
    parts = _layout(infos, stream, size, name)
    total = 0
    for part in parts:
        _check_declared(part, name)
        total += part.declared
        if total > MAX_INFLATED:
            raise InputError(
                f"refused: the workbook's parts declare more than {_size(MAX_INFLATED)} "
                "of content (a zip bomb?)",
                file=name,
            )
    for part in parts:
        _check_inflated(part, stream, name)


def _layout(infos: list[zipfile.ZipInfo], stream: BinaryIO, size: int, name: str) -> list[_Part]:
    """Each entry's compressed span, read from its local header; spans must not overlap."""
    parts = []
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError(
                "the workbook is password-protected (encrypted); open it in Excel and save a "
                "copy without a password",
                file=name,
            )
        stream.seek(info.header_offset)
        local = stream.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise InputError(
                f"cannot read as an Excel workbook: the file is truncated or damaged "
                f"(part {info.filename} is missing)",
                file=name,
            )
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        if start + info.compress_size > size:
            raise InputError(
                f"cannot read as an Excel workbook: the file is truncated "
                f"(part {info.filename} runs past its end)",
                file=name,
            )
        parts.append(
            _Part(
                info.filename,
                info.header_offset,
                start,
                info.compress_size,
                info.file_size,
                info.compress_type,
            )
        )
    spans = sorted((p.header, p.start + p.compressed, p.name) for p in parts)
    for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
        if begin < end:
            raise InputError(
                f"refused: parts {first} and {second} overlap inside the file (a zip bomb?)",
                file=name,
            )
    return parts


def _check_declared(part: _Part, name: str) -> None:
    if part.method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InputError(
            f"refused: part {part.name} uses compression method {part.method}, which Excel "
            "never writes",
            file=name,
        )
    ratio = part.declared / max(part.compressed, 1)
    if part.declared > RATIO_FLOOR and ratio > MAX_RATIO:
        raise InputError(
            f"refused: part {part.name} declares {_size(part.declared)} from "
            f"{_size(part.compressed)} compressed ({ratio:,.0f}:1; a spreadsheet compresses "
            f"at most {MAX_RATIO}:1): a zip bomb?",
            file=name,
        )
    if METADATA_PARTS.match(part.name) and part.declared > MAX_METADATA:
        raise InputError(
            f"refused: part {part.name} declares {_size(part.declared)}, more than a "
            f"workbook's {part.name} ever holds ({_size(MAX_METADATA)} at most)",
            file=name,
        )


def _check_inflated(part: _Part, stream: BinaryIO, name: str) -> None:
    """Inflate one part, never beyond its declared size; an XML part must declare no DTD."""
    inflated = 0
    prolog = b""
    for block in _inflate(part, stream, name):
        inflated += len(block)
        if inflated > part.declared:
            raise InputError(
                f"refused: part {part.name} inflates to more than the {_size(part.declared)} "
                "its header declares (a zip bomb?)",
                file=name,
            )
        if len(prolog) < PROLOG_LIMIT and XML_PARTS.search(part.name):
            prolog += block[: PROLOG_LIMIT - len(prolog)]
    if inflated != part.declared:
        raise InputError(
            f"cannot read as an Excel workbook: the file is damaged (part {part.name} holds "
            f"{inflated:,} bytes, its header says {part.declared:,})",
            file=name,
        )
    if XML_PARTS.search(part.name):
        _check_prolog(part.name, prolog, name)


def _inflate(part: _Part, stream: BinaryIO, name: str) -> Iterator[bytes]:
    stream.seek(part.start)
    left = part.compressed
    if part.method == zipfile.ZIP_STORED:
        while left > 0:
            block = stream.read(min(CHUNK, left))
            left -= len(block)
            yield block
        return
    inflater = zlib.decompressobj(-15)
    try:
        while left > 0:
            data = stream.read(min(CHUNK, left))
            left -= len(data)
            while data:
                # bounded output per call: a bomb never gets to allocate more than a chunk
                yield inflater.decompress(data, 4 * CHUNK)
                data = inflater.unconsumed_tail
        rest = inflater.flush()  # input is all consumed: at most a window's worth is pending
        if rest:
            yield rest
        if not inflater.eof:
            raise zlib.error("the compressed data ends early")
    except zlib.error as exc:
        raise InputError(
            f"cannot read as an Excel workbook: the file is damaged (part {part.name}: {exc})",
            file=name,
        ) from None


_ROOT = re.compile(r"<[A-Za-z_]")


def _check_prolog(part: str, head: bytes, name: str) -> None:
    """The text before an XML part's root element may hold no DTD (<!DOCTYPE ...>)."""
    text = _decode(head)
    root = _ROOT.search(text)
    prolog = text[: root.start()] if root else text
    if "<!DOCTYPE" in prolog.upper() or "<!ENTITY" in prolog.upper():
        raise InputError(
            f"refused: part {part} declares a DTD (<!DOCTYPE>), which spreadsheets never do; "
            "entity expansion (billion laughs) and external entities are not read",
            file=name,
        )
    if root is None and len(head) >= PROLOG_LIMIT:
        raise InputError(
            f"refused: part {part} has no XML element in its first {_size(PROLOG_LIMIT)}",
            file=name,
        )


def _decode(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head[:2] in (b"<\0", b"\0<"):
        return head.decode("utf-16-le" if head[0] else "utf-16-be", errors="replace")
    return head.decode("utf-8", errors="replace")


# --- parquet -----------------------------------------------------------------------------


def _check_parquet(path: Path, stream: BinaryIO, head: bytes, size: int) -> None:
    kind = sniff(head, stream)
    if kind != "parquet":
        _wrong_kind(path, kind)
    stream.seek(max(size - 8, 0))
    footer = stream.read(8)
    metadata = struct.unpack("<I", footer[:4])[0] if len(footer) == 8 else 0
    if size < 12 or footer[4:] != PARQUET_MAGIC or metadata > size - 12:
        raise InputError(
            "not a complete parquet file: it is truncated or damaged (no footer at its end)",
            file=path.name,
        )


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
