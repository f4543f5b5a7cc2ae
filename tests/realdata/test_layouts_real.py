"""The real county extracts as downloaded: `inspect` detects their layout and `process --dry-run`
reads them with no hand-written mapping.

Needs the extracts of `../shared/realdata/` (or $PROPMAIL_REALDATA); skipped, saying so, without.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from propmail.cli import main
from tests.realdata.extracts import realdata_dir

REALDATA = realdata_dir()
pytestmark = pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason=f"the real extracts are not at {REALDATA} (set $PROPMAIL_REALDATA)",
)
EXTRACTS = ["philadelphia_opa_properties.csv", "jersey_city_nj_modiv_residential.csv"]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", EXTRACTS)
def test_inspect_detects_the_county_layout_of_a_real_extract(name: str) -> None:
    result = run("inspect", str(REALDATA / name))
    assert result.exit_code == 0, result.output
    assert "layout: county" in result.output
    assert "required columns missing: none" in result.output


@pytest.mark.parametrize("name", EXTRACTS)
def test_process_dry_run_reads_a_real_extract_with_no_mapping(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", url, "--region", "40=Test").exit_code == 0
    result = run("process", str(REALDATA / name), "--region", "40", "--db", url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.search(r"│ layout\s*│\s*county │", result.output)
