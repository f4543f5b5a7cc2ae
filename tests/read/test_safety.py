"""The checks that run before any reader library opens a file (propmail.safety)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import polars as pl
import pytest

from propmail.errors import InputError
from propmail.read import read_upload
from propmail.read.safety import MAX_RATIO, check_file, sniff
from tests.read.hostile import files

EXAMPLES = Path(__file__).parents[2] / "examples"


def refused(path: Path, match: str) -> InputError:
    with pytest.raises(InputError, match=match) as info:
        check_file(path)
    assert info.value.file == path.name
    return info.value


@pytest.mark.parametrize("name", ["upload.xlsx", "Probate.xlsx", "upload.csv", "Liens.csv"])
def test_real_files_pass(name: str) -> None:
    check_file(EXAMPLES / name)


def test_a_parquet_file_passes(tmp_path: Path) -> None:
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "up.parquet")
    check_file(tmp_path / "up.parquet")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"", "empty"),
        (b"PK\x03\x04rest", "zip"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 8, "ole"),
        (b"PAR1....", "parquet"),
        (b"\xff\xfeL\0o\0", "utf16"),
        (b"%PDF-1.7", "pdf"),
        (b"\x89PNG\r\n", "image"),
        (b"\xef\xbb\xbf <html><body>", "markup"),
        (b'<?xml version="1.0"?><Workbook>', "markup"),
        (b"a,b\x00c", "binary"),
        (b"LocationPrimaryId,OwnerName\n", "text"),
    ],
)
def test_sniff(head: bytes, kind: str) -> None:
    assert sniff(head) == kind


# --- wrong extensions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("up.xlsx", b"LocationPrimaryId,OwnerName\n1,2\n", r"named \.xlsx but holds plain text"),
        ("up.xlsx", b"%PDF-1.4 ...", "holds a PDF document"),
        ("up.xls", b"<html><table><tr><td>1</td></tr></table></html>", "HTML or XML document"),
        ("up.csv", b"\xff\xfeL\0o\0c\0", "UTF-16 text"),
        ("up.csv", b"PAR1 whatever PAR1", r"holds a parquet file; rename it to \.parquet"),
        ("up.parquet", b"a,b\n1,2\n", r"cannot read as a parquet file: .* plain text"),
    ],
)
def test_content_that_is_not_what_the_name_says(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    refused(path, message)


@pytest.mark.parametrize(("name", "renamed"), [("up.csv", ".xlsx"), ("up.xls", ".xlsx")])
def test_a_workbook_under_another_name(tmp_path: Path, name: str, renamed: str) -> None:
    path = tmp_path / name
    path.write_bytes(files.workbook(tmp_path / "real.xlsx").read_bytes())
    refused(path, f"holds an xlsx workbook .*; rename it to \\{renamed}")


def test_an_old_xls_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "up.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 1000)
    refused(path, r"holds an Excel 97-2003 workbook \(\.xls\); rename it to \.xls")


# --- encrypted and damaged -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["up.xlsx", "up.xls"])
def test_a_password_protected_workbook(tmp_path: Path, name: str) -> None:
    path = files.encrypted_workbook(tmp_path / name)
    refused(path, "password-protected")


def test_a_zip_entry_flagged_as_encrypted(tmp_path: Path) -> None:
    path = files.workbook(tmp_path / "up.xlsx")
    data = bytearray(path.read_bytes())
    directory = data.find(b"PK\x01\x02")
    data[directory + 8] |= 1  # general purpose flag bit 0: encrypted
    path.write_bytes(bytes(data))
    refused(path, "password-protected")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_workbook(tmp_path: Path, keep: float) -> None:
    path = files.workbook(tmp_path / "up.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    refused(path, "cannot read as an Excel workbook: the file is truncated or damaged")


def test_a_workbook_whose_part_is_cut_short_inside(tmp_path: Path) -> None:
    parts = files.parts_of(files.workbook(tmp_path / "real.xlsx"))
    entries = [files.deflated(n, c) for n, c in parts.items()]
    sheet = next(e for e in entries if e.name == files.SHEET)
    sheet.data = sheet.data[: len(sheet.data) // 2]  # the directory still agrees with it
    refused(files.write_zip(tmp_path / "up.xlsx", entries), "damaged .*sheet1.xml")


def test_a_truncated_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "up.parquet"
    pl.DataFrame({"a": list(range(1000))}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])
    refused(path, "truncated or damaged")


# --- bombs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("part", [files.SHEET, files.STRINGS])
def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path: Path, part: str) -> None:
    error = refused(files.zip_bomb(tmp_path / "up.xlsx", part=part), "zip bomb")
    assert f"part {part} declares 3.0 GiB" in str(error)


@pytest.mark.parametrize("part", [files.SHEET, files.STRINGS])
def test_a_zip_bomb_that_lies_about_its_size_is_refused_when_inflated(
    tmp_path: Path, part: str
) -> None:
    path = files.zip_bomb(tmp_path / "up.xlsx", part=part, lie=True)
    with zipfile.ZipFile(path) as book:  # the headers look harmless
        assert book.getinfo(part).file_size < 10_000
    refused(path, f"part {part} inflates to more than the .* its header declares")


def test_a_small_part_may_compress_well(tmp_path: Path) -> None:
    parts = files.parts_of(files.workbook(tmp_path / "real.xlsx"))
    parts["docProps/custom.xml"] = b"<a>" + b" " * 500_000 + b"</a>"  # 1000:1, but 0.5 MB
    path = files.write_zip(tmp_path / "up.xlsx", [files.deflated(n, c) for n, c in parts.items()])
    check_file(path)


def test_the_ratio_limit(tmp_path: Path) -> None:
    parts = files.parts_of(files.workbook(tmp_path / "real.xlsx"))
    parts["xl/media/blank.bin"] = b"\0" * (4 << 20)  # 4 MiB of zeros: about 1000:1
    path = files.write_zip(tmp_path / "up.xlsx", [files.deflated(n, c) for n, c in parts.items()])
    refused(path, f"at most {MAX_RATIO}:1")


def test_tens_of_thousands_of_entries(tmp_path: Path) -> None:
    refused(files.many_entries(tmp_path / "up.xlsx"), "60,010 parts")


def test_overlapping_entries(tmp_path: Path) -> None:
    refused(files.overlapping(tmp_path / "up.xlsx"), "overlap inside the file")


def test_a_compression_method_excel_never_writes(tmp_path: Path) -> None:
    parts = files.parts_of(files.workbook(tmp_path / "real.xlsx"))
    entries = [files.deflated(n, c) for n, c in parts.items()]
    entries[0].method = 12  # bzip2
    refused(files.write_zip(tmp_path / "up.xlsx", entries), "compression method 12")


def test_stored_parts_are_read_too(tmp_path: Path) -> None:
    parts = files.parts_of(files.workbook(tmp_path / "real.xlsx"))
    entries = [files.Entry(n, c, 0, len(c), method=0) for n, c in parts.items()]
    check_file(files.write_zip(tmp_path / "up.xlsx", entries))
    entries[-1].size += 10  # a stored part shorter than its headers say
    refused(files.write_zip(tmp_path / "up.xlsx", entries), "damaged")


# --- XML ---------------------------------------------------------------------------------


@pytest.mark.parametrize("part", [files.STRINGS, "xl/styles.xml", "xl/workbook.xml", files.SHEET])
def test_billion_laughs_in_any_part(tmp_path: Path, part: str) -> None:
    refused(files.billion_laughs(tmp_path / "up.xlsx", part=part), f"part {part} declares a DTD")


def test_an_external_entity(tmp_path: Path) -> None:
    refused(files.external_entity(tmp_path / "up.xlsx"), "declares a DTD")


def _with_strings(tmp_path: Path, content: bytes) -> Path:
    parts = files.parts_of(files.workbook(tmp_path / "real.xlsx"))
    parts[files.STRINGS] = content
    return files.write_zip(tmp_path / "up.xlsx", [files.deflated(n, c) for n, c in parts.items()])


def test_a_dtd_behind_a_long_comment(tmp_path: Path) -> None:
    content = b"<?xml version='1.0'?><!--" + b"x" * 100_000 + b"--><!DOCTYPE a [ ]><sst/>"
    refused(_with_strings(tmp_path, content), "no XML element in its first")


def test_a_dtd_in_utf16(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE sst [<!ENTITY a "b">]><sst/>'
    refused(_with_strings(tmp_path, text.encode("utf-16")), "declares a DTD")


def test_doctype_in_text_after_the_root_is_just_text(tmp_path: Path) -> None:
    content = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main"><si><t>&lt;!DOCTYPE is fine here</t></si></sst>'
    )
    check_file(_with_strings(tmp_path, content))


# --- the reader calls the checks first -----------------------------------------------------


def test_read_upload_refuses_before_reading(tmp_path: Path) -> None:
    path = files.zip_bomb(tmp_path / "up.xlsx", part=files.STRINGS, lie=True)
    with pytest.raises(InputError, match="zip bomb"):
        read_upload(path)


def test_a_file_is_checked_once_per_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propmail.read import files as reader
    from propmail.read import safety

    calls: list[Path] = []
    real = safety.check_file
    monkeypatch.setattr(safety, "check_file", lambda p: (calls.append(p), real(p))[1])
    path = tmp_path / "up.csv"
    path.write_text("a,b\n1,2\n")
    reader.check(path)
    reader.load(path)  # the job checks first, the reader again: one inflation
    assert len(calls) == 1
    os.utime(path, ns=(0, 0))  # a changed file is checked again
    reader.load(path)
    assert len(calls) == 2
