"""The backends' registry: a URL's scheme picks a folder, every folder has the same files, and
the seam a load needs stays narrow."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from propmail.db import BACKENDS, Backend, Database, connect, folder, parse_url
from propmail.db.ledger import Ledger
from propmail.errors import InputError

URLS = {
    "sqlite": "sqlite:///propmail.db",
    "postgresql": "postgresql://loader@db.example/mail",
    "mssql": "mssql+mssqlpython://loader:pw@sql.example:1433/Mail",
}
FILES = {"__init__.py", "backend.py", "dialect.py", "connect.py", "scratch.py"}


def test_every_scheme_opens_the_backend_of_its_folder_without_connecting(tmp_path: Path) -> None:
    assert set(URLS) == set(BACKENDS)
    for scheme, url in URLS.items():
        backend = connect(url.replace("propmail.db", str(tmp_path / "p.db")))
        try:
            package = f"propmail.db.{BACKENDS[scheme]}"
            assert type(backend).__module__ == f"{package}.backend"
            assert isinstance(backend, Database)
            assert backend.capabilities is folder(parse_url(url)).CAPABILITIES
            assert type(backend.ledger).__module__ in (f"{package}.ledger", Ledger.__module__)
        finally:
            backend.dispose()
    assert not (tmp_path / "p.db").exists()  # nothing was opened


def test_every_backend_folder_has_the_same_files() -> None:
    for scheme, name in BACKENDS.items():
        files = {p.name for p in resources.files(f"propmail.db.{name}").iterdir()}
        assert files >= FILES, f"propmail/db/{name}/ lacks {sorted(FILES - files)}"
        # ledger.py where the batch ledger needs something of the backend's own, or nothing
        own_ledger = folder(parse_url(f"{scheme}://")).CAPABILITIES.ledger is not Ledger
        assert own_ledger == ("ledger.py" in files)


def test_the_load_seam_is_the_ten_methods_a_load_its_repeat_a_dry_run_and_an_undo_need() -> None:
    assert Backend.__abstractmethods__ == {
        "has_schema",
        "require_region",
        "open_upload_log",
        "fail",
        "identical",
        "record_identical",
        "load",
        "preview",
        "undo",
        "dispose",
    }


def test_an_unknown_scheme_is_bad_input_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match="unsupported database 'oracle' \\(sqlite, postgresql"):
        connect("oracle://x/y")
