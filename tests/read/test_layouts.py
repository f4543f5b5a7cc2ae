"""Provider files as they come: layouts recognized by their headers, and the same rows read the
same whichever layout they arrive in (processed frames and the tables after a load)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result
from polars.testing import assert_frame_equal

from propmail import pipeline
from propmail.cli import main
from propmail.contract import SOURCE_ROW, UPLOAD_COLUMNS
from propmail.db import Backend, schema
from propmail.job import prepare, run_job
from propmail.read import read_niche, read_upload, resolve_mapping
from propmail.read.layouts import detect
from propmail.settings import load_rules
from tests.db.helpers import dump
from tests.read import layout_files as lf

NOW = datetime(2026, 11, 30, 12, 0)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("layouts")
    data = lf.rows()
    return {
        "canonical": lf.write_canonical(folder / "canonical.csv", data),
        "list-provider": lf.write_list_provider(folder / "list_provider.xlsx", data),
        "county": lf.write_county(folder / "county.csv", data),
    }


def processed(path: Path, mapping: str | None = None) -> pipeline.Processed:
    return prepare(path, mapping=resolve_mapping(mapping) if mapping else None)[2]


def same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    """Equal, whatever spreadsheet row each came from."""
    assert_frame_equal(a.drop(SOURCE_ROW, strict=False), b.drop(SOURCE_ROW, strict=False))


@pytest.mark.parametrize(
    ("name", "layout"),
    [("canonical", "canonical"), ("list-provider", "list-provider"), ("county", "county")],
)
def test_each_file_is_read_through_the_layout_its_headers_fit(
    files: dict[str, Path], name: str, layout: str
) -> None:
    result = read_upload(files[name])
    assert result.layout == layout
    assert result.frame.height == 300


def test_the_workbook_s_second_sheet_title_and_totals_line_are_found_and_named(
    files: dict[str, Path],
) -> None:
    result = read_upload(files["list-provider"])
    assert result.sheet == "Export"
    assert result.header_row == 3
    assert any("title rows 1 left out" in n for n in result.notes)
    assert any("totals line left out: row 304" in n for n in result.notes)
    assert "Total records" not in " ".join(result.frame["LocationPrimaryId"].to_list())
    # the hidden column is read all the same
    assert result.frame["OwnerName2"].drop_nulls().len() > 0


def test_the_county_extract_s_encoding_and_separator_are_named(files: dict[str, Path]) -> None:
    result = read_upload(files["county"])
    assert result.notes == ["text decoded as Windows-1252", "separator ';'"]
    assert "O’BRIEN" in " ".join(result.frame["OwnerName"].to_list())


LAYOUTS = ("canonical", "list-provider", "county")
# Copied as the file has them, and not in every layout: a county roll writes its owners on two
# lines (OWNER_LINE1, OWNER_LINE2) and has no first and last name columns, so the upload's
# OwnerFirstName / OwnerLastName, and the owners' FirstName / LastName, are empty from it.
# Every other column, and every derived field, is the same in all three layouts.
NOT_IN_COUNTY = {
    "processed": ("OwnerFirstName", "OwnerLastName"),
    "owners": ("FirstName", "LastName"),
    "Owner": ("FirstName", "LastName"),
}


def _skipped(layout: str, part: str) -> tuple[str, ...]:
    return NOT_IN_COUNTY.get(part, ()) if layout == "county" else ()


def test_the_same_rows_give_the_same_processed_frames_in_all_three_layouts(
    files: dict[str, Path],
) -> None:
    got = {layout: processed(files[layout]) for layout in LAYOUTS}
    canonical = got["canonical"]
    derived = [c for c in canonical.processed.columns if c not in UPLOAD_COLUMNS]
    derived.remove(SOURCE_ROW)
    assert {"IsTrust", "IsOwnerOccupied", "AlternateName", "ListCode", "OwnerSlug"} <= set(derived)
    assert canonical.processed["OwnerName2"].drop_nulls().len() > 0  # second owners
    assert canonical.processed["LocationZip"].null_count() > 0  # absentee, no site ZIP
    for layout in LAYOUTS[1:]:
        result = got[layout]
        assert_frame_equal(result.processed.select(derived), canonical.processed.select(derived))
        for part in ("processed", "owners", "locations", "rejects"):
            skip = _skipped(layout, part)
            same(getattr(result, part).drop(skip), getattr(canonical, part).drop(skip))
    # what is left out of the comparison is what the county roll does not have
    names = NOT_IN_COUNTY["processed"]
    assert got["county"].processed.select(names).null_count().row(0) == (300, 300)
    assert all(n < 300 for n in canonical.processed.select(names).null_count().row(0))


def test_care_of_units_and_zip4_arrive_where_the_canonical_file_has_them(
    files: dict[str, Path],
) -> None:
    for name in ("list-provider", "county"):
        frame = read_upload(files[name]).frame
        assert frame.filter(pl.col("OwnerAddress2").str.starts_with("C/O")).height > 0
        assert frame.filter(pl.col("LocationAddress1").str.contains(" # 4B$")).height > 0
        assert frame["OwnerMailingZip4"].drop_nulls().len() > 0


TABLES = ("Owner", "Location", "ListPriority")


def _tables(backend: Backend, path: Path) -> dict[str, list]:
    schema.metadata.drop_all(backend.engine)
    backend.init({40: "Raleigh"}, load_rules())
    run_job(path, 40, backend=backend, now=NOW)
    return {t: dump(backend, t) for t in TABLES}


def _columns(table: str) -> list[str]:
    return [c.name for c in schema.metadata.tables[table].columns]


def _drop(rows: list, table: str, columns: tuple[str, ...]) -> list:
    keep = [i for i, name in enumerate(_columns(table)) if name not in columns]
    return [tuple(row[i] for i in keep) for row in rows]


def test_the_same_rows_give_the_same_tables_after_a_load_in_all_three_layouts(
    files: dict[str, Path], backend: Backend
) -> None:
    tables = {layout: _tables(backend, files[layout]) for layout in LAYOUTS}
    canonical = tables["canonical"]
    assert len(canonical["Location"]) == 300
    for layout in LAYOUTS[1:]:
        for table in TABLES:
            skip = _skipped(layout, table)
            assert _drop(tables[layout][table], table, skip) == _drop(
                canonical[table], table, skip
            ), (layout, table)
    # what is left out of the comparison is what the county roll does not have
    names = [_columns("Owner").index(c) for c in NOT_IN_COUNTY["Owner"]]
    assert all(row[i] is None for row in tables["county"]["Owner"] for i in names)
    assert any(row[names[0]] for row in canonical["Owner"])


@pytest.mark.parametrize("name", ["list-provider", "county", "canonical"])
def test_a_written_mapping_reads_the_file_as_detection_does(
    files: dict[str, Path], tmp_path: Path, name: str
) -> None:
    written = tmp_path / "mapping.toml"
    result = run("inspect", str(files[name]), "--write-mapping", str(written))
    assert result.exit_code == 0, result.output
    by_file, detected = processed(files[name], str(written)), processed(files[name])
    same(by_file.processed, detected.processed)
    same(by_file.rejects, detected.rejects)


def test_inspect_names_the_layout_each_header_s_column_and_parsed_values(
    files: dict[str, Path],
) -> None:
    result = run("inspect", str(files["county"]))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "layout: county  (fits: county (12 headers))" in lines
    assert "  'OWNER_LINE2' -> OwnerName2" in lines
    assert "  'SITE_ZIP' -> LocationZip" in lines
    assert any(line.startswith("  OwnerMailingZip4: ") for line in lines)
    assert "required columns missing: none" in lines


def test_inspect_reports_missing_required_columns_and_numeric_zips(tmp_path: Path) -> None:
    path = tmp_path / "up.csv"
    path.write_text("APN,Address,Zip,Owner 1 Last Name,Mailing Zip\nP1,1 MAIN ST,2134,LEE,123456\n")
    result = run("inspect", str(path))
    assert result.exit_code == 0, result.output
    assert "required columns missing: OwnerAddress1" in result.output
    assert "LocationZip: 1 values look like numbers that lost their leading zeros" in result.output
    assert "row 2, OwnerZip: '123456' does not parse" in result.output


AMBIGUOUS = [
    "APN",
    "Address",
    "Zip",
    "Owner 1 First Name",
    "Owner 1 Last Name",
    "Mailing Address",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "PIN_NUM",
    "OWNER_LINE1",
    "OWNER_LINE2",
    "SITE_ADDRESS",
    "SITE_CITY",
    "SITE_ZIP",
    "MAIL_ADDR",
    "MAIL_CITY",
    "MAIL_ZIP",
]


def test_an_ambiguous_file_exits_2_and_names_the_candidate_layouts(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    path.write_text(",".join(AMBIGUOUS) + "\n" + ",".join(["x"] * len(AMBIGUOUS)) + "\n")
    db = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", db, "--region", "40=Test").exit_code == 0
    for command in (["inspect", str(path)], ["process", str(path), "--region", "40", "--db", db]):
        result = run(*command)
        assert result.exit_code == 2
        assert (
            "fit several layouts equally well: list-provider (9 headers), county (9 headers)"
            in (" ".join(result.output.split()))
        )
        assert "--mapping list-provider" in result.output


def test_mapping_by_name_settles_an_ambiguous_file(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    path.write_text(",".join(AMBIGUOUS) + "\n" + ",".join(["x"] * len(AMBIGUOUS)) + "\n")
    result = run("inspect", str(path), "--mapping", "county")
    assert result.exit_code == 0, result.output
    assert "layout: county" in result.output


def test_a_missing_required_column_exits_2_naming_it_and_the_headers_seen(tmp_path: Path) -> None:
    path = tmp_path / "up.csv"
    path.write_text(
        "APN,Address,Zip,Owner 1 First Name,Owner 1 Last Name,Mailing Address,Mailing City\n"
        "P1,1 MAIN ST,27609,ANN,LEE,1 MAIN ST,RALEIGH\n"
    )
    db = f"sqlite:///{tmp_path}/db"
    assert run("db", "init", "--db", db, "--region", "40=Test").exit_code == 0
    result = run("process", str(path), "--region", "40", "--db", db)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "missing required column OwnerZip" in text
    assert "'Mailing City'" in text


def test_no_layout_fits_a_file_with_no_header_any_layout_knows() -> None:
    layout, candidates = detect(["colour", "size"], niche=False)
    assert (layout.name, candidates) == ("canonical", [])


def test_a_niche_list_with_county_headers_is_read_through_the_county_layout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Liens.csv"
    path.write_text("PARCEL_ID,SITUS,ZIP_CODE,LIEN_AMT\n0001,1 MAIN ST,27609,100\n")
    result = read_niche(path)
    assert result.layout == "county"
    assert result.frame.select("LocationPrimaryId", "LocationAddress1", "LocationZip").rows() == [
        ("0001", "1 MAIN ST", "27609")
    ]
