"""No password in any file or output: every command that takes --db or --pg-url, run as the
operator runs it with a sentinel password in the URL (PostgreSQL's trust authentication lets
the sentinel through), then every file it wrote, its output and the rows it wrote are searched
for the sentinel in every spelling a URL gives it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.db.processes import ROOT, child_env

pytestmark = pytest.mark.postgres

SENTINEL = "Sentinel-7xQ9/pw!"  # a slash and a bang: quoted differently in a URL
SPELLINGS = {SENTINEL, quote(SENTINEL, safe=""), quote_plus(SENTINEL), "7xQ9"}
UPLOAD = str(ROOT / "examples" / "upload.csv")
LIENS = "Liens=" + str(ROOT / "examples" / "Liens.csv")
PARCEL = "000000000001"


def _with_sentinel(url: str, port: int | None = None) -> str:
    made = make_url(url).set(password=SENTINEL)
    return (made.set(port=port) if port else made).render_as_string(hide_password=False)


def _run(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "propmail", *args],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**child_env(), "TMPDIR": str(folder / "tmp"), "HOME": str(folder)},
        timeout=600,
    )
    return done.stdout + done.stderr


def _leaks(folder: Path, outputs: dict[str, str]) -> list[str]:
    found = [f"output of {c}" for c, o in outputs.items() if any(s in o for s in SPELLINGS)]
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [str(path) for s in SPELLINGS if s.encode() in data]
    return found


def _stored_text(url: str) -> str:
    """Every text column of every propmail table, as one string."""
    engine = create_engine(url)
    found = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            found += [str(v) for row in rows for v in row if isinstance(v, str)]
    engine.dispose()
    return "\n".join(found)


def _manifest(folder: Path) -> str:
    path = folder / "batch.toml"
    path.write_text(f'[[job]]\nregion = 41\nupload = "{UPLOAD}"\n', encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_no_command_writes_or_prints_the_password(pg_url: str, tmp_path: Path) -> None:
    from tests.conftest import _postgres

    _postgres(pg_url).dispose()
    (tmp_path / "tmp").mkdir()
    url, closed = _with_sentinel(pg_url), _with_sentinel(pg_url, port=1)
    commands: list[tuple[str, ...]] = [
        ("db", "init", "--db", url, "--region", "40=Roanoke", "--region", "41=Salem"),
        ("db", "test", "--db", url),
        ("process", UPLOAD, "--region", "40", "--niche", LIENS, "--db", url, "--report", "rep"),
        ("process", UPLOAD, "--region", "40", "--db", url, "--dry-run"),
        ("process", UPLOAD, "--region", "99", "--db", url),
        ("parity", UPLOAD, "--region", "40", "--db", url, "--report", "parity"),
        ("explain", UPLOAD, "--parcel", PARCEL, "--db", url, "--json"),
        ("changes", "--region", "40", "--db", url, "--report", "changes"),
        ("verify-slugs", "--db", url),
        ("journal", "list", "--db", url),
        ("undo", "1", "--db", url, "--dry-run"),
        ("undo", "9999", "--db", url),
        ("journal", "prune", "--db", url),
        ("batch", _manifest(tmp_path), "--db", url),
        ("db", "test", "--db", closed),
        ("process", UPLOAD, "--region", "40", "--db", closed),
        ("undo", "1", "--db", closed),
        ("bench", "--rows", "100", "--backend", "postgresql", "--pg-url", closed),
    ]
    outputs = {f"{i}: {c[0]} {c[1]}": _run(tmp_path, *c) for i, c in enumerate(commands)}
    said = list(outputs.values())
    assert "region 99 does not exist" in said[4] and "report:" in said[2]
    assert all("127.0.0.1:1" in o for o in said[-4:])  # the unreachable ones said where
    assert _leaks(tmp_path, outputs) == []
    stored = _stored_text(pg_url)
    assert "Roanoke" in stored and not any(s in stored for s in SPELLINGS)


@pytest.mark.slow
def test_bench_json_and_its_output_hold_no_password(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    args = ["bench", "--rows", "100", "--guide-rows", "100", "--backend", "postgresql"]
    out = _run(tmp_path, *args, "--pg-url", _with_sentinel(pg_url), "--json", "bench.json")
    config = (tmp_path / "bench.json").read_text(encoding="utf-8")
    assert '"pg_url": "postgresql+psycopg://' in config and ":***@" in config
    assert _leaks(tmp_path, {"bench": out}) == []
