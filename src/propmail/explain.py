"""`propmail explain`: every derived field of one upload row, and why.

The row is processed within its whole file (`job.prepare`, as `process` does), because some
evidence is the file's: the envelope name's order may rest on how the whole column writes its
names, and a niche row matched by address must name one parcel of the upload. The reasons come
from the rule modules' own functions (`classification.keyword_evidence`,
`occupancy.evidence`, `names.order_evidence`, `niche.how_matched`, the prefix operators of
`codes` and the priority conditions), run on the row (or on the file, where its evidence is the
file's); nothing here restates a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from propmail import pipeline
from propmail.contract import DERIVED, FLAG, SOURCE_ROW, STORED
from propmail.db import Database
from propmail.errors import InputError
from propmail.inputs import Inputs
from propmail.job import database_errors, prepare
from propmail.rules import classification, codes, grantor, names, niche, occupancy, priority, slug
from propmail.rules.niche import NicheList, UploadKeys
from propmail.rules.stack import stack_parts
from propmail.settings import Rules

Section = dict[str, Any]

# where a stored column's value comes from: Location.City <- LocationCity, Owner.Slug <- OwnerSlug
SOURCES = {f"{c.table}.{c.name}": c.source for c in STORED}
COPIED = {f"{c.table}.{c.name}": c.source for c in STORED if not c.derived}
# a derived field's reason in a line, from its section, where the section's "why" is not enough
REASONS: dict[str, Callable[[Section], str]] = {
    "IsOwnerOccupied": lambda s: f"{s['why']}: site {s['site']!r}, mailing {s['mailing']!r}",
    "OwnerGrantorMatch": lambda s: (
        f"{s['why']} (owner {s['owner words']}, grantor {s['grantor words']})"
    ),
    "AlternateName": lambda s: f"{s['read as']}" + (f" ({s['evidence']})" if s["evidence"] else ""),
    "OwnerSlug": lambda s: f"{s['style']} style of {s['street part']!r} and {s['ZIP part']!r}",
}


@dataclass
class Explanation:
    """Every derived field of one row, each a section of its value and its evidence."""

    parcel: str
    row: int  # the source row (1 = the first data row)
    other_rows: list[int]  # other rows of the same parcel id (the last row is the one loaded)
    rejected: str | None  # why the row would not be loaded, if it would not
    sections: dict[str, Section] = field(default_factory=dict)
    database: list[dict[str, Any]] | None = None  # the stored rows of the parcel (with --db)

    def as_dict(self) -> dict[str, Any]:
        return {
            "parcel": self.parcel,
            "row": self.row,
            "other_rows": self.other_rows,
            "rejected": self.rejected,
            "fields": self.sections,
            "database": self.database,
        }


def _yes(value: Any) -> bool:
    return bool(value) if value is not None else False


def _keyword(why: str, value: Any) -> Section:
    """A classification flag's section, from its keyword evidence."""
    if not value and why.startswith("keyword") and "not counted" not in why:
        why += ": not counted by its position or form (docs/conventions.md)"
    return {"value": _yes(value), "why": why}


class Explainer:
    """Explains rows of one processed upload; the file-wide evidence is computed once."""

    def __init__(
        self, processed: pipeline.Processed, rules: Rules, niches: Sequence[NicheList] = ()
    ) -> None:
        self.processed = processed
        self.frame = processed.processed
        self.rules = rules
        self.niches = list(niches)
        self._order: pl.DataFrame | None = None
        self._keys: UploadKeys | None = None
        self._explained: dict[str, Explanation] = {}
        self._rows: dict[str, list[int]] = {}

    def find(self, parcels: Sequence[str]) -> None:
        """Find the rows of many parcels in one pass over the file (`rows_of` then looks up)."""
        indexed = self.frame.select("LocationPrimaryId").with_row_index("__i")
        found = indexed.filter(pl.col("LocationPrimaryId").is_in(list(parcels)))
        grouped = found.group_by("LocationPrimaryId").agg(pl.col("__i").sort())
        self._rows.update({p: [] for p in parcels})
        self._rows.update(dict(grouped.iter_rows()))

    def rows_of(self, parcel: str) -> list[int]:
        """Indexes into the processed frame of the rows with this parcel id, in file order."""
        if parcel not in self._rows:
            self.find([parcel])
        return list(self._rows[parcel])

    def explain(self, parcel: str) -> Explanation:
        rows = self.rows_of(parcel)
        if not rows:
            raise InputError(f"no row of the upload has parcel id {parcel!r}", option="--parcel")
        index = rows[-1]  # the last row of a parcel is the one loaded
        one = self.frame[index : index + 1]
        source_rows = self.frame[SOURCE_ROW].gather(rows).to_list()
        rejects = self.processed.rejects.filter(pl.col(SOURCE_ROW) == source_rows[-1])
        return Explanation(
            parcel=parcel,
            row=int(source_rows[-1]),
            other_rows=[int(r) for r in source_rows[:-1]],
            rejected=rejects["reason"][0] if rejects.height else None,
            sections=self.sections(index, one),
        )

    def sections(self, index: int, one: pl.DataFrame) -> dict[str, Section]:
        """The owner name as the flags read it, then each derived field in the contract's
        order: with its evidence where its rule gives some, a flag without any by its value."""
        row = one.row(0, named=True)
        out: dict[str, Section] = {}
        evidence = classification.keyword_evidence(one, self.rules.classification)[0]
        out["owner name"] = {
            "OwnerName": row["OwnerName"],
            "as the flags read it": evidence["name"],
        }
        explained: dict[str, Callable[[int, pl.DataFrame, dict[str, Any]], Section]] = {
            "IsOwnerOccupied": self._occupancy,
            "OwnerGrantorMatch": self._grantor,
            "AlternateName": self._envelope,
            "BasePriorityCode": self._priority,
            "EnhancedCode": self._prefixes,
            "ListCode": self._niches,
            "OwnerSlug": self._slug,
        }
        for derived in DERIVED:
            name = derived.name
            if name in classification.FLAGS:
                out[name] = _keyword(evidence[name], row[name])
            elif name in explained:
                out[name] = explained[name](index, one, row)
            elif derived.kind == FLAG:
                out[name] = {"value": _yes(row[name])}
        out["stack count"] = self._stack(row["ListCode"])
        return out

    def _stack(self, code: str | None) -> Section:
        """How many lists the final code puts the location on: its prefixes and niche lists."""
        prefixes = [rule.prefix for rule in self.rules.prefixes]
        lists, found, base = stack_parts(code or "", prefixes, self.rules.niche_separator)
        parts = [f"prefixes {', '.join(found)}" if found else "no prefix"]
        parts.append(f"niche lists {', '.join(lists)}" if lists else "no niche list")
        return {
            "value": len(lists) + len(found),
            "why": f"{' and '.join(parts)} on base code {base!r}",
            "prefixes": list(found),
            "niche lists": list(lists),
        }

    def _slug(self, _index: int, one: pl.DataFrame, row: dict[str, Any]) -> Section:
        street, zip_ = one.select(*slug.slug_parts()).row(0)
        return {
            "value": row["OwnerSlug"],
            "style": self.rules.slug_style,
            "street part": street,
            "ZIP part": zip_,
        }

    def _occupancy(self, _index: int, one: pl.DataFrame, row: dict[str, Any]) -> Section:
        site, mailing, same_town, differs = occupancy.evidence(one, self.rules.occupancy).row(0)
        if not same_town:
            why = "the ZIPs differ (or, without a site ZIP, the city and state)"
        elif differs:
            why = f"differs: {differs}"
        else:
            why = "the same house number, street and unit, in the same ZIP"
        return {
            "value": _yes(row["IsOwnerOccupied"]),
            "site": site,
            "mailing": mailing,
            "same ZIP or town": bool(same_town),
            "why": why,
        }

    def _grantor(self, _index: int, one: pl.DataFrame, row: dict[str, Any]) -> Section:
        ignored = grantor.ignored_words(self.rules.classification)
        words = one.select(
            grantor.party_words(pl.col("OwnerName"), ignored).alias("owner"),
            grantor.party_words(classification.text_column(one, "LocationGrantor"), ignored).alias(
                "grantor"
            ),
        ).row(0)
        owner, seller = (sorted(w or []) for w in words)
        shared = sorted(set(owner) & set(seller))
        value = _yes(row["OwnerGrantorMatch"])
        why = f"words in common: {', '.join(shared)}" if shared else "no word in common"
        return {
            "value": value,
            "owner words": owner,
            "grantor words": seller,
            "why": why if value or not shared else why + ", but neither is all in the other",
        }

    def _envelope(self, index: int, _one: pl.DataFrame, row: dict[str, Any]) -> Section:
        if self._order is None:
            self._order = names.order_evidence(self.frame, self.rules.classification)
        organisation, surname_first, evidence = self._order.row(index)
        if organisation:
            read = "an organisation's name, kept in its order"
            flags = [f for f in names.ORGANISATION_FLAGS if row[f]]
            evidence = (
                f"flagged {', '.join(flags)}"
                if flags
                else "an estate, digits, organisation words or no person's name in it"
            )
        else:
            read = "a person's name, " + ("surname first" if surname_first else "given name first")
        return {"value": row["AlternateName"], "read as": read, "evidence": evidence}

    def _priority(self, _index: int, one: pl.DataFrame, row: dict[str, Any]) -> Section:
        holds = one.select(
            priority.CONDITIONS[r.when].fill_null(False).alias(str(i))
            for i, r in enumerate(self.rules.priority)
        ).row(0)
        tried = [
            {"code": r.code, "when": r.when, "holds": bool(h)}
            for r, h in zip(self.rules.priority, holds, strict=True)
        ]
        matched = next((t for t in tried if t["holds"]), None)
        why = f"first rule that holds: {matched['code']} ({matched['when']})" if matched else ""
        return {"value": row["BasePriorityCode"], "why": why or "no rule holds", "rules": tried}

    def _prefixes(self, _index: int, one: pl.DataFrame, row: dict[str, Any]) -> Section:
        rules = []
        for rule in self.rules.prefixes:
            conditions = []
            for c in rule.conditions:
                holds = one.select(codes.condition_expr(c, self.rules.ncoa)).item()
                value = row.get(c.column)
                shown = None if value is None else str(value)
                conditions.append({"column": c.column, "op": c.op, "value": shown, "holds": holds})
            holds_all = all(c["holds"] for c in conditions)
            rules.append({"prefix": rule.prefix, "fired": holds_all, "conditions": conditions})
        fired = [str(r["prefix"]) for r in rules if r["fired"]]
        why = f"prefixes that fired, in the order applied: {', '.join(fired)}" if fired else ""
        return {"value": row["EnhancedCode"], "why": why or "no prefix fired", "prefixes": rules}

    def _niches(self, index: int, _one: pl.DataFrame, row: dict[str, Any]) -> Section:
        if self.niches and self._keys is None:
            self._keys = UploadKeys.of(self.frame)
        lists = [
            {
                "type": n.type,
                "source": n.source,
                "how": niche.how_matched(self.frame, n, index, self._keys),
            }
            for n in self.niches
            if self._keys is not None
        ]
        matched = [entry["type"] for entry in lists if not entry["how"].startswith("not")]
        why = f"stacked: {', '.join(matched)}" if matched else "no niche list matched"
        return {
            "value": row["ListCode"],
            "why": why if self.niches else "no niche lists given",
            "niche lists": lists,
        }

    def reason(self, parcel: str, column: str) -> str:
        """The reason behind one stored column of a parcel, in a line (parity's examples)."""
        if parcel not in self._explained:
            if not self.rows_of(parcel):
                return ""
            self._explained[parcel] = self.explain(parcel)
        found = self._explained[parcel].sections
        name = column.split(".")[1]
        if name in ("PriorityCode", "ListPriorityId"):  # the code, made by three rules in turn
            parts = (found[k]["why"] for k in ("BasePriorityCode", "EnhancedCode", "ListCode"))
            return "; ".join(parts)
        source = SOURCES.get(column, name)
        if source in REASONS:
            return REASONS[source](found[source])
        if source in found:
            return str(found[source].get("why", ""))
        if column in COPIED:
            return f"copied from {COPIED[column]}"
        return ""


def explain_parcel(inputs: Inputs, parcel: str, backend: Database | None = None) -> Explanation:
    """Explain one parcel of an upload; with `backend`, what the database holds for it too."""
    _, niches, processed = prepare(inputs)
    explained = Explainer(processed, inputs.rules, inputs.niche_lists(niches)).explain(parcel)
    if backend is not None:
        with database_errors(backend):
            if not backend.exists() or not backend.has_schema():
                raise InputError(f"{backend.where} has no propmail tables", option="--db")
            explained.database = backend.read_parcel(parcel).to_dicts()
    return explained


def lines(explained: Explanation) -> list[str]:
    """The explanation as text, one field and its evidence a few lines each."""
    e = explained
    out = [f"parcel {e.parcel}: row {e.row} of the file"]
    if e.other_rows:
        out.append(f"  also on rows {', '.join(map(str, e.other_rows))} (the last row is loaded)")
    if e.rejected:
        out.append(f"  rejected, not loaded: {e.rejected}")
    for name, section in e.sections.items():
        head = f"{name}: {section['value']!r}" if "value" in section else f"{name}:"
        out.append(head)
        for key, value in section.items():
            if key == "value":
                continue
            if isinstance(value, list) and value and isinstance(value[0], dict):
                out += [f"    {_item(item)}" for item in value]
            else:
                out.append(f"  {key}: {value}")
    if e.database is not None:
        if not e.database:
            out.append("database: no location with this parcel id")
        for stored in e.database:
            out.append(f"database (region {stored.get('Location.RegionId')}):")
            out += [
                f"  {k}: {v!r}" if isinstance(v, str) else f"  {k}: {v}" for k, v in stored.items()
            ]
    return out


def _item(item: dict[str, Any]) -> str:
    """One tried rule, prefix or niche list in a line."""
    if "prefix" in item:
        conditions = ", ".join(
            f"{c['column']} {c['op']} (value {c['value']!r}): {'holds' if c['holds'] else 'no'}"
            for c in item["conditions"]
        )
        return f"{item['prefix']}: {'fired' if item['fired'] else 'not fired'} ({conditions})"
    if "code" in item:
        return f"{item['code']} when {item['when']}: {'holds' if item['holds'] else 'no'}"
    return f"{item['type']} ({item['source']}): {item['how']}"
