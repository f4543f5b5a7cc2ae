"""The package's layers, checked by import-linter against the contracts in pyproject.toml.

Each module imports only from the layers below it (cli > api, bench > report, summary > job,
verify > db, read > pipeline > settings > rules > ... > contract, errors), the rules and the
pipeline never reach a file reader or a database, and no package has an import cycle.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_import_contracts_are_kept() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0
