"""The business settings: `rules.toml` shipped in the package, validated on load, as `Rules`.

Each rule module of `propmail.rules` defines the settings it takes (`Classification`,
`Occupancy`, `Names`, `PriorityRule`, `PrefixRule`, `Ncoa`) and the names a rules file may use
for it (priority `CONDITIONS`, prefix `OPERATORS`, slug `STYLES`, the occupancy choices);
this module reads each section of the file into them and composes `Rules`, one field per part a
rule takes, named as the rule's parameter (`propmail.pipeline` hands each rule its part), and
the load's own settings (the update window, new list codes, the journal) for `propmail.db`.
An override file is laid over the defaults first (`propmail.overrides`). Each section has its
parser; every bad key is collected and reported in one error that names each key path, e.g.
``rules.toml: prefix[3].op: unknown operator 'gt' (...)``.

Validation is written by hand (`propmail.validation`, about 150 lines) rather than with
pydantic: importing pydantic and defining these models took 98-110 ms, on every command, where
reading and validating rules.toml by hand takes 0.8 ms; and pydantic's messages ("Input should
be 'eq' or 'in'", "Extra inputs are not permitted") would each need rewording to say what the
key may be.

>>> rules = load_rules()
>>> rules.priority[0], rules.slug_style
(PriorityRule(code='OO', when='owner_occupied', is_absentee=0), 'underscore')
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from propmail.contract import UPLOAD_COLUMNS
from propmail.overrides import default_rules_text, effective_settings, origins, overlay
from propmail.rules.classification import MATCHED_FLAGS, MATCHES, Classification
from propmail.rules.codes import OPERATORS, Condition, Ncoa, PrefixRule
from propmail.rules.names import FALLBACKS, Names, confidence
from propmail.rules.occupancy import UNIT_ON_ONE_SIDE, WITHOUT_SITE_ZIP, Occupancy
from propmail.rules.priority import CONDITIONS, PriorityRule
from propmail.rules.slug import STYLES
from propmail.validation import Problems, Table, parse_toml, read_toml

SECTIONS = (
    "classification", "priority", "prefix", "codes", "ncoa", "niche", "slug", "load", "new_list",
    "occupancy", "journal", "names", "drop",
)  # fmt: skip


def _classification(table: Table) -> Classification:
    names = [f.name for f in fields(Classification) if f.name != "substring"]
    table.only([*names, "match"])
    match = table.table("match", optional=True)
    match.only(MATCHED_FLAGS, "flag")
    chosen = {flag: match.choice(flag, MATCHES, "match") for flag in MATCHED_FLAGS}
    substring = tuple(MATCHED_FLAGS[f] for f, how in chosen.items() if how == "substring")
    words = {name: table.words(name) for name in names}
    return Classification(**words, substring=substring)


def _priority(top: Table, named: dict[int, str] | None = None) -> tuple[PriorityRule, ...]:
    """The base priority rules, tried in order (at least one)."""
    parsed = []
    for table in top.tables("priority", named):
        table.only({f.name for f in fields(PriorityRule)})
        when = table.choice("when", CONDITIONS, "condition")
        code = table.get("code", str)
        if code is not None and not code.strip():
            table.fail("code", "must not be empty")
        is_absentee = table.get("is_absentee", int)
        rule = PriorityRule(code=(code or "").strip(), when=when or "", is_absentee=is_absentee)
        parsed.append(rule)
    if top.data.get("priority") == []:
        top.fail("priority", "at least one rule is needed")
    return tuple(parsed)


_COLUMNS = {c.lower(): c for c in UPLOAD_COLUMNS}


def _condition(table: Table) -> Condition:
    table.only({f.name for f in fields(Condition)})
    column = table.get("column", str)
    if column is not None and column.lower() not in _COLUMNS:
        table.fail("column", f"unknown upload column {column!r}")
    op = table.choice("op", OPERATORS, "operator")
    value = table.get("value", (str, int, float), None)
    if op == "eq" and value is None and table.ok("value"):
        table.fail("value", "missing (op 'eq' needs a value)")
    values = tuple(str(v) for v in table.get("values", list, []) or [])
    if op == "in" and not values and table.ok("values"):
        table.fail("values", "missing (op 'in' needs a list of values)")
    low = table.get("low", (int, float), None)
    high = table.get("high", (int, float), None)
    if op == "between" and low is None and high is None and table.ok("low") and table.ok("high"):
        table.fail("low", "op 'between' needs low, high or both")
    return Condition(
        column=_COLUMNS.get((column or "").lower(), column or ""),
        op=op or "",
        value=value,
        values=values,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
        low_inclusive=table.get("low_inclusive", bool, False),
        high_inclusive=table.get("high_inclusive", bool, True),
    )


def _prefixes(top: Table, named: dict[int, str] | None = None) -> tuple[PrefixRule, ...]:
    """The prefix rules in the order applied; each holds one condition inline, or `all`."""
    parsed = []
    for table in top.tables("prefix", named):
        prefix = table.get("prefix", str)
        if prefix == "":
            table.fail("prefix", "must not be empty")
        if "all" in table.data:
            table.only({"prefix", "all"})
            conditions = tuple(_condition(sub) for sub in table.tables("all"))
            if table.data["all"] == []:
                table.fail("all", "needs at least one condition")
        else:
            inline = {k: v for k, v in table.data.items() if k != "prefix"}
            conditions = (_condition(Table(inline, table.path, table.problems)),)
        parsed.append(PrefixRule(prefix=prefix or "", conditions=conditions))
    return tuple(parsed)


def _prefix_order(table: Table, prefixes: tuple[PrefixRule, ...]) -> tuple[PrefixRule, ...]:
    """The prefix rules in the order `[codes] prefix_order` names them (empty: file order)."""
    table.only({"prefix_order"})
    order = table.get("prefix_order", list, [])
    if not order or not table.ok("prefix_order"):
        return prefixes
    known = {rule.prefix: rule for rule in prefixes}
    unknown = [p for p in order if p not in known]
    missing = [p for p in known if p not in order]
    if unknown or missing or len(set(order)) != len(order):
        said = [f"unknown {', '.join(map(repr, unknown))}" if unknown else ""]
        said.append(f"missing {', '.join(map(repr, missing))}" if missing else "")
        said.append("a prefix named twice" if len(set(order)) != len(order) else "")
        table.fail(
            "prefix_order",
            "must name every [[prefix]] rule once (" + "; ".join(w for w in said if w) + ")",
        )
        return prefixes
    return tuple(known[p] for p in order)


def _ncoa(table: Table) -> Ncoa:
    """The NCOA codes that mean a move, and those that are neither a move nor a drop."""
    table.only({f.name for f in fields(Ncoa)})
    return Ncoa(moves=table.words("moves"), not_drops=table.words("not_drops"))


def _niche(table: Table) -> str:
    """The separator between a niche type and the code it stacks on."""
    table.only({"separator"})
    return table.get("separator", str) or ""


def _slug(table: Table) -> str:
    table.only({"style"})
    return table.choice("style", STYLES, "style") or ""


def _load(table: Table) -> int:
    """The update window in months."""
    table.only({"update_window_months"})
    window = table.get("update_window_months", int)
    if window is not None and window < 0:
        table.fail("update_window_months", "must be 0 or more")
    return window or 0


@dataclass(frozen=True)
class NewList:
    priority_level: int
    processing_order: int
    is_absentee: int
    frequency: int
    divided_by: int


def _new_list(table: Table) -> NewList:
    names = [f.name for f in fields(NewList)]
    table.only(names)
    return NewList(**{name: table.get(name, int) for name in names})


def _occupancy(table: Table) -> Occupancy:
    table.only({"unit_on_one_side", "without_site_zip", "postal_town"})
    unit = table.choice("unit_on_one_side", UNIT_ON_ONE_SIDE, "value")
    no_zip = table.choice("without_site_zip", WITHOUT_SITE_ZIP, "value")
    return Occupancy(
        unit_on_one_side=unit or "same",
        without_site_zip=no_zip or "city_state",
        postal_town=bool(table.get("postal_town", bool, True)),
    )


@dataclass(frozen=True)
class Journal:
    """Whether a load journals what it writes (for `propmail undo`), and for how many loads."""

    enabled: bool = True
    keep_loads_per_region: int = 3


def _journal(table: Table) -> Journal:
    table.only({f.name for f in fields(Journal)})
    enabled = table.get("enabled", bool)
    keep = table.get("keep_loads_per_region", int)
    if keep is not None and keep < 1:
        table.fail("keep_loads_per_region", "must be 1 or more")
    return Journal(enabled=bool(enabled), keep_loads_per_region=keep or 1)


def _names(table: Table) -> Names:
    """How the envelope name prints what operators may print differently."""
    table.only({"trustee_title", "check_below", "fallback", "salutation"})
    below = table.choice("check_below", confidence.LEVELS, "confidence")
    fallback = table.choice("fallback", FALLBACKS, "value")
    salutation = table.get("salutation", str, "Current Owner")
    if not str(salutation).strip():
        table.fail("salutation", "must not be empty")
    return Names(
        trustee_title=bool(table.get("trustee_title", bool, False)),
        check_below=below or "likely",
        fallback=fallback or "owner_field",
        salutation=str(salutation),
    )


# How a drop reads RegionListFrequency (SPEC section 8, docs/drop.md): Frequency as touches a
# year and DividedBy as rotating groups, or Frequency as days between touches and DividedBy as
# pieces per touch.
CADENCES = ("touches_per_year", "days_between")
ONE_PIECE_PER = ("owner", "location")


@dataclass(frozen=True)
class Drop:
    """`propmail drop`'s settings (``[drop]``): the cadence reading, one piece per owner or per
    location, the price of a piece, which Owner.DoNotMail values mean "mail", and whether an
    envelope name printed as the fall-back salutation suppresses the owner."""

    cadence: str = "touches_per_year"
    one_piece_per: str = "owner"
    price_per_piece: float = 0.0
    mail_when_do_not_mail: tuple[str, ...] = ("", "0", "N", "NO", "F", "FALSE")
    suppress_fallback_names: bool = False


def _drop(table: Table) -> Drop:
    table.only({f.name for f in fields(Drop)})
    cadence = table.choice("cadence", CADENCES, "cadence")
    per = table.choice("one_piece_per", ONE_PIECE_PER, "value")
    price = table.get("price_per_piece", (int, float), 0.0)
    if price is not None and price < 0:
        table.fail("price_per_piece", "must be 0 or more")
    mail = table.get("mail_when_do_not_mail", list, [])
    return Drop(
        cadence=cadence or "touches_per_year",
        one_piece_per=per or "owner",
        price_per_piece=float(price or 0.0),
        mail_when_do_not_mail=tuple(str(v).strip().upper() for v in mail or []),
        suppress_fallback_names=bool(table.get("suppress_fallback_names", bool, False)),
    )


@dataclass(frozen=True)
class Rules:
    """The settings in force. Each rule's part is a field named as the rule's parameter, of the
    type its rule module defines; the load's are plain values for `propmail.db`."""

    classification: Classification  # classification; grantor and names read it too
    occupancy: Occupancy
    names: Names
    priority: tuple[PriorityRule, ...]
    prefixes: tuple[PrefixRule, ...]  # codes
    ncoa: Ncoa  # codes
    niche_separator: str  # niche
    slug_style: str  # slug
    # the load's: how far back a stored row is refreshed, new list codes, the journal
    update_window_months: int
    new_list: NewList
    journal: Journal
    drop: Drop = field(default_factory=Drop)  # `propmail drop`'s
    source: str = "rules.toml"
    changes: tuple[str, ...] = ()  # what the rules file changed in the defaults

    @property
    def ncoa_moves(self) -> tuple[str, ...]:
        return self.ncoa.moves

    @property
    def ncoa_not_drops(self) -> tuple[str, ...]:
        return self.ncoa.not_drops


def _rules(
    data: dict[str, Any],
    source: str,
    over: dict[str, Any] | None = None,
    changes: tuple[str, ...] = (),
) -> Rules:
    """Rules from the settings `data`; `over` (the override file) names the rules it gave."""
    problems = Problems(source)
    top = Table(data, "", problems)
    top.only(SECTIONS)
    classification = _classification(top.table("classification"))
    priority = _priority(top, origins(data, over, "priority"))
    prefixes = _prefixes(top, origins(data, over, "prefix"))
    prefixes = _prefix_order(top.table("codes", optional=True), prefixes)
    rules = Rules(
        classification=classification,
        priority=priority,
        prefixes=prefixes,
        ncoa=_ncoa(top.table("ncoa")),
        niche_separator=_niche(top.table("niche")),
        slug_style=_slug(top.table("slug")),
        update_window_months=_load(top.table("load")),
        new_list=_new_list(top.table("new_list")),
        occupancy=_occupancy(top.table("occupancy")),
        source=source,
        journal=_journal(top.table("journal")),
        names=_names(top.table("names")),
        drop=_drop(top.table("drop")),
        changes=changes,
    )
    problems.check()
    return rules


def load_rules(path: str | Path | None = None) -> Rules:
    """The default rules, with the keys of `path` (if given) laid over them."""
    if path is None:
        return _rules(parse_toml(default_rules_text(), "rules.toml"), "rules.toml")
    over = read_toml(path, "rules file")
    data, changes = effective_settings(path, over)
    return _rules(data, str(path), over, changes)


def with_fragment(path: str | Path | None, fragment: dict[str, Any]) -> Rules:
    """The rules of `path` (or the defaults) with a rules-file `fragment` laid over them, as
    if the operator had added it to the file (`propmail parity --suggest` tries these)."""
    data, changes = effective_settings(path)
    merged, added = overlay(data, fragment)
    return _rules(merged, f"{path or 'rules.toml'} + suggestion", None, changes + added)
