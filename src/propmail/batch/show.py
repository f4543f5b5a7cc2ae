"""What a batch shows: a progress line while it runs, one table row per job at the end."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from propmail.batch.run import Outcome

_STYLE = {"done": "green", "skipped": "dim"}  # every other state is a job not done: red


class BatchProgress:
    """Jobs done / running / failed and rows per second; called with each finished job."""

    def __init__(self, console: Console, total: int) -> None:
        self.progress = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("", total=total)
        self.started = time.perf_counter()
        self.rows = 0
        self.failed = 0

    def __call__(self, outcome: Outcome | None, running: int) -> None:
        if outcome is not None:
            self.rows += outcome.rows
            self.failed += outcome.exit_status != 0
            self.progress.advance(self.task)
        rate = self.rows / max(time.perf_counter() - self.started, 1e-9)
        text = f"running {running}  failed {self.failed}  {rate:,.0f} rows/s"
        self.progress.update(self.task, description=text)

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()


def outcome_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="batch")
    names = ("job", "region", "state", "rows", "seconds", "database s", "UploadLogId", "error")
    for name in names:
        table.add_column(name, justify="right" if name in names[3:6] else "left")
    for o in outcomes:
        style = _STYLE.get(o.state, "red")
        table.add_row(
            escape(o.job.key),
            str(o.job.region),
            f"[{style}]{o.state}[/]",
            f"{o.rows:,}" if o.rows else "",
            f"{o.seconds:.1f}" if o.seconds else "",
            f"{o.load_seconds:.1f}" if o.load_seconds else "",
            str(o.upload_log_id or ""),
            escape(o.error or ""),
        )
    return table
