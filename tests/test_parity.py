"""parity: a database loaded month 1, then altered the way a legacy procedure would have differed.

The alterations are planted with SQL, each counted from the upload itself: trusts found by
``LIKE '%TRUST%'``, OwnerGrantorMatch all false, the propercase slug style for most owners, and
the list codes of lien locations spelled ``Lien-`` in ListPriority. parity must report exactly
those disagreements with exact counts and nothing else; `--suggest` must rank the substring trust
and the slug style first, with the agreement they give.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import event, insert, select, text

from propmail import synth
from propmail.cli import main
from propmail.db import Backend, connect, schema
from propmail.explain import explain_parcel
from propmail.inputs import Inputs
from propmail.job import load_options, prepare, run_job
from propmail.parity import compared_columns, run_parity
from propmail.rules.slug import slug_expr
from propmail.settings import Rules
from tests.db.helpers import MONTH1

ROWS = 400
SEED = 13


@dataclass
class Planted:
    upload: Path
    trust: Counter[str]  # pattern -> locations
    grantor: int  # locations whose OwnerGrantorMatch was 1
    slug: int  # locations whose owner got the propercase slug
    codes: Counter[str]  # pattern of ListPriorityId -> locations
    locations: int


def loaded(backend: Backend, rules: Rules, tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    backend.init({40: "Roanoke"}, load_options(rules))
    path = tmp_path / "upload.csv"
    synth.upload(ROWS, seed=SEED).write_csv(path)
    result = run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1)
    assert result.load is not None
    return path, prepare(Inputs(path))[2].processed  # the job's result keeps no rows of it


def plant(backend: Backend, rules: Rules, tmp_path: Path) -> Planted:
    path, processed = loaded(backend, rules, tmp_path)
    loc, own, lp = schema.location, schema.owner, schema.list_priority
    with backend.engine.begin() as conn:
        stored = pl.DataFrame(
            conn.execute(
                select(
                    loc.c.LocationId,
                    loc.c.PrimaryId,
                    loc.c.IsTrust,
                    loc.c.OwnerGrantorMatch,
                    loc.c.OwnerId,
                    loc.c.PriorityCode,
                )
            ).all(),
            schema=["LocationId", "PrimaryId", "IsTrust", "OwnerGrantorMatch", "OwnerId", "Code"],
            orient="row",
        )
        names = processed.select(pl.col("LocationPrimaryId").alias("PrimaryId"), "OwnerName")
        legacy = stored.join(names, on="PrimaryId").with_columns(
            pl.col("OwnerName").str.to_uppercase().str.contains("TRUST").cast(pl.Int64).alias("L")
        )
        changed = legacy.filter(pl.col("L") != pl.col("IsTrust"))
        trust = Counter(f"{a} -> {b}" for a, b in changed.select("L", "IsTrust").iter_rows())
        conn.execute(
            text('UPDATE "Location" SET "IsTrust" = :v WHERE "LocationId" = :id'),
            [{"v": v, "id": i} for i, v in changed.select("LocationId", "L").iter_rows()],
        )
        grantor = int(stored["OwnerGrantorMatch"].sum())
        conn.execute(text('UPDATE "Location" SET "OwnerGrantorMatch" = 0'))
        owners = pl.DataFrame(
            conn.execute(select(own.c.OwnerId, own.c.Address1, own.c.Zip)).all(),
            schema=["OwnerId", "Address1", "Zip"],
            orient="row",
        ).sort("OwnerId")
        most = owners.head(owners.height * 3 // 5).with_columns(
            slug_expr("propercase", "Address1", "Zip").alias("Slug")
        )
        conn.execute(
            text('UPDATE "Owner" SET "Slug" = :s WHERE "OwnerId" = :id'),
            [{"s": s, "id": i} for i, s in most.select("OwnerId", "Slug").iter_rows()],
        )
        slug = stored.filter(pl.col("OwnerId").is_in(most["OwnerId"].implode())).height
        liens = stored.filter(pl.col("Code").str.contains("Liens-"))
        codes: Counter[str] = Counter()
        for code, group in liens.group_by("Code"):
            spelled = str(code[0]).replace("Liens-", "Lien-")
            new_id = conn.execute(
                insert(lp).values(Code=spelled, Name=spelled, PriorityLevel=0, IsAbsentee=2)
            ).inserted_primary_key[0]
            conn.execute(
                text('UPDATE "Location" SET "ListPriorityId" = :lp WHERE "LocationId" = :id'),
                [{"lp": new_id, "id": i} for i in group["LocationId"]],
            )
            codes[f"'{spelled}' -> '{code[0]}'"] = group.height
    return Planted(path, trust, grantor, slug, codes, stored.height)


PLANTED = {
    "Location.IsTrust",
    "Location.OwnerGrantorMatch",
    "Owner.Slug",
    "Location.ListPriorityId",
}


def test_parity_reports_exactly_the_planted_disagreements(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    planted = plant(backend, rules, tmp_path)
    assert planted.trust and planted.grantor and planted.codes  # every kind is really planted
    result = run_parity(
        Inputs.gather(planted.upload), 40, backend=backend, batch_rows=70
    )  # several batches
    assert (result.compared, result.only_in_database, result.only_in_upload) == (
        planted.locations,
        0,
        0,
    )
    found = {c.column: {p.pattern: p.rows for p in c.patterns.values()} for c in result.columns}
    assert found["Location.IsTrust"] == dict(planted.trust)
    assert found["Location.OwnerGrantorMatch"] == {"0 -> 1": planted.grantor}
    assert found["Owner.Slug"] == {
        "the propercase slug style of the same owner address": planted.slug
    }
    assert found["Location.ListPriorityId"] == dict(planted.codes)
    # nothing else differs: every other column agrees on every location
    assert {c for c, patterns in found.items() if patterns} == PLANTED
    assert [c.column for c in result.columns] == compared_columns()
    for col in result.columns:
        assert col.compared == planted.locations
    grantor = result.column("Location.OwnerGrantorMatch")
    assert grantor.agree == planted.locations - planted.grantor
    # examples name real parcels with both values
    example = grantor.ranked()[0].examples[0]
    assert (example.stored, example.propmail) == ("0", "1")


def test_suggest_ranks_the_settings_that_close_the_planted_gaps_first(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    planted = plant(backend, rules, tmp_path)
    result = run_parity(Inputs.gather(planted.upload), 40, backend=backend, suggest=True)
    top = {s.setting: s for s in result.suggestions[:2]}
    assert set(top) == {"slug style propercase", "IsTrust by substring of TRUST"}
    n = planted.locations
    slug = top["slug style propercase"].columns["Owner.Slug"]
    assert slug == (n - planted.slug, planted.slug)
    trust = top["IsTrust by substring of TRUST"]
    assert trust.columns["Location.IsTrust"] == (n - sum(planted.trust.values()), n)
    assert 'style = "propercase"' in top["slug style propercase"].fragment
    assert 'match = { trust = "substring" }' in trust.fragment
    assert all(s.gain <= 0 for s in result.suggestions[2:])
    # both at once: one fragment, and the agreement of both
    both = result.together
    assert (
        both is not None and both.setting == "slug style propercase + IsTrust by substring of TRUST"
    )
    assert both.columns["Owner.Slug"][1] == planted.slug
    assert both.columns["Location.IsTrust"][1] == n
    assert 'style = "propercase"' in both.fragment and 'trust = ["TRUST"]' in both.fragment


def test_rows_on_one_side_are_counted_apart(backend: Backend, rules: Rules, tmp_path: Path) -> None:
    path, _ = loaded(backend, rules, tmp_path)
    with backend.engine.begin() as conn:
        gone = conn.execute(
            text('DELETE FROM "Location" WHERE "PrimaryId" IN (:a, :b)'),
            {"a": "000000000001", "b": "000000000002"},
        ).rowcount
        conn.execute(
            text(
                'INSERT INTO "Location" ("RegionId", "PrimaryId", "PriorityCode") '
                "VALUES (40, 'LEGACY-ONLY', 'OO')"
            )
        )
    assert gone == 2
    result = run_parity(Inputs.gather(path), 40, backend=backend)
    assert (result.only_in_upload, result.only_in_database) == (2, 1)
    assert result.compared == result.upload_rows - 2
    assert all(c.disagree == 0 for c in result.columns)


@pytest.mark.parametrize("missing", [41])
def test_an_unknown_region_is_bad_input(
    backend: Backend, rules: Rules, tmp_path: Path, missing: int
) -> None:
    from propmail.errors import InputError

    path, _ = loaded(backend, rules, tmp_path)
    with pytest.raises(InputError, match="region 41 does not exist"):
        run_parity(Inputs.gather(path), missing, backend=backend)


def test_parity_writes_nothing_not_even_upload_log(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    from tests.db.helpers import checksum

    planted = plant(backend, rules, tmp_path)
    tables = tuple(t.name for t in (*schema.TABLES, *schema.JOURNAL_TABLES))
    before = checksum(backend, tables)
    result = run_parity(Inputs.gather(planted.upload), 40, backend=backend, suggest=True)
    assert result.column("Location.OwnerGrantorMatch").disagree == planted.grantor
    assert checksum(backend, tables) == before


def terminal(planted: Planted, url: str, *options: str) -> str:
    """`propmail parity` on the command line, wide enough that no cell is folded."""
    args = ["parity", str(planted.upload), "--region", "40", "--db", url, *options]
    printed = CliRunner().invoke(main, args, env={"COLUMNS": "250"})
    assert printed.exit_code == 0, printed.output
    return printed.output


@pytest.fixture
def planted_file(rules: Rules, tmp_path: Path) -> tuple[Planted, str]:
    """The planted database in a file the command line opens by its URL."""
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    backend = connect(url)
    try:
        return plant(backend, rules, tmp_path), url
    finally:
        backend.dispose()


def test_suggest_prints_the_settings_ranked_and_the_fragments_to_adopt(
    planted_file: tuple[Planted, str],
) -> None:
    planted, url = planted_file
    printed = terminal(planted, url, "--suggest")
    n, slug, trust = planted.locations, planted.slug, sum(planted.trust.values())
    table = printed.split("settings tried (best first)")[1].split("no value changes with")[0]
    ranked = re.findall(r"^│ (\S[^│]*?) +│ +([+-]\d+) │ ([^│]*?) +│$", table, re.M)
    assert [(s, int(g)) for s, g, _ in ranked[:2]] == [
        ("slug style propercase", 2 * slug - n),
        ("IsTrust by substring of TRUST", trust),
    ]
    gains = [int(g) for _, g, _ in ranked]
    assert gains == sorted(gains, reverse=True) and all(g <= 0 for g in gains[2:])
    assert ranked[0][2] == f"Owner.Slug: {100 * (n - slug) / n:.2f} % -> {100 * slug / n:.2f} %"
    assert ranked[1][2] == f"Location.IsTrust: {100 * (n - trust) / n:.2f} % -> 100.00 %"
    fragments = printed.split("# rules-file fragments that bring propmail closer, best first:\n")[1]
    alone, together = fragments.split("# all of them at once: ")
    assert alone == (
        f"# slug style propercase: +{2 * slug - n} cells\n"
        '[slug]\nstyle = "propercase"\n\n'
        f"# IsTrust by substring of TRUST: +{trust} cells\n"
        '[classification]\ntrust = ["TRUST"]\nmatch = { trust = "substring" }\n\n'
    )
    assert together.startswith(f"+{2 * slug - n + trust} cells (")
    adopted = tomllib.loads(together.split("\n", 1)[1])  # a fragment the rules file takes as is
    assert adopted == {
        "slug": {"style": "propercase"},
        "classification": {"trust": ["TRUST"], "match": {"trust": "substring"}},
    }


def test_each_example_on_the_terminal_gives_the_reason_explain_gives(
    planted_file: tuple[Planted, str],
) -> None:
    planted, url = planted_file
    printed = terminal(planted, url)
    trust = printed.split("Location.IsTrust: disagreements by pattern")[1].split("└")[0]
    examples = re.findall(r"(\d{12}): '0' -> '1'; ([^│]*?) +│", trust)
    assert len(examples) == 3  # EXAMPLES parcels of the one pattern, each with its reason
    for parcel, reason in examples:
        why = explain_parcel(Inputs.gather(planted.upload), parcel).sections["IsTrust"]["why"]
        assert reason == why and re.fullmatch(r"keyword '\w+' at token \d+", reason), reason
    grantor = printed.split("Location.OwnerGrantorMatch: disagreements by pattern")[1]
    parcel, reason = re.findall(r"(\d{12}): '0' -> '1'; ([^│]*?) +│", grantor)[0]
    words = explain_parcel(Inputs.gather(planted.upload), parcel).sections["OwnerGrantorMatch"]
    owner, seller = words["owner words"], words["grantor words"]
    assert reason == f"{words['why']} (owner {owner}, grantor {seller})"
    assert reason.startswith("words in common: ")


def test_sqlite_reads_the_region_through_the_default_page_cache(
    rules: Rules, tmp_path: Path
) -> None:
    """A region read once would only fill the load's large page cache: it is read with SQLite's
    default, and the pooled connection gets the load's back."""
    from propmail.db.sqlite.connect import CACHE_KIB, READ_CACHE_KIB

    backend = connect(f"sqlite:///{tmp_path / 'read.db'}")
    loaded(backend, rules, tmp_path)
    seen = []

    @event.listens_for(backend.engine, "before_cursor_execute")
    def cache(conn: object, cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT"):
            seen.append(cursor.connection.execute("PRAGMA cache_size").fetchone()[0])  # type: ignore[attr-defined]

    assert sum(b.height for b in backend.read_region(40, 100)) == ROWS
    assert seen == [-READ_CACHE_KIB]
    with backend.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -CACHE_KIB
    backend.dispose()


def test_parity_reads_sqlite_without_the_write_lock(rules: Rules, tmp_path: Path) -> None:
    """Half-way through parity's read of the region, a load can take SQLite's write lock."""
    import sqlite3

    backend = connect(f"sqlite:///{tmp_path / 'read.db'}")
    loaded(backend, rules, tmp_path)
    assert backend.file is not None
    batches = backend.read_region(40, batch_rows=10)
    assert next(batches).height == 10  # the read's transaction is open
    writer = sqlite3.connect(backend.file, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # "database is locked" while the read holds the lock
    writer.execute("ROLLBACK")
    writer.close()
    assert sum(b.height for b in batches) > 0  # and the read goes on
    backend.dispose()


# a legacy writer's forms of the same values, and of other ones: SellDate with a time, the
# amount as text with a thousands separator
LEGACY = {"P1": ("2024-01-05 00:00:00", "120,000.00"), "P2": ("2024-01-06 00:00:00", "80,001")}


def _legacy_columns(backend: Backend) -> None:
    """SellDate and SellAmount as a legacy table may hold them: a timestamp and text (SQLite
    keeps whatever it is given; PostgreSQL's columns change type)."""
    with backend.engine.begin() as conn:
        if backend.engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    'ALTER TABLE "Location" ALTER COLUMN "SellDate" TYPE timestamp, '
                    'ALTER COLUMN "SellAmount" TYPE text'
                )
            )
        for parcel, (date, amount) in LEGACY.items():
            conn.execute(
                text(
                    'UPDATE "Location" SET "SellDate" = CAST(:date AS TIMESTAMP), '
                    '"SellAmount" = :amount WHERE "PrimaryId" = :parcel'
                    if backend.engine.dialect.name == "postgresql"
                    else 'UPDATE "Location" SET "SellDate" = :date, "SellAmount" = :amount '
                    'WHERE "PrimaryId" = :parcel'
                ),
                {"date": date, "amount": amount, "parcel": parcel},
            )


def test_values_are_compared_typed_a_date_with_its_time_and_an_amount_as_text(
    backend: Backend, rules: Rules, tmp_path: Path
) -> None:
    backend.init({40: "Roanoke"}, load_options(rules))
    path = tmp_path / "up.csv"
    header = "LocationPrimaryId,OwnerName,OwnerAddress1,OwnerZip,LocationAddress1,LocationZip,"
    path.write_text(
        f"{header}LocationSellDate,LocationSellAmount\n"
        "P1,JOHN SMITH,1 MAIN ST,24016,1 MAIN ST,24016,2024-01-05,120000\n"
        "P2,MARY JONES,2 OAK ST,24016,2 OAK ST,24016,2024-01-05,80000\n"
    )
    assert run_job(Inputs.gather(path), 40, backend=backend, now=MONTH1).load is not None
    _legacy_columns(backend)
    result = run_parity(Inputs.gather(path), 40, backend=backend)
    # P1 holds the same date and amount in other forms; P2's differ, and are shown
    for column, stored, mine in [
        ("Location.SellDate", "2024-01-06", "2024-01-05"),
        ("Location.SellAmount", "80001.0", "80000.0"),
    ]:
        found = result.column(column)
        assert (found.agree, found.disagree) == (1, 1), column
        (example,) = [e for p in found.patterns.values() for e in p.examples]
        assert (example.parcel, example.stored, example.propmail) == ("P2", stored, mine)
