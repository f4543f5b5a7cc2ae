"""A file's header is read and checked before its body; text is decoded per row.

The hostile files run through `propmail process` in a process of their own (the launcher of
`test_hostile_files`): its peak memory, and how many bytes it read, show the body was never
read. The files are sparse or written in blocks, so they cost the disk little.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from propmail.cli import main
from propmail.errors import InputError
from propmail.read import files, read_upload
from tests.read.samples import BASE, write_csv
from tests.read.test_hostile_files import MEMORY_LIMIT_MB, process

BODY = 512 << 20  # bytes of body a hostile file carries: reading it would show


def _sparse(path: Path, prefix: bytes, size: int = BODY) -> Path:
    """A file of `prefix`, then NUL bytes to `size`, that takes no room on the disk."""
    with path.open("wb") as f:
        f.write(prefix)
        f.truncate(size)
    return path


def _one_line(path: Path, size: int = BODY) -> Path:
    """A csv file of one enormous line of text (no line break at all)."""
    block = b"x," * (1 << 19)
    with path.open("wb") as f:
        f.write(b"LocationPrimaryId,")
        for _ in range(size // len(block)):
            f.write(block)
    return path


HOSTILE = {
    "sparse file of NULs named .csv": (lambda p: _sparse(p, b""), "no line ends in the first"),
    "one enormous line": (_one_line, "no line ends in the first"),
    "header lacking required columns, then a huge body": (
        lambda p: _sparse(p, b"Name,Street,Zip\n"),
        "missing required columns",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("attack", list(HOSTILE))
def test_a_csv_that_cannot_be_an_upload_is_refused_before_its_body_is_read(
    tmp_path: Path, attack: str
) -> None:
    build, message = HOSTILE[attack]
    upload = build(tmp_path / "upload.csv")
    db = tmp_path / "propmail.db"
    init = ["db", "init", "--db", f"sqlite:///{db}", "--region", "40=Roanoke"]
    assert CliRunner().invoke(main, init).exit_code == 0
    run = process(upload, db)
    assert run.exit_code == 2, run.stderr
    assert message in run.stderr and "file upload.csv" in run.stderr, run.stderr
    assert run.peak_mb < MEMORY_LIMIT_MB, f"{attack}: peak {run.peak_mb:.0f} MB"
    assert run.read_mb < 64, f"{attack}: read {run.read_mb:.0f} MB of a {BODY >> 20} MB file"


def test_the_header_is_checked_before_the_body_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def body_read(*_: object) -> None:
        raise AssertionError("the body was read")

    monkeypatch.setattr(files, "_read_csv", body_read)
    monkeypatch.setattr(pl, "read_parquet", body_read)
    path = write_csv(tmp_path / "up.csv", ["Name", "Street"], [["A", "B"]] * 10)
    with pytest.raises(InputError, match="missing required columns"):
        read_upload(path)
    parquet = tmp_path / "up.parquet"
    pl.DataFrame({"Name": ["A"], "Street": ["B"]}).write_parquet(parquet)
    with pytest.raises(InputError, match="missing required columns"):
        read_upload(parquet)


def test_a_header_row_below_title_rows_is_found_in_the_head(tmp_path: Path) -> None:
    path = tmp_path / "up.csv"
    path.write_text(
        "County export,,,,,\n,,,,,\n" + ",".join(BASE) + "\n" + (",".join(BASE.values()) + "\n") * 5
    )
    result = read_upload(path)
    assert result.header_row == 3 and result.frame.height == 5


# --- text decoded per row --------------------------------------------------------------


def _mixed(tmp_path: Path) -> Path:
    """308 rows of UTF-8 names with accents; rows 5 and 200 saved as Windows-1252."""
    header = ",".join(BASE).encode() + b"\n"
    lines = [header]
    for i in range(2, 310):
        row = {**BASE, "LocationPrimaryId": f"P{i}", "OwnerName": f"JOSÉ GARCÍA {i}"}
        text = ",".join(row.values()) + "\n"
        lines.append(text.encode("cp1252" if i in (5, 200) else "utf-8"))
    path = tmp_path / "up.csv"
    path.write_bytes(b"".join(lines))
    return path


def test_a_utf8_file_with_some_windows_1252_rows_keeps_its_utf8_rows(tmp_path: Path) -> None:
    result = read_upload(_mixed(tmp_path))
    names = result.frame["OwnerName"].to_list()
    assert names == [f"JOSÉ GARCÍA {i}" for i in range(2, 310)]
    assert result.notes == ["2 rows not in UTF-8, decoded as Windows-1252: rows 5, 200"]


def test_the_rows_decoded_are_named_in_the_summary_and_the_report(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init", "--db", db, "--region", "40=Roanoke"]).exit_code == 0
    report = tmp_path / "report"
    args = ["process", str(_mixed(tmp_path)), "--region", "40", "--db", db]
    done = runner.invoke(main, [*args, "--report", str(report)])
    assert done.exit_code == 0, done.output
    note = "2 rows not in UTF-8, decoded as Windows-1252: rows 5, 200"
    assert note in " ".join(re.sub("[│┌┐└┘─┬┴┼├┤]", " ", done.output).split())  # cells wrap
    assert note in (report / "report.html").read_text(encoding="utf-8")


def test_rows_are_named_by_line_when_a_quoted_field_spans_lines(tmp_path: Path) -> None:
    data = (
        ",".join(BASE).encode()
        + b'\nP1,"JOHN\nSMITH",1 MAIN ST,24016,1 MAIN ST,24016\n'
        + "P2,JOSÉ,1 MAIN ST,24016,1 MAIN ST,24016\n".encode("cp1252")
        + "P3,RENÉE,1 MAIN ST,24016,1 MAIN ST,24016\n".encode()
    )
    (tmp_path / "up.csv").write_bytes(data)
    result = read_upload(tmp_path / "up.csv")
    assert result.frame["OwnerName"].to_list() == ["JOHN\nSMITH", "JOSÉ", "RENÉE"]
    assert result.notes == ["1 line not in UTF-8, decoded as Windows-1252: line 4"]


def test_a_file_all_in_windows_1252_reads_as_before(tmp_path: Path) -> None:
    rows = [[f"P{i}", "JOSÉ O’BRIEN", "1 MAIN ST", "24016", "1 MAIN ST", "24016"] for i in range(9)]
    path = write_csv(tmp_path / "up.csv", list(BASE), rows, "cp1252")
    result = read_upload(path)
    assert result.frame["OwnerName"].unique().to_list() == ["JOSÉ O’BRIEN"]
    assert result.notes == ["text decoded as Windows-1252"]


def test_bad_lines_across_blocks_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from propmail.read import encoding

    monkeypatch.setattr(encoding, "BLOCK", 64)
    lines = [f"ÅSA ÖBERG {i}\n" for i in range(200)]
    data = b"".join(t.encode("cp1252" if i % 7 == 3 else "utf-8") for i, t in enumerate(lines))
    decoded = encoding.to_utf8(data)
    assert decoded.data.decode("utf-8") == "".join(lines)
    assert decoded.lines == [i + 1 for i in range(200) if i % 7 == 3]
    assert not decoded.whole


def test_the_head_of_a_small_file_is_the_whole_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "up.csv", list(BASE), [list(BASE.values())])
    first = files.head(path)
    assert first is not None and first.headers == list(BASE) and first.frame.height == 1


def _long_line_upload(path: Path) -> Path:
    """A good header and 100 good rows, then a row of 3 MiB (line 102), then good rows again."""
    rows = [[f"P{i}", *list(BASE.values())[1:]] for i in range(100)]
    long_row = ["P100", "X" * (3 << 20), *list(BASE.values())[2:]]
    return write_csv(path, list(BASE), [*rows, long_row, *rows[:10]])


def test_a_body_line_longer_than_the_bound_is_refused_before_the_file_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "LINE_BYTES", 64 << 10)
    monkeypatch.setattr(files, "CHUNK_BYTES", 1 << 20)  # the line spans several chunks
    db = tmp_path / "propmail.db"
    url = f"sqlite:///{db}"
    assert CliRunner().invoke(main, ["db", "init", "--db", url, "--region", "40=R"]).exit_code == 0
    upload = _long_line_upload(tmp_path / "up.csv")
    monkeypatch.setattr(files, "_csv_grid", _head_only(files._csv_grid))
    run = CliRunner().invoke(main, ["process", str(upload), "--region", "40", "--db", url])
    assert run.exit_code == 2, run.output
    assert "file up.csv: line 102 is longer than 65,536 bytes" in run.output
    with sqlite3.connect(db) as conn:  # nothing written: a refused upload leaves no trace
        assert conn.execute('SELECT COUNT(*) FROM "Location"').fetchone() == (0,)
        assert conn.execute('SELECT COUNT(*) FROM "UploadLog"').fetchone() == (0,)


def _head_only(grid: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    """`_csv_grid` for the head's bytes only; the body's path may not reach it."""

    def head(source: Path | bytes, *args: object) -> pl.DataFrame:
        if isinstance(source, Path):
            raise AssertionError("the body was parsed")
        return grid(source, *args)

    return head


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        ([b"a" * 10] * 3 + [b"b" * 11, b"c"], 4),  # the first line over the bound
        ([b"a" * 10] * 5, None),  # every line at the bound
        ([b"a" * 11], 1),
    ],
)
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_line_lengths_are_measured_across_chunks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[bytes],
    found: int | None,
    end: bytes,
) -> None:
    monkeypatch.setattr(files, "LINE_BYTES", 10)
    monkeypatch.setattr(files, "CHUNK_BYTES", 7)  # lines and line ends cut by the chunks
    path = tmp_path / "u.csv"
    path.write_bytes(end.join(lines) + end)
    if found is None:
        files.check_lines(path)
        return
    with pytest.raises(InputError, match=rf"file u\.csv: line {found} is longer than 10 bytes"):
        files.check_lines(path)
