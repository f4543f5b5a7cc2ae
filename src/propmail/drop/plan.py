"""One drop end to end: the region's rows read, the pieces chosen, the planned drop recorded,
its proof written; and the other steps of the weekly routine (commit, cancel, export, the
suppression list), each over a `propmail.db.Database`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from propmail.db import Database, drops
from propmail.db.drops import DropRow
from propmail.drop import export, proof, suppress
from propmail.drop.select import Choice, Selection, choose
from propmail.errors import InputError
from propmail.report.drop import ProofFiles, write_proof
from propmail.settings import Rules


@dataclass
class Planned:
    drop: DropRow
    selection: Selection
    proof: dict[str, Any]
    files: ProofFiles | None


def _fallback_name(rules: Rules) -> str | None:
    """The envelope name a fall-back prints, where the drop is to suppress it."""
    if not rules.drop.suppress_fallback_names:
        return None
    if rules.names.fallback != "salutation":
        raise InputError(
            '[drop] suppress_fallback_names needs [names] fallback = "salutation": the names\' '
            "confidence is not stored, and only a salutation tells a fall-back name apart in "
            "Owner.AlternateName"
        )
    return rules.names.salutation


def choice_of(
    rules: Rules,
    on: date,
    lists: tuple[str, ...],
    max_pieces: int | None,
    latest_load: datetime | None,
) -> Choice:
    """What the drop is chosen with: the rules' settings and the command's options."""
    return Choice(
        on=on,
        cadence=rules.drop.cadence,
        one_piece_per=rules.drop.one_piece_per,
        mail_when_do_not_mail=rules.drop.mail_when_do_not_mail,
        ncoa=rules.ncoa,
        niche_separator=rules.niche_separator,
        prefixes=tuple(p.prefix for p in rules.prefixes),
        lists=lists,
        max_pieces=max_pieces,
        fallback_name=_fallback_name(rules),
        latest_load=latest_load,
    )


def plan(
    db: Database,
    rules: Rules,
    region_id: int,
    on: date,
    *,
    lists: tuple[str, ...] = (),
    max_pieces: int | None = None,
    report_dir: Path | None = None,
    now: datetime | None = None,
) -> Planned:
    """Choose this drop's pieces and record them as a planned drop (nothing counts until it
    is committed); with `report_dir`, write drop.json and drop.html there."""
    engine = db.engine
    drops.require_tables(engine, db.where)
    db.require_region(region_id)
    moment = now or datetime.now()
    latest = drops.latest_load(engine, region_id)
    choice = choice_of(rules, on, lists, max_pieces, latest)
    selection = choose(
        drops.candidates(db, region_id), region_id, choice, drops.suppressions(engine, on)
    )
    settings = {
        "cadence": choice.cadence,
        "one_piece_per": choice.one_piece_per,
        "price_per_piece": rules.drop.price_per_piece,
        "lists": list(lists),
        "max_pieces": max_pieces,
        "suppress_fallback_names": rules.drop.suppress_fallback_names,
        "last_upload_checked": latest is not None,
        "latest_load": latest.isoformat(sep=" ") if latest else None,
    }
    ledger = {**settings, "suppressed": selection.suppressed, "skipped": selection.skipped}
    drop_id = drops.record_plan(
        engine, region_id, on, selection.pieces, json.dumps(ledger, sort_keys=True), moment
    )
    drop = drops.drop_row(engine, drop_id)
    sample = drops.pieces(engine, drop_id, limit=proof.SAMPLE)
    content = proof.content(drop, selection, sample, settings, db.display_url, moment)
    files = write_proof(content, report_dir) if report_dir is not None else None
    return Planned(drop, selection, content, files)


def export_drop(db: Database, drop_id: int, format_name: str, out: Path) -> int:
    """Write a drop's pieces for the mail house; returns the rows written."""
    drops.require_tables(db.engine, db.where)
    drop = drops.drop_row(db.engine, drop_id)
    if drop.state == drops.DropState.CANCELLED:
        raise InputError(f"drop {drop_id} is cancelled: it has no pieces to export")
    return export.write(drops.pieces(db.engine, drop_id), format_name, out)


def add_suppressions(
    db: Database, path: Path, reason: str, expires: date | None, now: datetime | None = None
) -> int:
    """Add the keys of a suppression file; returns the keys written."""
    drops.require_tables(db.engine, db.where)
    keys = suppress.read_keys(path)
    return drops.add_suppressions(
        db.engine, keys, reason, path.name, expires, now or datetime.now()
    )


def remove_suppressions(db: Database, path: Path) -> int:
    """Take the keys of a suppression file off the list; returns the rows removed."""
    drops.require_tables(db.engine, db.where)
    return drops.remove_suppressions(db.engine, suppress.read_keys(path))
