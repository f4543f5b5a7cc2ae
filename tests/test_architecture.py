"""The package's layers, checked by import-linter against the contracts in pyproject.toml.

Each module imports only from the layers below it (cli > api, bench > report, summary > job,
verify > inputs > db, read > pipeline > settings > rules, overrides > ... > contract, errors),
imports made only for type checking included; the rules and the pipeline never reach a file
reader or a database, no rule imports the settings, and no package has an import cycle.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# In a process of its own: import-linter configures logging, which would leave this one's muted.
LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)


def test_import_contracts_are_kept() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", LINT, str(ROOT / "pyproject.toml")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
