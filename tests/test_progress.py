"""Progress on a terminal: a bar per stage, finished ones ticked, a failed one crossed."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from propmail.progress import StageProgress, progress


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=100, color_system=None), buffer


def test_each_stage_gets_a_bar_and_is_ticked_when_the_next_starts() -> None:
    console, buffer = terminal()
    with StageProgress(console) as stages:
        for name in ("reading upload", "applying rules", "staging", "merging owners"):
            stages.step(name)
    tasks = stages.progress.tasks
    assert [t.description for t in tasks] == [
        "reading upload",
        "applying rules",
        "staging",
        "merging owners",
    ]
    assert all(t.finished for t in tasks)
    assert "merging owners" in buffer.getvalue()
    lines = shown(stages)
    assert len(lines) == 4 and all(line.startswith("✓") for line in lines)


def shown(stages: StageProgress) -> list[str]:
    """The rows the bars display now, as text."""
    console, buffer = terminal()
    console.print(stages.progress.make_tasks_table(stages.progress.tasks))
    return [line.strip() for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_failing_stage_is_crossed_not_ticked() -> None:
    console, _ = terminal()
    with pytest.raises(RuntimeError), StageProgress(console) as stages:
        stages.step("reading upload")
        stages.step("merging locations")
        raise RuntimeError("boom")
    first, failed = stages.progress.tasks
    assert first.finished
    assert not failed.finished
    assert failed.description.endswith("✗ merging locations")
    first_line, failed_line = shown(stages)
    assert first_line.startswith("✓ reading upload")
    assert "✗ merging locations" in failed_line and "✓" not in failed_line


def test_off_a_terminal_each_stage_is_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    buffer = io.StringIO()
    with caplog.at_level(logging.INFO, logger="propmail"), progress(Console(file=buffer)) as step:
        step("reading upload")
        step("merging owners")
    assert [r.getMessage() for r in caplog.records] == ["reading upload", "merging owners"]
    assert buffer.getvalue() == ""


def test_on_a_terminal_the_stages_get_bars() -> None:
    console, buffer = terminal()
    with progress(console) as step:
        step("reading upload")
    assert "reading upload" in buffer.getvalue()
