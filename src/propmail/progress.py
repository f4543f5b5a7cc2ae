"""Progress on a terminal: one bar per stage of the job (reading, rules, staging, merging).

A stage's bar runs while the stage works and fills when the next one starts, with the time it
took; a stage that failed keeps a cross. Off a terminal each stage is a plain log line
instead (`progress`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

Step = Callable[[str], None]
"""Called with the name of each stage of a job as it starts (progress display, timing)."""

log = logging.getLogger("propmail")


def no_step(_name: str) -> None:
    """The Step of a caller that wants no progress."""


def log_step(name: str) -> None:
    """The Step off a terminal: one log line per stage."""
    log.info("%s", name)


class StageProgress:
    """Call `step(name)` as each stage starts; use as a context manager around the job."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.current: TaskID | None = None
        self.names: list[str] = []

    def step(self, name: str) -> None:
        self._finish()
        self.names.append(name)
        self.current = self.progress.add_task(name, total=None)

    def _finish(self) -> None:
        if self.current is not None:
            self.progress.update(self.current, total=1, completed=1)
            self.progress.stop_task(self.current)
            self.current = None

    def __enter__(self) -> StageProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if kind is not None and self.current is not None:
            self.progress.update(self.current, description=f"[red]✗ {self.names[-1]}")
            self.progress.stop_task(self.current)
            self.current = None
        self._finish()
        self.progress.stop()


@contextmanager
def progress(console: Console) -> Iterator[Step]:
    """A bar per stage on a terminal `console`, a log line per stage elsewhere."""
    if console.is_terminal:
        with StageProgress(console) as stages:
            yield stages.step
    else:
        yield log_step
