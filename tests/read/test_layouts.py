"""Provider files as they come: layouts recognized by their headers, and the same rows read the
same whichever layout they arrive in (processed frames and the tables after a load)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result
from polars.testing import assert_frame_equal

from propmail import pipeline
from propmail.cli import main
from propmail.contract import SOURCE_ROW, UPLOAD_COLUMNS
from propmail.db import Backend, schema
from propmail.inputs import Inputs
from propmail.job import load_options, prepare, run_job
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
    return prepare(Inputs(path, mapping=resolve_mapping(mapping) if mapping else None))[2]


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
    assert result.notes[:2] == ["text decoded as Windows-1252", "separator ';'"]
    # 12 % of its rows have no site ZIP: the mailing ZIP where the streets are one
    assert result.notes[2].startswith("site ZIP, where the file gives none: the mailing ZIP")
    assert "O’BRIEN" in " ".join(result.frame["OwnerName"].to_list())


LAYOUTS = ("canonical", "list-provider", "county")
# Copied as the file has them, and not in every layout: a county roll writes its owners on two
# lines (OWNER_LINE1, OWNER_LINE2) and has no first and last name columns, so the upload's
# OwnerFirstName / OwnerLastName, and the owners' FirstName / LastName, are empty from it.
# Every other column, and every derived field, is the same in all three layouts, but for what
# the envelope name's reading rests on: where the first and last name columns were its evidence
# (LEE OMAR with OwnerLastName LEE is decisive), the county roll's is the words and the column's
# order (a guess when the words do not decide); the envelope name itself is the same.
NOT_IN_COUNTY = {
    "processed": ("OwnerFirstName", "OwnerLastName"),
    "owners": ("FirstName", "LastName"),
    "Owner": ("FirstName", "LastName"),
}
NAME_EVIDENCE = ("NameConfidence", "NameEvidence")


def _skipped(layout: str, part: str) -> tuple[str, ...]:
    if layout != "county":
        return ()
    return NOT_IN_COUNTY.get(part, ()) + (NAME_EVIDENCE if part == "processed" else ())


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
        compared = [c for c in derived if c not in _skipped(layout, "processed")]
        assert_frame_equal(result.processed.select(compared), canonical.processed.select(compared))
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
    backend.init({40: "Raleigh"}, load_options(load_rules()))
    run_job(Inputs.gather(path), 40, backend=backend, now=NOW)
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


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with region 40, for dry runs (which write nothing to it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'propmail.db'}"
    assert run("db", "init", "--db", url, "--region", "40=Raleigh").exit_code == 0
    return url


def dry_run(path: Path, db: str, report: Path, *options: str) -> tuple[str, dict[str, Any]]:
    """`process --dry-run --report`: the terminal output, white space runs as one space, and
    report.json."""
    args = ("process", str(path), "--region", "40", "--db", db, "--dry-run", "--report")
    result = run(*args, str(report), *options)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), json.loads((report / "report.json").read_text())


def test_the_summary_and_the_report_name_the_layout_and_what_the_reader_did(
    files: dict[str, Path], db: str, tmp_path: Path
) -> None:
    output, report = dry_run(files["county"], db, tmp_path)
    assert report["upload"]["layout"] == "county"
    notes = report["upload"]["read_notes"]
    assert notes[:2] == ["text decoded as Windows-1252", "separator ';'"]
    assert notes[2].startswith("site ZIP, where the file gives none")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Layout: county; text decoded as Windows-1252; separator &#39;;&#39;; site ZIP" in page
    assert "│ upload │ county.csv │ │ layout │ county │" in output
    assert "│ read │ text decoded as Windows-1252 │ │ read │ separator ';' │" in output


def _steady(report: dict[str, Any]) -> dict[str, Any]:
    """report.json without what differs between two runs of the same rows: the time, and the
    layout's name or mapping file."""
    upload = {k: v for k, v in report["upload"].items() if k != "layout"}
    summary = {k: v for k, v in report["summary"].items() if k != "seconds"}
    rest = {k: v for k, v in report.items() if k != "generated_at"}
    return {**rest, "upload": upload, "summary": summary}


@pytest.mark.parametrize("name", ["list-provider", "county", "canonical"])
def test_process_with_a_written_mapping_equals_process_with_detection(
    files: dict[str, Path], db: str, tmp_path: Path, name: str
) -> None:
    written = tmp_path / "mapping.toml"
    result = run("inspect", str(files[name]), "--write-mapping", str(written))
    assert result.exit_code == 0, result.output
    by_file = dry_run(files[name], db, tmp_path / "by_file", "--mapping", str(written))
    detected = dry_run(files[name], db, tmp_path / "detected")
    assert by_file[1]["upload"]["layout"] == str(written)
    assert detected[1]["upload"]["layout"] == name
    assert _steady(by_file[1]) == _steady(detected[1])
    assert by_file[1]["dry_run"]["locations"]["insert"] == 300
    rejects = [(tmp_path / d / "rejects.csv").read_bytes() for d in ("by_file", "detected")]
    assert rejects[0] == rejects[1]


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


def test_inspect_shows_the_sheet_header_row_unused_headers_the_zip4_and_bad_dates(
    tmp_path: Path,
) -> None:
    """A list-provider workbook (notes first, the export under a title on the second sheet)
    with a column no layout knows, a date that is no date, and ZIP+4 in the Mailing Zip cell."""
    data = lf.rows(40)
    data[0] = replace(data[0], sale_date="13/45/2020")
    path = lf.write_list_provider(tmp_path / "export.xlsx", data, {"Skip Trace Notes": "called"})
    result = run("inspect", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "sheet: Export" in lines
    assert "header row: 3" in lines
    assert "  'Skip Trace Notes' -> unused" in lines
    assert "  row 4, LocationSellDate: '13/45/2020' does not parse (read as empty)" in lines
    assert "  'Mailing Zip' -> OwnerZip, OwnerMailingZip4" in lines
    zip4 = [r.mail_zip4 for r in data if r.mail_zip4][:5]
    assert f"  OwnerMailingZip4: {' | '.join(zip4)}" in lines


def test_a_list_provider_s_two_owners_make_one_envelope_name(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "APN,Address,City,State,Zip,Owner 1 First Name,Owner 1 Last Name,Owner 2 First Name,"
        "Owner 2 Last Name,Mailing Address,Mailing City,Mailing State,Mailing Zip\n"
        "P1,1 MAIN ST,RALEIGH,NC,27609,JOHN,SMITH,MARY,SMITH,1 MAIN ST,RALEIGH,NC,27609\n"
        "P2,2 MAIN ST,RALEIGH,NC,27609,JOHN,SMITH,MARY,JONES,9 OAK AVE,CARY,NC,27511\n"
    )
    assert read_upload(path).layout == "list-provider"
    names = processed(path).processed.select("OwnerName", "OwnerName2", "AlternateName").rows()
    assert names == [
        ("SMITH JOHN", "SMITH MARY", "John & Mary Smith"),
        ("SMITH JOHN", "JONES MARY", "John Smith & Mary Jones"),
    ]


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


def test_two_mailing_streets_holding_different_values_stop_process_naming_both(
    tmp_path: Path,
) -> None:
    """The headers of two layouts at once: 'Mailing Address' and 'MAIL_ADDR' read alike, and
    hold different streets, so `process` stops naming both; inspect shows why and exits 0."""
    values = {h: f"V{i}" for i, h in enumerate(AMBIGUOUS)}
    values |= {"Mailing Address": "1 MAIN ST", "MAIL_ADDR": "9 OAK AVE"}
    path = tmp_path / "both.csv"
    path.write_text(",".join(AMBIGUOUS) + "\n" + ",".join(values.values()) + "\n")
    db = f"sqlite:///{tmp_path / 'propmail.db'}"
    assert run("db", "init", "--db", db, "--region", "40=Test").exit_code == 0
    stop = "columns 'Mailing Address' and 'MAIL_ADDR' both read as OwnerAddress1"
    result = run("process", str(path), "--region", "40", "--db", db)
    assert result.exit_code == 2
    assert stop in " ".join(result.output.split())
    shown = run("inspect", str(path))
    assert shown.exit_code == 0
    assert stop in " ".join(shown.output.split())


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


# A county extract with no SITE_ZIP and no SITE_STATE column, as many assessor extracts are.
# Some owner-occupants' mailing street is spelled out (MAIN STREET for MAIN ST): the same place
# to the occupancy rule (USPS Publication 28) and to `from_mailing`, which reads the streets the
# same way, so those rows get the mailing ZIP as their site ZIP too; the absentee rows have none
# and their occupancy is compared by city and state (`[occupancy] without_site_zip`).
NO_SITE_ZIP = [c for c in lf.COUNTY if c not in ("SITE_ZIP", "SITE_STATE")]
ZIP_DEPENDENT = ("BasePriorityCode", "EnhancedCode", "ListCode")


def _spelled_out(row: lf.Row) -> lf.Row:
    return replace(row, mail_street=row.mail_street.removesuffix(" ST") + " STREET")


@pytest.fixture(scope="module")
def without_site_zip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The extract, the mapping inspect writes for it with the county's state added as a
    constant, and canonical files of the same rows: with every site ZIP, and with the site
    ZIPs the extract gives (from the mailing address)."""
    folder = tmp_path_factory.mktemp("without_site_zip")
    data = [
        _spelled_out(r) if r.occupied and r.site_street.endswith(" ST") and i % 2 else r
        for i, r in enumerate(lf.rows())
    ]
    extract = lf.write_county(folder / "county.csv", data, NO_SITE_ZIP)
    mapping = folder / "mapping.toml"
    assert run("inspect", str(extract), "--write-mapping", str(mapping)).exit_code == 0
    with mapping.open("a", encoding="utf-8") as f:
        f.write('\n[constants]\nLocationState = "NC"\n')
    return {
        "rows": data,
        "extract": extract,
        "mapping": mapping,
        "canonical": lf.write_canonical(folder / "canonical.csv", data),
        "as_given": lf.write_canonical(
            folder / "as_given.csv", [replace(r, site_zip="") for r in data]
        ),
    }


def test_the_site_zip_and_state_come_from_the_mailing_address_and_the_constant(
    without_site_zip: dict[str, Any],
) -> None:
    data, extract = without_site_zip["rows"], without_site_zip["extract"]
    assert sum(r.mail_street.endswith(" STREET") for r in data) > 0
    detected = read_upload(extract)
    assert detected.layout == "county"
    frame = detected.frame
    assert sum(r.same_place and not r.occupied for r in data) > 0  # spelled out
    # from_mailing: on the rows whose site street is the mailing street, and there only
    assert frame["LocationZip"].to_list() == [r.mail_zip if r.same_place else None for r in data]
    # the state on every row: the one the owners living at their site mail from
    assert frame["LocationState"].to_list() == ["NC"] * len(data)
    # the constant fills the state where the mailing address does not
    constant = read_upload(extract, resolve_mapping(str(without_site_zip["mapping"]))).frame
    assert constant["LocationState"].to_list() == ["NC"] * len(data)
    assert constant["LocationZip"].to_list() == frame["LocationZip"].to_list()


def test_without_a_site_zip_occupancy_is_compared_by_city_and_state_and_the_summary_says_so(
    without_site_zip: dict[str, Any], db: str, tmp_path: Path
) -> None:
    data, mapping = without_site_zip["rows"], str(without_site_zip["mapping"])
    no_zip = sum(not r.same_place for r in data)
    occupants = sum(r.same_place for r in data)
    rules = tmp_path / "absentee.toml"
    rules.write_text('[occupancy]\nwithout_site_zip = "absentee"\n')
    # every owner-occupant has the site ZIP now, whichever way the rows without one are read
    for setting, compared_by, occupied in (
        ((), "city and state", occupants),
        (("--rules", str(rules)), "nothing", occupants),
    ):
        folder = tmp_path / compared_by.replace(" ", "_")
        output, report = dry_run(
            without_site_zip["extract"], db, folder, "--mapping", mapping, *setting
        )
        assert f"│ site ZIP empty │ {no_zip} │ │ owner occupancy compared by │ {compared_by} │" in (
            output
        )
        assert report["site_quality"]["empty_zips"] == no_zip
        assert report["site_quality"]["zip_fallback"] == compared_by
        flags = {f["flag"]: f["rows"] for f in report["flags"]}
        assert flags["IsOwnerOccupied"] == occupied


def test_an_extract_without_site_zip_gives_the_canonical_derived_fields_where_it_can(
    without_site_zip: dict[str, Any],
) -> None:
    """The derived fields of the extract (read through the written mapping) against two
    canonical files of the same rows.

    The canonical file that holds what the extract holds (the site ZIP where the owner lives
    there, the county's state) gives identical processed frames and tables' rows. The canonical
    file with every site ZIP gives the same too: an absentee row without a site ZIP tells
    `zip_differs` from `same_zip` by the cities, and each city of these rows has one ZIP.
    """
    extract = processed(without_site_zip["extract"], str(without_site_zip["mapping"]))
    as_given = processed(without_site_zip["as_given"])
    derived = [c for c in as_given.processed.columns if c not in UPLOAD_COLUMNS]
    derived.remove(SOURCE_ROW)
    compared = [c for c in derived if c not in _skipped("county", "processed")]
    assert_frame_equal(extract.processed.select(compared), as_given.processed.select(compared))
    for part in ("processed", "owners", "locations", "rejects"):
        skip = _skipped("county", part)
        same(getattr(extract, part).drop(skip), getattr(as_given, part).drop(skip))

    canonical = processed(without_site_zip["canonical"]).processed
    has_zip = extract.processed["LocationZip"].is_not_null()
    assert has_zip.sum() < canonical["LocationZip"].is_not_null().sum()
    got = extract.processed
    assert_frame_equal(
        got.filter(has_zip).select(compared), canonical.filter(has_zip).select(compared)
    )
    steady = [c for c in compared if c not in ZIP_DEPENDENT]
    assert_frame_equal(got.select(steady), canonical.select(steady))
    # where the site ZIP is missing the cities tell ABS2 from ABS3, and each of these cities
    # has one ZIP: the codes agree with the file that has every site ZIP
    assert_frame_equal(got.select(ZIP_DEPENDENT), canonical.select(ZIP_DEPENDENT))
