"""`propmail drop` and `propmail suppress` end to end on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import fastexcel
import jsonschema
import polars as pl

from propmail.report.drop import schema as proof_schema
from tests.drop.conftest import Region, row

MONDAY = date(2026, 12, 7)


def weeks(n: int) -> list[str]:
    return [(MONDAY + timedelta(days=7 * i)).isoformat() for i in range(n)]


def test_weekly_drops_touch_every_location_once_over_dividedby_weeks(region: Region) -> None:
    parcels = [f"P{i:03d}" for i in range(40)]
    region.load([row(p) for p in parcels])
    region.cadence(26, 4)
    mailed: list[list[str]] = []
    for on in weeks(4):
        proof = region.plan(on)
        jsonschema.validate(proof, proof_schema())
        region.run("drop", "commit", str(proof["drop_id"]))
        mailed.append(region.parcels(proof["drop_id"]))
    assert Counter(p for week in mailed for p in week) == Counter(parcels)  # each exactly once
    assert all(len(week) > 0 for week in mailed)  # the groups rotate: every week mails some
    assert max(map(len, mailed)) - min(map(len, mailed)) <= 10  # and evenly


def test_two_weekly_drops_never_touch_a_location_inside_its_spacing(region: Region) -> None:
    parcels = [f"Q{i:02d}" for i in range(12)]
    region.load([row(p) for p in parcels])
    region.cadence(26, 1)  # one group: every location due each week unless touched recently
    first = region.plan(weeks(1)[0])
    region.run("drop", "commit", str(first["drop_id"]))
    second = region.plan(weeks(2)[1])  # 7 days later: inside the 14 days of 365 // 26
    assert second["pieces"] == 0
    assert {"reason": "touched within its spacing", "locations": 12} in second["skipped"]
    third = region.plan(weeks(3)[2])  # 14 days later: due again
    assert sorted(region.parcels(third["drop_id"])) == sorted(parcels)
    assert third["sample"][0]["touch_number"] == 2


def test_suppressions_are_counted_by_reason_and_never_mailed(region: Region) -> None:
    rows = [
        row("OK1"),
        row("NCOA00", ResponseNCOA="00"),  # no match: mailed
        row("NCOA04", ResponseNCOA="04"),  # cannot match: mailed
        row("DNM", DoNotMail="Y"),
        row("DNMNO", DoNotMail="N"),  # N means mail
        row("NCOA02", ResponseNCOA="02"),  # moved, left no address
        row("FOREIGN", OwnerState="ON"),
        row("SUPPARCEL"),
        row("SUPADDR"),
    ]
    region.load(rows)
    region.cadence(26, 1)
    keys = region.folder / "returned.csv"
    keys.write_text("Parcel ID,Address,Zip\nSUPPARCEL,,\n,7 SUPADDR STREET,24016\n")
    region.run("suppress", str(keys), "--reason", "returned mail")
    listed = region.run("suppress", "--list").output
    assert "returned mail" in listed and "SUPPARCEL" in listed and "7 SUPADDR ST|24016" in listed
    proof = region.plan(weeks(1)[0])
    suppressed = {r["reason"]: r["locations"] for r in proof["suppressed"]}
    assert suppressed == {
        "Owner.DoNotMail": 1,
        "ResponseNCOA drop code": 1,
        "on the suppression list": 2,
        "mailing address foreign": 1,
    }
    assert sorted(region.parcels(proof["drop_id"])) == ["DNMNO", "NCOA00", "NCOA04", "OK1"]
    # taken off the list, they are mailed again
    region.run("drop", "cancel", str(proof["drop_id"]))
    region.run("suppress", str(keys), "--remove")
    again = region.plan(weeks(1)[0])
    assert {"SUPPARCEL", "SUPADDR"} <= set(region.parcels(again["drop_id"]))


def test_an_owner_of_three_locations_gets_one_piece_for_its_best(region: Region) -> None:
    region.load(
        [
            row("A1", owner="ACME"),
            row("A2", owner="ACME", LienType="TAX"),  # Liens-ABS1
            row("A3", owner="ACME", LienType="TAX", Vacant="Yes"),  # Vacant-Liens-ABS1: 2 stacked
            row("B1", owner="BETA"),
        ]
    )
    region.cadence(26, 1)
    proof = region.plan(weeks(1)[0])
    assert sorted(region.parcels(proof["drop_id"])) == ["A3", "B1"]
    assert proof["owners_collapsed"] == 2
    assert {"reason": "same owner", "locations": 2} in proof["skipped"]
    # a higher PriorityLevel outranks the stack count
    region.sql('UPDATE "ListPriority" SET "PriorityLevel" = 5 WHERE "Code" = \'ABS1\'')
    region.run("drop", "cancel", str(proof["drop_id"]))
    again = region.plan(weeks(1)[0])
    assert sorted(region.parcels(again["drop_id"])) == ["A1", "B1"]


def test_max_pieces_keeps_the_highest_ranked(region: Region) -> None:
    region.load(
        [
            row("LOW"),
            row("MID", LienType="TAX"),
            row("HIGH", LienType="TAX", Vacant="Yes"),
            row("TOP"),
        ]
    )
    region.cadence(26, 1)
    region.sql('UPDATE "ListPriority" SET "ProcessingOrder" = 1')
    region.sql(
        'UPDATE "ListPriority" SET "ProcessingOrder" = 0 WHERE "Code" = \'ABS1\'',
    )
    region.sql('UPDATE "Location" SET "ListPriorityId" = (SELECT "ListPriorityId" FROM '
               '"ListPriority" WHERE "Code" = \'ABS1\') WHERE "PrimaryId" = \'TOP\'')  # fmt: skip
    proof = region.plan(weeks(1)[0], "--max-pieces", "2")
    # TOP and LOW are ProcessingOrder 0 (ABS1); among the rest HIGH stacks more than MID
    assert region.parcels(proof["drop_id"]) == ["LOW", "TOP"]
    assert {"reason": "over --max-pieces", "locations": 2} in proof["skipped"]
    region.run("drop", "cancel", str(proof["drop_id"]))
    three = region.plan(weeks(1)[0], "--max-pieces", "3")
    chosen = region.parcels(three["drop_id"])
    assert chosen == ["LOW", "TOP", "HIGH"]  # ties: by parcel


def test_lists_option_mails_only_the_lists_named(region: Region) -> None:
    region.load([row("L1"), row("L2", LienType="TAX")])
    region.cadence(26, 1)
    proof = region.plan(weeks(1)[0], "--lists", "Liens-ABS1")
    assert region.parcels(proof["drop_id"]) == ["L2"]
    assert [(r["code"], r["pieces"]) for r in proof["by_list"]] == [("Liens-ABS1", 1)]


def test_a_location_left_out_of_the_last_upload_is_never_mailed(region: Region) -> None:
    region.load([row("KEEP1"), row("KEEP2"), row("GONE")])
    region.age_loads(days=30)  # last month's load
    region.load([row("KEEP1"), row("KEEP2")])
    region.cadence(26, 1)
    proof = region.plan(weeks(1)[0])
    assert sorted(region.parcels(proof["drop_id"])) == ["KEEP1", "KEEP2"]
    assert {"reason": "not in the last upload", "locations": 1} in proof["skipped"]


def _tables(region: Region) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: region.sql(f'SELECT * FROM "{t}" ORDER BY 1')
        for t in (
            "Owner",
            "Location",
            "ListPriority",
            "RegionListFrequency",
            "MailPiece",
            "Suppression",
        )
    }


def test_cancel_restores_the_tables_exactly(region: Region) -> None:
    region.load([row(f"C{i}") for i in range(6)])
    region.cadence(26, 1)
    earlier = region.plan(weeks(1)[0])
    region.run("drop", "commit", str(earlier["drop_id"]))
    before = _tables(region)
    drops_before = region.sql('SELECT * FROM "MailDrop" ORDER BY 1')
    proof = region.plan(weeks(3)[2])
    region.run("drop", "commit", str(proof["drop_id"]))
    assert _tables(region) != before
    region.run("drop", "cancel", str(proof["drop_id"]))
    assert _tables(region) == before
    after = region.sql('SELECT "DropId", "State" FROM "MailDrop" ORDER BY 1')
    assert after == [(d[0], d[3]) for d in drops_before] + [(proof["drop_id"], "cancelled")]
    # the cadence is as it was: the same drop is planned again
    again = region.plan(weeks(3)[2])
    assert region.parcels(again["drop_id"]) == [f"C{i}" for i in range(6)]
    assert "cancelled" in region.run("drop", "list").output
    region.run("drop", "cancel", str(proof["drop_id"]), expect=2)  # already cancelled


def test_two_plans_cannot_both_commit_the_same_pieces(region: Region) -> None:
    region.load([row("D1"), row("D2")])
    region.cadence(26, 1)
    first = region.plan(weeks(1)[0])
    second = region.plan(weeks(1)[0])
    region.run("drop", "commit", str(second["drop_id"]))
    refused = region.run("drop", "commit", str(first["drop_id"]), expect=2)
    assert f"drop {second['drop_id']} of region 40" in refused.output + refused.stderr
    assert region.sql('SELECT "State" FROM "MailDrop" WHERE "DropId" = :d', d=first["drop_id"]) == [
        ("planned",)
    ]


FORMULAS = ('=HYPERLINK("http://x.test","y")', "+1", "@SUM(A1:A2)", "-2")


def _starts_formula(value: object) -> bool:
    return isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")


def test_the_export_neutralises_formulas_in_csv_and_xlsx(region: Region, tmp_path: Path) -> None:
    region.load(
        [
            row("F1", OwnerName=FORMULAS[0], OwnerAddress2=FORMULAS[1]),
            row("F2", LocationAddress1=FORMULAS[2], OwnerAddress2=FORMULAS[3]),
        ]
    )
    region.cadence(26, 1)
    proof = region.plan(weeks(1)[0])
    for fmt in ("generic", "lob", "click2mail", "accuzip"):
        for suffix in ("csv", "xlsx"):
            out = tmp_path / f"{fmt}.{suffix}"
            region.run("drop", "export", str(proof["drop_id"]), "--format", fmt, "--out", str(out))
            if suffix == "csv":
                frame = pl.read_csv(out, infer_schema=False)
            else:
                frame = fastexcel.read_excel(out).load_sheet(0, dtypes="string").to_polars()
                assert b"<f>" not in _sheet_xml(out)
            cells = [v for col in frame.columns for v in frame[col].to_list()]
            assert not any(_starts_formula(v) for v in cells), (fmt, suffix)
            quoted = {v[1:] for v in cells if isinstance(v, str) and v.startswith("'")}
            assert {"+1", "-2", "@SUM(A1:A2)"} <= quoted, (fmt, suffix, quoted)
            assert any(v.startswith("=") and "HYPERLINK" in v.upper() for v in quoted)


def _sheet_xml(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as book:
        return book.read("xl/worksheets/sheet1.xml")


def test_the_lob_file_has_lobs_columns_and_splits_long_names(
    region: Region, tmp_path: Path
) -> None:
    long_name = "ALEXANDRA KONSTANTINOPOULOS & MAXIMILIAN WEATHERINGTON"
    region.load([row("N1", OwnerName=long_name)])
    region.cadence(26, 1)
    proof = region.plan(weeks(1)[0])
    out = tmp_path / "lob.csv"
    region.run("drop", "export", str(proof["drop_id"]), "--format", "lob", "--out", str(out))
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns[:8] == [
        "name", "company", "address_line1", "address_line2", "address_city", "address_state",
        "address_zip", "address_country",
    ]  # fmt: skip
    assert {"metadata_piece_id", "metadata_owner_id", "metadata_location_id"} <= set(frame.columns)
    first = frame.row(0, named=True)
    assert len(first["name"]) <= 40 and len(first["company"]) <= 40
    assert first["company"].startswith("& ")
    words = (first["name"] + " " + first["company"]).split()
    assert all(w.isalpha() or w == "&" for w in words)  # never cut mid-word
    assert first["metadata_primary_id"] == "N1"


def test_a_suppression_file_without_a_key_column_is_refused_naming_it(region: Region) -> None:
    bad = region.folder / "names.csv"
    bad.write_text("Owner Name,Phone\nSMITH,555\n")
    refused = region.run("suppress", str(bad), "--reason", "x", expect=2)
    message = refused.output + refused.stderr
    assert "names.csv" in message and "no column of parcel ids" in message
    region.run("drop", "commit", "99", expect=2)  # no such drop: says so, exit 2


def test_fall_back_salutations_are_suppressed_where_the_setting_asks(region: Region) -> None:
    region.load([row("NAMED"), row("FALLBACK")])
    region.cadence(26, 1)
    region.sql(
        'UPDATE "Owner" SET "AlternateName" = \'Current Owner\' WHERE "OwnerId" = (SELECT '
        '"OwnerId" FROM "Location" WHERE "PrimaryId" = \'FALLBACK\')'
    )
    rules = region.folder / "rules.toml"
    rules.write_text('[names]\nfallback = "salutation"\n[drop]\nsuppress_fallback_names = true\n')
    proof = region.plan(weeks(1)[0], "--rules", str(rules))
    assert region.parcels(proof["drop_id"]) == ["NAMED"]
    assert proof["suppressed"] == [{"reason": "envelope name is the fall-back", "locations": 1}]
    # with the owner-field fall-back a fall-back name cannot be told from the stored name
    unknowable = region.folder / "owner_field.toml"
    unknowable.write_text("[drop]\nsuppress_fallback_names = true\n")
    refused = region.run("drop", "plan", "--region", "40", "--rules", str(unknowable), expect=2)
    assert "confidence is not stored" in refused.output + refused.stderr


def test_an_xlsx_suppression_list_and_its_expiry(region: Region) -> None:
    import xlsxwriter

    region.load([row("X1"), row("X2"), row("X3")])
    region.cadence(26, 1)
    book_path = region.folder / "dnc.xlsx"
    book = xlsxwriter.Workbook(str(book_path))
    sheet = book.add_worksheet()
    for r, values in enumerate([("APN", "OwnerSlug"), ("X1", ""), ("", "2_X3_ST_24016")]):
        sheet.write_row(r, 0, values)
    book.close()
    region.run("suppress", str(book_path), "--reason", "asked", "--expires", "2026-12-10")
    before = region.plan("2026-12-07")
    assert region.parcels(before["drop_id"]) == ["X2"]
    region.run("drop", "cancel", str(before["drop_id"]))
    after = region.plan("2026-12-14")  # the list expired on the 10th
    assert region.parcels(after["drop_id"]) == ["X1", "X2", "X3"]
    region.run("suppress", str(book_path), "--reason", "x", "--expires", "soon", expect=2)


def test_the_region_read_as_arrow_is_the_region_read_through_sqlalchemy(region: Region) -> None:
    from propmail.db import connect, drops, stored

    region.load([row("R1", ResponseNCOA="02"), row("R2", owner="R1"), row("R3", DoNotMail="Y")])
    region.cadence(26, 1)
    proof = region.plan(weeks(1)[0])
    region.run("drop", "commit", str(proof["drop_id"]))
    db = connect(region.url)
    try:
        arrow = drops.candidates(db, 40)
        query = drops.candidates_query(40)
        rows = stored.read_query(db.engine, query, drops.CANDIDATE_COLUMNS)
    finally:
        db.dispose()
    # PostgreSQL reads it as Arrow; SQLite (one SQLite library per process) and SQL Server do not
    assert (db.read_arrow(query) is not None) == region.url.startswith("postgresql")
    assert arrow.equals(rows) and arrow.height == 3
    assert arrow["LastTouch"].drop_nulls().to_list() == [MONDAY]


def test_db_init_adds_the_drop_tables_to_a_database_that_lacks_them(region: Region) -> None:
    region.load([row("I1")])
    region.cadence(26, 1)
    for table in ("MailPiece", "MailDrop", "Suppression"):
        region.sql(f'DROP TABLE "{table}"')
    refused = region.run("drop", "plan", "--region", "40", expect=2)
    assert "propmail db init" in refused.output + refused.stderr
    region.run("db", "init")
    assert region.parcels(region.plan(weeks(1)[0])["drop_id"]) == ["I1"]
