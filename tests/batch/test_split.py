"""`propmail split`: each output file holds exactly its region's rows, and a manifest for batch.

Memory is measured apart (docs/scale.md), not asserted by a timed test here.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
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
ROOT = Path(__file__).resolve().parents[2]


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


def _many_regions(tmp_path: Path, ext: str, regions: int) -> tuple[pl.DataFrame, Path, Path]:
    """A file of `regions` counties, their rows in random order, and its regions table."""
    rng = np.random.default_rng(5)
    fips = rng.permutation(np.tile(np.arange(regions + 10), 8))  # ten counties of no region
    rows = len(fips)
    national = pl.DataFrame(
        {
            "PropertyId": [f"P{i:08d}" for i in range(rows)],
            "CountyFips": [f"{v:05d}" for v in fips],
            "Owner": [f'OWNER {v}, "TRUSTEE"' for v in rng.integers(0, 10**9, rows)],
        }
    )
    source = tmp_path / f"national.{ext}"
    national.write_csv(source) if ext == "csv" else national.write_parquet(source)
    table = pl.DataFrame({"CountyFips": [f"{i:05d}" for i in range(regions)]})
    table.with_columns(RegionId=pl.int_range(1, regions + 1)).write_csv(tmp_path / "r.csv")
    return national, source, tmp_path / "r.csv"


def _split_with_few_files(source: Path, regions: Path, out: Path, reserved: int = 32) -> str:
    """The split in a process whose soft limit of open files is 256; returns its output."""
    chunk = ["2000", "16384", str(reserved)]  # a few rows a block: every block opens each region
    args = [str(source), "--by", "CountyFips", "--regions", str(regions), "--out", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "tests.batch.split_runner", "256", *chunk, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode in (0, 2), run.stderr
    return f"{run.returncode} {run.stdout} {run.stderr}"


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_more_regions_than_the_limit_of_open_files(tmp_path: Path, ext: str) -> None:
    national, source, regions = _many_regions(tmp_path, ext, 1_500)
    output = _split_with_few_files(source, regions, tmp_path / "out")
    assert output.startswith("0 1500 regions"), output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == 1_500 + 2  # a file per region, unmatched, the manifest; no parts
    fips = pl.col("CountyFips").cast(pl.Int64)
    file = pl.when(fips < 1_500).then(pl.format("region-{}." + ext, fips + 1))
    expected = national.with_columns(file.otherwise(pl.lit(f"unmatched.{ext}")).alias("file"))
    for (name,), rows in expected.partition_by("file", as_dict=True).items():
        path = tmp_path / "out" / name
        frame = pl.read_csv(path, infer_schema=False) if ext == "csv" else pl.read_parquet(path)
        assert frame.height == rows.height, name
        assert _checksum(frame) == _checksum(rows.drop("file")), name


def test_a_limit_of_open_files_that_cannot_be_kept_is_bad_input(tmp_path: Path) -> None:
    _, source, regions = _many_regions(tmp_path, "csv", 600)
    # nothing reserved: the cap (512) is above what the limit (256) leaves
    output = _split_with_few_files(source, regions, tmp_path / "out", reserved=-10_000)
    assert output.startswith("2 ") and "too many open files" in output, output
    assert "ulimit -n" in output and "unexpected" not in output


def test_a_month_given_to_split_leads_every_job_key_of_its_manifest(tmp_path: Path) -> None:
    source = tmp_path / "national.csv"
    _national(300).write_csv(source)
    regions = _regions_csv(tmp_path / "regions.csv")
    args = ["split", str(source), "--by", "CountyFips", "--regions", str(regions)]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out"), "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    keys = sorted(job.key for job in load_manifest(tmp_path / "out" / "manifest.toml").jobs)
    assert keys == sorted(f"2026-11:{r}:region-{r}.csv" for r in FIPS.values()), keys

    bad = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "bad"), "--month", "11/2026"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output, bad.output
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize(
    ("table", "said"),
    [
        (
            "CountyFips,RegionId\n51770,40\n51161,41\n51770,7\n",
            "file {path}, column RegionId: the value '51770' is given two regions: "
            "40 on row 2 and 7 on row 4",
        ),
        (
            "CountyFips,RegionId\n51770,40\n51161,-41\n",
            "file {path}, row 3, column RegionId: -41 is not a RegionId",
        ),
        ("[regions]\n51770 = 40\n51161 = -41\n", "regions.51161 = -41: a RegionId is from 0"),
    ],
    ids=["one value, two regions", "negative", "negative in TOML"],
)
def test_a_regions_table_that_cannot_say_where_a_row_goes_is_refused(
    tmp_path: Path, table: str, said: str
) -> None:
    source = tmp_path / "national.csv"
    _national(200).write_csv(source)
    regions = tmp_path / ("regions.toml" if table.startswith("[") else "regions.csv")
    regions.write_text(table, encoding="utf-8")
    out = tmp_path / "out"
    args = ["split", str(source), "--by", "CountyFips", "--regions", str(regions)]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert said.format(path=regions) in " ".join(result.stderr.split())
    assert not out.exists() or not any(out.iterdir())  # nothing written


def test_a_value_given_the_same_region_twice_is_one_row(tmp_path: Path) -> None:
    regions = tmp_path / "regions.csv"
    regions.write_text("CountyFips,RegionId\n51770,40\n51770,40\n51161,41\n", encoding="utf-8")
    assert split_module.load_regions(regions, ["CountyFips"]).height == 2
