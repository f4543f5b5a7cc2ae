"""The command line starts without the heavy libraries: `propmail --version` and `--help`
import click and rich, and each command imports what it uses when it runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("polars", "pandas", "sqlalchemy", "pyarrow")


def _imported_after(code: str) -> list[str]:
    heavy = f"' '.join(m for m in {HEAVY!r} if m in sys.modules)"
    probe = f"{code}\nimport sys\nprint({heavy}, file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return done.stderr.split()


def test_importing_the_command_line_imports_no_heavy_library() -> None:
    assert _imported_after("import propmail.cli") == []


def test_version_and_help_import_no_heavy_library() -> None:
    for args in (["--version"], ["--help"], ["process", "--help"], ["bench", "--help"]):
        run = (
            f"from propmail.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"
        )
        assert _imported_after(run) == [], args


def test_a_command_still_finds_what_it_imports_on_demand() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "propmail", "rules", "show"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "update_window_months" in done.stdout
