"""The command line starts without the heavy libraries: `propmail --version` imports neither
click nor rich, `--help` click alone, and each command imports what it uses when it runs."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from propmail import __version__

HEAVY = ("polars", "pandas", "sqlalchemy", "pyarrow")


def _imported_after(code: str, heavy_modules: tuple[str, ...] = HEAVY) -> list[str]:
    heavy = f"' '.join(m for m in {heavy_modules!r} if m in sys.modules)"
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


# the installed `propmail --version`: the script's call of `propmail.__main__.main`
FAST_VERSION = (
    "import sys\nsys.argv = ['propmail', '--version']\nimport propmail.__main__ as m\nm.main()"
)


def test_version_is_answered_before_click_and_rich_are_imported() -> None:
    assert _imported_after(FAST_VERSION, (*HEAVY, "click", "rich")) == []


def test_version_says_what_click_says() -> None:
    def version(code: str) -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        return done.stdout

    fast = version(FAST_VERSION)
    through_click = version("from propmail.cli import main\nmain(['--version'])")
    assert fast == through_click == f"propmail, version {__version__}\n"


def test_help_imports_no_rich() -> None:
    run = "from propmail.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _imported_after(run, ("rich",)) == []


def test_the_installed_command_starts_at_the_fast_path() -> None:
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["propmail"] == "propmail.__main__:main"


def test_the_lazy_console_holds_a_live_display_as_rich_does() -> None:
    """rich's live displays enter their console (`with console:`), which __getattr__ cannot
    give; batch's progress line refreshes through it."""
    from rich.console import Console
    from rich.progress import Progress

    from propmail import cli

    with cli.err as console:
        assert isinstance(console, Console)
    with Progress(console=cli.err) as shown:
        task = shown.add_task("x", total=1)
        shown.advance(task)
        shown.refresh()
