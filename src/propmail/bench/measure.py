"""Stage timing and peak memory of the running process.

The peak resident set size of each stage is Linux's high-water mark (VmHWM), reset when the
stage starts (``/proc/self/clear_refs``); elsewhere only the process's overall peak is known.
"""

from __future__ import annotations

import re
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_mb() -> float:
    """The process's peak resident set size since the last reset, in MB."""
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", _STATUS.read_text())
    except OSError:
        found = None
    if found:
        return int(found.group(1)) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def reset_peak_rss() -> bool:
    """Start a new high-water mark (Linux 4.0+); False where the system cannot."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mb: float


# step names of `propmail.job` / `propmail.db.plan` -> the benchmark's stage names
STAGE_NAMES = (
    ("reading upload", "read upload"),
    ("reading niche list", "read niche lists"),
    ("applying rules", "rules"),
    ("niche lists", "niche"),
    ("owner key", "slug"),
    ("owners and locations", "owners, locations, rejects"),
    ("connecting", "connect, UploadLog"),
    ("upload received", "connect, UploadLog"),
    ("staging", "staging"),
    ("list codes", "list codes"),
    ("merging owners", "merge owners"),
    ("merging locations", "merge locations"),
    ("final updates", "final updates, commit"),
    ("commit", "final updates, commit"),
)


def stage_name(step: str) -> str:
    return next((name for prefix, name in STAGE_NAMES if step.startswith(prefix)), step)


@dataclass
class StageClock:
    """A `step` callback that times the stages between its calls; consecutive equal names merge."""

    stages: list[Stage] = field(default_factory=list)
    _name: str | None = None
    _start: float = 0.0

    def step(self, name: str) -> None:
        name = stage_name(name)
        if name == self._name:
            return
        self._close()
        self._name, self._start = name, time.perf_counter()
        reset_peak_rss()

    def stop(self) -> list[Stage]:
        self._close()
        self._name = None
        return self.stages

    def _close(self) -> None:
        if self._name is None:
            return
        seconds = time.perf_counter() - self._start
        peak = peak_rss_mb()
        for stage in self.stages:
            if stage.name == self._name:  # a name seen before, after others: add up
                stage.seconds += seconds
                stage.peak_rss_mb = max(stage.peak_rss_mb, peak)
                return
        self.stages.append(Stage(self._name, seconds, peak))

    @property
    def total(self) -> float:
        return sum(s.seconds for s in self.stages)
