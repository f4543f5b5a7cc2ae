"""Hostile files through the command line: exit 2, a clear message, and little memory.

Each file is processed by `python -m propmail process` in a process of its own, so the peak
memory (ru_maxrss, read with os.wait4) is the reader's, not the test runner's. The interpreter
with polars, pandas and fastexcel loaded accounts for about 165 MB of it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import propmail
from tests.read.hostile import files

MEMORY_LIMIT_MB = 300
SRC = str(Path(propmail.__file__).parents[1])


# Linux carries a process's peak memory across exec: a child forked from a big test runner
# would report the runner's size. This small launcher forks the real command and reports the
# peak of that grandchild alone, and how much it read (its counters, read before it is reaped).
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # ended, not reaped: its counters stay
with open(f"/proc/{pid}/io") as io:
    rchar = dict(line.split(": ") for line in io.read().splitlines())["rchar"]
_, status, usage = os.wait4(pid, 0)
print(f"rchar={rchar} maxrss={usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


@dataclass
class Run:
    exit_code: int
    stderr: str
    peak_mb: float
    read_mb: float = 0.0  # bytes the command read from files and pipes (/proc/PID/io rchar)


def process(upload: Path, db: Path) -> Run:
    """`propmail process` in a process of its own; its exit code, stderr and peak memory."""
    env = {**os.environ, "PYTHONPATH": SRC}
    command = [
        "-m",
        "propmail",
        "process",
        str(upload),
        "--region",
        "40",
        "--db",
        f"sqlite:///{db}",
    ]
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, env=env
    )
    peak_kb = int(done.stdout.rsplit("maxrss=", 1)[1])
    read = int(done.stdout.rsplit("rchar=", 1)[1].split()[0])
    return Run(done.returncode, done.stderr, peak_kb / 1024, read / (1 << 20))


def _renamed(suffix: str, build: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        real = build(path.with_name("real.xlsx"))
        target = path.with_suffix(suffix)
        target.write_bytes(real.read_bytes())
        return target

    return make


def _truncated(path: Path) -> Path:
    files.workbook(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zip bomb (worksheet, 3 GiB)": (files.zip_bomb, "declares 3.0 GiB"),
    "zip bomb (shared strings, 3 GiB)": (
        lambda p: files.zip_bomb(p, part=files.STRINGS),
        "declares 3.0 GiB",
    ),
    "zip bomb lying about its size (worksheet)": (
        lambda p: files.zip_bomb(p, lie=True),
        "inflates to more than",
    ),
    "zip bomb lying about its size (shared strings)": (
        lambda p: files.zip_bomb(p, part=files.STRINGS, lie=True),
        "inflates to more than",
    ),
    "60,000 entries": (files.many_entries, "60,010 parts"),
    "overlapping entries": (files.overlapping, "overlap inside the file"),
    "billion laughs": (files.billion_laughs, "declares a DTD"),
    "external entity": (files.external_entity, "declares a DTD"),
    "encrypted workbook": (files.encrypted_workbook, "password-protected"),
    "xlsx named .csv": (_renamed(".csv", files.workbook), r"named .csv but holds an xlsx"),
    "truncated xlsx": (_truncated, "truncated or damaged"),
}


@pytest.mark.slow
@pytest.mark.parametrize("attack", list(HOSTILE))
def test_a_hostile_file_is_refused_with_exit_2_in_little_memory(
    tmp_path: Path, attack: str
) -> None:
    build, message = HOSTILE[attack]
    upload = build(tmp_path / "upload.xlsx")
    db = tmp_path / "propmail.db"
    run = process(upload, db)
    assert run.exit_code == 2, run.stderr
    assert f"file {upload.name}" in run.stderr
    assert re.search(message, run.stderr), run.stderr
    assert "Traceback" not in run.stderr
    assert run.peak_mb < MEMORY_LIMIT_MB, f"{attack}: peak {run.peak_mb:.0f} MB"
    assert not db.exists()  # refused before any database was touched
