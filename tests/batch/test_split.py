"""`propmail split`: each output file holds exactly its region's rows, and a manifest for batch.

Memory is measured apart (docs/scale.md), not asserted by a timed test here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from propmail.batch import split as split_module
from propmail.batch.manifest import load_manifest
from propmail.batch.split import split
from propmail.cli import main
from propmail.errors import InputError

FIPS = {"51770": 40, "51161": 41, "37119": 7}


def _national(rows: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    values = [*FIPS, "99999"]
    return pl.DataFrame(
        {
            "PropertyId": [f"P{i:08d}" for i in range(rows)],
            "CountyFips": rng.choice(values, rows).tolist(),
            "State": rng.choice(["VA", "NC"], rows).tolist(),
            "Owner": [f"OWNER {rng.integers(0, 10**9)}" for _ in range(rows)],
        }
    )


def _checksum(frame: pl.DataFrame) -> str:
    rows = sorted(frame.select(pl.concat_str(pl.all(), separator="\t")).to_series().to_list())
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _regions_csv(path: Path) -> Path:
    path.write_text(
        "CountyFips,RegionId\n" + "".join(f"{k},{v}\n" for k, v in FIPS.items()), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_each_output_holds_exactly_its_regions_rows(
    tmp_path: Path, ext: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # many chunks, appended per region; quoted values with commas and newlines across blocks
    monkeypatch.setattr(split_module, "CHUNK_ROWS", 700)
    monkeypatch.setattr(split_module, "BLOCK_BYTES", 4096)
    national = _national(5_000).with_columns(
        pl.when(pl.col("PropertyId").str.ends_with("7"))
        .then(pl.col("Owner") + ', "TRUSTEE"\nC/O BANK')
        .otherwise(pl.col("Owner"))
        .alias("Owner")
    )
    source = tmp_path / f"national.{ext}"
    national.write_csv(source) if ext == "csv" else national.write_parquet(source)
    result = split(source, ["CountyFips"], _regions_csv(tmp_path / "r.csv"), tmp_path / "out")

    read = pl.read_csv if ext == "csv" else pl.read_parquet
    for fips, region in FIPS.items():
        expected = national.filter(pl.col("CountyFips") == fips)
        written = (
            read(tmp_path / "out" / f"region-{region}.{ext}", infer_schema=False)
            if (ext == "csv")
            else read(tmp_path / "out" / f"region-{region}.{ext}")
        )
        assert written.height == expected.height == result.counts[region]
        assert _checksum(written.select(national.columns)) == _checksum(expected)
    unmatched = national.filter(pl.col("CountyFips") == "99999")
    assert result.counts[None] == unmatched.height
    jobs = load_manifest(result.manifest).jobs
    assert sorted(j.region for j in jobs) == sorted(FIPS.values())


def test_zip3_prefix_and_a_toml_table_of_two_columns(tmp_path: Path) -> None:
    national = _national(2_000)
    national.write_csv(tmp_path / "n.csv")
    (tmp_path / "r.toml").write_text('[regions]\n"VA|517" = 1\n"NC|371" = 2\n', encoding="utf-8")
    # prefix applies to the joined key "VA|51770" -> "VA|517" with 6 characters
    result = split(
        tmp_path / "n.csv", ["State", "CountyFips"], tmp_path / "r.toml", tmp_path / "o", 6
    )
    va = national.filter((pl.col("State") == "VA") & pl.col("CountyFips").str.starts_with("517"))
    nc = national.filter((pl.col("State") == "NC") & pl.col("CountyFips").str.starts_with("371"))
    assert result.counts[1] == va.height and result.counts[2] == nc.height
    assert result.counts[None] == national.height - va.height - nc.height


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    _national(10).write_csv(tmp_path / "n.csv")
    with pytest.raises(InputError, match="no column Zip3"):
        split(tmp_path / "n.csv", ["Zip3"], _regions_csv(tmp_path / "r.csv"), tmp_path / "o")
    run = CliRunner().invoke(
        main,
        [
            "split",
            str(tmp_path / "n.csv"),
            "--by",
            "Zip3",
            "--regions",
            str(tmp_path / "r.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert run.exit_code == 2 and "--by" in run.output
