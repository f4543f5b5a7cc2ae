"""Helpers for tests that run loaders as separate processes against PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import propmail

SRC = Path(propmail.__file__).resolve().parents[1]
ROOT = Path(__file__).resolve().parents[2]
PATIENCE = 180.0  # seconds before a wait that never ends is reported as a failure


def child_env() -> dict[str, str]:
    """The environment of a loader process: this checkout's propmail and tests importable."""
    env = dict(os.environ)
    paths = [str(SRC), str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["COLUMNS"] = "200"  # the summary table on one line per row
    return env


def cli(*args: str) -> subprocess.Popen[str]:
    """`python -m propmail ARGS` in a new process, output captured as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "propmail", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )


def wait_until(
    condition: Callable[[], bool], what: str, children: Sequence[subprocess.Popen[str]] = ()
) -> None:
    """Poll `condition`; fail if a child exits first or nothing happens for PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        for child in children:
            if child.poll() is not None:
                out, err = child.communicate()
                raise AssertionError(
                    f"loader {child.args!r} exited with {child.returncode} before {what}:\n"
                    f"{out[-2000:]}\n{err[-4000:]}"
                )
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {PATIENCE:.0f} s")
        time.sleep(0.02)


def pausing_loader(
    url: str, prepared: Path, region: int, now: datetime, stop: int | str
) -> subprocess.Popen[str]:
    """tests/db/crash_loader.py: the job for a prepared upload, pausing at point `stop`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.db.crash_loader",
            *(url, str(prepared), str(region), now.isoformat(), str(stop)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )


def paused(child: subprocess.Popen[str]) -> str:
    """Wait for a pausing loader to reach its stop point; returns the point's description."""
    assert child.stdout is not None and child.stderr is not None
    line = child.stdout.readline()
    if not line.startswith("PAUSED"):
        child.kill()
        raise AssertionError(f"loader ended before its stop point: {line}{child.stderr.read()}")
    return line.rstrip("\n").split("\t", 2)[2]


def kill(child: subprocess.Popen[str]) -> None:
    """kill -9, and make sure that is how the process ended."""
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
